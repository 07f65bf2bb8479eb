"""Training samples: one row per song section, per-type inputs and exact or estimated targets.

Two kinds of training data:

* **Finished REAPER projects**
  (:func:`automix.training.project_truth.samples_from_project`): the project holds the
  exact ground truth (faders, envelopes, ReaEQ), nothing is estimated.
* **Song folders** (:func:`samples_from_song_folder`): stems + a mix + a small
  metadata file ``automix-song.json``; ground truth by the estimation engine
  (:func:`automix.estimate.finished_mix.estimate_from_arrays`). Format::

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
from functools import partial
from pathlib import Path

import numpy as np

from automix.audio.bands import N_BANDS
from automix.errors import AutomixError, EstimationError, MediaError
from automix.features.region import REGION_FEATURE_NAMES
from automix.knowledge.track_types import (
    classify_track,
    parse_track_type,
)
from automix.training.project_truth import samples_from_project
from automix.training.samples import (
    LEVEL_FEATURE,
    SectionSample,
    playing_matrix,
    section_sample,
)
from automix.util.distribute import run_tasks
from automix.util.progress import Reporter

SONG_METADATA_FILE = "automix-song.json"
"""Name of the metadata file that makes a folder a training song."""


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
    from automix.features.analysis import FRAME_S
    from automix.features.region import RegionFeatureAccumulator, RegionSpan

    out = []
    for x in stems:
        acc = RegionFeatureAccumulator(sample_rate, [RegionSpan(n, a, b) for n, a, b in spans], frame_s=FRAME_S)
        acc.push(np.asarray(x, dtype=np.float32), copy=False)  # not modified meanwhile
        out.append(np.stack([f.as_vector() for f in acc.finish()]))
    return np.stack(out) if out else np.zeros((0, len(spans), len(REGION_FEATURE_NAMES)))


def estimated_stem_truth(names: Sequence[str], stems: Sequence[np.ndarray], mix: np.ndarray, sample_rate: int,
                         spans: Sequence[tuple[str, float, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-span gain dB (n_spans, n), pan (n_spans, n) and EQ dB (n_spans, n, 5) of stems in a mix (estimated).

    Gains the estimation cannot give are NaN; missing pans and EQ bands are 0.
    """
    from automix.estimate.finished_mix import estimate_from_arrays
    from automix.features.region import RegionSpan

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
    from automix.knowledge.sections import section_of_name

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
    from automix.audio.io import read_audio

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


def training_sources(paths: Sequence[str | Path]) -> list[Path]:
    """The songs in ``paths``: ``.rpp`` projects and song folders, folders searched recursively.

    Raises:
        AutomixError: a path that is neither (names it), or a folder holding none.
    """
    out: list[Path] = []
    for p in map(Path, paths):
        if (p.is_file() and p.suffix.lower() == ".rpp") or (p.is_dir() and (p / SONG_METADATA_FILE).is_file()):
            out.append(p)
        elif p.is_dir():
            found = sorted(set(p.rglob("*.rpp")) | set(p.rglob("*.RPP"))) + \
                sorted(m.parent for m in p.rglob(SONG_METADATA_FILE))
            if not found:
                raise AutomixError(f"no .rpp projects or {SONG_METADATA_FILE} song folders inside", file=p)
            out += training_sources(found)
        else:
            raise AutomixError("not a .rpp project, a song folder or a folder of them", file=p)
    return out


def samples_from_source(path: Path, genre: str | None = None) -> list[SectionSample]:
    """Training rows of one song: a ``.rpp`` project (exact truth) or a song folder (estimated truth)."""
    if path.is_file():
        return samples_from_project(path, genre=genre)
    return samples_from_song_folder(path)


def collect_samples(paths: Sequence[str | Path], *, genre: str | None = None, jobs: int = 1,
                    scheduler: str | None = None, reporter: Reporter | None = None) -> list[SectionSample]:
    """Training rows from ``.rpp`` projects, song folders, or folders holding either (searched recursively).

    One task per song (:func:`samples_from_source`): in this process, in ``jobs``
    local processes, or on the Dask cluster ``scheduler`` (``local:N`` or an
    address; see :mod:`automix.util.distribute`), whose workers must see the
    songs' files at the same paths. The rows come in the order of the songs
    whatever runs them.

    Raises:
        AutomixError: a path that is neither (names it), a song that fails (the
            first in order), or no training data at all.
    """
    reporter = reporter or Reporter.silent()
    sources = training_sources(paths)
    with reporter.progress(len(sources), "extracting features") as bar:
        per_song = run_tasks(partial(samples_from_source, genre=genre), sources, jobs=jobs, scheduler=scheduler,
                             on_done=lambda i, rows: bar.advance(what=sources[i].name))
    out = [row for rows in per_song for row in rows]
    if not out:
        raise AutomixError(f"no training rows in {', '.join(map(str, paths))}")
    return out
