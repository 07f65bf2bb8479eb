"""automix.features.frame: physical facts of each frame feature; all-at-once = each definition = a plain float64 computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from audio_factory import make_multitrack
from scipy.signal import sosfreqz

from automix.audio.loudness import k_weighting_sos
from automix.errors import AutomixError
from automix.features.frame import (
    FRAME_FEATURE_NAMES,
    band_energies,
    compute_frame_features,
    frame_rms,
    k_weighted_energy,
    left_right_energy,
    spectral_centroid,
    spectral_slope,
    spectral_spread,
    zero_crossing_rate,
)
from automix.features.framing import (
    SLOPE_MIN_HZ,
    FrameWorkspace,
    frame_signal,
    frame_spectrum,
)

SR = 16000


def _sine(freq: float, seconds: float = 1.0, amp: float = 0.5) -> np.ndarray:
    return amp * np.sin(2 * np.pi * freq * np.arange(int(seconds * SR)) / SR)


def test_frame_rms_of_a_sine_and_frame_count():
    x = _sine(1000.0, 1.0, 0.5)
    r = frame_rms(y=x, sample_rate=SR, frame_s=0.02)
    assert r.shape == (50,)
    np.testing.assert_allclose(r, 0.5 / math.sqrt(2), rtol=1e-3)
    assert frame_rms(y=x, sample_rate=SR, frame_s=1.0, hop_s=0.25).shape == (1,)
    assert frame_rms(y=np.stack([x, x], 1), sample_rate=SR).shape == (50,)


def test_zero_crossing_rate_of_a_sine():
    z = zero_crossing_rate(y=_sine(500.0), sample_rate=SR, frame_s=0.05)
    np.testing.assert_allclose(z, 2 * 500.0 / SR, rtol=0.03)


def test_centroid_spread_of_tones():
    c = spectral_centroid(y=_sine(1500.0), sample_rate=SR)
    np.testing.assert_allclose(c, 1500.0, rtol=0.02)
    two = _sine(500.0) + _sine(2500.0)
    np.testing.assert_allclose(spectral_centroid(y=two, sample_rate=SR), 1500.0, rtol=0.02)
    np.testing.assert_allclose(spectral_spread(y=two, sample_rate=SR), 1000.0, rtol=0.03)
    assert np.all(np.isnan(spectral_centroid(y=np.zeros(SR), sample_rate=SR)))


def test_spectral_slope_of_white_and_pink_noise():
    rng = np.random.default_rng(0)
    white = rng.standard_normal(4 * SR)
    assert np.median(spectral_slope(y=white, sample_rate=SR, frame_s=0.1)) == pytest.approx(0.0, abs=0.3)
    spec = np.fft.rfft(rng.standard_normal(4 * SR))
    f = np.fft.rfftfreq(4 * SR, 1 / SR)
    spec[1:] /= np.sqrt(f[1:])  # power ∝ 1/f: −3.01 dB per octave
    pink = np.fft.irfft(spec, 4 * SR)
    assert np.median(spectral_slope(y=pink, sample_rate=SR, frame_s=0.1)) == pytest.approx(-3.01, abs=0.4)


def test_band_energies_place_tones_in_their_band_and_sum_to_mean_square():
    for freq, band in [(60.0, 0), (300.0, 1), (1000.0, 2), (4000.0, 3), (7000.0, 4)]:
        e = band_energies(y=_sine(freq, amp=0.5), sample_rate=SR, frame_s=0.05)
        assert e.shape == (20, 5)
        share = e[:, band].sum() / e.sum()
        assert share > 0.99, (freq, share)
        np.testing.assert_allclose(e.sum(axis=1), 0.125, rtol=0.03)  # A²/2


def test_left_right_energy_follows_channel_levels():
    x = _sine(700.0)
    lr = left_right_energy(y=np.stack([x, 0.5 * x], 1), sample_rate=SR)
    np.testing.assert_allclose(lr[:, 1] / lr[:, 0], 0.25, rtol=1e-6)
    mono = left_right_energy(y=x, sample_rate=SR)
    np.testing.assert_allclose(mono[:, 0], mono[:, 1])


def test_compute_frame_features_shapes_and_times():
    ff = compute_frame_features(_sine(440.0, 1.0), sample_rate=SR, frame_s=0.04, hop_s=0.02, start_s=10.0)
    n = 1 + (SR - 640) // 320
    assert ff.rms.shape == (n,) and ff.band_energy.shape == (n, 5) and ff.lr_energy.shape == (n, 2)
    assert ff.start_s[0] == 10.0 and ff.start_s[1] == pytest.approx(10.02)
    with pytest.raises(AutomixError, match="sample rate"):
        frame_rms(y=np.zeros(10), sample_rate=0)


def test_low_sample_rate_leaves_bands_above_nyquist_empty():
    sr = 8000
    x = np.sin(2 * np.pi * 1000.0 * np.arange(sr) / sr)
    ff = compute_frame_features(x, sample_rate=sr)
    assert np.all(ff.band_energy[:, 4] == 0.0)  # 6 kHz–Nyquist does not exist at 8 kHz
    assert np.all(ff.band_energy[:, 2] / ff.band_energy.sum(axis=1) > 0.99)
    np.testing.assert_allclose(ff.centroid_hz, 1000.0, rtol=0.02)


def _plain_float64_features(x: np.ndarray, sr: int, frame: int) -> dict[str, np.ndarray]:
    """The documented definitions written out directly in float64 (no shared code with automix)."""
    n = x.shape[0] // frame
    fr = x[: n * frame].reshape(n, frame, 2)
    mono = fr.mean(axis=2)
    w = np.hanning(frame + 2)[1:-1]
    p = np.abs(np.fft.rfft(mono * w, axis=1)) ** 2
    p[:, 1:] *= 2.0
    p[:, -1] /= 2.0  # even frame: the Nyquist bin counts once
    p /= frame * np.sum(w * w)
    f = np.fft.rfftfreq(frame, 1.0 / sr)
    centroid = (p @ f) / p.sum(axis=1)
    spread = np.sqrt((p @ f ** 2) / p.sum(axis=1) - centroid ** 2)
    levels, centres, lo = [], [], SLOPE_MIN_HZ
    while lo * 2 ** (1 / 3) <= sr / 2:
        hi = lo * 2 ** (1 / 3)
        sel = (f >= lo) & (f < hi)
        if sel.any():
            levels.append(10 * np.log10(p[:, sel].mean(axis=1)))
            centres.append(math.log2(math.sqrt(lo * hi)))
        lo = hi
    slope = np.polyfit(np.array(centres), np.array(levels), 1)[0]  # one fit per frame (column)
    _, h = sosfreqz(k_weighting_sos(sr), worN=f, fs=sr)
    lr = np.mean(fr ** 2, axis=1)
    return {"rms": np.sqrt(np.mean(mono ** 2, axis=1)), "centroid_hz": centroid, "spread_hz": spread,
            "slope_db_per_oct": slope, "lr_energy": lr,
            "k_energy": (p @ np.abs(h) ** 2) / p.sum(axis=1) * lr.sum(axis=1)}


def test_the_fast_path_is_each_definition_and_equals_the_plain_computation():
    t = make_multitrack(SR, 2.0, seed=3)
    x = np.stack([t["guitar"] + t["kick"] + 0.1 * t["hihat"], 0.3 * t["guitar"] + t["bass"]], 1)
    ff = compute_frame_features(x, sample_rate=SR, workspace=FrameWorkspace())
    # all at once = each feature function on the signal alone (bit for bit)
    alone = {"rms": frame_rms, "centroid_hz": spectral_centroid, "spread_hz": spectral_spread,
             "slope_db_per_oct": spectral_slope, "zcr": zero_crossing_rate, "band_energy": band_energies,
             "lr_energy": left_right_energy, "k_energy": k_weighted_energy}
    assert set(alone) | {"start_s"} == set(FRAME_FEATURE_NAMES)
    for name, fn in alone.items():
        np.testing.assert_array_equal(getattr(ff, name), fn(y=x, sample_rate=SR), err_msg=name)
    # … and, up to float32 rounding, what the definitions say, computed plainly in float64
    plain = _plain_float64_features(x, SR, int(0.02 * SR))
    loud = plain["rms"] > 1e-3
    assert loud.sum() > 0.9 * loud.size
    np.testing.assert_allclose(ff.rms, plain["rms"], rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(ff.lr_energy, plain["lr_energy"], rtol=1e-4, atol=1e-10)
    for name in ("centroid_hz", "spread_hz", "k_energy"):
        np.testing.assert_allclose(getattr(ff, name)[loud], plain[name][loud], rtol=1e-3, err_msg=name)
    np.testing.assert_allclose(ff.slope_db_per_oct[loud], plain["slope_db_per_oct"][loud], atol=0.01)
    assert np.ptp(plain["slope_db_per_oct"][loud]) > 1.0  # the frames' slopes differ: the comparison means something


def test_features_accept_the_frames_and_spectrum_already_computed():
    x = np.stack([_sine(300.0), _sine(3000.0)], 1)
    framed = frame_signal(x, sample_rate=SR, frame_s=0.04, hop_s=0.01)
    S = frame_spectrum(framed)
    np.testing.assert_array_equal(spectral_centroid(S=S), spectral_centroid(y=x, sample_rate=SR, frame_s=0.04,
                                                                            hop_s=0.01))
    np.testing.assert_allclose(spectral_centroid(S=S), 1650.0, rtol=0.01)  # equal powers at 300 and 3000 Hz
    np.testing.assert_array_equal(frame_rms(framed=framed), frame_rms(y=x, sample_rate=SR, frame_s=0.04, hop_s=0.01))
    with pytest.raises(TypeError, match="give y= and sample_rate="):
        spectral_slope()


def test_k_energy_of_a_tone_is_its_energy_times_the_k_weighting_gain():
    x = np.stack([_sine(1000.0), _sine(1000.0)], 1)
    ff = compute_frame_features(x, sample_rate=SR)
    _, h = sosfreqz(k_weighting_sos(SR), worN=[1000.0], fs=SR)
    expected = 2 * 0.125 * abs(h[0]) ** 2  # two channels of mean square 0.5²/2
    np.testing.assert_allclose(ff.k_energy, expected, rtol=0.01)


def test_silent_frames_get_no_spectrum_and_the_others_are_unchanged():
    t = make_multitrack(SR, 2.0, seed=5)
    x = np.stack([t["vocal"], t["bass"]], 1).astype(np.float32)
    frame = int(0.02 * SR)
    gapped = x.copy()
    gapped[3 * frame: 9 * frame] = 0.0  # six all-zero frames
    gapped[20 * frame: 21 * frame, 0] = 0.0  # one frame silent on the left only
    ff = compute_frame_features(gapped, sample_rate=SR)
    zero = np.zeros(ff.rms.shape[0], bool)
    zero[3:9] = True
    assert np.all(np.isnan(ff.centroid_hz[zero])) and np.all(np.isnan(ff.slope_db_per_oct[zero]))
    assert np.all(ff.band_energy[zero] == 0.0) and np.all(ff.k_energy[zero] == 0.0) and np.all(ff.rms[zero] == 0.0)
    assert np.isfinite(ff.centroid_hz[20]) and ff.lr_energy[20, 0] == 0.0 < ff.lr_energy[20, 1]
    # every sounding frame has the values it has when all frames sound (frames are independent)
    whole = compute_frame_features(x, sample_rate=SR)
    keep = ~zero
    keep[20] = False
    for name in ("centroid_hz", "spread_hz", "slope_db_per_oct", "band_energy", "k_energy", "zcr"):
        np.testing.assert_allclose(getattr(ff, name)[keep], getattr(whole, name)[keep], rtol=1e-6, atol=1e-12,
                                   err_msg=name)
    np.testing.assert_allclose(ff.band_energy, band_energies(y=gapped, sample_rate=SR), rtol=2e-3, atol=1e-9)


def test_a_reused_workspace_gives_the_same_features_for_any_block_size():
    t = make_multitrack(SR, 3.0, seed=6)
    x = np.stack([t["guitar"], t["snare"]], 1).astype(np.float32)
    ws = FrameWorkspace()
    for n, hop in [(3 * SR, None), (SR // 2, None), (2 * SR, 0.01), (SR, None)]:
        fresh = compute_frame_features(x[:n], sample_rate=SR, hop_s=hop)
        reused = compute_frame_features(x[:n], sample_rate=SR, hop_s=hop, workspace=ws)
        for name in fresh.__dataclass_fields__:
            np.testing.assert_array_equal(getattr(reused, name), getattr(fresh, name), err_msg=name)
    mono = compute_frame_features(x[:, 0], sample_rate=SR, workspace=ws)
    np.testing.assert_allclose(mono.k_energy, compute_frame_features(x[:, :1], sample_rate=SR).k_energy)
