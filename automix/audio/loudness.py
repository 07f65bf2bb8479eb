"""Loudness per ITU-R BS.1770-4: K-weighting, momentary and gated integrated loudness.

K-weighting is the standard's two biquads (a high-frequency shelf and a
high-pass "RLB" stage). Their coefficients are derived for any sample rate by
the bilinear transform of the analogue prototype whose parameters reproduce
the 48 kHz coefficients printed in the standard.

Loudness of a block: ``−0.691 + 10·log10(Σ_c G_c · mean(y_c²))`` with channel
weights ``G_c`` = 1 (L, R, C) and 1.41 (surround channels 4 and 5 of a 5-channel
signal). Integrated loudness: 400 ms blocks every 100 ms, absolute gate at
−70 LUFS, then a relative gate 10 LU below the loudness of the blocks kept.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from automix.audio.filters import sos_response, sosfilt
from automix.errors import AutomixError

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
BLOCK_S = 0.4
HOP_S = 0.1
SILENCE_LUFS = -math.inf
"""Loudness returned when no block passes the gates."""


def k_weighting_sos(sample_rate: float) -> np.ndarray:
    """Second-order sections ``(2, 6)`` of the K-weighting filter at ``sample_rate`` Hz."""
    if sample_rate <= 0:
        raise AutomixError(f"sample rate must be positive, got {sample_rate}")
    # stage 1: high shelf (+4 dB above ~1.7 kHz)
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / sample_rate)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh ** 0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = [(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0,
             1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    # stage 2: RLB high-pass (~38 Hz)
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / sample_rate)
    a0 = 1.0 + k / q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    return np.array([shelf, highpass], dtype=np.float64)


def k_weighting_power(freqs_hz: np.ndarray, sample_rate: float) -> np.ndarray:
    """Power gain ``|H(f)|²`` of the K-weighting filter at ``freqs_hz`` (same shape)."""
    return np.abs(sos_response(k_weighting_sos(sample_rate), freqs_hz, sample_rate)) ** 2


def channel_weights(n_channels: int) -> np.ndarray:
    """BS.1770 channel weights: 1.41 for channels 4 and 5 (Ls, Rs) of 5+ channels, else 1."""
    w = np.ones(n_channels)
    if n_channels >= 5:
        w[3:5] = 1.41
    return w


def _as_2d(signal: np.ndarray) -> np.ndarray:
    x = np.asarray(signal, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise AutomixError(f"signal must have shape (n,) or (n, channels), got {x.shape}")
    return x


def _energy_to_lufs(weighted_energy: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return -0.691 + 10.0 * np.log10(weighted_energy)


class LoudnessMeter:
    """Streaming BS.1770 meter: feed ``(n, channels)`` blocks, read gated loudness.

    Keeps the K-weighted filter state and one weighted mean square per 100 ms
    hop (``hop_energies``), so memory is O(song length / 100 ms).
    """

    def __init__(self, sample_rate: int, n_channels: int) -> None:
        self.sample_rate = int(sample_rate)
        self.n_channels = int(n_channels)
        self._sos = k_weighting_sos(sample_rate)
        self._zi = np.zeros((self._sos.shape[0], 2, n_channels))
        self._weights = channel_weights(n_channels)
        self._hop = int(round(HOP_S * sample_rate))
        self._pending = np.zeros(0)
        self._hops: list[float] = []

    def push(self, block: np.ndarray) -> None:
        """Consume the next ``(n, channels)`` samples."""
        x = _as_2d(block)
        if x.shape[1] != self.n_channels:
            raise AutomixError(f"block has {x.shape[1]} channels, meter expects {self.n_channels}")
        y, self._zi = sosfilt(self._sos, x, zi=self._zi)
        e = (y * y) @ self._weights  # weighted power per sample
        if self._pending.size:
            e = np.concatenate([self._pending, e])
        n_full = e.shape[0] // self._hop
        if n_full:
            self._hops.extend(e[: n_full * self._hop].reshape(n_full, self._hop).mean(axis=1).tolist())
        self._pending = e[n_full * self._hop:]

    @property
    def hop_energies(self) -> np.ndarray:
        """Weighted mean square of each complete 100 ms hop so far, shape (n_hops,)."""
        return np.asarray(self._hops)

    def integrated(self, first_hop: int = 0, last_hop: int | None = None) -> float:
        """Gated integrated loudness (LUFS) over hops ``[first_hop, last_hop)``."""
        return gated_loudness_from_hops(self.hop_energies[first_hop:last_hop])


def gated_loudness_from_hops(hop_energies: np.ndarray) -> float:
    """Integrated loudness (LUFS) from weighted mean squares of consecutive 100 ms hops."""
    return gated_loudness_from_frames(hop_energies, int(round(BLOCK_S / HOP_S)), 1)


def gated_loudness_from_frames(energies: np.ndarray, frames_per_block: int, frames_per_step: int) -> float:
    """Integrated loudness (LUFS) from weighted mean squares of consecutive equal frames ``(n,)``.

    A gating block is ``frames_per_block`` frames (400 ms), one every
    ``frames_per_step`` frames (100 ms); fewer frames than one block: -inf.
    """
    e = np.asarray(energies, dtype=np.float64)
    if e.shape[0] < frames_per_block:
        return SILENCE_LUFS
    csum = np.concatenate([[0.0], np.cumsum(e)])
    starts = np.arange(0, e.shape[0] - frames_per_block + 1, frames_per_step)
    return gated_loudness_from_blocks((csum[starts + frames_per_block] - csum[starts]) / frames_per_block)


def gated_loudness_from_blocks(block_energies: np.ndarray) -> float:
    """Two-stage gated loudness (LUFS) from the weighted mean squares of 400 ms blocks."""
    blocks = np.asarray(block_energies, dtype=np.float64)
    if blocks.size == 0:
        return SILENCE_LUFS
    lufs = _energy_to_lufs(blocks)
    kept = blocks[lufs > ABSOLUTE_GATE_LUFS]
    if kept.size == 0:
        return SILENCE_LUFS
    rel_gate = float(_energy_to_lufs(np.array([kept.mean()]))[0]) + RELATIVE_GATE_LU
    kept = blocks[(lufs > ABSOLUTE_GATE_LUFS) & (lufs > rel_gate)]
    if kept.size == 0:
        return SILENCE_LUFS
    return float(_energy_to_lufs(np.array([kept.mean()]))[0])


def integrated_loudness(signal: np.ndarray, sample_rate: int) -> float:
    """Gated integrated loudness in LUFS of ``signal`` shaped (n,) or (n, channels).

    Returns ``-inf`` for signals shorter than one 400 ms block or fully gated.
    """
    x = _as_2d(signal)
    meter = LoudnessMeter(sample_rate, x.shape[1])
    meter.push(x)
    return meter.integrated()


def integrated_loudness_blocks(blocks: Iterable[np.ndarray], sample_rate: int) -> float:
    """Integrated loudness (LUFS) of a stream of ``(n, channels)`` blocks."""
    meter: LoudnessMeter | None = None
    for b in blocks:
        x = _as_2d(b)
        if meter is None:
            meter = LoudnessMeter(sample_rate, x.shape[1])
        meter.push(x)
    return meter.integrated() if meter is not None else SILENCE_LUFS


def momentary_loudness(signal: np.ndarray, sample_rate: int, hop_s: float = HOP_S) -> np.ndarray:
    """Momentary loudness (LUFS, ungated 400 ms window) every ``hop_s`` seconds.

    Returns shape ``(n_blocks,)``; block i covers ``[i·hop_s, i·hop_s + 0.4 s)``.
    Silent blocks are ``-inf``.
    """
    x = _as_2d(signal)
    y = sosfilt(k_weighting_sos(sample_rate), x)
    e = (y * y) @ channel_weights(x.shape[1])
    win = int(round(BLOCK_S * sample_rate))
    hop = max(int(round(hop_s * sample_rate)), 1)
    if e.shape[0] < win:
        return np.zeros(0)
    csum = np.concatenate([[0.0], np.cumsum(e)])
    starts = np.arange(0, e.shape[0] - win + 1, hop)
    return _energy_to_lufs((csum[starts + win] - csum[starts]) / win)
