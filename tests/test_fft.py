"""The frame FFT: pocketfft loaded without the scipy.fft package, bit-identical to scipy.fft.rfft."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from automix.audio import fft
from automix.audio.fft import rfft_rows


@pytest.mark.parametrize("dtype, n", [(np.float32, 882), (np.float32, 960), (np.float64, 882), (np.float32, 1023)])
def test_rows_equal_scipy_rfft_bit_for_bit(dtype, n):
    from scipy.fft import rfft

    x = np.random.default_rng(n).standard_normal((300, n)).astype(dtype)
    before = x.copy()
    y = rfft_rows(x)
    assert y.dtype == (np.complex64 if dtype == np.float32 else np.complex128) and y.shape == (300, n // 2 + 1)
    np.testing.assert_array_equal(y, rfft(x.copy(), axis=1, overwrite_x=True))
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_sine_on_a_bin_has_magnitude_half_the_frame_there(dtype):
    """1 kHz at 48 kHz in 960-sample frames is bin 20 exactly: |X[20]| = n / 2, the other bins ~0."""
    n = 960
    s = rfft_rows(np.sin(2 * np.pi * 1000.0 * np.arange(n) / 48000.0)[None, :].astype(dtype))[0]
    assert abs(s[20]) == pytest.approx(n / 2, rel=1e-5)
    assert np.max(np.abs(np.delete(s, 20))) < 1e-3 * n


def test_strided_or_integer_input_is_refused_with_its_type():
    with pytest.raises(TypeError, match="int64"):
        rfft_rows(np.zeros((2, 8), np.int64))
    with pytest.raises(TypeError, match="strided"):
        rfft_rows(np.zeros((8, 4), np.float32).T)


def test_the_fallback_is_scipy_fft(monkeypatch):
    monkeypatch.setattr(fft, "_r2c", [])
    monkeypatch.setattr(fft, "_load_pocketfft_r2c", lambda: None)
    x = np.random.default_rng(0).standard_normal((4, 100)).astype(np.float32)
    from scipy.fft import rfft

    np.testing.assert_array_equal(rfft_rows(x), rfft(x, axis=1))
    assert fft._r2c == [fft._scipy_rfft]


def test_frame_features_do_not_import_the_scipy_fft_package():
    """Importing scipy.fft costs 0.3-0.5 s of every mix; the features get the same transform without it."""
    code = ("import sys, numpy as np; from automix.features.frame import compute_frame_features; "
            "y = np.random.default_rng(0).standard_normal((44100, 2)).astype(np.float32); "
            "f = compute_frame_features(y, sample_rate=44100); "
            "print(f.centroid_hz.shape[0], sorted(m for m in ('scipy.fft', 'scipy.special', 'scipy.signal') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["50", "[]"]
