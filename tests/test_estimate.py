"""Known-truth tests of automix.estimate.finished_mix: mixes built by an independent numpy mixer.

The mixer here shares no code with the estimator. Per region it applies a
gain (dB), a constant-power pan (L = √2·cos θ, R = √2·sin θ, θ = (pan+1)·π/4,
the law the estimator reports in) and per-band EQ gains realised by
complementary zero-phase FFT crossovers (raised-cosine over ±3 % around each
band edge of automix.audio.bands) that sum to identity, so "band gain" has a
well-defined truth inside each band.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_factory import make_multitrack

from automix.audio.panlaw import (
    channel_gains_from_gain_pan,
    gain_pan_from_channel_gains,
)
from automix.estimate.finished_mix import estimate_from_arrays
from automix.features.region import RegionSpan

SHARED = Path(__file__).resolve().parents[2] / "shared"
CAMBRIDGE = SHARED / "audio" / "cambridge-actions-south-of-the-water-raw"
EDGES_HZ = (120.0, 500.0, 2000.0, 6000.0)
CROSSOVER_REL = 0.03


def mixer_pan(pan: float) -> tuple[float, float]:
    theta = (pan + 1.0) * math.pi / 4.0
    return math.sqrt(2.0) * math.cos(theta), math.sqrt(2.0) * math.sin(theta)


@functools.lru_cache(maxsize=8)
def _weights_for(n: int, sample_rate: int) -> np.ndarray:
    return crossover_weights(np.fft.rfftfreq(n, 1.0 / sample_rate))


def crossover_weights(freqs: np.ndarray) -> np.ndarray:
    """(5, n_bins) band weights summing to 1 at every frequency."""
    lows = []
    for e in EDGES_HZ:
        lo, hi = e / (1 + CROSSOVER_REL), e * (1 + CROSSOVER_REL)
        with np.errstate(divide="ignore"):
            u = np.clip((np.log(np.maximum(freqs, 1e-9)) - math.log(lo)) / (math.log(hi) - math.log(lo)), 0, 1)
        lows.append(0.5 * (1 + np.cos(np.pi * u)))  # 1 below the edge, 0 above
    bands = [lows[0]] + [lows[i + 1] - lows[i] for i in range(3)] + [1 - lows[3]]
    return np.stack(bands)


def eq(x: np.ndarray, sample_rate: int, band_gains_db: np.ndarray) -> np.ndarray:
    n = x.shape[0]
    w = _weights_for(n, sample_rate)
    h = (10.0 ** (np.asarray(band_gains_db) / 20.0)) @ w
    return np.fft.irfft(np.fft.rfft(x) * h, n)


def mix_tracks(tracks: dict[str, np.ndarray], sample_rate: int, bounds_s: list[float],
               gains_db: np.ndarray, pans: np.ndarray, eq_db: np.ndarray | None = None) -> np.ndarray:
    """gains_db/pans (n_regions, n_tracks); eq_db (n_regions, n_tracks, 5) or None."""
    n = next(iter(tracks.values())).shape[0]
    out = np.zeros((n, 2))
    for r in range(len(bounds_s) - 1):
        a, b = int(bounds_s[r] * sample_rate), int(bounds_s[r + 1] * sample_rate)
        for k, x in enumerate(tracks.values()):
            y = x if eq_db is None else eq(x, sample_rate, eq_db[r, k])
            lg, rg = mixer_pan(pans[r, k])
            g = 10.0 ** (gains_db[r, k] / 20.0)
            out[a:b, 0] += g * lg * y[a:b]
            out[a:b, 1] += g * rg * y[a:b]
    return out


def _regions(bounds: list[float]) -> list[RegionSpan]:
    return [RegionSpan(f"r{i}", bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


def _random_truth(rng: np.random.Generator, n_regions: int, n_tracks: int):
    gains = rng.uniform(-24.0, 6.0, (n_regions, n_tracks))
    pans = rng.uniform(-1.0, 1.0, (n_regions, n_tracks))
    return gains, pans


def _errors(est, gains, pans, names):
    g_err, p_err = [], []
    for r, reg in enumerate(est.regions):
        for k, t in enumerate(reg.tracks):
            assert t.track == names[k]
            if not t.confident:
                continue
            g_err.append(abs(t.gain_db - gains[r, k]))
            p_err.append(abs(t.pan - pans[r, k]))
    return np.array(g_err), np.array(p_err)


def test_pan_law_round_trip_and_known_points():
    assert gain_pan_from_channel_gains(1.0, 1.0) == pytest.approx((1.0, 0.0))
    g, p = gain_pan_from_channel_gains(math.sqrt(2.0), 0.0)
    assert (g, p) == pytest.approx((1.0, -1.0))
    for gain, pan in [(0.5, 0.3), (2.0, -0.8), (1.0, 1.0)]:
        assert gain_pan_from_channel_gains(*channel_gains_from_gain_pan(gain, pan)) == pytest.approx((gain, pan))
        assert channel_gains_from_gain_pan(gain, pan) == pytest.approx(tuple(gain * v for v in mixer_pan(pan)))


def test_known_truth_gains_and_pans_synth_with_bleed():
    sr = 22050
    tracks = make_multitrack(sr, 12.0, seed=1)
    rng = np.random.default_rng(7)
    bounds = [0.0, 4.0, 8.0, 12.0]
    gains, pans = _random_truth(rng, 3, len(tracks))
    mix = mix_tracks(tracks, sr, bounds, gains, pans)
    mix += 1e-5 * rng.standard_normal(mix.shape)  # a noise floor ~ −100 dBFS
    est = estimate_from_arrays(list(tracks.items()), mix, sr, _regions(bounds))
    g_err, p_err = _errors(est, gains, pans, list(tracks))
    n_conf = sum(t.confident for r in est.regions for t in r.tracks)
    assert n_conf >= 18  # vocal is silent in the first 3 s only; everything else plays
    assert np.median(g_err) <= 0.25 and np.percentile(g_err, 95) <= 1.0, g_err
    assert p_err.max() <= 0.03, p_err


def test_known_truth_eq_band_gains_synth():
    sr = 22050
    tracks = make_multitrack(sr, 8.0, seed=2)
    rng = np.random.default_rng(3)
    bounds = [0.0, 4.0, 8.0]
    gains, pans = _random_truth(rng, 2, len(tracks))
    eq_db = rng.uniform(-9.0, 9.0, (2, len(tracks), 5))
    mix = mix_tracks(tracks, sr, bounds, gains, pans, eq_db)
    est = estimate_from_arrays(list(tracks.items()), mix, sr, _regions(bounds))
    errs = []
    for r, reg in enumerate(est.regions):
        for k, (name, x) in enumerate(tracks.items()):
            t = reg.tracks[k]
            a, b = int(bounds[r] * sr), int(bounds[r + 1] * sr)
            seg = x[a:b]
            if t.gain_db is None or not np.any(seg):
                continue
            # only bands where the track has energy within 30 dB of its strongest band
            w = crossover_weights(np.fft.rfftfreq(seg.shape[0], 1.0 / sr))
            band_e = (np.abs(np.fft.rfft(seg)) ** 2) @ w.T
            for band in np.flatnonzero(band_e > band_e.max() * 1e-3):
                truth = gains[r, k] + eq_db[r, k, band]
                errs.append(abs(t.gain_db + t.eq_db[band] - truth))
    errs = np.array(errs)
    assert errs.size >= 40
    assert np.median(errs) <= 0.5, errs
    assert np.percentile(errs, 90) <= 2.0, errs


def test_polarity_flip_and_offset_are_detected_and_corrected():
    sr = 22050
    tracks = make_multitrack(sr, 6.0, seed=4)
    gains = np.array([[-3.0, -6.0, -10.0, 0.0, -4.0, -2.0, -12.0]])
    pans = np.zeros((1, 7))
    mix = mix_tracks(tracks, sr, [0.0, 6.0], gains, pans)
    shifted = dict(tracks)
    g = tracks["guitar"]
    shifted["guitar"] = -np.concatenate([g[47:], np.zeros(47)])  # stem early by 47 samples, inverted
    est = estimate_from_arrays(list(shifted.items()), mix, sr)
    al = {a.track: a for a in est.alignments}
    assert al["guitar"].offset_samples == 47 and al["guitar"].polarity == -1
    assert any("guitar" in w and "polarity inverted" in w for w in est.warnings)
    assert all(al[n].offset_samples == 0 and al[n].polarity == 1 for n in tracks if n != "guitar")
    gt = est.regions[0].tracks[4]
    assert gt.gain_db == pytest.approx(-4.0, abs=0.1)


def test_smoothing_tracks_a_gain_step():
    sr = 22050
    tracks = make_multitrack(sr, 8.0, seed=5, bleed=False)
    names = ["guitar", "pad"]
    sel = {n: tracks[n] for n in names}
    gains = np.array([[0.0, -6.0], [-12.0, -6.0]])
    mix = mix_tracks(sel, sr, [0.0, 4.0, 8.0], gains, np.zeros((2, 2)))
    est = estimate_from_arrays(list(sel.items()), mix, sr, smoothing=0.5)
    t, g = est.frame_times_s, est.frame_gain_db
    assert g.shape == (8, 2) and t[4] == pytest.approx(4.0, abs=0.01)
    truth_amp = np.where(t + 0.5 < 4.0, 1.0, 10.0 ** (-12.0 / 20.0))
    expected = [truth_amp[0]]
    for a in truth_amp[1:]:
        expected.append(0.5 * expected[-1] + 0.5 * a)  # EMA with coefficient 0.5, in amplitude
    expected_db = 20.0 * np.log10(expected)
    assert np.allclose(g[:, 0], expected_db, atol=0.3), (g[:, 0], expected_db)
    assert expected_db[4] - expected_db[-1] > 2.0  # the test does exercise the smoothing
    assert np.allclose(g[:, 1], -6.0, atol=0.1)


@pytest.mark.skipif(not CAMBRIDGE.is_dir(), reason="needs ../shared/audio/cambridge-actions-south-of-the-water-raw")
def test_known_truth_on_real_raw_tracks_with_natural_bleed():
    names = ["01_KickTrigger", "02_Snare", "04_Tom1", "06_Tambourine", "08_ElecGtr1", "10_ElecGtr3",
             "11_ElecGtr4", "12_AcGtr1", "16_LeadVoxDT", "17_BackingVox1", "18_BackingVox2"]
    tracks = {}
    sr = 44100
    for n in names:
        x, sr = sf.read(CAMBRIDGE / f"{n}.wav", start=5 * 44100, frames=9 * 44100, dtype="float64",
                        always_2d=True)
        tracks[n] = np.pad(x[:, 0], (0, 9 * sr - x.shape[0]))
    rng = np.random.default_rng(11)
    bounds = [0.0, 3.0, 6.0, 9.0]
    gains, pans = _random_truth(rng, 3, len(tracks))
    eq_db = rng.uniform(-9.0, 9.0, (3, len(tracks), 5))
    mix = mix_tracks(tracks, sr, bounds, gains, pans)
    est = estimate_from_arrays(list(tracks.items()), mix, sr, _regions(bounds))
    assert not [a for a in est.alignments if a.changes_signal]  # doubled parts must not fake an offset
    g_err, p_err = _errors(est, gains, pans, names)
    assert g_err.size >= 15
    assert np.median(g_err) <= 0.25 and np.percentile(g_err, 95) <= 1.0, g_err
    assert p_err.max() <= 0.03, p_err
    # with EQ: absolute band gains inside bands where the track has energy
    mix_eq = mix_tracks(tracks, sr, bounds, gains, pans, eq_db)
    est = estimate_from_arrays(list(tracks.items()), mix_eq, sr, _regions(bounds))
    errs = []
    for r, reg in enumerate(est.regions):
        for k, t in enumerate(reg.tracks):
            if t.gain_db is None or t.eq_db is None:
                continue
            seg = tracks[names[k]][int(bounds[r] * sr):int(bounds[r + 1] * sr)]
            w = crossover_weights(np.fft.rfftfreq(seg.shape[0], 1.0 / sr))
            band_e = (np.abs(np.fft.rfft(seg)) ** 2) @ w.T
            for band in np.flatnonzero(band_e > band_e.max() * 1e-3):
                if math.isfinite(t.eq_db[band]):
                    errs.append(abs(t.gain_db + t.eq_db[band] - gains[r, k] - eq_db[r, k, band]))
    assert np.median(errs) <= 0.5, np.sort(errs)


def test_streamed_shift_equals_whole_array_shift():
    from automix.estimate.alignment import Alignment, apply_alignment, shift_blocks

    x = np.random.default_rng(0).standard_normal((5000, 2))
    for d in (47, -30, 0, 4000, -4999, 6000):
        a = Alignment("t", d, -1, 0.5, True)
        blocks = [x[i:i + 777] for i in range(0, 5000, 777)]
        out = list(shift_blocks(blocks, a))
        assert [len(b) for b in out] == [len(b) for b in blocks]
        np.testing.assert_array_equal(np.concatenate(out), apply_alignment(x, a))
        if 0 <= d < 5000:
            np.testing.assert_array_equal(apply_alignment(x, a)[d:], -x[: 5000 - d])
