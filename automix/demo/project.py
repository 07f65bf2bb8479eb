"""The built-in demo project: synthesised song, recorded at uneven levels, plus the true mix.

:func:`write_demo` writes ``DIR/demo.rpp``, ``DIR/media/NN-name.wav`` (24-bit
PCM, one per track; the overheads are stereo) and ``DIR/demo_truth.json``.
Every track is "recorded" ``recording_offset_db`` away from the intended
balance (a spread of ±15 dB, drawn from the seed, limited so nothing clips)
and carries a −78 dBFS noise floor. The truth file states, per region ×
track, the ``gain_db`` automix should apply to the recorded track to reach
the intended balance and the intended ``pan``. Overall mix level is arbitrary, so compare balances with
:func:`balance_errors_db`, which removes each region's median offset.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
import soundfile as sf

from automix.demo.synth import REFERENCE_LOUDNESS_LUFS, Song, SongPart, synthesize_song
from automix.errors import AutomixError, MediaError, ProjectWriteError
from automix.project.writer import (
    ItemSpec,
    ProjectSpec,
    RegionSpec,
    TrackSpec,
    track_guid,
    write_project,
)
from automix.util.atomic import atomic_path, write_text_atomic

TRUTH_VERSION = 2
MAX_RECORDING_OFFSET_DB = 15.0
"""Largest distance (dB) of a track's recorded level from the intended balance."""

RECORDING_LEVEL_DB = 12.0
"""How much hotter (dB) the recordings sit than the intended mix, before the per-track offsets."""

NOISE_FLOOR_DBFS = -78.0
"""RMS of the (seeded, white) preamp noise every recording carries, so no track is digitally silent."""

PEAK_LIMIT_DBFS = -1.0
"""No recorded track peaks above this (dBFS)."""

DEMO_GENRE = "rock"


@dataclass(frozen=True)
class TruthTrack:
    """A track of the demo: name, type id, media file (relative), GUID, channels, recording offset, pan."""

    name: str
    type: str
    file: str
    guid: str
    channels: int
    recording_offset_db: float
    pan: float


@dataclass(frozen=True)
class TruthEntry:
    """The intended mix of one track in one region.

    ``gain_db``: gain to apply to the *recorded* track; ``pan``: −1…+1;
    ``active``: whether the part plays there (False = only bleed or silence);
    ``mix_level_dbfs``: RMS of the track in the intended mix over the region
    (None when silent).
    """

    name: str
    guid: str
    type: str
    active: bool
    gain_db: float
    pan: float
    mix_level_dbfs: float | None


@dataclass(frozen=True)
class TruthRegion:
    """A region of the demo: ``name`` (as in the .rpp), ``section`` kind, bounds (s), per-track truth."""

    name: str
    section: str
    start_s: float
    end_s: float
    tracks: tuple[TruthEntry, ...]


@dataclass(frozen=True)
class DemoTruth:
    """Contents of ``demo_truth.json``."""

    version: int
    seed: int
    genre: str
    sample_rate: int
    tempo_bpm: float
    duration_s: float
    reference_lufs: float
    tracks: tuple[TruthTrack, ...]
    regions: tuple[TruthRegion, ...]

    def to_json(self) -> str:
        """Indented JSON text (floats rounded to 4 decimals), trailing newline."""
        return json.dumps(_rounded(asdict(self)), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, file: str | Path | None = None) -> "DemoTruth":
        """Parse :meth:`to_json` output; raises :class:`AutomixError` naming ``file`` on bad content."""
        try:
            data = json.loads(text)
            if data.get("version") != TRUTH_VERSION:
                raise AutomixError(f"unsupported demo truth version {data.get('version')!r}", file=file)
            tracks = tuple(TruthTrack(**t) for t in data["tracks"])
            regions = tuple(TruthRegion(**{**r, "tracks": tuple(TruthEntry(**e) for e in r["tracks"])})
                            for r in data["regions"])
            return cls(**{**data, "tracks": tracks, "regions": regions})
        except (ValueError, KeyError, TypeError) as exc:
            raise AutomixError(f"malformed demo truth: {exc}", file=file) from exc


def _rounded(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


@dataclass(frozen=True)
class DemoFiles:
    """What :func:`write_demo` wrote: the project, the truth file, the media files."""

    project_path: Path
    truth_path: Path
    media_paths: tuple[Path, ...]
    truth: DemoTruth


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _db(x: float) -> float:
    return 20.0 * math.log10(x)


def recording_offsets_db(song: Song) -> np.ndarray:
    """Per-part offset (dB) of the recorded level from the intended balance, shape (n_parts,).

    A seeded permutation of evenly spread values in ±15 dB, each lowered where
    needed so the recorded part peaks at most :data:`PEAK_LIMIT_DBFS`.
    """
    rng = np.random.default_rng([song.seed, 7])
    n = len(song.parts)
    offsets = rng.permutation(np.linspace(-MAX_RECORDING_OFFSET_DB, MAX_RECORDING_OFFSET_DB, n))
    for k, part in enumerate(song.parts):
        peak_db = _db(float(np.max(np.abs(part.audio))))
        limit = PEAK_LIMIT_DBFS - 0.01 - (peak_db + _base_db(part) + RECORDING_LEVEL_DB)
        offsets[k] = min(offsets[k], limit)
    return offsets


def _base_db(part: SongPart) -> float:
    """The part's section-independent base balance: the median of its section balances."""
    return float(np.median(part.balance_db))


def build_truth(song: Song, offsets_db: np.ndarray, files: list[str], guids: list[str]) -> DemoTruth:
    """The truth record for ``song`` recorded with ``offsets_db`` (see :func:`recording_offsets_db`)."""
    sr = song.sample_rate
    tracks = tuple(TruthTrack(p.name, p.track_type, f, g, p.n_channels, float(o), float(p.pan))
                   for p, o, f, g in zip(song.parts, offsets_db, files, guids))
    regions = []
    for s_index, section in enumerate(song.sections):
        entries = []
        for part, offset_db, guid in zip(song.parts, offsets_db, guids):
            recorded_db = _base_db(part) + offset_db + RECORDING_LEVEL_DB
            chunk = part.audio[int(round(section.start_s * sr)):int(round(section.end_s * sr))]
            rms = float(np.sqrt(np.mean(np.square(chunk)))) if chunk.size else 0.0
            level = _db(rms) + part.balance_db[s_index] if rms > 0 else None
            entries.append(TruthEntry(part.name, guid, part.track_type, part.active[s_index],
                                      float(part.balance_db[s_index] - recorded_db), float(part.pan),
                                      None if level is None else float(level)))
        regions.append(TruthRegion(section.name, section.kind, section.start_s, section.end_s, tuple(entries)))
    return DemoTruth(TRUTH_VERSION, song.seed, DEMO_GENRE, sr, song.tempo_bpm, song.duration_s,
                     REFERENCE_LOUDNESS_LUFS, tracks, tuple(regions))


def write_demo(directory: str | Path, seed: int = 0, duration_s: float = 80.0,
               sample_rate: int = 44100) -> DemoFiles:
    """Synthesise the demo song and write ``demo.rpp``, ``media/*.wav`` and ``demo_truth.json`` into ``directory``.

    Byte-reproducible for equal arguments. Raises :class:`ProjectWriteError`
    or :class:`MediaError` (naming the path) when the folder is not writable.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ProjectWriteError("demo target exists and is not a folder", file=directory)
    song = synthesize_song(seed, duration_s, sample_rate)
    offsets = recording_offsets_db(song)
    media_dir = directory / "media"
    try:
        media_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProjectWriteError(f"cannot create the demo folder: {exc.strerror or exc}", file=media_dir) from exc
    files, guids, paths, track_specs = [], [], [], []
    for k, (part, offset_db) in enumerate(zip(song.parts, offsets)):
        rel = f"media/{k + 1:02d}-{_slug(part.name)}.wav"
        gain = 10.0 ** ((_base_db(part) + offset_db + RECORDING_LEVEL_DB) / 20.0)
        noise = (np.random.default_rng([seed, 11, k]).random(part.audio.shape) - 0.5) * math.sqrt(12.0)  # RMS 1
        recorded = part.audio * gain + noise * 10.0 ** (NOISE_FLOOR_DBFS / 20.0)
        path = directory / rel
        try:
            with atomic_path(path, suffix=".wav") as tmp:
                sf.write(str(tmp), recorded, song.sample_rate, subtype="PCM_24", format="WAV")
        except (OSError, RuntimeError, sf.LibsndfileError) as exc:
            raise MediaError(f"cannot write demo media: {exc}", file=path, track=part.name) from exc
        files.append(rel)
        guids.append(track_guid(seed, k, part.name))
        paths.append(path)
        item = ItemSpec(0.0, song.duration_s, rel, name=Path(rel).name)
        track_specs.append(TrackSpec(part.name, (item,), n_channels=2))
    regions = tuple(RegionSpec(s.name, s.start_s, s.end_s) for s in song.sections)
    notes = (f"genre: {DEMO_GENRE}", f"automix demo song (seed {seed}); intended mix in demo_truth.json")
    spec = ProjectSpec(tuple(track_specs), regions, song.sample_rate, song.tempo_bpm, notes, seed)
    project_path = write_project(directory / "demo.rpp", spec)
    truth = build_truth(song, offsets, files, guids)
    truth_path = directory / "demo_truth.json"
    try:
        write_text_atomic(truth_path, truth.to_json())
    except OSError as exc:
        raise ProjectWriteError(f"cannot write the demo truth: {exc.strerror or exc}", file=truth_path) from exc
    return DemoFiles(project_path, truth_path, tuple(paths), truth)


def load_truth(path: str | Path) -> DemoTruth:
    """Read a ``demo_truth.json``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AutomixError(f"cannot read demo truth: {exc.strerror or exc}", file=path) from exc
    return DemoTruth.from_json(text, file=path)


def balance_errors_db(truth: DemoTruth, gains_db: Mapping[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    """Error (dB) of applied gains against the intended balance, per (region name, track name).

    ``gains_db`` maps (region name, track name) to the gain automix applies.
    Only active tracks count; each region's median error is removed first
    (the overall mix level is free). Missing entries raise :class:`AutomixError`.
    """
    errors: dict[tuple[str, str], float] = {}
    for region in truth.regions:
        raw = {}
        for entry in region.tracks:
            if not entry.active:
                continue
            key = (region.name, entry.name)
            if key not in gains_db:
                raise AutomixError("no gain given for this track", region=region.name, track=entry.name)
            raw[key] = float(gains_db[key]) - entry.gain_db
        if raw:
            median = float(np.median(list(raw.values())))
            errors.update({k: v - median for k, v in raw.items()})
    return errors


def plan_values(plan, field_name: str = "gain_db") -> dict[tuple[str, str], float]:
    """``{(region name, track name): value}`` of a :class:`automix.plan.model.MixPlan` (``gain_db`` or ``pan``)."""
    return {(region.name, track.name): float(getattr(track, field_name))
            for region in plan.regions for track in region.tracks}


def pan_errors(truth: DemoTruth, pans: Mapping[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    """Planned minus intended pan (REAPER units, −1…+1) per (region name, track name), active tracks only."""
    errors = {}
    for region in truth.regions:
        for entry in region.tracks:
            if entry.active:
                key = (region.name, entry.name)
                if key not in pans:
                    raise AutomixError("no pan given for this track", region=region.name, track=entry.name)
                errors[key] = float(pans[key]) - entry.pan
    return errors
