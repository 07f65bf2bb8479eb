"""Project → per track × song-section features, through the feature cache.

Each audio track's pre-fader stem is rendered block by block
(:func:`automix.audio.render.render_track`) straight into a
:class:`~automix.features.region.RegionFeatureAccumulator`, one track per core at
once (:func:`analyse_tracks`): only a few blocks per track being analysed are
in memory, never whole songs. The result of
a track is stored in the project's :class:`~automix.features.cache.FeatureCache`
under a key made of its media files (path, size, mtime), its item layout
(positions, gains, fades, takes …; not line numbers, so automix's own edits
do not invalidate it), the section bounds and the analysis parameters; re-runs
and ``automix suggest`` read the cache instead of decoding audio again.

Only what can be mixed is analysed (:mod:`automix.features.mixable`: muted
tracks, tracks in a muted folder and tracks with missing media are left out,
so are zero-length and covering regions; the reasons are the analysis'
``notes``). A track whose media file exists but cannot be read (permission,
broken or truncated header, a decoding error mid-file) is skipped the same
way, the file and the reason said; only when no track is left is the project
refused. Before any audio is touched, :func:`check_project` rejects
projects where nothing can be mixed (no audio tracks, only MIDI, every audio
track muted or missing) with a message naming the file.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import math
import multiprocessing
import multiprocessing.context
import os
import signal
import sys
import threading
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from automix.audio.io import audio_info, decoded_by_pyav
from automix.audio.render import render_track
from automix.errors import AutomixError, MediaError, ProjectError
from automix.features.cache import (
    FeatureCache,
    cache_folder_for,
    media_key,
    track_media_paths,
)
from automix.features.mixable import (
    check_mixable,
    mixable_tracks,
    readable_tracks,
    unreadable_note,
    usable_regions,
)
from automix.features.region import (
    FLOOR_DB,
    REGION_FEATURE_NAMES,
    RegionFeatureAccumulator,
    RegionFeatures,
    RegionSpan,
)
from automix.knowledge.sections import SongSection, song_sections
from automix.project.model import Project, Track
from automix.util.progress import Reporter

FRAME_S = 0.02
"""Feature frame length in seconds (the KDE paper's ~20 ms frames)."""

ANALYSIS_BLOCK_S = 4.0
"""Render block length in seconds (memory per track ≈ block × 2 channels × 8 bytes)."""

MAX_ANALYSIS_THREADS = 4
"""Most tracks analysed at once (each holds a few blocks of memory; measured on 2 cores only)."""

LEVEL_COLUMNS = (REGION_FEATURE_NAMES.index("loudness_lufs"), REGION_FEATURE_NAMES.index("rms_db"))
"""Feature columns that are levels: always finite (floored at :data:`~automix.features.region.FLOOR_DB`)."""

SILENT_MARGIN_DB = 1.0
"""A track whose RMS stays within this of the floor in every section is reported as silent."""

ANALYSIS_VERSION = 3
"""Bumped when the analysis (not the feature code) changes, so old cache entries stop matching."""


@dataclass(frozen=True)
class TrackAnalysis:
    """Features of one audio track in every song section.

    Attributes:
        guid: track GUID (braces included).
        name: track name.
        index: 0-based position among the project's tracks.
        features: one :class:`RegionFeatures` per section, in section order.
        from_cache: True when read from the feature cache.
    """

    guid: str
    name: str
    index: int
    features: tuple[RegionFeatures, ...]
    from_cache: bool = False


@dataclass(frozen=True)
class ProjectAnalysis:
    """Features of a whole project.

    Attributes:
        project: the project model analysed.
        sections: the song sections (regions, or one whole-song section).
        tracks: one entry per analysed track, in project order.
        sample_rate: analysis rate in Hz.
        notes: what was left out or could not be trusted, and why (one sentence each).
    """

    project: Project
    sections: tuple[SongSection, ...]
    tracks: tuple[TrackAnalysis, ...]
    sample_rate: int
    notes: tuple[str, ...] = ()

    def vectors(self) -> np.ndarray:
        """Features as an array of shape ``(n_tracks, n_sections, len(REGION_FEATURE_NAMES))``."""
        if not self.tracks:
            return np.zeros((0, len(self.sections), len(REGION_FEATURE_NAMES)))
        return np.stack([np.stack([f.as_vector() for f in t.features]) for t in self.tracks])

    def feature(self, name: str) -> np.ndarray:
        """One feature (a name of :data:`REGION_FEATURE_NAMES`), shape ``(n_tracks, n_sections)``."""
        return self.vectors()[:, :, REGION_FEATURE_NAMES.index(name)]


# ---------------------------------------------------------------- checks

def project_sections(project: Project) -> tuple[SongSection, ...]:
    """The song sections of a project: its usable regions (:func:`~automix.features.mixable.usable_regions`).

    A project without usable regions is one section covering the whole song.

    Raises:
        ProjectError: the song is empty (names the project file).
    """
    file = str(project.path) if project.path is not None else None
    regions, _notes = usable_regions(project.regions)
    sections = song_sections(regions, project.end_s, file=file)
    if not sections or sections[-1].end_s <= 0:
        raise ProjectError("the song is empty (no items and no regions)", file=file)
    return sections


def project_notes(project: Project) -> tuple[str, ...]:
    """Sentences about every track and region automix leaves out (see :mod:`automix.features.mixable`)."""
    _tracks, track_notes = mixable_tracks(project)
    _regions, region_notes = usable_regions(project.regions)
    return tuple(track_notes + region_notes)


def check_project(project: Project) -> None:
    """Reject a project automix cannot mix at all, before decoding any audio.

    Raises:
        ProjectError: no audio tracks (saying when the items are all MIDI or
            other non-audio sources), none that can be mixed (all muted or
            with missing media), an empty song.
    """
    check_mixable(project)
    project_sections(project)


# ---------------------------------------------------------------- cache keys

def _without_lines(value: object) -> object:
    """``asdict`` output with every ``line`` field dropped and paths as strings."""
    if isinstance(value, dict):
        return {k: _without_lines(v) for k, v in value.items() if k != "line"}
    if isinstance(value, (list, tuple)):
        return [_without_lines(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def items_signature(track: Track) -> str:
    """SHA-256 of the track's item layout (everything that shapes its stem, not line numbers)."""
    data = [_without_lines(asdict(it)) for it in track.items]
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def track_cache_key(project: Project, track: Track, sections: tuple[SongSection, ...], sample_rate: int) -> str:
    """The cache key of one track's features (see the module docstring)."""
    bounds = ";".join(f"{s.start_s!r}-{s.end_s!r}" for s in sections)
    params = {"analysis": ANALYSIS_VERSION, "guid": track.guid.upper(), "sample_rate": int(sample_rate),
              "frame_s": FRAME_S, "sections": bounds, "items": items_signature(track),
              "end_s": float(project.end_s)}
    return media_key(track_media_paths(track), params)


# ---------------------------------------------------------------- features

def _features_from_vectors(track: str, sections: tuple[SongSection, ...], vectors: np.ndarray) -> tuple[RegionFeatures, ...]:
    return tuple(RegionFeatures.from_vector(track, s.name, v) for s, v in zip(sections, vectors))


TRUNCATION_SLACK_S = 0.05
"""An item may run this far past the end of its (non-looped) media before it is reported as truncated."""


def truncated_media_notes(tracks: Sequence[Track]) -> list[str]:
    """Sentences naming items that play past the end of their media file (truncated or replaced file)."""
    notes = []
    for track in tracks:
        for item in track.audio_items:
            take = item.active_take
            src = take.source
            if item.loop or src.path is None or not src.exists or src.section_length_s > 0:
                continue
            try:
                duration_s = audio_info(src.path).duration_s
            except AutomixError:
                continue  # reported when the track is rendered
            needed_s = take.source_offset_s + item.length_s * take.play_rate
            if needed_s > duration_s + TRUNCATION_SLACK_S:
                notes.append(f"track {track.name!r}: item at {item.position_s:g} s needs {needed_s:.2f} s of "
                             f"{src.path} but the file holds {duration_s:.2f} s (truncated?): the rest is silent")
    return notes


def default_analysis_threads() -> int:
    """Tracks analysed at once by default: one per core, at most :data:`MAX_ANALYSIS_THREADS`."""
    return max(1, min(MAX_ANALYSIS_THREADS, os.cpu_count() or 1))


def analyse_track(project: Project, track: Track, sections: tuple[SongSection, ...],
                  sample_rate: int | None = None, *, background: bool = True) -> tuple[RegionFeatures, ...]:
    """Render one track block by block and aggregate its features per section.

    ``background``: compute each block's features in a worker thread while
    the next block renders (see :class:`~automix.features.region.RegionFeatureAccumulator`).
    """
    sr = int(sample_rate or project.sample_rate)
    spans = [RegionSpan(s.name, s.start_s, s.end_s) for s in sections]
    acc = RegionFeatureAccumulator(sr, spans, track=track.name, frame_s=FRAME_S, background=background)
    end_s = max(s.end_s for s in sections)
    for block in render_track(project, track, sample_rate=sr, block_s=ANALYSIS_BLOCK_S, end_s=end_s):
        acc.push(block, copy=False)  # render_track yields new arrays
    return tuple(acc.finish())


def _analyse_or_error(project: Project, track: Track, sections: tuple[SongSection, ...],
                      sample_rate: int | None, background: bool) -> tuple[RegionFeatures, ...] | MediaError:
    try:
        return analyse_track(project, track, sections, sample_rate, background=background)
    except MediaError as exc:
        return exc


_FORKED_JOB: tuple[Project, tuple[SongSection, ...], int | None] | None = None
"""The project, sections and rate a forked analysis process works on (set in the parent just before it forks)."""


def _analyse_in_child(index: int) -> tuple[tuple[RegionFeatures, ...] | None, tuple[str, str | None] | None]:
    """Worker-process side of :func:`_analyse_in_processes`: features of track ``index`` of the forked job, or
    its media error as (message, file) (exceptions with keyword fields do not cross a process boundary)."""
    project, sections, sample_rate = _FORKED_JOB
    result = _analyse_or_error(project, project.tracks[index], sections, sample_rate, True)
    if isinstance(result, MediaError):
        return None, (result.message, result.file)
    return result, None


def _die_with_parent(parent_pid: int) -> None:
    """Worker initializer: Linux kills this worker when the process that forked it dies (``PR_SET_PDEATHSIG``),
    so a mix killed mid-analysis (``kill -9``, the REAPER action's cancel) leaves no worker behind."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)


def fork_context() -> multiprocessing.context.BaseContext | None:
    """The ``fork`` start method when tracks may be analysed in worker processes here, else None.

    Only on Linux (fork is the safe default there; macOS system libraries are not fork-safe), only from a
    process with no other thread running (a fork copies no threads but their locks) and not from a
    daemonic process (a ``--jobs`` or cluster worker, which may not have children).
    """
    if sys.platform != "linux" or threading.active_count() > 1 or multiprocessing.current_process().daemon:
        return None
    try:
        return multiprocessing.get_context("fork")
    except ValueError:
        return None


def _analyse_in_processes(project: Project, tracks: Sequence[Track], sections: tuple[SongSection, ...],
                          sample_rate: int | None, n: int, context: multiprocessing.context.BaseContext,
                          ) -> Iterator[tuple[RegionFeatures, ...] | MediaError]:
    """:func:`analyse_tracks` with ``n`` forked worker processes, one track per task, results in order.

    A worker that dies (killed, out of memory) breaks the pool: the tracks not yet returned are analysed
    in this process instead. Closing the generator cancels the tracks not started.
    """
    global _FORKED_JOB
    pool = ProcessPoolExecutor(n, mp_context=context, initializer=_die_with_parent, initargs=(os.getpid(),))
    done = 0
    finished = False
    try:
        _FORKED_JOB = (project, sections, sample_rate)
        try:  # the first submit forks every worker, so they start with the job
            futures = [pool.submit(_analyse_in_child, t.index) for t in tracks]
        finally:
            _FORKED_JOB = None
        for fut in futures:
            features, error = fut.result()
            done += 1
            yield features if error is None else MediaError(error[0], file=error[1])
    except BrokenProcessPool:
        pool.shutdown(wait=False, cancel_futures=True)
        for track in tracks[done:]:
            yield _analyse_or_error(project, track, sections, sample_rate, True)
    else:
        finished = True
    finally:  # stopped early: the tracks not started are cancelled, the running ones are not waited for
        pool.shutdown(wait=finished, cancel_futures=True)


def analyse_tracks(project: Project, tracks: Sequence[Track], sections: tuple[SongSection, ...],
                   sample_rate: int | None = None, *,
                   threads: int | None = None) -> Iterator[tuple[RegionFeatures, ...] | MediaError]:
    """Features of each of ``tracks``, yielded in order, ``threads`` tracks analysed at once.

    A track whose media cannot be decoded yields its :class:`~automix.errors.MediaError`
    instead; the other tracks go on.

    Decoding, resampling and FFTs release the GIL, so whole tracks on
    separate cores keep every core busy (better than one track's render/feature
    pipeline, whose two halves rarely take equally long). With one thread each
    track still overlaps its rendering and its features. At most ``threads``
    tracks are in flight, so memory stays a few blocks per thread. Stopping
    early (an error, or closing the generator) cancels the tracks not started.
    Media decoded by PyAV (:func:`~automix.audio.io.decoded_by_pyav`) holds the
    GIL frame by frame: when any track has such media and :func:`fork_context`
    allows it, the tracks are analysed in ``threads`` forked worker processes
    instead (each overlapping its rendering and its features).
    """
    n = default_analysis_threads() if threads is None else max(1, int(threads))
    if n == 1 or len(tracks) <= 1:
        for track in tracks:
            yield _analyse_or_error(project, track, sections, sample_rate, True)
        return
    context = fork_context()
    if context is not None and any(decoded_by_pyav(p) for t in tracks for p in track_media_paths(t)):
        yield from _analyse_in_processes(project, tracks, sections, sample_rate, min(n, len(tracks)), context)
        return
    pool = ThreadPoolExecutor(n, thread_name_prefix="automix-analysis")
    todo = iter(tracks)
    running: deque[Future[tuple[RegionFeatures, ...] | MediaError]] = deque()
    try:
        for track in todo:
            running.append(pool.submit(_analyse_or_error, project, track, sections, sample_rate, False))
            if len(running) >= n:
                break
        while running:
            done = running.popleft().result()
            nxt = next(todo, None)
            if nxt is not None:
                running.append(pool.submit(_analyse_or_error, project, nxt, sections, sample_rate, False))
            yield done
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def analyse_project(project: Project, *, cache: FeatureCache | None = None, use_cache: bool = True,
                    sample_rate: int | None = None, reporter: Reporter | None = None,
                    threads: int | None = None) -> ProjectAnalysis:
    """Features of every audio track in every song section.

    Args:
        project: a project model (checked with :func:`check_project`).
        cache: the feature cache; default the project's own
            (``<project>.automix-cache``) when the project has a path.
        use_cache: False to neither read nor write a cache.
        sample_rate: analysis rate (default the project's).
        reporter: progress and messages (default silent).
        threads: tracks analysed at once (default :func:`default_analysis_threads`).

    Returns:
        a :class:`ProjectAnalysis`.
    """
    reporter = reporter or Reporter.silent()
    check_project(project)
    sections = project_sections(project)
    sr = int(sample_rate or project.sample_rate)
    if use_cache and cache is None and project.path is not None:
        cache = FeatureCache(cache_folder_for(project.path))
    audio, unreadable = readable_tracks(mixable_tracks(project)[0])
    notes: list[str] = list(unreadable)
    keys: list[str | None] = []
    cached: list[tuple[RegionFeatures, ...] | None] = []
    for track in audio:
        key = track_cache_key(project, track, sections, sr) if use_cache and cache is not None else None
        arrays = cache.get(key, ("vectors",)) if key is not None and cache is not None else None
        hit = arrays is not None and arrays.get("vectors") is not None and \
            arrays["vectors"].shape == (len(sections), len(REGION_FEATURE_NAMES))
        if hit and not np.all(np.isfinite(arrays["vectors"][:, list(LEVEL_COLUMNS)])):
            notes.append(f"track {track.name!r}: its cached features hold NaN or infinite levels "
                         f"({cache.folder / (key + '.npz')}): analysed again")
            hit = False
        keys.append(key)
        cached.append(_features_from_vectors(track.name, sections, arrays["vectors"]) if hit else None)
    analysed = analyse_tracks(project, [t for t, c in zip(audio, cached) if c is None], sections, sr,
                              threads=threads)
    tracks = []
    with closing(analysed), reporter.progress(len(audio), "analysing tracks") as bar, \
            cache.batch() if cache is not None else nullcontext():
        for track, key, feats in zip(audio, keys, cached):
            hit = feats is not None
            if feats is None:
                feats = next(analysed)
                if isinstance(feats, MediaError):
                    notes.append(unreadable_note(track, feats.file, feats.message))
                    bar.advance(what=track.name)
                    continue
                if key is not None and cache is not None:
                    cache.put(key, {"vectors": np.stack([f.as_vector() for f in feats])})
            reporter.detail(f"track {track.name!r}: {'cached' if hit else 'analysed'}")
            tracks.append(TrackAnalysis(track.guid, track.name, track.index, feats, from_cache=hit))
            bar.advance(what=track.name)
    if not tracks:
        raise ProjectError("no audio track can be mixed: " + "; ".join(notes), file=project.path)
    for t in tracks:
        if all(f.rms_db <= FLOOR_DB + SILENT_MARGIN_DB for f in t.features):
            files = sorted({str(p) for p in track_media_paths(project.tracks[t.index])})
            notes.append(f"track {t.name!r} is silent in every section ({', '.join(files)}: empty, zero-length or "
                         f"truncated?): nothing to balance, it keeps the median gain")
    notes += truncated_media_notes([project.tracks[t.index] for t in tracks])
    if cache is not None:
        notes += cache.warnings
        if cache.store_errors:
            notes.append(cache.store_summary())
    return ProjectAnalysis(project, sections, tuple(tracks), sr, project_notes(project) + tuple(notes))
