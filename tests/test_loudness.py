"""automix.audio.loudness: BS.1770-4 facts and agreement with pyloudnorm (reference only)."""

from __future__ import annotations

import numpy as np
import pytest
from audio_factory import make_multitrack

from automix.audio.loudness import (
    LoudnessMeter,
    integrated_loudness,
    integrated_loudness_blocks,
    k_weighting_sos,
    momentary_loudness,
)


def _song(sample_rate: int, seconds: float = 6.0) -> np.ndarray:
    t = make_multitrack(sample_rate, seconds, seed=9)
    left = t["kick"] + t["snare"] + 0.7 * t["guitar"] + t["bass"]
    right = t["kick"] + t["snare"] + 0.7 * t["vocal"] + t["bass"] + t["hihat"]
    return np.stack([left, right], axis=1) * 0.5


def test_standard_48k_coefficients_are_reproduced():
    sos = k_weighting_sos(48000)
    np.testing.assert_allclose(sos[0, :3], [1.53512485958697, -2.69169618940638, 1.19839281085285], atol=1e-9)
    np.testing.assert_allclose(sos[0, 4:], [-1.69065929318241, 0.73248077421585], atol=1e-9)
    np.testing.assert_allclose(sos[1, 4:], [-1.99004745483398, 0.99007225036621], atol=1e-9)


def test_full_scale_997hz_sine_in_one_channel_is_minus_3_01_lufs():
    sr = 48000
    x = np.zeros((5 * sr, 2))
    x[:, 0] = np.sin(2 * np.pi * 997.0 * np.arange(5 * sr) / sr)
    assert integrated_loudness(x, sr) == pytest.approx(-3.01, abs=0.05)


@pytest.mark.parametrize("sr", [44100, 48000])
def test_within_0_1_lu_of_pyloudnorm(sr):
    pyln = pytest.importorskip("pyloudnorm")
    x = _song(sr)
    ours = integrated_loudness(x, sr)
    ref = pyln.Meter(sr).integrated_loudness(x)
    assert abs(ours - ref) <= 0.1, (ours, ref)


def test_gates_ignore_silence_and_quiet_passages():
    sr = 44100
    x = _song(sr, 4.0)
    base = integrated_loudness(x, sr)
    with_silence = np.concatenate([x, np.zeros((4 * sr, 2))])
    # absolute gate: doubling the length with silence would lower an ungated mean by 3 dB;
    # only the few 400 ms blocks straddling the end of the music still count
    assert integrated_loudness(with_silence, sr) == pytest.approx(base, abs=0.3)
    quiet = np.concatenate([x, x * 10 ** (-30 / 20)])  # 30 dB down: below the relative gate
    assert integrated_loudness(quiet, sr) == pytest.approx(base, abs=0.3)
    assert integrated_loudness(x * 0.5, sr) == pytest.approx(base - 6.02, abs=0.01)
    assert integrated_loudness(np.zeros((sr, 2)), sr) == -np.inf
    assert integrated_loudness(x[: sr // 10], sr) == -np.inf  # shorter than one 400 ms block


def test_streaming_equals_one_shot():
    sr = 44100
    x = _song(sr, 3.0)
    blocks = [x[i:i + 3001] for i in range(0, x.shape[0], 3001)]
    assert integrated_loudness_blocks(blocks, sr) == pytest.approx(integrated_loudness(x, sr), abs=1e-9)
    m = LoudnessMeter(sr, 2)
    for b in blocks:
        m.push(b)
    assert m.hop_energies.shape[0] == x.shape[0] // int(0.1 * sr)


def test_momentary_loudness_of_steady_and_stepped_tones():
    sr = 48000
    t = np.arange(3 * sr) / sr
    x = np.sin(2 * np.pi * 997.0 * t)
    x[2 * sr:] *= 0.1  # −20 dB for the last second
    m = momentary_loudness(x, sr)
    assert m.shape == ((3 * sr - int(0.4 * sr)) // int(0.1 * sr) + 1,)
    assert np.allclose(m[:15], -3.01, atol=0.05)  # mono signal counts as one channel
    assert np.allclose(m[-5:], -23.01, atol=0.05)
