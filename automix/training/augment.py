"""Training-data augmentation on audio: random recording levels and spectral deviations with known undo.

Engineer-balanced material (synthesised parts at their intended balance, the
wet stems of a real mix) says what a track should sound like in the mix, but
its EQ targets are ≈ 0 dB: nothing in it needs correcting. To learn EQ, the
recipe "records" the tracks again with a random spectral deviation ``d``
(dB per sub-band of :mod:`automix.audio.bands`, realised by the
:data:`automix.audio.bands.EQ_BAND_LAYOUT` filters) and a random recording level
``g`` (dB); the truth of the copy is the correction that undoes it:

* EQ target ``eq_db − d`` — exact, because a layout band with gain −x is
  the inverse filter of the same band with gain +x (RBJ peaking and shelving
  biquads with A → 1/A swap numerator and denominator);
* gain target ``gain_db − g`` (the fader undoes the recording level; level
  targets are measured before the EQ, as in finished projects, so a
  deviation also moves the level target by the power it adds);
* pan unchanged.

All features (levels, band levels, centroid …) are recomputed from the
altered audio, so they move consistently. A white noise floor
(``noise_dbfs``) can be added after the recording gain, as a real recording
(and the demo) has one: a quietly recorded track then shows noise in its empty
bands, as it will at inference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from automix.audio.bands import N_BANDS
from automix.audio.eq import apply_eq, layout_bands
from automix.errors import AutomixError
from automix.features.region import LEVEL_FEATURE, REGION_FEATURE_NAMES
from automix.training.dataset import song_features
from automix.training.samples import SectionSample, playing_matrix, section_sample

MAX_DEVIATION_DB = 6.0
"""Largest spectral deviation (dB per band) given to a track."""

DEVIATION_KINDS = ("band", "tilt", "random")
"""One band moved / a tilt across the bands / every band moved independently."""


@dataclass(frozen=True)
class StemTruth:
    """The engineer's settings of some stems per span.

    Attributes:
        gain_db: (n_spans, n_stems) gain applied to each stem in the mix, dB.
        pan: (n_spans, n_stems) pan −1 … +1.
        eq_db: (n_spans, n_stems, 5) EQ per band, dB.
    """

    gain_db: np.ndarray
    pan: np.ndarray
    eq_db: np.ndarray


@dataclass(frozen=True)
class AugmentedCopy:
    """One re-recording of a song's stems.

    Attributes:
        features: (n_stems, n_spans, F) raw features of the altered stems.
        regain_db: (n_stems,) recording level change, dB.
        deviation_db: (n_stems, 5) spectral deviation per band, dB (0 = untouched).
    """

    features: np.ndarray
    regain_db: np.ndarray
    deviation_db: np.ndarray


def random_band_deviations_db(rng: np.random.Generator, n_tracks: int, *, max_db: float = MAX_DEVIATION_DB,
                              p_deviate: float = 0.5) -> np.ndarray:
    """Random spectral deviations, shape (n_tracks, 5) dB; each track deviates with probability ``p_deviate``.

    A deviating track gets one of :data:`DEVIATION_KINDS` with equal
    probability: one band moved by ±U(2, max_db); a tilt of ±U(1, max_db/2) dB
    per band step around the mid band; or every band uniform in ±max_db.
    """
    if not (max_db >= 0 and 0.0 <= p_deviate <= 1.0):
        raise AutomixError(f"bad deviation parameters: max_db={max_db!r}, p_deviate={p_deviate!r}")
    out = np.zeros((n_tracks, N_BANDS))
    steps = np.arange(N_BANDS) - (N_BANDS - 1) / 2.0
    for i in range(n_tracks):
        if rng.random() >= p_deviate:
            continue
        kind = DEVIATION_KINDS[int(rng.integers(len(DEVIATION_KINDS)))]
        sign = 1.0 if rng.random() < 0.5 else -1.0
        if kind == "band":
            out[i, int(rng.integers(N_BANDS))] = sign * rng.uniform(min(2.0, max_db), max_db)
        elif kind == "tilt":
            out[i] = sign * rng.uniform(min(1.0, max_db / 2), max_db / 2) * steps
        else:
            out[i] = rng.uniform(-max_db, max_db, N_BANDS)
    return np.clip(out, -max_db, max_db)


def apply_band_gains(audio: np.ndarray, sample_rate: int, gains_db: Sequence[float]) -> np.ndarray:
    """``audio`` ((n,) or (n, channels)) through the layout bands at ``gains_db``; unchanged copy if all 0."""
    g = np.asarray(gains_db, dtype=float)
    if not np.any(g):
        return np.array(audio, dtype=float, copy=True)
    return apply_eq(np.asarray(audio, dtype=float), sample_rate, layout_bands(g))


def augmented_copies(stems: Sequence[np.ndarray], sample_rate: int, spans: Sequence[tuple[str, float, float]],
                     rng: np.random.Generator, n_copies: int, *, max_regain_db: float = 12.0,
                     max_deviation_db: float = MAX_DEVIATION_DB, p_deviate: float = 0.5,
                     noise_dbfs: float | None = None) -> list[AugmentedCopy]:
    """``n_copies`` re-recordings of the stems: random level (±max_regain_db), deviations, optional noise floor.

    Args:
        stems: audio per stem, (n,) or (n, channels), the engineer's material.
        spans: (region name, start s, end s) where features are measured.
        noise_dbfs: RMS (dBFS) of white noise added after the level change (None = none).
    """
    out = []
    for _ in range(n_copies):
        regain = rng.uniform(-max_regain_db, max_regain_db, len(stems))
        dev = random_band_deviations_db(rng, len(stems), max_db=max_deviation_db, p_deviate=p_deviate)
        audio = []
        for x, g, d in zip(stems, regain, dev):
            y = apply_band_gains(x, sample_rate, d) * 10.0 ** (g / 20.0)
            if noise_dbfs is not None:
                y = y + rng.standard_normal(y.shape) * 10.0 ** (noise_dbfs / 20.0)
            audio.append(y)
        out.append(AugmentedCopy(song_features(audio, sample_rate, spans), regain, dev))
    return out


def copy_samples(copy: AugmentedCopy, truth: StemTruth, *, song_id: str, genre: str, source: str,
                 sections: Sequence[tuple[str, str]], track_types: Sequence[str],
                 active: np.ndarray | None = None) -> list[SectionSample]:
    """Training rows of one augmented copy (targets = the truth corrected for the copy's changes).

    Args:
        sections: (region name, section id) per span, in the spans' order.
        active: (n_stems, n_spans) bool, where a stem is meant to play (default: everywhere);
            combined with the copy's own levels (:func:`automix.training.samples.playing_matrix`).
    """
    levels = copy.features[:, :, REGION_FEATURE_NAMES.index(LEVEL_FEATURE)]
    playing = playing_matrix(levels)
    if active is not None:
        playing &= np.asarray(active, dtype=bool)
    out = []
    for k, (region, section) in enumerate(sections):
        s = section_sample(song_id=song_id, genre=genre, section=section, region=region, source=source,
                           track_types=track_types, features=copy.features[:, k],
                           gain_db=truth.gain_db[k] - copy.regain_db, pan=truth.pan[k],
                           eq_db=truth.eq_db[k] - copy.deviation_db, playing=playing[:, k])
        if s is not None:
            out.append(s)
    return out


__all__ = ["MAX_DEVIATION_DB", "StemTruth", "AugmentedCopy", "random_band_deviations_db", "layout_bands",
           "apply_band_gains", "augmented_copies", "copy_samples"]
