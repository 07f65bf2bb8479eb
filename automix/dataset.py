"""Training samples: one row per song section, per-type inputs and exact or estimated targets.

Two kinds of training data:

* **Finished REAPER projects** (:func:`samples_from_project`). The project
  holds the exact ground truth, nothing is estimated: a track's gain in a
  section is its fader (``VOLPAN``) plus the time-weighted mean, in dB, of its
  active ``VOLENV2`` inside the section; its pan is the fader pan plus the
  time-weighted mean of its ``PANENV2`` (file values are sign-inverted, see
  REAPER.md); its EQ is the response of every enabled, not bypassed ReaEQ on
  the track (the automix one or the user's own), projected onto automix's 5
  EQ bands (:data:`automix.bands.EQ_BAND_LAYOUT`) by least squares in dB.
  Inputs are the features of the *raw* (pre-fader) tracks from
  :func:`automix.analysis.analyse_project` (cached per project).
* **Song folders** (:func:`samples_from_song_folder`): stems + a mix + a small
  metadata file ``automix-song.json``; ground truth by the estimation engine
  (:func:`automix.estimate.estimate_from_arrays`). Format::

      {"format": "automix-song", "version": 1,
       "genre": "rock",                       # required
       "mix": "mixture.wav",                  # required, relative to the folder
       "regions": [{"name": "Verse 1", "start_s": 0.0, "end_s": 12.5}, ...],
                                              # optional; none = one whole-song section
       "tracks": [{"file": "drums.wav", "name": "Drums", "type": "drum_kit"}, ...]}
                                              # "name"/"type" optional (type from the name)

In both, the tracks of one type are merged into the type's basic track
(levels add as powers) and the targets of a type are: its level in the mix
relative to the mix (``level_rel_db``, RMS dB — the default target), the
paper's gain weight α (``mix ≈ Σ α·merged raw track``), the power-weighted
mean pan and EQ of its tracks. Only tracks that *play* in a section count
(the same rule as the planner: level above −80 dBFS and within 12 dB of the
track's loudest section).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from automix.bands import EQ_BAND_LAYOUT, N_BANDS
from automix.errors import AutomixError, EstimationError, MediaError, ProjectError
from automix.features import REGION_FEATURE_NAMES
from automix.project import Envelope, Project, Track
from automix.targets import power_sum_db
from automix.tracktypes import TRACK_TYPE_IDS, classify_track, merge_type_features, parse_track_type

SONG_METADATA_FILE = "automix-song.json"
"""Name of the metadata file that makes a folder a training song."""

LEVEL_FEATURE = "rms_db"
"""Level feature the targets are measured on (the planner's ``LEVEL_FEATURE``)."""

SILENT_LEVEL_DB = -80.0
ACTIVE_WITHIN_DB = 12.0
"""A track plays in a section: level > SILENT_LEVEL_DB and within ACTIVE_WITHIN_DB of its loudest section."""

ENVELOPE_GRID_POINTS = 512
"""Samples per section used for the time-weighted envelope means."""

EQ_FIT_FREQS_HZ = np.geomspace(30.0, 16000.0, 160)
"""Frequencies (Hz) where ReaEQ responses are projected onto the automix EQ bands."""

MAX_EQ_TARGET_DB = 24.0
"""EQ targets are clipped to ± this (dB)."""


@dataclass(frozen=True)
class SectionSample:
    """One song section as a training row.

    Arrays run over :data:`automix.tracktypes.TRACK_TYPE_IDS` (T types) and
    :data:`automix.features.REGION_FEATURE_NAMES` (F features).

    Attributes:
        song_id: identifies the song (leave-one-song-out groups).
        genre: the song's genre as written (``rock``, ``World/Folk``).
        section: section id (``verse``, ``chorus`` …).
        region: the region name.
        source: what the row came from (project path, song folder …).
        type_features: (T, F) merged raw features per type, NaN for absent types.
        present: (T,) bool, the types with a playing track.
        level_rel_db: (T,) level in the mix relative to the mix, dB (NaN absent).
        alpha: (T,) gain weight of the merged track (NaN absent).
        pan: (T,) pan −1 … +1 (NaN absent).
        eq_db: (T, 5) EQ gain per band, dB (NaN absent).
        mix_level_db: level of the mix in the section (RMS dBFS, power sum).
    """

    song_id: str
    genre: str
    section: str
    region: str
    source: str
    type_features: np.ndarray
    present: np.ndarray
    level_rel_db: np.ndarray
    alpha: np.ndarray
    pan: np.ndarray
    eq_db: np.ndarray
    mix_level_db: float


def playing_matrix(levels_db: np.ndarray) -> np.ndarray:
    """(n_tracks, n_sections) bool: where each track plays (see the module docstring)."""
    lv = np.asarray(levels_db, dtype=float)
    if lv.size == 0:
        return np.zeros(lv.shape, dtype=bool)
    loudest = lv.max(axis=1, keepdims=True)
    return (lv > SILENT_LEVEL_DB) & (lv >= loudest - ACTIVE_WITHIN_DB)


def section_sample(*, song_id: str, genre: str, section: str, region: str, source: str,
                   track_types: Sequence[str], features: np.ndarray, gain_db: np.ndarray, pan: np.ndarray,
                   eq_db: np.ndarray, playing: np.ndarray) -> SectionSample | None:
    """Merge one section's tracks by type and compute the targets.

    Args:
        track_types: type id per track (n,).
        features: (n, F) raw (pre-fader) features in REGION_FEATURE_NAMES order.
        gain_db: (n,) gain applied to each raw track in the mix, dB.
        pan: (n,) pan per track; eq_db: (n, 5) EQ per track, dB.
        playing: (n,) bool, the tracks that play in the section.

    Returns:
        the sample, or None when no track plays.
    """
    feats = np.asarray(features, dtype=float)
    play = np.asarray(playing, dtype=bool) & np.isfinite(np.asarray(gain_db, dtype=float))
    if not play.any():
        return None
    raw = feats[:, REGION_FEATURE_NAMES.index(LEVEL_FEATURE)]
    gained = raw + np.asarray(gain_db, dtype=float)
    mix_db = power_sum_db(gained[play])
    n_types = len(TRACK_TYPE_IDS)
    rel, alpha, pans = (np.full(n_types, np.nan) for _ in range(3))
    eqs = np.full((n_types, N_BANDS), np.nan)
    rows = np.flatnonzero(play)
    types = [track_types[i] for i in rows]
    merged, present = merge_type_features(feats[rows], REGION_FEATURE_NAMES, types, TRACK_TYPE_IDS)
    for k, t in enumerate(TRACK_TYPE_IDS):
        members = [i for i in rows if track_types[i] == t]
        if not members:
            continue
        type_gained = power_sum_db(gained[members])
        type_raw = power_sum_db(raw[members])
        if not (math.isfinite(type_gained) and math.isfinite(type_raw)):
            present[k] = False
            continue
        w = 10.0 ** ((gained[members] - gained[members].max()) / 10.0)
        rel[k] = type_gained - mix_db
        alpha[k] = 10.0 ** ((type_gained - type_raw) / 20.0)
        pans[k] = float(np.average(np.asarray(pan, dtype=float)[members], weights=w))
        eqs[k] = np.average(np.asarray(eq_db, dtype=float)[members], axis=0, weights=w)
    merged[~present] = np.nan
    return SectionSample(song_id, genre, section, region, source, merged, present, rel, alpha, pans,
                         np.clip(eqs, -MAX_EQ_TARGET_DB, MAX_EQ_TARGET_DB), float(mix_db))


# ---------------------------------------------------------------- exact truth from a project

def envelope_values(envelope: Envelope, times_s: np.ndarray) -> np.ndarray:
    """Envelope values at ``times_s`` (s): linear between points (shape 0), held for other shapes.

    Before the first point the first value holds, after the last the last.
    """
    pts = sorted(envelope.points, key=lambda p: p.time_s)
    t = np.asarray(times_s, dtype=float)
    if not pts:
        return np.full(t.shape, np.nan)
    pt_t = np.array([p.time_s for p in pts])
    pt_v = np.array([p.value for p in pts])
    idx = np.clip(np.searchsorted(pt_t, t, side="right") - 1, 0, len(pts) - 1)
    out = pt_v[idx].copy()
    nxt = np.minimum(idx + 1, len(pts) - 1)
    linear = np.array([pts[i].shape == 0 for i in idx]) & (nxt > idx) & (t >= pt_t[idx])
    span = np.where(pt_t[nxt] > pt_t[idx], pt_t[nxt] - pt_t[idx], 1.0)
    frac = np.clip((t - pt_t[idx]) / span, 0.0, 1.0)
    out[linear] = (pt_v[idx] + frac * (pt_v[nxt] - pt_v[idx]))[linear]
    return out


def _grid(start_s: float, end_s: float) -> np.ndarray:
    n = ENVELOPE_GRID_POINTS
    return start_s + (np.arange(n) + 0.5) * (end_s - start_s) / n


def track_gain_db(track: Track, start_s: float, end_s: float) -> float:
    """Fader gain + time-weighted mean (dB) of the active VOLENV2 over [start_s, end_s).

    Volume points are linear amplitudes in the file; REAPER multiplies the
    envelope with the fader (the fader acts as a trim). −inf when muted.
    """
    fader = 20.0 * math.log10(track.volume_amp) if track.volume_amp > 0 else -math.inf
    env = track.envelopes.get("VOLENV2")
    if env is None or not env.active or not env.points:
        return fader
    amp = np.maximum(envelope_values(env, _grid(start_s, end_s)), 1e-6)
    return fader + float(np.mean(20.0 * np.log10(amp)))


def track_pan(track: Track, start_s: float, end_s: float) -> float:
    """Fader pan + time-weighted mean of the active PANENV2 (sign-inverted in the file), in [−1, 1].

    (**Unverified**: how REAPER combines a pan envelope with the fader pan;
    automix assumes they add, which is exact when either is centred.)
    """
    env = track.envelopes.get("PANENV2")
    if env is None or not env.active or not env.points:
        return float(np.clip(track.pan, -1.0, 1.0))
    env_pan = -float(np.mean(envelope_values(env, _grid(start_s, end_s))))
    return float(np.clip(track.pan + env_pan, -1.0, 1.0))


def _layout_response_matrix(sample_rate: float) -> np.ndarray:
    from automix.eq import eq_response_db
    from automix.plan import EqBand

    cols = [eq_response_db([EqBand(kind, f, 1.0, bw)], EQ_FIT_FREQS_HZ, sample_rate)
            for kind, f, bw in EQ_BAND_LAYOUT]
    return np.stack(cols, axis=1)


def eq_band_db_from_response(response_db: np.ndarray, sample_rate: float) -> np.ndarray:
    """Least-squares gains (dB, shape (5,)) of automix's EQ bands best matching a response.

    Args:
        response_db: the chain's response at :data:`EQ_FIT_FREQS_HZ`, dB.
    """
    A = _layout_response_matrix(sample_rate)
    gains, *_ = np.linalg.lstsq(A, np.asarray(response_db, dtype=float), rcond=None)
    return gains


def track_eq_db(doc, track: Track, sample_rate: float) -> np.ndarray:
    """Per-band EQ (dB, shape (5,)) of every enabled, not bypassed ReaEQ on the track.

    Args:
        doc: the project's :class:`automix.rpp.RppDocument`.
    """
    from automix.edit import find_track
    from automix.eq import eq_response_db
    from automix.plan import EqBand
    from automix.reaeq import BAND_TYPE_NAMES, decode_reaeq

    reaeqs = [fx for fx in track.fx if fx.is_reaeq and not fx.bypassed]
    if not reaeqs:
        return np.zeros(N_BANDS)
    chunk = find_track(doc, track.guid)
    chain = chunk.find("FXCHAIN")
    lines = {fx.line for fx in reaeqs}
    response = np.zeros(EQ_FIT_FREQS_HZ.shape)
    for vst in (chain.findall("VST") if chain is not None else []):
        if vst.line not in lines:
            continue
        state = decode_reaeq([n.content for n in vst.lines])
        bands = [EqBand(BAND_TYPE_NAMES.get(b.type_code, "band"), b.freq_hz,
                        20.0 * math.log10(max(b.gain_amp, 1e-6)), max(b.bw_oct, 0.01))
                 for b in state.bands if b.enabled and b.freq_hz > 0]
        try:
            response += eq_response_db(bands, EQ_FIT_FREQS_HZ, sample_rate)
        except AutomixError as exc:
            raise ProjectError(f"ReaEQ cannot be evaluated: {exc}", line=vst.line, track=track.name) from None
    return eq_band_db_from_response(response, sample_rate)


def samples_from_project(path: str | Path, *, genre: str | None = None, use_cache: bool = True,
                         analysis=None) -> list[SectionSample]:
    """Training rows of a finished REAPER project, one per region (exact ground truth).

    Args:
        path: the ``.rpp`` file.
        genre: overrides the project's ``genre:`` notes line.
        use_cache: read/write the project's feature cache.
        analysis: a precomputed :class:`automix.analysis.ProjectAnalysis` (tests, re-use).

    Raises:
        ProjectError: no genre (neither in the notes nor given), or unreadable project.
    """
    from automix.analysis import analyse_project
    from automix.project_reader import read_project
    from automix.rpp import load

    path = Path(path)
    project: Project = read_project(path) if analysis is None else analysis.project
    song_genre = genre or project.genre
    if not song_genre:
        raise ProjectError("no genre: add a line 'genre: <name>' to the project notes or pass --genre",
                           file=path)
    if analysis is None:
        analysis = analyse_project(project, use_cache=use_cache)
    doc = load(path)
    vectors = analysis.vectors()  # (n_tracks, n_sections, F)
    tracks = [project.tracks[t.index] for t in analysis.tracks]
    types = [classify_track(t.name).type_id for t in tracks]
    playing = playing_matrix(vectors[:, :, REGION_FEATURE_NAMES.index(LEVEL_FEATURE)])
    audible = np.array([not t.muted for t in tracks], dtype=bool)
    eqs = np.stack([track_eq_db(doc, t, analysis.sample_rate) for t in tracks]) if tracks \
        else np.zeros((0, N_BANDS))
    out = []
    for k, sec in enumerate(analysis.sections):
        gains = np.array([track_gain_db(t, sec.start_s, sec.end_s) for t in tracks])
        pans = np.array([track_pan(t, sec.start_s, sec.end_s) for t in tracks])
        s = section_sample(song_id=str(path.resolve()), genre=song_genre, section=sec.section, region=sec.name,
                           source=str(path), track_types=types, features=vectors[:, k, :], gain_db=gains,
                           pan=pans, eq_db=eqs, playing=playing[:, k] & audible)
        if s is not None:
            out.append(s)
    return out


# ---------------------------------------------------------------- song folders (estimated truth)

@dataclass(frozen=True)
class SongTrack:
    """One stem of a song folder: ``path``, display ``name`` and ``type_id``."""

    path: Path
    name: str
    type_id: str


@dataclass(frozen=True)
class SongFolder:
    """A parsed ``automix-song.json``: genre, mix file, stems, regions ``(name, start_s, end_s)``."""

    folder: Path
    genre: str
    mix: Path
    tracks: tuple[SongTrack, ...]
    regions: tuple[tuple[str, float, float], ...]


def read_song_folder(folder: str | Path) -> SongFolder:
    """Parse and check a song folder's metadata (see the module docstring for the format).

    Raises:
        AutomixError: missing or malformed metadata, missing files (names the file and the bad value).
    """
    folder = Path(folder)
    meta = folder / SONG_METADATA_FILE
    try:
        doc = json.loads(meta.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AutomixError(f"not a training song folder (no {SONG_METADATA_FILE})", file=folder) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AutomixError(f"unreadable song metadata: {exc}", file=meta) from None
    if not isinstance(doc, dict) or doc.get("format") != "automix-song":
        raise AutomixError("song metadata must hold \"format\": \"automix-song\"", file=meta)
    genre = doc.get("genre")
    if not isinstance(genre, str) or not genre.strip():
        raise AutomixError(f"song metadata needs a genre, got {genre!r}", file=meta)
    mix_name = doc.get("mix")
    if not isinstance(mix_name, str) or not (folder / mix_name).is_file():
        raise MediaError(f"mix file {mix_name!r} not found", file=meta)
    tracks = []
    entries = doc.get("tracks")
    if not isinstance(entries, list) or not entries:
        raise AutomixError(f"song metadata needs a non-empty list of tracks, got {entries!r}", file=meta)
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            raise AutomixError(f"track entry needs a \"file\": {entry!r}", file=meta)
        path = folder / entry["file"]
        if not path.is_file():
            raise MediaError(f"stem file {entry['file']!r} not found", file=meta)
        name = str(entry.get("name") or path.stem)
        type_id = parse_track_type(entry["type"], track=name) if entry.get("type") else classify_track(name).type_id
        tracks.append(SongTrack(path, name, type_id))
    regions = []
    for r in doc.get("regions") or []:
        try:
            name, start, end = str(r["name"]), float(r["start_s"]), float(r["end_s"])
        except (KeyError, TypeError, ValueError):
            raise AutomixError(f"region needs name, start_s, end_s: {r!r}", file=meta) from None
        if not end > start >= 0:
            raise AutomixError(f"region {name!r} has bounds {start}–{end} s", file=meta, region=name)
        regions.append((name, start, end))
    return SongFolder(folder, genre.strip(), folder / mix_name, tuple(tracks), tuple(regions))


def song_features(stems: Sequence[np.ndarray], sample_rate: int,
                  spans: Sequence[tuple[str, float, float]]) -> np.ndarray:
    """Raw features of in-memory stems per span: shape (n_stems, n_spans, F)."""
    from automix.analysis import FRAME_S
    from automix.features import RegionFeatureAccumulator, RegionSpan

    out = []
    for x in stems:
        acc = RegionFeatureAccumulator(sample_rate, [RegionSpan(n, a, b) for n, a, b in spans], frame_s=FRAME_S)
        acc.push(np.asarray(x, dtype=np.float32))
        out.append(np.stack([f.as_vector() for f in acc.finish()]))
    return np.stack(out) if out else np.zeros((0, len(spans), len(REGION_FEATURE_NAMES)))


def estimated_stem_truth(names: Sequence[str], stems: Sequence[np.ndarray], mix: np.ndarray, sample_rate: int,
                         spans: Sequence[tuple[str, float, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-span gain dB (n_spans, n), pan (n_spans, n) and EQ dB (n_spans, n, 5) of stems in a mix (estimated).

    Gains the estimation cannot give are NaN; missing pans and EQ bands are 0.
    """
    from automix.estimate import estimate_from_arrays
    from automix.features import RegionSpan

    est = estimate_from_arrays(list(zip(names, stems)), mix, sample_rate, [RegionSpan(a, b, c) for a, b, c in spans])
    gains = np.array([[t.gain_db if t.gain_db is not None else np.nan for t in reg.tracks] for reg in est.regions],
                     dtype=float)
    pans = np.array([[t.pan if t.pan is not None else 0.0 for t in reg.tracks] for reg in est.regions], dtype=float)
    eqs = np.array([[[v if v is not None and math.isfinite(v) else 0.0 for v in (t.eq_db or [0.0] * N_BANDS)]
                     for t in reg.tracks] for reg in est.regions], dtype=float)
    return gains, pans, eqs.reshape(len(est.regions), len(names), N_BANDS)


def samples_from_stems(*, song_id: str, genre: str, source: str, names: Sequence[str],
                       track_types: Sequence[str], stems: Sequence[np.ndarray], mix: np.ndarray,
                       sample_rate: int, regions: Sequence[tuple[str, float, float]] = ()) -> list[SectionSample]:
    """Training rows from in-memory stems and their mix, ground truth by the estimation engine."""
    from automix.sections import section_of_name

    n = min([np.asarray(s).shape[0] for s in stems] + [np.asarray(mix).shape[0]])
    stems = [np.asarray(s)[:n] for s in stems]
    spans = list(regions) or [("(whole song)", 0.0, n / sample_rate)]
    gains_all, pans_all, eqs_all = estimated_stem_truth(names, stems, np.asarray(mix)[:n], sample_rate, spans)
    feats = song_features(stems, sample_rate, spans)
    playing = playing_matrix(feats[:, :, REGION_FEATURE_NAMES.index(LEVEL_FEATURE)])
    out = []
    for k, (rname, _a, _b) in enumerate(spans):
        section = section_of_name(rname) if regions else "other"
        s = section_sample(song_id=song_id, genre=genre, section=section, region=rname, source=source,
                           track_types=track_types, features=feats[:, k, :], gain_db=gains_all[k], pan=pans_all[k],
                           eq_db=eqs_all[k], playing=playing[:, k])
        if s is not None:
            out.append(s)
    if not out:
        raise EstimationError("no stem plays audibly in any region", file=source)
    return out


def samples_from_song_folder(folder: str | Path) -> list[SectionSample]:
    """Training rows of a song folder (stems + mix + ``automix-song.json``)."""
    from automix.audio_io import read_audio

    song = read_song_folder(folder)
    mix, sr = read_audio(song.mix)
    stems = []
    for t in song.tracks:
        x, rate = read_audio(t.path)
        if rate != sr:
            raise MediaError(f"stem sample rate {rate} Hz differs from the mix's {sr} Hz", file=t.path,
                             track=t.name)
        stems.append(x)
    return samples_from_stems(song_id=str(song.folder.resolve()), genre=song.genre, source=str(song.folder),
                              names=[t.name for t in song.tracks], track_types=[t.type_id for t in song.tracks],
                              stems=stems, mix=mix, sample_rate=sr, regions=song.regions)


def collect_samples(paths: Sequence[str | Path], *, genre: str | None = None) -> list[SectionSample]:
    """Training rows from ``.rpp`` projects, song folders, or folders holding either (searched recursively).

    Raises:
        AutomixError: a path that is neither (names it), or no training data at all.
    """
    out: list[SectionSample] = []
    for p in map(Path, paths):
        if p.is_file() and p.suffix.lower() == ".rpp":
            out += samples_from_project(p, genre=genre)
        elif p.is_dir() and (p / SONG_METADATA_FILE).is_file():
            out += samples_from_song_folder(p)
        elif p.is_dir():
            found = sorted(set(p.rglob("*.rpp")) | set(p.rglob("*.RPP"))) + \
                sorted(m.parent for m in p.rglob(SONG_METADATA_FILE))
            if not found:
                raise AutomixError(f"no .rpp projects or {SONG_METADATA_FILE} song folders inside", file=p)
            out += collect_samples(found, genre=genre)
        else:
            raise AutomixError("not a .rpp project, a song folder or a folder of them", file=p)
    if not out:
        raise AutomixError(f"no training rows in {', '.join(map(str, paths))}")
    return out
