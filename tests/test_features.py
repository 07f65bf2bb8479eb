"""automix.features.region: the streaming per-region aggregates."""

from __future__ import annotations

import math

import numpy as np
import pytest
from audio_factory import make_multitrack

from automix.audio.loudness import integrated_loudness
from automix.features.frame import compute_frame_features
from automix.features.region import (
    FLOOR_DB,
    REGION_FEATURE_NAMES,
    RegionFeatureAccumulator,
    RegionSpan,
)

SR = 16000


def test_region_accumulator_streams_like_batch_and_aggregates_per_region():
    t = make_multitrack(SR, 4.0, seed=1)
    x = np.stack([t["guitar"] + t["kick"], 0.5 * (t["guitar"] + t["kick"])], 1)
    x[int(2.0 * SR):] = 0.0  # silent second half
    regions = [RegionSpan("a", 0.0, 2.0), RegionSpan("b", 2.0, 4.0), RegionSpan("all", 0.0, 4.0)]
    acc = RegionFeatureAccumulator(SR, regions, track="gtr")
    for i in range(0, x.shape[0], 3333):
        acc.push(x[i:i + 3333])
    a, b, whole = acc.finish()
    batch = compute_frame_features(x, sample_rate=SR)
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



def _features_of(x: np.ndarray, regions: list[RegionSpan]) -> np.ndarray:
    acc = RegionFeatureAccumulator(SR, regions, background=False)
    acc.push(x)
    return np.stack([f.as_vector() for f in acc.finish()])


def test_a_quieter_recording_shifts_only_the_level_features():
    """Active frames are relative to the track's loudest frame: 30 dB quieter, the spectral means and the active
    fraction stay, the levels move by 30 dB (a fixed −50 dBFS threshold counted the quiet snare's decays as
    silence and moved its centroid)."""
    from automix.models.inputs import RECORDING_LEVEL_FEATURES

    t = make_multitrack(SR, 4.0, seed=3)
    x = np.stack([t["snare"]] * 2, 1)
    regions = [RegionSpan("a", 0.0, 2.0), RegionSpan("b", 2.0, 4.0)]
    loud, quiet = _features_of(x, regions), _features_of(x * 10 ** (-30 / 20), regions)
    level = [REGION_FEATURE_NAMES.index(n) for n in RECORDING_LEVEL_FEATURES]
    np.testing.assert_allclose(quiet[:, level], loud[:, level] - 30.0, atol=0.05)
    rest = [j for j in range(len(REGION_FEATURE_NAMES)) if j not in level]
    np.testing.assert_allclose(quiet[:, rest], loud[:, rest], rtol=1e-4, atol=1e-6)
    assert 0.05 < loud[0, REGION_FEATURE_NAMES.index("active_fraction")] < 1.0
    silence = _features_of(np.zeros((SR, 2)), [RegionSpan("all", 0.0, 1.0)])[0]
    assert silence[REGION_FEATURE_NAMES.index("active_fraction")] == 0.0  # digital silence is never active


def test_background_analysis_equals_inline_even_when_the_caller_reuses_its_buffer():
    t = make_multitrack(SR, 3.0, seed=2)
    x = np.stack([t["bass"] + t["snare"], t["vocal"]], 1).astype(np.float32)
    regions = [RegionSpan("a", 0.0, 1.5), RegionSpan("b", 1.5, 3.0)]
    inline = RegionFeatureAccumulator(SR, regions, background=False)
    background = RegionFeatureAccumulator(SR, regions, background=True)
    reused = np.empty((1000, 2), np.float32)  # one buffer refilled for every block, as a reader might
    for i in range(0, x.shape[0], 1000):
        inline.push(x[i:i + 1000])
        n = min(1000, x.shape[0] - i)
        reused[:n] = x[i:i + n]
        background.push(reused[:n])
        reused[:] = np.nan  # the accumulator must not see this
    np.testing.assert_array_equal(background.frame_features().band_energy, inline.frame_features().band_energy)
    for a, b in zip(background.finish(), inline.finish()):
        np.testing.assert_array_equal(a.as_vector(), b.as_vector())


def test_handed_over_blocks_give_the_copied_result():
    t = make_multitrack(SR, 3.0, seed=4)
    x = np.stack([t["kick"] + t["vocal"], t["vocal"]], 1).astype(np.float32)
    regions = [RegionSpan("a", 0.0, 1.0), RegionSpan("b", 1.0, 3.0)]
    copied = RegionFeatureAccumulator(SR, regions)
    handed = RegionFeatureAccumulator(SR, regions)
    for i in range(0, x.shape[0], 4321):  # blocks not a multiple of the frame: leftovers are carried
        copied.push(x[i:i + 4321])
        handed.push(x[i:i + 4321].copy(), copy=False)
    for a, b in zip(copied.finish(), handed.finish()):
        np.testing.assert_array_equal(a.as_vector(), b.as_vector())
