"""Write a NEW REAPER project (.rpp text) from scratch, in the style REAPER 7 saves.

Used by the demo generator and by tests that need projects on disk. Output is
byte-reproducible: GUIDs come from :func:`seeded_guid` (a hash of a seed and a
label), the header timestamp is fixed, numbers use one formatting function.
This module only *creates* projects; editing existing ones goes through the
lossless chunk layer (:mod:`automix.rpp`).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

from automix.errors import ProjectEditError, ProjectWriteError
from automix.rpp.tokens import format_number as rpp_format_number
from automix.rpp.tokens import quote as rpp_quote
from automix.util.atomic import write_text_atomic

DEFAULT_REAPER_VERSION = "7.18/linux-x86_64"
"""Version string written into the ``<REAPER_PROJECT`` header."""

MAX_VOLUME_AMP = 3.981071705534973
"""Largest fader value REAPER accepts (+12 dB)."""

DEFAULT_TIMESTAMP = 1735689600
"""Header timestamp (2025-01-01 00:00 UTC): fixed so the text is reproducible."""


@dataclass(frozen=True)
class ItemSpec:
    """A media item to write: ``file_text`` as it should appear after ``FILE`` (relative or absolute).

    ``position_s``/``length_s`` in seconds; ``gain_amp`` item volume (1 = 0 dB);
    ``pan`` take pan −1…+1; ``source_kind`` the ``<SOURCE`` type (WAVE, FLAC …).
    """

    position_s: float
    length_s: float
    file_text: str
    name: str = ""
    source_kind: str = "WAVE"
    gain_amp: float = 1.0
    pan: float = 0.0
    source_offset_s: float = 0.0


@dataclass(frozen=True)
class TrackSpec:
    """A track to write: ``name``, fader ``volume_amp`` (1 = 0 dB), ``pan`` −1…+1, its items."""

    name: str
    items: tuple[ItemSpec, ...] = ()
    volume_amp: float = 1.0
    pan: float = 0.0
    n_channels: int = 2


@dataclass(frozen=True)
class RegionSpec:
    """A region to write: ``name`` and bounds in seconds (``end_s`` > ``start_s``)."""

    name: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class ProjectSpec:
    """Everything :func:`project_text` needs. ``notes`` lines go into the project ``<NOTES`` chunk."""

    tracks: tuple[TrackSpec, ...]
    regions: tuple[RegionSpec, ...] = ()
    sample_rate: int = 44100
    tempo_bpm: float = 120.0
    notes: tuple[str, ...] = field(default_factory=tuple)
    seed: int = 0
    reaper_version: str = DEFAULT_REAPER_VERSION
    timestamp: int = DEFAULT_TIMESTAMP


def seeded_guid(seed: int, label: str) -> str:
    """A REAPER-style GUID ``{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`` derived from ``seed`` and ``label``."""
    h = hashlib.sha256(f"automix:{seed}:{label}".encode("utf-8")).hexdigest().upper()
    return "{" + f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}" + "}"


def track_guid(seed: int, index: int, name: str) -> str:
    """The GUID :func:`project_text` gives track ``index`` (0-based) named ``name``."""
    return seeded_guid(seed, f"track:{index}:{name}")


def format_number(value: float) -> str:
    """A number as REAPER 7 writes it (:func:`automix.rpp.format_number`); non-finite raises ProjectEditError."""
    try:
        return rpp_format_number(value)
    except ValueError as exc:
        raise ProjectEditError(f"cannot write a non-finite number: {value!r}") from exc


def quote_token(text: str) -> str:
    """A string token quoted as REAPER does (:func:`automix.rpp.quote`); refuses lossy strings."""
    if all(q in text for q in "\"'`"):
        raise ProjectEditError(f"cannot quote a string holding \", ' and ` characters: {text!r}")
    return rpp_quote(text)


def _header_lines(spec: ProjectSpec) -> list[str]:
    f = format_number
    lines = [f'<REAPER_PROJECT 0.1 "{spec.reaper_version}" {spec.timestamp}']
    if spec.notes:
        lines.append("  <NOTES 0 2")
        lines += [f"    |{note}" for note in spec.notes]
        lines.append("  >")
    lines += [
        "  RIPPLE 0 0", "  GROUPOVERRIDE 0 0 0 0", "  AUTOXFADE 129", "  ENVATTACH 3", "  POOLEDENVATTACH 0",
        "  MIXERUIFLAGS 11 48", "  ENVFADESZ10 40", "  PEAKGAIN 1", "  FEEDBACK 0", "  PANLAW 1",
        "  PROJOFFS 0 0 0", "  MAXPROJLEN 0 0", "  GRID 3199 8 1 8 1 0 0 0", "  TIMEMODE 1 5 -1 30 0 0 -1",
        "  VIDEO_CONFIG 0 0 256", "  PANMODE 3", "  CURSOR 0", "  ZOOM 10 0 0", "  VZOOMEX 6 0",
        "  USE_REC_CFG 0", "  RECMODE 1", "  SMPTESYNC 0 30 100 40 1000 300 0 0 1 0 0", "  LOOP 0",
        "  LOOPGRAN 0 4", '  RECORD_PATH "media" ""', '  RENDER_FILE ""', '  RENDER_PATTERN ""',
        "  RENDER_FMT 0 2 0", "  RENDER_1X 0", "  RENDER_RANGE 1 0 0 18 1000", "  RENDER_RESAMPLE 3 0 1",
        "  RENDER_ADDTOPROJ 0", "  RENDER_STEMS 0", "  RENDER_DITHER 0", "  TIMELOCKMODE 1",
        "  TEMPOENVLOCKMODE 1", "  ITEMMIX 1", "  DEFPITCHMODE 589824 0", "  TAKELANE 1",
        f"  SAMPLERATE {int(spec.sample_rate)} 1 0", "  LOCK 1", "  GLOBAL_AUTO -1",
        f"  TEMPO {f(spec.tempo_bpm)} 4 4", "  PLAYRATE 1 0 0.25 4", "  SELECTION 0 0", "  SELECTION2 0 0",
        "  MASTERAUTOMODE 0", "  MASTERTRACKHEIGHT 0 0", "  MASTERPEAKCOL 16576", "  MASTERMUTESOLO 0",
        "  MASTERTRACKVIEW 0 0.6667 0.5 0.5 0 0 0 0 0 0 0 0 0 0", "  MASTERHWOUT 0 0 1 0 0 0 0 -1",
        "  MASTER_NCH 2 2", "  MASTER_VOLUME 1 0 -1 -1 1", "  MASTER_PANMODE 3", "  MASTER_FX 1", "  MASTER_SEL 0",
    ]
    return lines


def _marker_lines(spec: ProjectSpec) -> list[str]:
    """Region MARKER lines in REAPER 7 form, sorted by position (an end line before a start at the same time)."""
    entries: list[tuple[float, int, str]] = []
    for number, region in enumerate(spec.regions, start=1):
        if not (math.isfinite(region.start_s) and math.isfinite(region.end_s)) or region.end_s <= region.start_s:
            raise ProjectEditError(
                f"region bounds must satisfy start < end, got {region.start_s!r}..{region.end_s!r}",
                region=region.name)
        guid = seeded_guid(spec.seed, f"region:{number}:{region.name}")
        start = (f"  MARKER {number} {format_number(region.start_s)} {quote_token(region.name)} 1 0 1 R {guid} 0")
        end = f'  MARKER {number} {format_number(region.end_s)} "" 1'
        entries.append((region.start_s, 1, start))
        entries.append((region.end_s, 0, end))
    entries.sort(key=lambda e: (e[0], e[1]))
    return [line for *_, line in entries]


def _item_lines(spec: ProjectSpec, track_index: int, item_index: int, item: ItemSpec, iid: int) -> list[str]:
    f = format_number
    label = f"track:{track_index}:item:{item_index}"
    if item.length_s <= 0 or item.position_s < 0:
        raise ProjectEditError(f"item needs position >= 0 and length > 0, got {item.position_s!r}, "
                               f"{item.length_s!r}", track=spec.tracks[track_index].name)
    return [
        "    <ITEM", f"      POSITION {f(item.position_s)}", "      SNAPOFFS 0", f"      LENGTH {f(item.length_s)}",
        "      LOOP 0", "      ALLTAKES 0", "      FADEIN 1 0 0 1 0 0 0", "      FADEOUT 1 0 0 1 0 0 0",
        "      MUTE 0 0", "      SEL 0", f"      IGUID {seeded_guid(spec.seed, label)}", f"      IID {iid}",
        f"      NAME {quote_token(item.name or Path(item.file_text.replace(chr(92), '/')).name)}",
        f"      VOLPAN {f(item.gain_amp)} {f(item.pan)} 1 -1", f"      SOFFS {f(item.source_offset_s)}",
        "      PLAYRATE 1 1 0 -1 0 0.0025", "      CHANMODE 0", f"      GUID {seeded_guid(spec.seed, label + ':take')}",
        f"      <SOURCE {item.source_kind}", f"        FILE {quote_token(item.file_text)}", "      >", "    >",
    ]


def _track_lines(spec: ProjectSpec, index: int, track: TrackSpec, iid_start: int) -> list[str]:
    f = format_number
    guid = track_guid(spec.seed, index, track.name)
    if not (0.0 <= track.volume_amp <= MAX_VOLUME_AMP) or not (-1.0 <= track.pan <= 1.0):
        raise ProjectEditError(f"track volume must be 0..3.98 (+12 dB) and pan -1..1, got "
                               f"{track.volume_amp!r}, {track.pan!r}", track=track.name)
    lines = [
        f"  <TRACK {guid}", f"    NAME {quote_token(track.name)}", "    PEAKCOL 16576", "    BEAT -1",
        "    AUTOMODE 0", "    PANLAWFLAGS 3", f"    VOLPAN {f(track.volume_amp)} {f(track.pan)} -1 -1 1",
        "    MUTESOLO 0 0 0", "    IPHASE 0", "    PLAYOFFS 0 1", "    ISBUS 0 0", "    BUSCOMP 0 0 0 0 0",
        "    SHOWINMIX 1 0.6667 0.5 1 0.5 0 0 0 0", "    FIXEDLANES 9 0 0 0 0", "    SEL 0",
        "    REC 0 0 1 0 0 0 0 0", "    VU 2", "    TRACKHEIGHT 0 0 0 0 0 0 0", "    INQ 0 0 0 0.5 100 0 0 100",
        f"    NCHAN {int(track.n_channels)}", "    FX 1", f"    TRACKID {guid}", "    PERF 0", "    MIDIOUT -1",
        "    MAINSEND 1 0",
    ]
    for item_index, item in enumerate(track.items):
        lines += _item_lines(spec, index, item_index, item, iid_start + item_index)
    lines.append("  >")
    return lines


def project_text(spec: ProjectSpec) -> str:
    """The complete ``.rpp`` text (LF line endings, trailing newline) for ``spec``."""
    if int(spec.sample_rate) <= 0 or not (spec.tempo_bpm > 0 and math.isfinite(spec.tempo_bpm)):
        raise ProjectEditError(f"sample rate and tempo must be positive, got {spec.sample_rate!r}, "
                               f"{spec.tempo_bpm!r}")
    for note in spec.notes:
        if "\n" in note or "\r" in note:
            raise ProjectEditError(f"a notes line cannot hold a line break: {note!r}")
    lines = _header_lines(spec) + _marker_lines(spec) + ["  <PROJBAY", "  >"]
    iid = 1
    for index, track in enumerate(spec.tracks):
        lines += _track_lines(spec, index, track, iid)
        iid += len(track.items)
    lines += ["  <EXTENSIONS", "  >", ">"]
    return "\n".join(lines) + "\n"


def write_project(path: str | Path, spec: ProjectSpec) -> Path:
    """Write ``project_text(spec)`` to ``path`` atomically (temp file + rename); returns the path."""
    path = Path(path)
    text = project_text(spec)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, text)
    except OSError as exc:
        raise ProjectWriteError(f"cannot write project: {exc.strerror or exc}", file=path) from exc
    return path
