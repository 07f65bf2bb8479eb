"""Polyphase resampling by a rational factor, with the numbers of ``scipy.signal.resample_poly``.

:func:`resample_poly_rows` gives what ``scipy.signal.resample_poly(x, up, down,
axis=0)`` gives for float32 ``(n, channels)`` samples (its default Kaiser
window, β = 5, and zero padding), bit for bit (``tests/test_resample.py``),
without importing ``scipy.signal``: that import takes about a second, as long
as decoding a whole song's media. The filter is designed here
(:func:`lowpass_taps`); the sums run in numpy for small integer upsampling
factors (:data:`NUMPY_MAX_UP`) and otherwise in scipy.signal's compiled
filter loop, loaded alone by file (:mod:`automix.audio.scipy_ext`), or in
numpy when that file is missing.

The method (facts of ``resample_poly``): a linear-phase low-pass FIR of
``2·10·max(up, down) + 1`` taps, cutoff ``1 / max(up, down)`` of Nyquist,
windowed sinc normalised to unit gain at 0 Hz (:func:`lowpass_taps`), cast to
float32 and multiplied by ``up``; the signal is upsampled by ``up`` (zeros
between samples), filtered and kept every ``down``-th sample, shifted so that
output sample k lies at input position ``k·down/up``. Output sample ``i``
(before the shift) sums ``x[q − P + 1 + r] · h[(P − 1 − r)·up + t]`` over
``r = 0 … P − 1`` in that order, in float32, where ``q, t = divmod(i·down, up)``
and ``P`` is the number of taps per phase; samples outside ``x`` are zero.
"""

from __future__ import annotations

import functools
import math
import threading
from typing import Callable

import numpy as np

from automix.audio.scipy_ext import load_scipy_extension
from automix.errors import AutomixError

KAISER_BETA = 5.0
"""Shape of the Kaiser window of the anti-aliasing filter (``resample_poly``'s default)."""

HALF_LENGTH_PER_RATE = 10
"""Filter half-length in taps per unit of ``max(up, down)`` (``resample_poly``'s choice)."""


NUMPY_MAX_UP = 8
"""Integer upsampling up to this factor (24 → 48 kHz, 22.05 → 44.1 kHz) is summed in numpy (a few passes
per tap, as fast as scipy's loop); other factors run scipy.signal's compiled loop, loaded by file."""

_lock = threading.Lock()
_kernel: list[Callable[..., None] | None] = []  # scipy's compiled loop, or None, once


def _reduced(up: int, down: int) -> tuple[int, int]:
    if up < 1 or down < 1:
        raise AutomixError(f"resampling factors must be positive integers, got up={up}, down={down}")
    g = math.gcd(up, down)
    return up // g, down // g


@functools.lru_cache(maxsize=32)
def lowpass_taps(up: int, down: int) -> np.ndarray:
    """The float64 anti-aliasing FIR for ``up/down`` (reduced), ``(2·10·max(up, down) + 1,)``, unit DC gain.

    A windowed sinc with cutoff ``1 / max(up, down)`` of Nyquist and a
    symmetric Kaiser window (β = :data:`KAISER_BETA`), divided by its sum.
    Read-only (cached).
    """
    up, down = _reduced(up, down)
    rate = max(up, down)
    n_taps = 2 * HALF_LENGTH_PER_RATE * rate + 1
    cutoff = 1.0 / rate
    m = np.arange(0, n_taps, dtype=np.float64) - 0.5 * (n_taps - 1)
    h = cutoff * np.sinc(cutoff * m)
    h *= np.kaiser(n_taps, KAISER_BETA)
    h /= np.sum(h)
    h.flags.writeable = False
    return h


@functools.lru_cache(maxsize=32)
def _phase_taps(up: int, down: int) -> tuple[np.ndarray, int]:
    """float32 ``(up, P)`` taps per phase, each phase reversed (``h[(P − 1 − r)·up + t]`` at ``[t, r]``), and the shift.

    The shift is the index of the first kept output of the full
    upsample-filter-downsample output (the filter is delayed to start on a
    multiple of ``down``).
    """
    half = HALF_LENGTH_PER_RATE * max(up, down)
    h = lowpass_taps(up, down).astype(np.float32) * np.float32(up)
    pre = down - half % down
    padded = np.zeros(pre + h.size + (-(pre + h.size)) % up, np.float32)
    padded[pre: pre + h.size] = h
    per_phase = padded.size // up
    table = np.ascontiguousarray(padded.reshape(per_phase, up).T[:, ::-1])
    table.flags.writeable = False
    return table, (half + pre) // down


def resampled_length(n: int, up: int, down: int) -> int:
    """Output samples of :func:`resample_poly_rows` for ``n`` input samples: ``ceil(n·up/down)``."""
    up, down = _reduced(up, down)
    return -(-n * up // down)


def resample_poly_rows(x: np.ndarray, up: int, down: int, first: int = 0, count: int | None = None) -> np.ndarray:
    """Samples ``first … first + count`` of ``x`` resampled by ``up/down`` along axis 0.

    Args:
        x: float32 ``(n, channels)``.
        up, down: the factor (positive integers; reduced by their gcd).
        first: first output sample to compute (0 = the first of ``resample_poly``'s output).
        count: how many (default: to the end, :func:`resampled_length`); outputs
            past the end continue the filtered signal (zeros after ``x``).

    Returns:
        float32 ``(count, channels)``: ``scipy.signal.resample_poly(x, up, down,
        axis=0)[first:first + count]``, bit for bit.
    """
    up, down = _reduced(up, down)
    x = np.asarray(x)
    if x.dtype != np.float32 or x.ndim != 2:
        raise AutomixError(f"resample_poly_rows needs float32 (n, channels) samples, got {x.dtype} {x.shape}")
    n = x.shape[0]
    if count is None:
        count = max(resampled_length(n, up, down) - first, 0)
    if first < 0 or count < 0:
        raise AutomixError(f"resampling: negative output range first={first}, count={count}")
    if up == down == 1:
        out = np.zeros((count, x.shape[1]), np.float32)
        part = x[first: first + count]
        out[:part.shape[0]] = part
        return out
    if count == 0:
        return np.zeros((0, x.shape[1]), np.float32)
    table, shift = _phase_taps(up, down)
    kernel = None if down == 1 and up <= NUMPY_MAX_UP else _upfirdn_kernel()
    if kernel is None:
        return _by_phase(x, table, first + shift, count, up, down)
    return _by_kernel(x, table, first + shift, count, up, down, kernel)


def _input_span(x: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """float32 ``(hi − lo, channels)``: ``x[lo:hi]`` with zeros outside ``x``."""
    if 0 <= lo and hi <= x.shape[0]:
        return x[lo:hi]
    span = np.zeros((hi - lo, x.shape[1]), np.float32)
    a, b = max(lo, 0), min(hi, x.shape[0])
    if b > a:
        span[a - lo: b - lo] = x[a:b]
    return span


def _by_phase(x: np.ndarray, table: np.ndarray, i0: int, count: int, up: int, down: int) -> np.ndarray:
    """Outputs ``i0 …`` of the full upsample-filter-downsample output, summed in numpy in ``resample_poly``'s order.

    Outputs ``i0 + offset + up·j`` share one phase of taps and read the input
    ``down·j`` samples after output ``i0 + offset`` does: per phase and tap,
    one multiply and one add over all of them (contiguous when ``down`` is 1).
    """
    per_phase = table.shape[1]
    lo = i0 * down // up - per_phase + 1
    span = _input_span(x, lo, (i0 + count - 1) * down // up + 1)
    out = np.empty((count, x.shape[1]), np.float32)
    rows = -(-count // up)
    acc_buf = np.empty((rows, x.shape[1]), np.float32)
    prod_buf = np.empty((rows, x.shape[1]), np.float32)
    for offset in range(min(up, count)):
        q, t = divmod((i0 + offset) * down, up)
        m = (count - offset + up - 1) // up
        acc, prod = acc_buf[:m], prod_buf[:m]
        acc[...] = 0.0
        start = q - per_phase + 1 - lo
        taps = table[t]
        for r in range(per_phase):
            s = start + r
            np.multiply(span[s: s + (m - 1) * down + 1: down], taps[r], out=prod)
            np.add(acc, prod, out=acc)
        out[offset::up] = acc
    return out


def _upfirdn_kernel() -> Callable[..., None] | None:
    """The compiled filter loop of scipy.signal (``_apply``) and its zero-padding mode, loaded once by file."""
    with _lock:
        if not _kernel:
            module = load_scipy_extension("signal", "_upfirdn_apply")
            try:
                apply, zero_mode = module._apply, module.mode_enum("constant")
            except AttributeError:  # missing (None) or another layout
                _kernel.append(None)
            else:
                _kernel.append(lambda x, taps, out, up, down: apply(x, taps, out, up, down, 0, zero_mode, 0.0))
        return _kernel[0]


def _by_kernel(x: np.ndarray, table: np.ndarray, i0: int, count: int, up: int, down: int,
               kernel: Callable[..., None]) -> np.ndarray:
    """Outputs ``i0 …`` of the full upsample-filter-downsample output, by scipy's compiled loop.

    The loop stops after output ``i0 + count − 1``; ``x`` is extended with
    zeros when the outputs asked for reach past its filtered end.
    """
    per_phase = table.shape[1]
    needed = -(-(i0 + count) * down // up) - per_phase + 1  # input samples the last output reaches
    x = _input_span(x, 0, max(needed, x.shape[0])) if needed > x.shape[0] else np.ascontiguousarray(x)
    out = np.zeros((i0 + count, x.shape[1]), np.float32)
    kernel(x, table.ravel(), out, up, down)
    return out[i0:]
