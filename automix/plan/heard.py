"""From a planned gain (what the listener should hear) to the volume envelope and fader that give it.

A plan's ``gain_db`` is the track's level *as heard*, relative to its recorded
level (item and take volumes included). What REAPER plays is

    heard = envelope (``VOLENV2``) × fader (``VOLPAN``, if the automation mode plays it)
            × the volume of every enclosing folder track

so the envelope automix writes is ``gain_db − fader_db − folder_db``, all in dB:

* In **trim/read** mode (``AUTOMODE 0``, REAPER's default) envelope and
  fader both play: the fader acts as a trim on the envelope (REAPER user
  guide, automation modes). The fader is compensated.
* In **read, touch, write, latch** and **latch preview** the envelope drives
  the fader control, so the fader's stored value does not play while a volume
  envelope exists (**unverified** with a live REAPER: keep the rule in
  :func:`fader_plays`). Only the folder volume is compensated.
* The envelope spans ``MIN_GAIN_DB … MAX_GAIN_DB`` (−150 … +6 dB). When the
  compensated values do not fit (a fader at −20 dB needs +26 dB for a region
  planned at +6 dB), the track's fader is **reset to 0 dB**, and where even
  that is not enough (a folder far down, or a track recorded so quietly that
  its plan asks for more than +6 dB) it is raised as needed up to
  :data:`MAX_FADER_DB`: the fader carries the static part of the gain, the
  envelope the section moves. Whatever still does not fit is clipped. Each
  case yields a note saying what was changed and by how much.

Folder tracks' own volume *envelopes* and trim envelopes (``VOLENV3``) are
not compensated; a note says so when one is active.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from automix.plan.model import MAX_FADER_DB, MAX_GAIN_DB, MIN_GAIN_DB
from automix.project.model import AUTOMATION_MODES, Project, Track

__all__ = ["MAX_FADER_DB", "VolumeSetting", "amp_to_db", "fader_db_text", "fader_plays", "folder_gain_db",
           "volume_setting"]

SILENT_FADER_DB = -150.0
"""A fader (or folder volume) at or below this is treated as −inf: nothing can be compensated."""


def amp_to_db(amp: float) -> float:
    """Linear amplitude → dB (−inf for 0 or less)."""
    return 20.0 * math.log10(amp) if amp > 0 else -math.inf


def fader_plays(track: Track) -> bool:
    """True when the track's stored fader volume multiplies its volume envelope (trim/read mode)."""
    return track.automation_mode == 0


def folder_gain_db(project: Project, track: Track) -> float:
    """Sum of the fader volumes (dB) of the folder tracks enclosing ``track``."""
    return sum(amp_to_db(p.volume_amp) for p in project.folder_parents(track))


@dataclass(frozen=True)
class VolumeSetting:
    """How one track realises its planned gains.

    Attributes:
        envelope_db: the volume-envelope gain per planned gain, in dB (same order).
        fader_amp: the fader (linear) the track plays at afterwards (unchanged unless ``fader_changed``).
        fader_changed: True when automix must write ``fader_amp`` into ``VOLPAN``.
        heard_offset_db: planned gain minus what will be heard, per gain (0 when realised exactly).
        notes: sentences for the job's messages.
    """

    envelope_db: tuple[float, ...]
    fader_amp: float
    fader_changed: bool
    heard_offset_db: tuple[float, ...]
    notes: tuple[str, ...] = ()


def volume_setting(project: Project, track: Track, gains_db: Sequence[float]) -> VolumeSetting:
    """The envelope values (and fader, if it must change) that make ``track`` heard at ``gains_db``."""
    name = track.name or f"#{track.index + 1}"
    folder_db = folder_gain_db(project, track)
    plays = fader_plays(track)
    fader_db = amp_to_db(track.volume_amp) if plays else 0.0
    notes: list[str] = []
    if not plays and track.volume_amp != 1.0:
        notes.append(f"track {name!r}: automation mode {AUTOMATION_MODES.get(track.automation_mode, '?')}: "
                     f"the volume envelope drives the fader, so its fader ({fader_db_text(track.volume_amp)}) "
                     f"is not compensated")
    active_trims = [tag for tag in ("VOLENV3", "VOLENV") if tag in track.envelopes
                    and track.envelopes[tag].active and track.envelopes[tag].points]
    active_trims += [f"folder {p.name!r} VOLENV2" for p in project.folder_parents(track)
                     if "VOLENV2" in p.envelopes and p.envelopes["VOLENV2"].active and p.envelopes["VOLENV2"].points]
    if active_trims:
        notes.append(f"track {name!r}: {', '.join(active_trims)} envelope(s) also change what is heard and are "
                     f"not compensated")
    if not gains_db:
        return VolumeSetting((), track.volume_amp, False, (), tuple(notes))
    if folder_db <= SILENT_FADER_DB:
        notes.append(f"track {name!r}: a folder above it is at -inf dB; it stays silent")
        return VolumeSetting(tuple(min(max(g, MIN_GAIN_DB), MAX_GAIN_DB) for g in gains_db), track.volume_amp,
                             False, tuple(math.inf for _ in gains_db), tuple(notes))

    def fits(f_db: float) -> bool:
        return all(MIN_GAIN_DB <= g - f_db - folder_db <= MAX_GAIN_DB for g in gains_db)

    new_fader_db = fader_db
    if plays and not fits(fader_db):
        new_fader_db = 0.0 if fits(0.0) else min(MAX_FADER_DB, max(gains_db) - folder_db - MAX_GAIN_DB)
        if fader_db < new_fader_db and max(gains_db) - folder_db > MAX_GAIN_DB:
            notes.append(f"track {name!r}: fader raised from {fader_db_text(track.volume_amp)} to "
                         f"{new_fader_db:+.1f} dB: its plan asks for up to {max(gains_db) - folder_db:+.1f} dB "
                         f"(recorded quietly{' or under a low folder' if folder_db < 0 else ''}) and the volume "
                         f"envelope reaches {MAX_GAIN_DB:+g} dB")
        else:
            notes.append(f"track {name!r}: fader {fader_db_text(track.volume_amp)} reset to {new_fader_db:+.1f} dB: "
                         f"the volume envelope (at most {MAX_GAIN_DB:+g} dB) could not compensate it")
    env = [min(max(g - new_fader_db - folder_db, MIN_GAIN_DB), MAX_GAIN_DB) for g in gains_db]
    offsets = [g - (e + new_fader_db + folder_db) for g, e in zip(gains_db, env)]
    short = max(offsets)
    if short > 0.05:
        notes.append(f"track {name!r}: plays up to {short:.1f} dB below its planned gain (envelope at "
                     f"{MAX_GAIN_DB:+g} dB, fader at {new_fader_db:+.1f} dB, folders {folder_db:+.1f} dB)")
    changed = plays and new_fader_db != fader_db
    return VolumeSetting(tuple(env), 10.0 ** (new_fader_db / 20.0) if changed else track.volume_amp, changed,
                         tuple(offsets), tuple(notes))


def fader_db_text(amp: float) -> str:
    """A fader amplitude as dB text (``-20.0 dB``, ``-inf dB``)."""
    db = amp_to_db(amp)
    return f"{db:+.1f} dB" if math.isfinite(db) else "-inf dB"
