"""The five spectral sub-bands shared by features, estimation, models and EQ.

Edges in Hz. Band k covers ``[BAND_EDGES_HZ[k], BAND_EDGES_HZ[k+1])``; the
last band runs to the Nyquist frequency whatever the sample rate. The EQ that
realises per-band gains is a low shelf at the first inner edge, three peaking
bands at the geometric centres of the middle bands and a high shelf at the
last inner edge (see :data:`EQ_BAND_LAYOUT`).
"""

from __future__ import annotations

import math

BAND_EDGES_HZ: tuple[float, ...] = (0.0, 120.0, 500.0, 2000.0, 6000.0, math.inf)
"""Edges of the 5 sub-bands in Hz (low, low-mid, mid, high-mid, high)."""

BAND_NAMES: tuple[str, ...] = ("low", "low_mid", "mid", "high_mid", "high")
"""Short names of the 5 sub-bands, in order."""

N_BANDS = len(BAND_NAMES)


def _geo(a: float, b: float) -> float:
    return math.sqrt(a * b)


EQ_BAND_LAYOUT: tuple[tuple[str, float, float], ...] = (
    ("low_shelf", BAND_EDGES_HZ[1], 2.0),
    ("band", _geo(BAND_EDGES_HZ[1], BAND_EDGES_HZ[2]), 2.0),
    ("band", _geo(BAND_EDGES_HZ[2], BAND_EDGES_HZ[3]), 2.0),
    ("band", _geo(BAND_EDGES_HZ[3], BAND_EDGES_HZ[4]), 1.6),
    ("high_shelf", BAND_EDGES_HZ[4], 2.0),
)
"""(ReaEQ band type name, frequency Hz, bandwidth octaves) realising each sub-band's gain."""


BAND_GRID_LOW_HZ = 30.0
"""Lowest frequency of the first band's grid (Hz): below it music carries little energy and K-weighting cuts it."""

BAND_GRID_HIGH_HZ = 20000.0
"""Highest frequency of the last band's grid (Hz), or 0.49 × the sample rate when lower."""


def band_grid_hz(sample_rate: float, points_per_band: int = 32) -> tuple[tuple[float, ...], ...]:
    """Log-spaced frequencies (Hz) inside each sub-band, ``points_per_band`` per band.

    Averaging a quantity over a band's points weights every octave of the band
    equally: the band's energy assumed spread like pink noise, the long-term
    shape of most music. Band k runs from ``max(edge_k, 20 Hz)`` to
    ``min(edge_k+1, 20 kHz, 0.49 · sample_rate)``.
    """
    top = min(BAND_GRID_HIGH_HZ, 0.49 * float(sample_rate))
    out = []
    for k in range(N_BANDS):
        lo = max(BAND_EDGES_HZ[k], BAND_GRID_LOW_HZ)
        hi = min(BAND_EDGES_HZ[k + 1], top)
        hi = max(hi, lo * 1.01)
        ratio = (hi / lo) ** (1.0 / points_per_band)
        out.append(tuple(lo * ratio ** (i + 0.5) for i in range(points_per_band)))
    return tuple(out)
