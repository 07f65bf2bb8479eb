"""Exact training targets from finished REAPER projects (no estimation).

A mixed project holds its own ground truth: a track's gain in a section is
its fader (``VOLPAN``) plus the time-weighted mean, in dB, of its active
``VOLENV2`` inside the section; its pan is the fader pan plus the
time-weighted mean of its ``PANENV2`` (file values are sign-inverted, see
REAPER.md); its EQ is the response of every enabled, not bypassed ReaEQ on
the track (the automix one or the user's own), projected onto automix's 5 EQ
bands (:data:`automix.audio.bands.EQ_BAND_LAYOUT`) by least squares in dB. Inputs
are the features of the *raw* (pre-fader) tracks from
:func:`automix.features.analysis.analyse_project` (cached per project). Rows are
:class:`automix.training.samples.SectionSample`, built by
:func:`automix.training.samples.section_sample` like every other kind of training data.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from automix.audio.bands import EQ_BAND_LAYOUT, N_BANDS
from automix.errors import AutomixError, ProjectError
from automix.features.region import REGION_FEATURE_NAMES
from automix.knowledge.track_types import classify_track
from automix.project.model import Envelope, Project, Track
from automix.training.samples import (
    ENVELOPE_GRID_POINTS,
    EQ_FIT_FREQS_HZ,
    LEVEL_FEATURE,
    SectionSample,
    playing_matrix,
    section_sample,
)


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
    from automix.audio.eq import eq_response_db
    from automix.plan.model import EqBand

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
    from automix.audio.eq import eq_response_db
    from automix.plan.model import EqBand
    from automix.project.edit import find_track
    from automix.project.reaeq import BAND_TYPE_NAMES, decode_reaeq

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
        analysis: a precomputed :class:`automix.features.analysis.ProjectAnalysis` (tests, re-use).

    Raises:
        ProjectError: no genre (neither in the notes nor given), or unreadable project.
    """
    from automix.features.analysis import analyse_project
    from automix.features.mixable import require_media
    from automix.project.reader import read_project
    from automix.rpp import load

    path = Path(path)
    project: Project = read_project(path) if analysis is None else analysis.project
    song_genre = genre or project.genre
    if not song_genre:
        raise ProjectError("no genre: add a line 'genre: <name>' to the project notes or pass --genre",
                           file=path)
    if analysis is None:
        require_media(project)
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
