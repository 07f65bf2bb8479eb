"""One static balance per track for the song, plus shrunk section moves.

Real mixes are mostly a static balance with a few deliberate section moves;
an engineer does not ride a fader because the arrangement makes a part
louder in the chorus. :func:`song_balance` takes, per section and track, the
gain the section's model asks for and the track's measured level there
(both ``(n_sections, n_tracks)`` dB, NaN where a track does not play) and
returns:

* the track's **song gain**: the length-weighted mean of its section gains
  over the sections where it plays;
* plus, per section, the **model's move**: how far the level the model wants
  for the track in that section (gain + measured level) departs from the
  track's length-weighted mean wanted level — the arrangement's own level
  changes are kept, never compensated — shrunk toward zero by the evidence
  for it: ``d · max(0, 1 − σ²/d²)`` (positive-part James–Stein), where σ (dB)
  is the section model's leave-one-song-out RMS level error, never below
  :data:`MIN_SECTION_NOISE_DB`. A move smaller than σ vanishes; with σ = 3 dB
  a move of ≥ 3 dB survives only when the model asks for ≥ 4.9 dB.

A move is then limited to ± :data:`MAX_SECTION_MOVE_DB` unless the user asked for that
section's variant (``automix suggest``): held out on real songs, whose engineers' faders are
static, no section model's moves were confirmed, so a move automix chooses by itself stays a
nudge that never makes a jump of 3 dB between adjacent sections.

Tracks get their song gain in the sections where they do not play.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

UNKNOWN_SECTION_NOISE_DB = 3.0
"""Uncertainty (dB) of a section's levels when its source records no leave-one-song-out error (the
practice table, models trained on fewer than three songs): such a source's section moves must clear
the 3 dB an engineer hears as a jump."""

MIN_SECTION_NOISE_DB = 3.0
"""Smallest uncertainty (dB) granted to any section model, however well it scored on its own training
corpus: held out on real songs the section models miss a stem's level by 3–4 dB (models/README.md), so
no section move is supported more precisely than that."""


MAX_SECTION_MOVE_DB = 1.45
"""Largest section move (dB, either way) automix makes by itself: two adjacent sections stay under the
3 dB an engineer hears as a jump."""


def shrink_deviation(deviation_db: np.ndarray, noise_db: np.ndarray | float) -> np.ndarray:
    """``d · max(0, 1 − σ²/d²)`` element-wise (same shape as ``deviation_db``; NaN stays NaN)."""
    d = np.asarray(deviation_db, dtype=float)
    s2 = np.asarray(noise_db, dtype=float) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(d * d > s2, 1.0 - s2 / (d * d), 0.0)
    return d * factor


def song_balance(section_gains_db: np.ndarray, section_levels_db: np.ndarray, section_lengths_s: Sequence[float],
                 section_noise_db: Sequence[float], max_move_db: Sequence[float] | None = None) -> np.ndarray:
    """Static song gain per track plus shrunk model moves, shape ``(n_sections, n_tracks)``.

    Args:
        section_gains_db: (n_sections, n_tracks) gains the section models ask for, NaN where a track
            does not play.
        section_levels_db: (n_sections, n_tracks) the tracks' measured levels (dB) the gains apply to.
        section_lengths_s: (n_sections,) section lengths, the weights of the song gain.
        section_noise_db: (n_sections,) uncertainty of each section's levels (dB); NaN =
            :data:`UNKNOWN_SECTION_NOISE_DB`; raised to :data:`MIN_SECTION_NOISE_DB`.
        max_move_db: (n_sections,) largest move per section (dB); default :data:`MAX_SECTION_MOVE_DB`
            everywhere (``inf`` for a section whose variant the user chose).

    Returns:
        gains in dB; a track that plays nowhere gets NaN everywhere.
    """
    g = np.asarray(section_gains_db, dtype=float)
    wanted = g + np.asarray(section_levels_db, dtype=float)
    w = np.asarray(section_lengths_s, dtype=float)[:, None] * np.isfinite(wanted)
    total = w.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        static = np.where(total > 0, np.nansum(np.nan_to_num(g) * w, axis=0) / total, np.nan)
        mean_wanted = np.where(total > 0, np.nansum(np.nan_to_num(wanted) * w, axis=0) / total, np.nan)
    noise = np.asarray(section_noise_db, dtype=float)
    noise = np.maximum(np.where(np.isfinite(noise), noise, UNKNOWN_SECTION_NOISE_DB), MIN_SECTION_NOISE_DB)[:, None]
    moves = shrink_deviation(wanted - mean_wanted[None, :], noise)
    return limit_section_moves(static[None, :] + np.where(np.isfinite(moves), moves, 0.0), section_lengths_s,
                               np.isfinite(g), max_move_db)


def limit_section_moves(gains_db: np.ndarray, section_lengths_s: Sequence[float], playing: np.ndarray,
                        max_move_db: Sequence[float] | None = None) -> np.ndarray:
    """Each track's gains kept within ± ``max_move_db`` of its length-weighted mean over the sections it plays in.

    Args:
        gains_db: (n_sections, n_tracks) dB.
        section_lengths_s: (n_sections,) weights.
        playing: (n_sections, n_tracks) bool, where the track plays (a track playing nowhere: every section).
        max_move_db: (n_sections,) limit per section; default :data:`MAX_SECTION_MOVE_DB` everywhere
            (``inf`` for a section whose variant the user chose).
    """
    g = np.asarray(gains_db, dtype=float)
    limit = np.full(g.shape[0], MAX_SECTION_MOVE_DB) if max_move_db is None else np.asarray(max_move_db, float)
    w = np.asarray(section_lengths_s, dtype=float)[:, None] * (np.asarray(playing, bool) & np.isfinite(g))
    w = np.where(w.sum(axis=0) > 0, w, np.asarray(section_lengths_s, dtype=float)[:, None] * np.isfinite(g))
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.nansum(np.nan_to_num(g) * w, axis=0) / w.sum(axis=0)
    return np.clip(g, centre[None, :] - limit[:, None], centre[None, :] + limit[:, None])


def median_offset(reference: Mapping[int, float], gains: Mapping[int, float]) -> float:
    """Median of ``reference[i] − gains[i]`` over the tracks in both (finite gains), 0 when none."""
    shared = [reference[i] - gains[i] for i in gains if i in reference and math.isfinite(gains[i])]
    return float(np.median(shared)) if shared else 0.0
