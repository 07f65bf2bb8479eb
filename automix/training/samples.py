"""One training row per song section: :class:`SectionSample` and how it is built from levels.

Both sources of training data (finished projects, song folders with a mix)
end here: :func:`section_sample` turns per-track raw features and the gains,
pans and EQ a mix gave them into one row of per-type inputs and targets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from automix.audio.bands import N_BANDS
from automix.features.region import LEVEL_FEATURE, REGION_FEATURE_NAMES
from automix.knowledge.targets import power_sum_db
from automix.knowledge.track_types import TRACK_TYPE_IDS, merge_type_features

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

    Arrays run over :data:`automix.knowledge.track_types.TRACK_TYPE_IDS` (T types) and
    :data:`automix.features.region.REGION_FEATURE_NAMES` (F features).

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
