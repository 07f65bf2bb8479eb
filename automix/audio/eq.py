"""Biquad filters matching ReaEQ's band types (RBJ audio-EQ cookbook).

Every band is one second-order section. Bandwidth is given in octaves as in
ReaEQ and converted to Q with the analogue relation
``Q = 1 / (2 sinh(ln2/2 · bw_oct))`` (so 1.9 octaves ≈ Q 0.707). Peaking,
notch and band-pass bands use the cookbook's bandwidth form (bandwidth exact
between the digital −3 dB / half-gain points); shelves and pass filters use
the Q form, so a pass filter with Q = 0.707 is −3 dB at its cutoff and a shelf
is at half its gain (in dB) at its corner frequency.

How ReaEQ maps its bandwidth knob to the shape of shelves and pass filters is
not documented (**unverified**); that mapping lives in :func:`design_biquad`.

Band types (``band_type``): ``low_shelf``, ``high_shelf``, ``band`` (peaking),
``low_pass``, ``high_pass``, ``notch``, ``band_pass``. ``gain_db`` is ignored by
the pass, notch and band-pass types. A frequency at or above Nyquist is
clamped to 0.49 × ``sample_rate``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from automix.audio.bands import EQ_BAND_LAYOUT, N_BANDS, band_grid_hz
from automix.audio.filters import sos_response, sosfilt
from automix.errors import AutomixError

_LN2 = math.log(2.0)


class BandLike(Protocol):
    """Anything with ReaEQ band fields (:class:`automix.plan.model.EqBand`, ``EqBandSetting``)."""

    band_type: str
    freq_hz: float
    gain_db: float
    bw_oct: float


@dataclass(frozen=True)
class Band:
    """A plain EQ band (satisfies :class:`BandLike`)."""

    band_type: str
    freq_hz: float
    gain_db: float
    bw_oct: float


def layout_bands(gains_db: Sequence[float]) -> tuple[Band, ...]:
    """The :data:`~automix.audio.bands.EQ_BAND_LAYOUT` bands at ``gains_db`` (shape (5,), dB)."""
    g = np.asarray(gains_db, dtype=float).reshape(-1)
    if g.size != N_BANDS or not np.all(np.isfinite(g)):
        raise AutomixError(f"need {N_BANDS} finite band gains (dB), got {g.tolist()!r}")
    return tuple(Band(kind, float(freq), float(x), float(bw)) for (kind, freq, bw), x in zip(EQ_BAND_LAYOUT, g))


def q_from_bw_oct(bw_oct: float) -> float:
    """Quality factor of a bandwidth given in octaves (analogue relation)."""
    if not bw_oct > 0:
        raise AutomixError(f"EQ bandwidth must be > 0 octaves, got {bw_oct!r}")
    return 1.0 / (2.0 * math.sinh(_LN2 / 2.0 * bw_oct))


def bw_oct_from_q(q: float) -> float:
    """Bandwidth in octaves of a quality factor (inverse of :func:`q_from_bw_oct`)."""
    if not q > 0:
        raise AutomixError(f"EQ quality factor must be > 0, got {q!r}")
    return 2.0 / _LN2 * math.asinh(1.0 / (2.0 * q))


def design_biquad(band: BandLike, sample_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients of one band.

    Args:
        band: the band (type, frequency Hz, gain dB, bandwidth octaves).
        sample_rate: in Hz.

    Returns:
        ``(b, a)``, each shape (3,), normalised so ``a[0] == 1``.

    Raises:
        AutomixError for an unknown type or non-positive frequency/bandwidth.
    """
    if sample_rate <= 0:
        raise AutomixError(f"sample_rate must be > 0 Hz, got {sample_rate!r}")
    kind = band.band_type
    if not band.freq_hz > 0:
        raise AutomixError(f"EQ band {kind!r}: frequency must be > 0 Hz, got {band.freq_hz!r}")
    freq_hz = min(float(band.freq_hz), 0.49 * sample_rate)
    w0 = 2.0 * math.pi * freq_hz / sample_rate
    cos_w0, sin_w0 = math.cos(w0), math.sin(w0)
    q = q_from_bw_oct(band.bw_oct)
    alpha_q = sin_w0 / (2.0 * q)
    alpha_bw = sin_w0 * math.sinh(_LN2 / 2.0 * band.bw_oct * w0 / sin_w0)
    big_a = 10.0 ** (band.gain_db / 40.0)

    if kind == "band":
        b = [1 + alpha_bw * big_a, -2 * cos_w0, 1 - alpha_bw * big_a]
        a = [1 + alpha_bw / big_a, -2 * cos_w0, 1 - alpha_bw / big_a]
    elif kind in ("low_shelf", "high_shelf"):
        sq = 2.0 * math.sqrt(big_a) * alpha_q
        ap, am = big_a + 1.0, big_a - 1.0
        if kind == "low_shelf":
            b = [big_a * (ap - am * cos_w0 + sq), 2 * big_a * (am - ap * cos_w0), big_a * (ap - am * cos_w0 - sq)]
            a = [ap + am * cos_w0 + sq, -2 * (am + ap * cos_w0), ap + am * cos_w0 - sq]
        else:
            b = [big_a * (ap + am * cos_w0 + sq), -2 * big_a * (am + ap * cos_w0), big_a * (ap + am * cos_w0 - sq)]
            a = [ap - am * cos_w0 + sq, 2 * (am - ap * cos_w0), ap - am * cos_w0 - sq]
    elif kind == "low_pass":
        b = [(1 - cos_w0) / 2, 1 - cos_w0, (1 - cos_w0) / 2]
        a = [1 + alpha_q, -2 * cos_w0, 1 - alpha_q]
    elif kind == "high_pass":
        b = [(1 + cos_w0) / 2, -(1 + cos_w0), (1 + cos_w0) / 2]
        a = [1 + alpha_q, -2 * cos_w0, 1 - alpha_q]
    elif kind == "notch":
        b = [1.0, -2 * cos_w0, 1.0]
        a = [1 + alpha_bw, -2 * cos_w0, 1 - alpha_bw]
    elif kind == "band_pass":
        b = [alpha_bw, 0.0, -alpha_bw]
        a = [1 + alpha_bw, -2 * cos_w0, 1 - alpha_bw]
    else:
        raise AutomixError(f"unknown EQ band type {kind!r}")
    b_arr = np.asarray(b, dtype=np.float64)
    a_arr = np.asarray(a, dtype=np.float64)
    return b_arr / a_arr[0], a_arr / a_arr[0]


def eq_sos(bands: Iterable[BandLike], sample_rate: float) -> np.ndarray:
    """Second-order sections of a chain of bands, shape (k, 6) with k <= n_bands (may be (0, 6)).

    Bands that pass the signal unchanged (a 0 dB peak or shelf: numerator
    equal to denominator) are left out: filtering with them would only cost time.
    """
    rows = [np.concatenate((b, a)) for b, a in (design_biquad(band, sample_rate) for band in bands)
            if not np.array_equal(b, a)]
    if not rows:
        return np.zeros((0, 6))
    return np.vstack(rows)


def apply_eq(signal: np.ndarray, sample_rate: float, bands: Sequence[BandLike]) -> np.ndarray:
    """Filter a signal through the bands in series.

    Args:
        signal: shape (n,) or (n, channels), any float dtype.
        sample_rate: in Hz.
        bands: the EQ bands (empty = returned unchanged, as a copy).

    Returns:
        The filtered signal, same shape and dtype as ``signal``.
    """
    x = np.asarray(signal)
    if not bands:
        return x.copy()
    sos = eq_sos(bands, sample_rate)
    y = sosfilt(sos, x.astype(np.float64, copy=False))
    return y.astype(x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64, copy=False)


def eq_response_db(bands: Sequence[BandLike], freqs_hz: np.ndarray, sample_rate: float) -> np.ndarray:
    """Magnitude response of the chain in dB at ``freqs_hz`` (shape (m,) → (m,)).

    An empty chain is 0 dB everywhere. Frequencies above Nyquist are not
    meaningful; they are evaluated on the unit circle like any other.
    """
    f = np.asarray(freqs_hz, dtype=np.float64)
    total = np.zeros_like(f)
    for band in bands:
        b, a = design_biquad(band, sample_rate)
        h = sos_response(np.concatenate([b, a]), f, sample_rate)
        total += 20.0 * np.log10(np.maximum(np.abs(h), 1e-12))
    return total


class StreamingEq:
    """Block-wise EQ whose bands can change between blocks, keeping filter state.

    ``process(block, bands)`` filters one (n, channels) block; the state of
    each section carries over between calls so a stream filtered in blocks
    equals the whole signal filtered at once while the bands stay the same.
    When the number of bands changes the state restarts from silence.
    """

    def __init__(self, sample_rate: float, channels: int) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self._key: tuple | None = None
        self._sos = np.zeros((0, 6))
        self._zi = np.zeros((0, 2, channels))

    def process(self, block: np.ndarray, bands: Sequence[BandLike]) -> np.ndarray:
        """Filter ``block`` (n, channels) with ``bands``; returns float64 (n, channels)."""
        key = tuple((b.band_type, b.freq_hz, b.gain_db, b.bw_oct) for b in bands)
        if key != self._key:
            sos = eq_sos(bands, self.sample_rate)
            if sos.shape[0] != self._sos.shape[0]:
                self._zi = np.zeros((sos.shape[0], 2, self.channels))
            self._sos, self._key = sos, key
        x = np.asarray(block, dtype=np.float64)
        if self._sos.shape[0] == 0:
            return x.copy()
        y, self._zi = sosfilt(self._sos, x, zi=self._zi)
        return y


def band_power_gains(bands: Sequence[BandLike], sample_rate: float, weights: np.ndarray | None = None) -> np.ndarray:
    """Mean power gain ``|H|²`` of the chain over each sub-band's grid (:func:`~automix.audio.bands.band_grid_hz`).

    Args:
        weights: optional power weighting per grid point, shape (5, points)
            (e.g. K-weighting); the result is then ``mean(w·|H|²) / mean(w)`` per band.

    Returns:
        shape (5,): the factor by which each band's energy changes, for a
        signal whose energy is spread evenly per octave inside the band.
    """
    grid = np.asarray(band_grid_hz(sample_rate))
    h = 10.0 ** (eq_response_db(bands, grid.ravel(), sample_rate).reshape(grid.shape) / 10.0)
    w = np.ones(grid.shape) if weights is None else np.asarray(weights, dtype=float)
    return (w * h).mean(axis=1) / w.mean(axis=1)

