"""Long-term average spectra for the report: Welch's method, whole or streamed block by block.

:class:`SpectrumAccumulator` computes what :func:`scipy.signal.welch` gives
for the whole signal while the signal arrives block by block (the report's
before/after mixes are never held whole); :func:`average_spectrum` is the
whole-signal convenience. Both give a :class:`Spectrum` smoothed for display.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from automix.errors import AutomixError


@dataclass(frozen=True)
class Spectrum:
    """An average magnitude spectrum.

    Attributes:
        label: what was measured ("Mix", a track name …).
        freqs_hz: frequencies, shape (m,), increasing.
        level_db: level in dB (relative; same reference for before/after), shape (m,).
    """

    label: str
    freqs_hz: np.ndarray
    level_db: np.ndarray


SPECTRUM_SEGMENT = 8192
"""Welch segment length in samples (Hann window, half overlap)."""


class SpectrumAccumulator:
    """Long-term average spectrum of a signal fed block by block (never held whole).

    Welch's method as :func:`scipy.signal.welch` computes it (periodic Hann
    segments of ``segment`` samples overlapping by half, mean removed per
    segment, density scaling, segments averaged; a trailing partial segment
    is dropped), accumulated as blocks arrive.

    Args:
        sample_rate: in Hz.
        segment: samples per segment (use the signal length when it is shorter).
    """

    def __init__(self, sample_rate: int, segment: int = SPECTRUM_SEGMENT) -> None:
        if segment < 16:
            raise AutomixError(f"spectrum: need at least 16 samples per segment, got {segment}")
        self.sample_rate = int(sample_rate)
        self._n, self._hop = int(segment), int(segment) // 2
        self._window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(self._n) / self._n)
        self._pending = np.zeros(0)
        self._power_sum = np.zeros(self._n // 2 + 1)
        self._segments = 0

    def push(self, block: np.ndarray) -> None:
        """Add the next ``(n,)`` or ``(n, channels)`` samples (channels averaged)."""
        x = np.asarray(block, dtype=np.float64)
        x = x.mean(axis=1) if x.ndim == 2 else x
        buf = np.concatenate([self._pending, x]) if self._pending.size else x
        count = 0 if buf.size < self._n else 1 + (buf.size - self._n) // self._hop
        if count:
            segs = np.lib.stride_tricks.sliding_window_view(buf, self._n)[:: self._hop][:count]
            spec = np.fft.rfft((segs - segs.mean(axis=1, keepdims=True)) * self._window, axis=1)
            self._power_sum += np.sum(spec.real ** 2 + spec.imag ** 2, axis=0)
            self._segments += count
        self._pending = buf[count * self._hop:].copy()

    def psd(self) -> tuple[np.ndarray, np.ndarray]:
        """``(freqs_hz, power per Hz)``, each shape (segment // 2 + 1,)."""
        if not self._segments:
            raise AutomixError(f"spectrum: fewer than {self._n} samples were given")
        p = self._power_sum / (self._segments * self.sample_rate * np.sum(self._window ** 2))
        p[1: -1 if self._n % 2 == 0 else None] *= 2.0
        return np.fft.rfftfreq(self._n, 1.0 / self.sample_rate), p

    def spectrum(self, label: str, n_points: int = 160, smoothing_oct: float = 1 / 6) -> Spectrum:
        """The accumulated spectrum smoothed for display (see :func:`average_spectrum`)."""
        f, pxx = self.psd()
        f_hi = min(20000.0, 0.95 * self.sample_rate / 2)
        grid = np.geomspace(20.0, f_hi, n_points)
        half = 2.0 ** (smoothing_oct / 2)
        levels = np.empty(n_points)
        for i, fc in enumerate(grid):
            sel = (f >= fc / half) & (f <= fc * half)
            p = pxx[sel].mean() if sel.any() else np.interp(fc, f, pxx)
            levels[i] = 10.0 * np.log10(max(p, 1e-20))
        return Spectrum(label=label, freqs_hz=grid, level_db=levels)


def average_spectrum(signal: np.ndarray, sample_rate: int, *, label: str = "Mix",
                     n_points: int = 160, smoothing_oct: float = 1 / 6) -> Spectrum:
    """Long-term average spectrum of ``signal`` ((n,) or (n, channels), channels averaged).

    Welch power spectrum (8192-sample Hann segments, or shorter signals whole),
    smoothed over ``smoothing_oct`` octaves and sampled on ``n_points``
    log-spaced frequencies from 20 Hz to min(20 kHz, 0.95 × Nyquist). Level in
    dB re full-scale power per Hz; silence gives −200 dB.
    """
    x = np.asarray(signal, dtype=np.float64)
    if x.ndim not in (1, 2) or x.shape[0] < 16:
        raise AutomixError(f"spectrum of {label!r}: need at least 16 samples, got shape {np.shape(signal)}")
    acc = SpectrumAccumulator(sample_rate, min(SPECTRUM_SEGMENT, x.shape[0]))
    acc.push(x)
    return acc.spectrum(label, n_points, smoothing_oct)
