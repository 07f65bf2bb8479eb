"""automix.audio.filters: numpy SOS response and block-wise filtering that stays fast through silence."""

from __future__ import annotations

import numpy as np
from scipy.signal import sosfilt as scipy_sosfilt
from scipy.signal import sosfreqz

from automix.audio.filters import STATE_FLUSH, sos_response, sosfilt
from automix.audio.loudness import k_weighting_sos


def test_sos_response_matches_scipy():
    for sr in (8000, 44100, 96000):
        sos = k_weighting_sos(sr)
        f = np.linspace(0.0, sr / 2, 501)
        _, h = sosfreqz(sos, worN=f, fs=sr)
        np.testing.assert_allclose(sos_response(sos, f, sr), h, rtol=1e-12, atol=1e-12)


def test_silence_after_sound_flushes_the_state_to_exact_zero():
    sr = 48000
    sos = k_weighting_sos(sr)  # a 38 Hz high-pass: its state decays slowly
    rng = np.random.default_rng(0)
    blocks = [rng.standard_normal((sr, 2)) * 0.3] + [np.zeros((sr, 2))] * 12
    zi = np.zeros((sos.shape[0], 2, 2))
    ours, zf_ours = [], zi
    ref, zf_ref = [], zi
    for b in blocks:
        y, zf_ours = sosfilt(sos, b, zi=zf_ours)
        ours.append(y)
        y, zf_ref = scipy_sosfilt(sos, b, axis=0, zi=zf_ref)
        ref.append(y)
    np.testing.assert_allclose(np.concatenate(ours), np.concatenate(ref), rtol=0, atol=1e-25)
    assert np.all(ours[-1] == 0.0) and np.all(zf_ours == 0.0)  # silence is exact: no subnormal numbers
    assert 0 < np.abs(zf_ref[zf_ref != 0]).min() < STATE_FLUSH  # without the flush the state lingers


def test_without_state_it_is_scipy_sosfilt():
    sos = k_weighting_sos(44100)
    x = np.random.default_rng(1).standard_normal((1000, 2))
    np.testing.assert_array_equal(sosfilt(sos, x), scipy_sosfilt(sos, x, axis=0))
