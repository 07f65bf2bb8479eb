"""Pan laws: the one place where pan values become channel gains and back.

REAPER's exact pan taper is **unverified** (see REAPER.md); every conversion
automix makes goes through this module, so a correction is made here once.

Track pan (faders, pan envelopes, estimation, preview): a constant-power sine
taper with the project default ``PANLAW 1`` (0 dB at centre). With the
papers' pan angle ``θ = (pan + 1)·π/4`` (0 = left, π/4 = centre, π/2 = right)
the channel gains are ``L = √2·cos θ`` and ``R = √2·sin θ``: unity on both
channels at centre, ``L² + R² = 2`` everywhere, +3 dB on the near side at a
hard pan. This is the papers' law (``L = cos θ·x``, ``R = sin θ·x``) scaled to
0 dB at centre.

Take pan (inside items, :mod:`automix.audio.render`): a balance law, 0 dB at
centre, the far channel attenuated linearly.

Pans are REAPER's −1 (left) … +1 (right).
"""

from __future__ import annotations

import math

import numpy as np

_SQRT2 = math.sqrt(2.0)


def angle_from_pan(pan: np.ndarray | float) -> np.ndarray:
    """Pan −1 … +1 → the papers' pan angle θ in radians (0 … π/2)."""
    return (np.clip(np.asarray(pan, dtype=np.float64), -1.0, 1.0) + 1.0) * (np.pi / 4.0)


def pan_from_angle(angle_rad: np.ndarray | float) -> np.ndarray:
    """The papers' pan angle θ (0 = left, π/4 = centre, π/2 = right) → pan −1 … +1."""
    return np.clip(np.asarray(angle_rad, dtype=np.float64) / (np.pi / 4.0) - 1.0, -1.0, 1.0)


def track_pan_gains(pan: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Left and right amplitude factors of a track pan (scalar or any shape)."""
    theta = angle_from_pan(pan)
    return _SQRT2 * np.cos(theta), _SQRT2 * np.sin(theta)


def channel_gains_from_gain_pan(gain_amp: float, pan: float) -> tuple[float, float]:
    """(gain amplitude, pan) → (left, right) amplitudes under the track pan law."""
    left, right = track_pan_gains(pan)
    return float(left) * gain_amp, float(right) * gain_amp


def gain_pan_from_channel_gains(gain_l: float, gain_r: float) -> tuple[float, float]:
    """Inverse of :func:`channel_gains_from_gain_pan`: (left, right) amplitudes → (gain amplitude, pan).

    Negative channel gains count as 0; two zero gains give ``(0.0, 0.0)``.
    """
    gl, gr = max(float(gain_l), 0.0), max(float(gain_r), 0.0)
    g = math.sqrt((gl * gl + gr * gr) / 2.0)
    if g == 0.0:
        return 0.0, 0.0
    return g, float(pan_from_angle(math.atan2(gr, gl)))


def take_pan_gains(pan: float) -> tuple[float, float]:
    """Left/right amplitude factors of a take pan −1…+1 (balance law, 0 dB at centre)."""
    p = min(max(float(pan), -1.0), 1.0)
    return (1.0 - p if p > 0 else 1.0), (1.0 + p if p < 0 else 1.0)
