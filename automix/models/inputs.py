"""Per-type model inputs: the region features plus derived spectral-shape features.

A track's band levels (``band_db_*``, dBFS) move with its recording level,
by ±15 dB or more between songs, while what EQ corrects is its spectral
*shape*: each band's level relative to the track's own RMS. A linear model
could form that difference from the two columns, but a ridge penalty on
standardised inputs shrinks the large opposing coefficients it needs, so the
shape is given directly: ``shape_db_<band> = band_db_<band> − rms_db`` (dB),
computed from the merged features of each type (training and prediction
alike, so the two always agree).
"""

from __future__ import annotations

import numpy as np

from automix.audio.bands import BAND_NAMES
from automix.features.region import REGION_FEATURE_NAMES

SHAPE_FEATURE_NAMES: tuple[str, ...] = tuple(f"shape_db_{b}" for b in BAND_NAMES)
"""Derived inputs: band level minus the track's RMS level, dB, one per sub-band."""

MODEL_FEATURE_NAMES: tuple[str, ...] = tuple(REGION_FEATURE_NAMES) + SHAPE_FEATURE_NAMES
"""Every per-type feature a model may use, in the order of :func:`with_shape_features`'s last axis."""

RECORDING_LEVEL_FEATURES: tuple[str, ...] = ("loudness_lufs", "rms_db", *(f"band_db_{b}" for b in BAND_NAMES))
"""Region features that move, dB for dB, with a track's recording level. A model predicting levels relative to
the mix (the default target) never takes them as inputs (:func:`automix.training.fit.default_excluded_features`):
otherwise a track recorded 30 dB quieter would move the *other* tracks' levels too. Its spectrum enters through
the level-independent ``shape_db_*`` inputs."""

_BAND_COLS = [REGION_FEATURE_NAMES.index(f"band_db_{b}") for b in BAND_NAMES]
_RMS_COL = REGION_FEATURE_NAMES.index("rms_db")


def with_shape_features(features: np.ndarray) -> np.ndarray:
    """Region features (..., F) → model features (..., F + 5) in :data:`MODEL_FEATURE_NAMES` order.

    NaN (absent type) stays NaN.
    """
    f = np.asarray(features, dtype=float)
    if f.shape[-1] != len(REGION_FEATURE_NAMES):
        raise ValueError(f"expected {len(REGION_FEATURE_NAMES)} region features on the last axis, got {f.shape}")
    shape = f[..., _BAND_COLS] - f[..., _RMS_COL:_RMS_COL + 1]
    return np.concatenate([f, shape], axis=-1)


__all__ = ["SHAPE_FEATURE_NAMES", "MODEL_FEATURE_NAMES", "RECORDING_LEVEL_FEATURES", "with_shape_features"]
