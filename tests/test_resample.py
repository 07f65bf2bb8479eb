"""The polyphase resampler against scipy.signal.resample_poly's numbers, and the analysis it feeds."""

from __future__ import annotations

import math

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import firwin, resample_poly

from automix.audio import render, resample
from automix.audio.resample import lowpass_taps, resample_poly_rows, resampled_length
from automix.errors import AutomixError
from automix.features.analysis import analyse_project
from automix.features.region import REGION_FEATURE_NAMES
from automix.project.reader import read_project
from rpp_factory import FactoryItem, FactoryTrack, write_project

LENGTHS = (1, 7, 100, 2049)


def _noise(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, 2)).astype(np.float32)


@pytest.mark.parametrize("up,down", [(2, 1), (1, 2), (160, 147), (147, 160), (3, 1), (441, 480), (1, 64), (64, 1)])
def test_the_filter_is_resample_polys_in_float32(up, down):
    g = math.gcd(up, down)
    rate = max(up, down) // g
    reference = firwin(2 * 10 * rate + 1, 1.0 / rate, window=("kaiser", 5.0))
    ours = lowpass_taps(up, down)
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(ours.astype(np.float32), reference.astype(np.float32))  # what the filter uses
    assert np.sum(ours) == pytest.approx(1.0, abs=1e-12)  # unit gain at 0 Hz


FACTORS = [(2, 1), (3, 1), (8, 1), (9, 1), (1, 2), (160, 147), (147, 160), (441, 480), (7, 5), (1, 64), (64, 1)]


@pytest.fixture(params=["kernel", "numpy"])
def loop(request, monkeypatch):
    """Both ways of summing: scipy's compiled loop loaded by file (where used), and numpy alone (its fallback)."""
    if request.param == "numpy":
        monkeypatch.setattr(resample, "_kernel", [None])
    else:
        assert resample._upfirdn_kernel() is not None  # this scipy's layout has the loop where it is looked for
    return request.param


@pytest.mark.parametrize("up,down", FACTORS)
@pytest.mark.parametrize("n", LENGTHS)
def test_output_equals_resample_poly_bit_for_bit(loop, up, down, n):
    x = _noise(n, seed=up * 1000 + down + n)
    expected = resample_poly(x, up, down, axis=0)
    got = resample_poly_rows(x, up, down)
    assert got.dtype == np.float32 and got.shape == expected.shape
    assert got.shape[0] == resampled_length(n, up, down) == math.ceil(n * up / down)
    np.testing.assert_array_equal(got, expected)
    for k0 in (0, expected.shape[0] // 3, expected.shape[0] - 1):
        k = min(5, expected.shape[0] - k0)
        np.testing.assert_array_equal(resample_poly_rows(x, up, down, k0, k), expected[k0:k0 + k])


def test_outputs_past_the_end_continue_with_zeros_after_the_input():
    x = _noise(50)
    longer = resample_poly(np.concatenate([x, np.zeros((40, 2), np.float32)]), 147, 160, axis=0)
    np.testing.assert_array_equal(resample_poly_rows(x, 147, 160, 10, 60), longer[10:70])


def test_bad_factors_and_samples_are_refused():
    with pytest.raises(AutomixError, match=r"positive integers, got up=0, down=3"):
        resample_poly_rows(_noise(10), 0, 3)
    with pytest.raises(AutomixError, match=r"needs float32 \(n, channels\) samples, got float64 \(10, 2\)"):
        resample_poly_rows(_noise(10).astype(np.float64), 2, 1)
    with pytest.raises(AutomixError, match=r"negative output range first=-1"):
        resample_poly_rows(_noise(10), 2, 1, -1, 3)


SR = 48000


def _resampled_project(tmp_path, media_rate: int):
    """Two tracks: noise bursts and a chord, both at ``media_rate`` in a 48 kHz project."""
    media = tmp_path / "media"
    media.mkdir()
    rng = np.random.default_rng(3)
    t = np.arange(3 * media_rate) / media_rate
    chord = sum(0.2 * np.sin(2 * np.pi * f * t) for f in (110.0, 277.0, 1650.0))
    burst = rng.standard_normal((3 * media_rate, 2)) * 0.3 * (np.sin(2 * np.pi * 2 * t) > 0)[:, None]
    sf.write(str(media / "chord.wav"), np.stack([chord, 0.5 * chord], axis=1), media_rate, subtype="FLOAT")
    sf.write(str(media / "burst.wav"), burst, media_rate, subtype="FLOAT")
    tracks = [FactoryTrack("Keys", [FactoryItem(0.0, 3.0, "media/chord.wav")]),
              FactoryTrack("Noise", [FactoryItem(0.25, 2.5, "media/burst.wav")])]
    return write_project(tmp_path / "song.rpp", tracks, regions=[(1, "A", 0.0, 1.5), (2, "B", 1.5, 3.0)],
                         sample_rate=SR)


@pytest.mark.parametrize("media_rate", [24000, 44100, 96000])
def test_features_of_resampled_media_equal_those_with_scipy(tmp_path, monkeypatch, media_rate):
    project = read_project(_resampled_project(tmp_path, media_rate))
    ours = analyse_project(project, use_cache=False, threads=1).vectors()

    def scipy_rows(x, up, down, first, count):
        return resample_poly(x, up, down, axis=0)[first:first + count]

    monkeypatch.setattr(render, "resample_poly_rows", scipy_rows)
    theirs = analyse_project(project, use_cache=False, threads=1).vectors()
    assert ours.shape == theirs.shape == (2, 2, len(REGION_FEATURE_NAMES))
    np.testing.assert_array_equal(ours, theirs)
    assert ours[0, 0, REGION_FEATURE_NAMES.index("rms_db")] == pytest.approx(
        20 * math.log10(0.75 * 0.2 * math.sqrt(3 / 2)), abs=0.1)  # three sines; downmix (L + R) / 2 = 0.75 L
