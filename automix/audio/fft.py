"""Real FFT of rows, computed as ``scipy.fft.rfft`` computes it, without importing ``scipy.fft``.

``scipy.fft.rfft`` is pocketfft's ``r2c`` in the C++ extension module
``scipy/fft/_pocketfft/pypocketfft``. Importing the ``scipy.fft`` package
costs 0.3–0.5 s per process (it loads ``scipy.special`` and copies numpy's
namespace for the array API, which imports ``numpy.f2py`` and
``numpy.testing``): a third of the time it takes to decode the media of a
16-track song. :func:`rfft_rows` loads that extension module alone, from its
file inside the installed scipy (about 5 ms, :mod:`automix.audio.scipy_ext`), and calls ``r2c`` with the
arguments ``scipy.fft.rfft`` passes for a float array (no normalisation, one
worker): the spectra are bit-identical (``tests/test_fft.py``). Where the file
is missing or does not load (another scipy layout), ``scipy.fft.rfft`` is
imported and used instead.
"""

from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from automix.audio.scipy_ext import load_scipy_extension

_lock = threading.Lock()
_r2c: list[Callable[[np.ndarray, int], np.ndarray]] = []  # the loaded transform, once


def _load_pocketfft_r2c() -> Callable[[np.ndarray, int], np.ndarray] | None:
    """``r2c`` of scipy's pocketfft extension loaded by file, or None when it cannot be."""
    module = load_scipy_extension("fft/_pocketfft", "pypocketfft")
    r2c = getattr(module, "r2c", None)
    if r2c is None:
        return None
    return lambda x, axis: r2c(x, (axis,), True, 0, None, 1)  # forward, no scaling, one worker


def _scipy_rfft(x: np.ndarray, axis: int) -> np.ndarray:
    from scipy.fft import rfft  # the fallback: the whole scipy.fft package

    return rfft(x, axis=axis)


def _transform() -> Callable[[np.ndarray, int], np.ndarray]:
    with _lock:
        if not _r2c:
            _r2c.append(_load_pocketfft_r2c() or _scipy_rfft)
        return _r2c[0]


def rfft_rows(x: np.ndarray) -> np.ndarray:
    """Real FFT along the last axis of C-contiguous float32 or float64 ``(..., n)``.

    Returns complex64 / complex128 ``(..., n // 2 + 1)``, equal bit for bit
    to ``scipy.fft.rfft(x, axis=-1)``. The input is left unchanged.
    """
    if x.dtype not in (np.float32, np.float64) or not x.flags.c_contiguous or not x.flags.aligned:
        raise TypeError(f"rfft_rows needs a C-contiguous float32 or float64 array, got {x.dtype} "
                        f"{'contiguous' if x.flags.c_contiguous else 'strided'}")
    return _transform()(x, x.ndim - 1)
