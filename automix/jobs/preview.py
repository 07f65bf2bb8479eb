"""Offline preview of a mix plan: what the project will sound like after ``automix mix``.

Per track the preview applies, in REAPER's order: the plan's EQ for the
region (ReaEQ-matching biquads from :mod:`automix.audio.eq`), the track fader
volume and its folders' volume, and the plan's gain and pan as the envelopes ``automix mix``
writes (the volume envelope compensates fader and folders: :mod:`automix.plan.heard`)
(the same points, from :func:`automix.plan.apply.track_envelopes`: linear
ramps of :data:`~automix.plan.apply.RAMP_S` ending at region boundaries,
values held before the first and after the last planned region; volume
interpolated in amplitude, as the file stores it), the pan through
:func:`automix.audio.panlaw.track_pan_gains`. Tracks the plan does not mention play at their fader
volume and pan. Muted tracks and tracks in a muted folder are silent; when
any track is soloed only soloed tracks play. A track whose media file is
missing or cannot be read (:mod:`automix.features.mixable`) is left out and
said (:attr:`PreviewSummary.notes`); the others are rendered. Assumed (**unverified**): a pan envelope replaces the pan knob
rather than adding to it; EQ settings switch at region starts without a ramp.

Stems come from :func:`automix.audio.render.render_track` (pre-fader, ``(n, 2)``
float32 blocks on a common grid starting at 0 s). Loudness normalisation uses
:mod:`automix.audio.loudness` (BS.1770 integrated loudness).
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from automix.audio.eq import StreamingEq
from automix.audio.loudness import LoudnessMeter, integrated_loudness
from automix.audio.panlaw import track_pan_gains
from automix.audio.render import render_track
from automix.errors import MediaError
from automix.features.mixable import missing_media_note, readable_tracks
from automix.plan.apply import track_envelopes
from automix.plan.heard import (
    VolumeSetting,
    fader_plays,
    folder_gain_db,
    volume_setting,
)
from automix.plan.model import EqBand, MixPlan
from automix.project.model import Project, Track
from automix.util.atomic import atomic_path

DEFAULT_PREVIEW_LUFS = -16.0
"""Suggested loudness target for fair A/B listening (``--normalize``)."""

_BLOCK_S = 2.0


class TrackMixer:
    """Applies one track's planned EQ, gain and pan to consecutive blocks of its stem.

    Args:
        plan: the mix plan (may not mention the track).
        guid: the track's GUID.
        sample_rate: in Hz.
        fader_amp: everything multiplying the envelope: track fader (when it
            plays) × folder volumes (linear amplitude).
        fader_pan: the pan used when the plan does not mention the track.
        setting: the envelope gains that compensate fader and folders
            (:func:`automix.plan.heard.volume_setting`; default: the plan's gains).
    """

    def __init__(self, plan: MixPlan | None, guid: str, sample_rate: int,
                 fader_amp: float = 1.0, fader_pan: float = 0.0,
                 setting: VolumeSetting | None = None) -> None:
        self.sample_rate = sample_rate
        self.fader_amp = float(fader_amp)
        if plan is not None and plan.envelope_segments(guid):
            vol, pan = track_envelopes(plan, guid, setting=setting)
            self._vol_t, self._vol_v = np.array([p.time_s for p in vol]), np.array([p.value for p in vol])
            self._pan_t, self._pan_v = np.array([p.time_s for p in pan]), np.array([p.value for p in pan])
        else:
            self._vol_t = self._pan_t = np.zeros(1)
            self._vol_v, self._pan_v = np.ones(1), np.array([float(fader_pan)])
        segs: list[tuple[int, tuple[EqBand, ...]]] = []
        if plan is not None:
            for r in sorted(plan.regions, key=lambda r: r.start_s):
                t = r.track(guid)
                if t is not None:
                    segs.append((int(round(r.start_s * sample_rate)), t.eq))
        self._eq_starts = [s for s, _ in segs]
        self._eq_bands = [b for _, b in segs] or [()]
        self._eq = StreamingEq(sample_rate, 2)

    def _bands_at(self, sample: int) -> int:
        """Index of the EQ setting active at ``sample`` (first one before the first region)."""
        k = 0
        for i, s in enumerate(self._eq_starts):
            if s <= sample:
                k = i
        return k

    def process(self, block: np.ndarray, start_sample: int) -> np.ndarray:
        """Mix one ``(n, 2)`` stem block starting at ``start_sample``; returns float64 (n, 2)."""
        n = block.shape[0]
        cuts = [0] + [s - start_sample for s in self._eq_starts if start_sample < s < start_sample + n] + [n]
        pieces = []
        for a, b in zip(cuts[:-1], cuts[1:]):
            bands = self._eq_bands[self._bands_at(start_sample + a)]
            pieces.append(self._eq.process(block[a:b], bands))
        y = np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
        amp = self._envelope(self._vol_t, self._vol_v, start_sample, n) * self.fader_amp
        left, right = track_pan_gains(self._envelope(self._pan_t, self._pan_v, start_sample, n))
        y[:, 0] *= amp * left
        y[:, 1] *= amp * right
        return y

    def _envelope(self, times_s: np.ndarray, values: np.ndarray, start_sample: int, n: int) -> np.ndarray | float:
        """Envelope value per sample of the block, or one float when no point falls inside it."""
        t0, t1 = start_sample / self.sample_rate, (start_sample + n - 1) / self.sample_rate
        if not np.any((times_s > t0) & (times_s < t1)):  # linear between points: constant or one ramp
            v0, v1 = np.interp([t0, t1], times_s, values)
            if v0 == v1:
                return float(v0)
        return np.interp((start_sample + np.arange(n)) / self.sample_rate, times_s, values)


def _playing_tracks(project: Project) -> tuple[list[Track], list[str]]:
    """(the tracks heard whose media can be read, a sentence per track left out for its media)."""
    tracks = [t for t in project.audio_tracks if project.muted_by(t) is None]
    if any(t.soloed for t in tracks):
        tracks = [t for t in tracks if t.soloed]
    notes = [n for n in map(missing_media_note, tracks) if n is not None]
    readable, unreadable = readable_tracks(tuple(t for t in tracks if missing_media_note(t) is None))
    notes += unreadable
    if not readable:
        raise MediaError("the project has no audio track to render" + "".join(f"; {n}" for n in notes),
                         file=project.path)
    return list(readable), notes


def _mixer(project: Project, plan: MixPlan | None, track: Track, sample_rate: int) -> TrackMixer:
    """The track's mixer as REAPER will play it once automix has applied ``plan``."""
    folder_amp = 10.0 ** (folder_gain_db(project, track) / 20.0)
    gains = [g for _a, _b, g, _p in plan.envelope_segments(track.guid)] if plan is not None else []
    if not gains:
        return TrackMixer(None, track.guid, sample_rate, track.volume_amp * folder_amp, track.pan)
    setting = volume_setting(project, track, gains)
    fader = setting.fader_amp if fader_plays(track) else 1.0
    return TrackMixer(plan, track.guid, sample_rate, fader * folder_amp, track.pan, setting)


def iter_mixes(project: Project, plans: Sequence[MixPlan | None], *, sample_rate: int | None = None,
               block_s: float = _BLOCK_S, notes: list[str] | None = None) -> Iterator[tuple[np.ndarray, ...]]:
    """Yield, block by block, one float64 ``(n, 2)`` mix per plan, from one rendering of the stems.

    Every track is rendered (decoded, resampled …) once and fed to one
    :class:`TrackMixer` per plan, so a before/after comparison costs one pass
    over the media. ``None`` as a plan is the unmixed reference: the tracks
    summed at their fader volume and pan. ``notes``, when given, receives a
    sentence per track left out because of its media.
    """
    sr = int(sample_rate or project.sample_rate)
    tracks, skipped = _playing_tracks(project)
    if notes is not None:
        notes += skipped
    streams = [render_track(project, t, sample_rate=sr, block_s=block_s, end_s=project.end_s) for t in tracks]
    mixers = [[_mixer(project, plan, t, sr) for t in tracks] for plan in plans]
    start = 0
    for blocks in zip(*streams):
        n = max(len(b) for b in blocks)
        outs = []
        for per_track in mixers:
            out = np.zeros((n, 2))
            for mixer, b in zip(per_track, blocks):
                out[: len(b)] += mixer.process(b, start)
            outs.append(out)
        start += n
        yield tuple(outs)


def iter_mix_blocks(project: Project, plan: MixPlan | None, *, sample_rate: int | None = None,
                    block_s: float = _BLOCK_S, notes: list[str] | None = None) -> Iterator[np.ndarray]:
    """Yield the mix as consecutive float64 ``(n, 2)`` blocks from 0 s to the end of the song.

    With ``plan=None`` the tracks are summed at their fader volume and pan
    (the unmixed reference).
    """
    for (block,) in iter_mixes(project, [plan], sample_rate=sample_rate, block_s=block_s, notes=notes):
        yield block


def _normalise(x: np.ndarray, sample_rate: int, target_lufs: float) -> np.ndarray:
    lufs = integrated_loudness(x, sample_rate)
    if not math.isfinite(lufs):
        return x
    return x * 10.0 ** ((target_lufs - lufs) / 20.0)


def render_mix(project: Project, plan: MixPlan | None, *, sample_rate: int | None = None,
               normalize_lufs: float | None = None) -> np.ndarray:
    """The planned mix (``plan=None``: the unmixed sum) as one float64 array shaped (n, 2).

    Holds the whole song: for short songs and tests; :func:`iter_mixes` streams.

    Args:
        normalize_lufs: scale the result to this integrated loudness (LUFS);
            silence is left as it is.
    """
    sr = int(sample_rate or project.sample_rate)
    blocks = list(iter_mix_blocks(project, plan, sample_rate=sr))
    x = np.concatenate(blocks) if blocks else np.zeros((0, 2))
    return _normalise(x, sr, normalize_lufs) if normalize_lufs is not None else x


@dataclass(frozen=True)
class PreviewSummary:
    """What :func:`write_preview` wrote.

    Attributes:
        path: the WAV file.
        duration_s: its length.
        loudness_lufs: integrated loudness of the file as written.
        gain_db: normalisation gain applied (0 when not normalised).
        peak_dbfs: highest sample magnitude in dBFS (may exceed 0 in a float file).
        notes: a sentence per track left out because its media is missing or unreadable.
    """

    path: Path
    duration_s: float
    loudness_lufs: float
    gain_db: float
    peak_dbfs: float
    notes: tuple[str, ...] = ()


def _for_subtype(block: np.ndarray, subtype: str) -> np.ndarray:
    """float32 samples for the file; clipped to ±1 for integer subtypes (no wrap-around)."""
    if subtype.upper() in ("FLOAT", "DOUBLE"):
        return block.astype(np.float32)
    return np.clip(block, -1.0, 1.0).astype(np.float32)


def write_preview(project: Project, plan: MixPlan | None, path: str | Path, *, sample_rate: int | None = None,
                  normalize_lufs: float | None = None, subtype: str = "FLOAT") -> PreviewSummary:
    """Render the mix (``plan=None``: the unmixed sum) block by block into a WAV file.

    Memory stays bounded: blocks are written as they are rendered while a
    streaming BS.1770 meter measures them; with ``normalize_lufs`` a second
    pass rescales the temporary file into ``path``. The file appears
    atomically (temporary file + rename). ``subtype`` is a soundfile WAV
    subtype (``FLOAT`` keeps peaks above 0 dBFS intact; ``PCM_24`` clips them).
    """
    sr = int(sample_rate or project.sample_rate)
    path = Path(path)
    meter = LoudnessMeter(sr, 2)
    peak = 0.0
    n_total = 0
    notes: list[str] = []
    try:
        first_subtype = "FLOAT" if normalize_lufs is not None else subtype
        with tempfile.TemporaryDirectory(prefix=f".{path.name}.", dir=path.parent) as work:
            first = Path(work) / "pass1.wav"
            with sf.SoundFile(first, "w", samplerate=sr, channels=2, format="WAV", subtype=first_subtype) as fh:
                for block in iter_mix_blocks(project, plan, sample_rate=sr, notes=notes):
                    meter.push(block)
                    peak = max(peak, float(np.max(np.abs(block), initial=0.0)))
                    n_total += len(block)
                    fh.write(_for_subtype(block, first_subtype))
            lufs = meter.integrated()
            gain_db = 0.0
            with atomic_path(path, suffix=".wav") as out:
                if normalize_lufs is not None and math.isfinite(lufs):
                    gain_db = normalize_lufs - lufs
                    scale = 10.0 ** (gain_db / 20.0)
                    with sf.SoundFile(first, "r") as src, \
                            sf.SoundFile(out, "w", samplerate=sr, channels=2, format="WAV", subtype=subtype) as dst:
                        for block in src.blocks(blocksize=int(_BLOCK_S * sr), dtype="float64"):
                            dst.write(_for_subtype(block * scale, subtype))
                    lufs, peak = normalize_lufs, peak * scale
                else:
                    os.replace(first, out)
    except OSError as exc:
        raise MediaError(f"cannot write preview: {exc.strerror or exc}", file=path) from None
    return PreviewSummary(path=path, duration_s=n_total / sr, loudness_lufs=lufs, gain_db=gain_db,
                          peak_dbfs=20.0 * math.log10(peak) if peak > 0 else -math.inf, notes=tuple(notes))
