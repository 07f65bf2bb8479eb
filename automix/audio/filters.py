"""Second-order-section IIR helpers that do not import ``scipy.signal`` up front.

``scipy.signal`` takes about a second to import; commands that never filter
audio (``automix suggest`` on cached features, ``automix --help``) should not
pay for it. :func:`sos_response` evaluates a filter's frequency response with
numpy alone; :func:`sosfilt` imports scipy on first use.
"""

from __future__ import annotations

import numpy as np


def sos_response(sos: np.ndarray, freqs_hz: np.ndarray, sample_rate: float) -> np.ndarray:
    """Complex response of second-order sections ``(k, 6)`` (b0 b1 b2 a0 a1 a2) at ``freqs_hz``.

    Returns an array of the shape of ``freqs_hz``; frequencies above Nyquist
    are evaluated on the unit circle like any other.
    """
    z1 = np.exp(-2j * np.pi * np.asarray(freqs_hz, dtype=np.float64) / sample_rate)  # z⁻¹ on the unit circle
    h = np.ones(z1.shape, dtype=complex)
    for b0, b1, b2, a0, a1, a2 in np.atleast_2d(sos):
        h *= (b0 + z1 * (b1 + z1 * b2)) / (a0 + z1 * (a1 + z1 * a2))
    return h


STATE_FLUSH = 1e-30
"""Filter state magnitudes below this (−600 dB) are set to 0 before each block (see :func:`sosfilt`)."""


def sosfilt(sos: np.ndarray, x: np.ndarray, zi: np.ndarray | None = None):
    """``scipy.signal.sosfilt`` along axis 0 (returns ``(y, zf)`` when ``zi`` is given).

    When a stream filtered block by block falls silent, the state of a
    low-frequency section decays slowly into subnormal floating-point numbers,
    which the CPU handles up to 100 times slower (measured: a 16-stem song with
    long silent stretches, 14 ms per block before the silence, 60 ms on
    average). Values of ``zi`` below :data:`STATE_FLUSH` are therefore set to
    exactly 0 first: a change far below any audible or measurable level, after
    which silence stays exactly 0.
    """
    from scipy.signal import sosfilt as _sosfilt

    if zi is None:
        return _sosfilt(sos, x, axis=0)
    return _sosfilt(sos, x, axis=0, zi=np.where(np.abs(zi) < STATE_FLUSH, 0.0, zi))
