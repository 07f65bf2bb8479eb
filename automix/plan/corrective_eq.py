"""Corrective EQ: each track's own long-term spectrum moved part of the way toward its type's target shape.

For track ``i`` of type ``t`` (all arrays per sub-band of :mod:`automix.audio.bands`, shape (5,)):

1. Its song-long spectral shape ``s`` (:func:`song_shapes`): band energies of
   the sections where it plays, summed over time, in dB re their total
   (:func:`automix.knowledge.type_spectra.band_shape_db`): recording level cancels.
2. Its deviation from the type's target ``d = s − mean_t`` (the learned
   :class:`~automix.knowledge.type_spectra.TypeSpectra`), referred to the bands
   that agree best: ``d − o`` with ``o`` the median of ``d`` over the bands
   (one band 6 dB too loud reads as that band, not as the four others too soft).
3. A confidence-weighted cut or boost ``c = −w·(d − o)``, with
   ``w = τ² / (τ² + σ²·(1 + 1/n))`` per band: τ = :data:`RECORDING_DEVIATION_DB`
   (how far a recording typically strays from a mixed shape), σ the type's
   spread in that band and n the number of real stems behind it plus the
   prior's (Bayesian shrinkage: a type whose stems disagree in a band, or that
   few stems describe, is corrected little there).
4. Never a boost where the track has little energy: a boost fades to 0 as
   the band's share falls from :data:`BOOST_FULL_DB` to :data:`BOOST_FLOOR_DB`
   re the track's total. A band holding most of the track's energy (share
   ≥ :data:`DOMINANT_SHARE_DB`) is cut by at most :data:`DOMINANT_MAX_CUT_DB`:
   cutting it mostly turns the track down, which its gain undoes (a kick's
   lows, a hi-hat's highs, a bass's lows are never scooped out). Corrections
   are limited to ± :data:`MAX_EQ_DB`.
5. Each band's correction is the gain of its layout filter
   (:data:`automix.audio.bands.EQ_BAND_LAYOUT`); neighbouring filters
   overlap a little, which smooths the correction.

One EQ per track for the whole song (the same in every region). The EQ's
effect on the track's K-weighted loudness (:func:`loudness_change_db`, from
the track's own band energies in each section) is folded into its gain
(:func:`apply_corrective_eq`), so the level the planner chose holds after EQ.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from automix.audio.bands import N_BANDS, band_grid_hz
from automix.audio.eq import band_power_gains, layout_bands
from automix.audio.loudness import k_weighting_power
from automix.features.analysis import ProjectAnalysis
from automix.features.region import FLOOR_DB, REGION_FEATURE_NAMES
from automix.knowledge.type_spectra import (
    PRIOR_EXAMPLES,
    TypeSpectra,
    band_shape_db,
    read_type_spectra,
)
from automix.models.bank import installed_models_dir

TYPE_SPECTRA_FILE = "eq/type_spectra.json"
"""The learned target shapes, relative to the shipped models folder."""

RECORDING_DEVIATION_DB = 3.5
"""τ: typical deviation (dB, standard deviation per band) of a recording from its mixed shape."""

MAX_EQ_DB = 6.0
"""Corrections are limited to ± this (dB per band)."""

BOOST_FULL_DB = -15.0
"""A band holding at least this share of the track's energy (dB re total) may get its full boost."""

BOOST_FLOOR_DB = -25.0
"""A band holding less than this share (dB re total) is never boosted."""

DOMINANT_SHARE_DB = -3.0
"""A band holding at least this share of the track's energy (dB re total: half) is its dominant band."""

DOMINANT_MAX_CUT_DB = 3.0
"""Largest cut (dB) of a dominant band."""

MAX_TILT_DB_PER_OCT = 12.0
"""Steepest slope (dB per octave) assumed for a track's energy inside a band."""

BAND_DB_COLUMNS = tuple(REGION_FEATURE_NAMES.index(f"band_db_{k}") for k in
                        ("low", "low_mid", "mid", "high_mid", "high"))
"""Columns of the region features holding the band levels (dB)."""


@functools.lru_cache(maxsize=4)
def _read(path: str) -> TypeSpectra:
    return read_type_spectra(path)


def shipped_type_spectra() -> TypeSpectra:
    """The learned target shapes shipped in ``models/`` (:data:`TYPE_SPECTRA_FILE`)."""
    return _read(str(installed_models_dir() / TYPE_SPECTRA_FILE))


def confidence(spectra: TypeSpectra, type_id: str) -> np.ndarray:
    """Shrinkage weights ``w`` (5,) in [0, 1] of a type (step 3 of the module docstring)."""
    r = spectra.row(type_id)
    n = spectra.n_examples[r] + PRIOR_EXAMPLES
    tau2 = RECORDING_DEVIATION_DB ** 2
    return tau2 / (tau2 + spectra.spread_db[r] ** 2 * (1.0 + 1.0 / n))


def band_corrections_db(shape_db: np.ndarray, type_id: str, spectra: TypeSpectra) -> np.ndarray:
    """Wanted change of each band's energy (dB, (5,)) for a track of shape ``shape_db`` (5,), dB re total."""
    s = np.asarray(shape_db, dtype=float)
    r = spectra.row(type_id)
    w = confidence(spectra, type_id)
    d = s - spectra.mean_db[r]
    c = -w * (d - float(np.median(d)))
    fade = np.clip((s - BOOST_FLOOR_DB) / (BOOST_FULL_DB - BOOST_FLOOR_DB), 0.0, 1.0)
    c = np.where(c > 0, c * fade, c)
    c = np.where(s >= DOMINANT_SHARE_DB, np.maximum(c, -DOMINANT_MAX_CUT_DB), c)
    return np.clip(c, -MAX_EQ_DB, MAX_EQ_DB)


def corrective_gains_db(shape_db: np.ndarray, type_id: str, spectra: TypeSpectra) -> np.ndarray:
    """Layout filter gains (dB, (5,)) of the corrective EQ of one track (steps 2–5), within ± :data:`MAX_EQ_DB`."""
    return np.round(band_corrections_db(shape_db, type_id, spectra), 2)


def section_band_energies(analysis: ProjectAnalysis) -> np.ndarray:
    """Mean square per band (n_tracks, n_sections, 5) from the features (floored values read as 0)."""
    db = analysis.vectors()[:, :, list(BAND_DB_COLUMNS)]
    return np.where(db <= FLOOR_DB, 0.0, 10.0 ** (db / 10.0))


def song_shapes(analysis: ProjectAnalysis, active: np.ndarray) -> np.ndarray:
    """Song-long spectral shape (n_tracks, 5), dB re total: energy of the sections where each track plays.

    ``active`` is (n_sections, n_tracks); a track playing nowhere uses every section.
    """
    energy = section_band_energies(analysis)
    lengths = np.array([s.length_s for s in analysis.sections], dtype=float)
    out = np.zeros((energy.shape[0], N_BANDS))
    for i in range(energy.shape[0]):
        use = active[:, i] if active[:, i].any() else np.ones(len(lengths), dtype=bool)
        out[i] = band_shape_db((energy[i, use] * lengths[use, None]).sum(axis=0))
    return out


def within_band_weights(band_energy: np.ndarray, sample_rate: float) -> np.ndarray:
    """How a track's energy spreads inside each band: weights (5, points) on :func:`~automix.audio.bands.band_grid_hz`.

    The energy per octave inside band ``b`` (from 120 Hz up) follows the mean
    slope (dB per octave, within ± :data:`MAX_TILT_DB_PER_OCT`) from its
    neighbours' energy per octave to its own: a kick's low-mid energy sits
    near 120 Hz, a hi-hat's top-band energy near the top. The lowest band
    is taken evenly per octave (its lower neighbour is silence). Each band's
    weights have mean 1.
    """
    e = np.maximum(np.asarray(band_energy, dtype=float), 1e-30)
    log_f = np.log2(np.asarray(band_grid_hz(sample_rate)))
    centre = log_f.mean(axis=1)
    per_oct_db = 10.0 * np.log10(e / np.maximum(log_f[:, -1] - log_f[:, 0], 1e-3))
    step = np.diff(per_oct_db) / np.diff(centre)  # slope between neighbouring bands, (4,)
    slope = np.zeros(N_BANDS)
    slope[1:-1] = 0.5 * (step[:-1] + step[1:])
    slope[-1] = step[-1]
    slope = np.clip(slope, -MAX_TILT_DB_PER_OCT, MAX_TILT_DB_PER_OCT)
    w = 10.0 ** (slope[:, None] * (log_f - centre[:, None]) / 10.0)
    return w / w.mean(axis=1, keepdims=True)


def loudness_change_db(band_energy: np.ndarray, gains_db: np.ndarray, sample_rate: float) -> float:
    """Change (dB) of a track's K-weighted loudness made by layout filters at ``gains_db`` (5,).

    The track's energy is ``band_energy`` (5,), spread inside each band as
    :func:`within_band_weights` says; 0 for silence or a flat EQ.
    """
    e = np.asarray(band_energy, dtype=float)
    g = np.asarray(gains_db, dtype=float)
    if not np.any(g) or not e.sum() > 0:
        return 0.0
    grid = np.asarray(band_grid_hz(sample_rate))
    weights = within_band_weights(e, sample_rate) * k_weighting_power(grid, sample_rate)  # (5, points)
    before = weights.mean(axis=1)
    after = band_power_gains(layout_bands(g), sample_rate, weights=weights) * before
    return float(10.0 * np.log10((e @ after) / (e @ before)))


@dataclass(frozen=True)
class CorrectiveEq:
    """Per-track corrective EQ of a project.

    Attributes:
        eq_db: (n_tracks, 5) layout filter gains, dB (one EQ per track for the song).
        loudness_change_db: (n_sections, n_tracks) the EQ's effect on each track's K-weighted loudness, dB.
        shapes_db: (n_tracks, 5) the tracks' song-long spectral shapes, dB re total.
    """

    eq_db: np.ndarray
    loudness_change_db: np.ndarray
    shapes_db: np.ndarray


def corrective_eq(analysis: ProjectAnalysis, types: Sequence[str], active: np.ndarray,
                  spectra: TypeSpectra | None = None) -> CorrectiveEq:
    """The corrective EQ of every analysed track (see the module docstring).

    Args:
        types: type id per track (n_tracks,).
        active: (n_sections, n_tracks) where each track plays.
        spectra: target shapes (default: :func:`shipped_type_spectra`).
    """
    spectra = spectra if spectra is not None else shipped_type_spectra()
    shapes = song_shapes(analysis, active)
    sr = analysis.sample_rate
    eq = np.stack([corrective_gains_db(shapes[i], t, spectra) for i, t in enumerate(types)]) \
        if len(types) else np.zeros((0, N_BANDS))
    energy = section_band_energies(analysis)  # (n_tracks, n_sections, 5)
    change = np.zeros((len(analysis.sections), len(types)))
    for i in range(len(types)):
        song = energy[i].sum(axis=0)
        for k in range(len(analysis.sections)):
            e = energy[i, k] if active[k, i] and energy[i, k].sum() > 0 else song
            change[k, i] = loudness_change_db(e, eq[i], sr)
    return CorrectiveEq(eq, change, shapes)


def apply_corrective_eq(analysis: ProjectAnalysis, types: Sequence[str], active: np.ndarray,
                        gains_db: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The planner's EQ step: ``(eq_db (n_sections, n_tracks, 5), gains_db − loudness change)``.

    ``gains_db`` (n_sections, n_tracks) are the planned gains; the returned
    gains put every track back at its planned K-weighted loudness after its EQ.
    """
    ceq = corrective_eq(analysis, types, active)
    eqs = np.broadcast_to(ceq.eq_db[None], (len(analysis.sections), *ceq.eq_db.shape)).copy()
    return eqs, np.asarray(gains_db, dtype=float) - ceq.loudness_change_db
