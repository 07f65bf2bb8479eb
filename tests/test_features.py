"""automix.features: physical facts of each frame feature and the streaming region aggregates."""

from __future__ import annotations

import math

import numpy as np
import pytest

from audio_factory import make_multitrack
from automix.errors import AutomixError
from automix.features import (FLOOR_DB, REGION_FEATURE_NAMES, RegionFeatureAccumulator, RegionSpan,
                              band_energies, compute_frame_features, frame_rms, left_right_energy,
                              spectral_centroid, spectral_slope, spectral_spread, zero_crossing_rate)
from automix.loudness import integrated_loudness

SR = 16000


def _sine(freq: float, seconds: float = 1.0, amp: float = 0.5) -> np.ndarray:
    return amp * np.sin(2 * np.pi * freq * np.arange(int(seconds * SR)) / SR)


def test_frame_rms_of_a_sine_and_frame_count():
    x = _sine(1000.0, 1.0, 0.5)
    r = frame_rms(x, SR, frame_s=0.02)
    assert r.shape == (50,)
    np.testing.assert_allclose(r, 0.5 / math.sqrt(2), rtol=1e-3)
    assert frame_rms(x, SR, frame_s=1.0, hop_s=0.25).shape == (1,)
    assert frame_rms(np.stack([x, x], 1), SR).shape == (50,)


def test_zero_crossing_rate_of_a_sine():
    z = zero_crossing_rate(_sine(500.0), SR, frame_s=0.05)
    np.testing.assert_allclose(z, 2 * 500.0 / SR, rtol=0.03)


def test_centroid_spread_of_tones():
    c = spectral_centroid(_sine(1500.0), SR)
    np.testing.assert_allclose(c, 1500.0, rtol=0.02)
    two = _sine(500.0) + _sine(2500.0)
    np.testing.assert_allclose(spectral_centroid(two, SR), 1500.0, rtol=0.02)
    np.testing.assert_allclose(spectral_spread(two, SR), 1000.0, rtol=0.03)
    assert np.all(np.isnan(spectral_centroid(np.zeros(SR), SR)))


def test_spectral_slope_of_white_and_pink_noise():
    rng = np.random.default_rng(0)
    white = rng.standard_normal(4 * SR)
    assert np.median(spectral_slope(white, SR, frame_s=0.1)) == pytest.approx(0.0, abs=0.3)
    spec = np.fft.rfft(rng.standard_normal(4 * SR))
    f = np.fft.rfftfreq(4 * SR, 1 / SR)
    spec[1:] /= np.sqrt(f[1:])  # power ∝ 1/f: −3.01 dB per octave
    pink = np.fft.irfft(spec, 4 * SR)
    assert np.median(spectral_slope(pink, SR, frame_s=0.1)) == pytest.approx(-3.01, abs=0.4)


def test_band_energies_place_tones_in_their_band_and_sum_to_mean_square():
    for freq, band in [(60.0, 0), (300.0, 1), (1000.0, 2), (4000.0, 3), (7000.0, 4)]:
        e = band_energies(_sine(freq, amp=0.5), SR, frame_s=0.05)
        assert e.shape == (20, 5)
        share = e[:, band].sum() / e.sum()
        assert share > 0.99, (freq, share)
        np.testing.assert_allclose(e.sum(axis=1), 0.125, rtol=0.03)  # A²/2


def test_left_right_energy_follows_channel_levels():
    x = _sine(700.0)
    lr = left_right_energy(np.stack([x, 0.5 * x], 1), SR)
    np.testing.assert_allclose(lr[:, 1] / lr[:, 0], 0.25, rtol=1e-6)
    mono = left_right_energy(x, SR)
    np.testing.assert_allclose(mono[:, 0], mono[:, 1])


def test_compute_frame_features_shapes_and_times():
    ff = compute_frame_features(_sine(440.0, 1.0), SR, frame_s=0.04, hop_s=0.02, start_s=10.0)
    n = 1 + (SR - 640) // 320
    assert ff.rms.shape == (n,) and ff.band_energy.shape == (n, 5) and ff.lr_energy.shape == (n, 2)
    assert ff.start_s[0] == 10.0 and ff.start_s[1] == pytest.approx(10.02)
    with pytest.raises(AutomixError, match="sample rate"):
        frame_rms(np.zeros(10), 0)


def test_region_accumulator_streams_like_batch_and_aggregates_per_region():
    t = make_multitrack(SR, 4.0, seed=1)
    x = np.stack([t["guitar"] + t["kick"], 0.5 * (t["guitar"] + t["kick"])], 1)
    x[int(2.0 * SR):] = 0.0  # silent second half
    regions = [RegionSpan("a", 0.0, 2.0), RegionSpan("b", 2.0, 4.0), RegionSpan("all", 0.0, 4.0)]
    acc = RegionFeatureAccumulator(SR, regions, track="gtr")
    for i in range(0, x.shape[0], 3333):
        acc.push(x[i:i + 3333])
    a, b, whole = acc.finish()
    batch = compute_frame_features(x, SR)
    np.testing.assert_allclose(acc.frame_features().rms, batch.rms, rtol=1e-9)
    assert len(a.as_vector()) == len(REGION_FEATURE_NAMES)
    assert a.track == "gtr" and a.region == "a"
    # spectral K-weighting on 20 ms frames: close to the exact time-domain meter
    assert a.loudness_lufs == pytest.approx(integrated_loudness(x[: 2 * SR], SR), abs=0.15)
    assert a.lr_balance_db == pytest.approx(-6.02, abs=0.01)
    assert a.active_fraction > 0.9 and b.active_fraction == 0.0
    assert b.rms_db == FLOOR_DB and math.isnan(b.centroid_hz)
    assert b.loudness_lufs < -55.0  # only the K-filter tail of the last kick is left
    assert whole.rms_db == pytest.approx(a.rms_db - 3.01, abs=0.05)  # same energy over twice the time
    assert a.band_db[0] > a.band_db[4]  # kick + guitar: more low than high energy
    assert 100.0 < a.centroid_hz < 3000.0


def test_low_sample_rate_leaves_bands_above_nyquist_empty():
    sr = 8000
    x = np.sin(2 * np.pi * 1000.0 * np.arange(sr) / sr)
    ff = compute_frame_features(x, sr)
    assert np.all(ff.band_energy[:, 4] == 0.0)  # 6 kHz–Nyquist does not exist at 8 kHz
    assert np.all(ff.band_energy[:, 2] / ff.band_energy.sum(axis=1) > 0.99)
    np.testing.assert_allclose(ff.centroid_hz, 1000.0, rtol=0.02)
