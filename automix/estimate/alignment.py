"""Constant time offset and polarity between a stem and a mix, by cross-correlation.

A stem recorded or exported separately from the mix can be late or early by
a few samples (latency, a nudged item) or polarity-inverted (a flipped
microphone). Both would bias a least-squares gain estimate toward zero, so the
estimator aligns every stem first and reports what it changed.

Convention: ``offset_samples > 0`` means the stem content appears that many
samples *later* in the mix than in the stem; correcting it delays the stem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft

from automix.errors import EstimationError

MIN_CORRELATION = 0.02
"""Peaks with a smaller normalised correlation are treated as 'no reliable alignment'."""

MIN_PEAK_OVER_ZERO_LAG = 3.0
"""A non-zero lag is accepted only when its |correlation| is this many times that at lag 0,
at least :data:`MIN_SHIFT_CORRELATION`, and not at the edge of the search range: bleed and
doubled parts (another take of the same riff) make broad or spurious peaks, and a wrong
shift is far worse than a missed one."""

MIN_SHIFT_CORRELATION = 0.2


@dataclass(frozen=True)
class Alignment:
    """Detected alignment of one stem against the mix.

    Attributes:
        track: stem name.
        offset_samples: delay to apply to the stem (negative: advance it).
        polarity: +1, or −1 when the stem is inverted relative to the mix.
        correlation: normalised cross-correlation at the peak (−1…1).
        reliable: False when the peak is too weak to trust (then no change is applied).
    """

    track: str
    offset_samples: int
    polarity: int
    correlation: float
    reliable: bool

    @property
    def changes_signal(self) -> bool:
        """True when applying it changes the stem."""
        return self.reliable and (self.offset_samples != 0 or self.polarity < 0)

    def describe(self, sample_rate: int) -> str:
        """One readable line, e.g. ``'Raw1': delayed by 47 samples (1.07 ms), polarity inverted``."""
        parts = []
        if self.offset_samples:
            verb = "delayed" if self.offset_samples > 0 else "advanced"
            n = abs(self.offset_samples)
            parts.append(f"{verb} by {n} samples ({1000.0 * n / sample_rate:.2f} ms)")
        if self.polarity < 0:
            parts.append("polarity inverted")
        return f"{self.track!r}: " + (", ".join(parts) if parts else "aligned")


def _mono(x: np.ndarray) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    return a.mean(axis=1) if a.ndim == 2 else a


def detect_alignment(stem: np.ndarray, mix: np.ndarray, sample_rate: int, *, max_lag_s: float = 0.1,
                     track: str = "") -> Alignment:
    """Find the lag (|lag| ≤ ``max_lag_s``) and sign maximising |correlation| of stem and mix.

    Args:
        stem, mix: ``(n,)`` or ``(n, channels)`` excerpts starting at the same time.
        sample_rate: Hz.
        max_lag_s: search range in seconds.
    """
    return detect_alignments([(track, stem)], mix, sample_rate, max_lag_s=max_lag_s)[0]


def detect_alignments(stems: list[tuple[str, np.ndarray]], mix: np.ndarray, sample_rate: int, *,
                      max_lag_s: float = 0.1) -> list[Alignment]:
    """:func:`detect_alignment` for several ``(name, excerpt)`` stems against one mix excerpt."""
    if sample_rate <= 0:
        raise EstimationError(f"sample rate must be positive, got {sample_rate}")
    m = np.nan_to_num(_mono(mix), nan=0.0, posinf=0.0, neginf=0.0)
    max_lag = int(round(max_lag_s * sample_rate))
    n_max = max([m.shape[0]] + [np.asarray(s).shape[0] for _, s in stems])
    nfft = next_fast_len(n_max + max_lag + 1, real=True)
    mix_spec = None
    out = []
    for track, stem in stems:
        s = np.nan_to_num(_mono(stem), nan=0.0, posinf=0.0, neginf=0.0)
        n = min(s.shape[0], m.shape[0])
        s = s[:n]
        es, em = float(np.dot(s, s)), float(np.dot(m[:n], m[:n]))
        if n == 0 or es <= 0 or em <= 0:
            out.append(Alignment(track, 0, 1, 0.0, False))
            continue
        if mix_spec is None or mix_spec[0] != n:
            mix_spec = (n, rfft(m[:n], nfft))
        xc = irfft(mix_spec[1] * np.conj(rfft(s, nfft)), nfft)  # xc[l] = sum m[t+l] s[t]
        out.append(_pick_peak(track, xc, nfft, max_lag, np.sqrt(es * em)))
    return out


def _pick_peak(track: str, xc: np.ndarray, nfft: int, max_lag: int, norm: float) -> Alignment:
    lags = np.concatenate([np.arange(0, max_lag + 1), np.arange(-max_lag, 0)])
    values = np.concatenate([xc[: max_lag + 1], xc[nfft - max_lag:]]) if max_lag else xc[:1]
    i = int(np.argmax(np.abs(values)))
    corr, lag = float(values[i] / norm), int(lags[i])
    corr0 = float(values[0] / norm)
    at_edge = max_lag > 0 and abs(lag) == max_lag
    weak = abs(corr) < max(MIN_PEAK_OVER_ZERO_LAG * abs(corr0), MIN_SHIFT_CORRELATION)
    if lag != 0 and (at_edge or weak):
        corr, lag = corr0, 0  # a flat or boundary peak is bleed/noise, not an offset
    reliable = abs(corr) >= MIN_CORRELATION
    lag = lag if reliable else 0
    pol = (-1 if corr < 0 else 1) if reliable else 1
    return Alignment(track, lag, pol, corr, reliable)


def apply_alignment(signal: np.ndarray, alignment: Alignment) -> np.ndarray:
    """The stem shifted by ``offset_samples`` (zero-filled) and sign-corrected, same shape."""
    x = np.asarray(signal)
    if not alignment.changes_signal:
        return x
    out = np.zeros_like(x)
    d = alignment.offset_samples
    n = x.shape[0]
    if 0 <= d < n:
        out[d:] = x[: n - d]
    elif -n < d < 0:
        out[: n + d] = x[-d:]
    return out * alignment.polarity


def shift_blocks(blocks: Iterable[np.ndarray], alignment: Alignment) -> Iterator[np.ndarray]:
    """Streaming :func:`apply_alignment`: yields blocks of the same sizes as ``blocks``.

    Output sample t is input sample ``t − offset_samples`` (zero outside the
    input). An advance (negative offset) needs look-ahead, so output may lag
    input by one block; the last blocks are completed with zeros.
    """
    if not alignment.changes_signal:
        yield from blocks
        return
    d = alignment.offset_samples
    to_skip = max(-d, 0)
    queue: list[np.ndarray] = []
    queued = 0
    sizes: list[int] = []
    tail_shape: tuple[int, ...] | None = None
    dtype = np.float32

    def pop(n: int) -> np.ndarray:
        nonlocal queued
        data = np.concatenate(queue) if len(queue) > 1 else queue[0]
        queue.clear()
        out, rest = data[:n], data[n:]
        if rest.shape[0]:
            queue.append(rest)
        queued -= n
        return out

    for b in blocks:
        x = np.asarray(b) * alignment.polarity
        if tail_shape is None:
            tail_shape, dtype = x.shape[1:], x.dtype
            if d > 0:
                queue.append(np.zeros((d,) + tail_shape, dtype))
                queued = d
        sizes.append(x.shape[0])
        if to_skip:
            k = min(to_skip, x.shape[0])
            x, to_skip = x[k:], to_skip - k
        if x.shape[0]:
            queue.append(x)
            queued += x.shape[0]
        while sizes and queued >= sizes[0]:
            yield pop(sizes.pop(0))
    for n in sizes:
        if queued < n:
            queue.append(np.zeros((n - queued,) + (tail_shape or ()), dtype))
            queued = n
        yield pop(n)
