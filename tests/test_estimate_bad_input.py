"""automix.estimate.finished_mix on bad or awkward input: a sensible result or a clear message, never nonsense."""

from __future__ import annotations

import math

import numpy as np
import pytest
from audio_factory import make_multitrack

from automix.audio.panlaw import channel_gains_from_gain_pan
from automix.errors import EstimationError
from automix.estimate.finished_mix import estimate_from_arrays
from automix.features.region import RegionSpan

SR = 22050


def _mix(tracks: dict[str, np.ndarray], gains_db: dict[str, float], pans: dict[str, float] | None = None):
    n = next(iter(tracks.values())).shape[0]
    out = np.zeros((n, 2))
    for name, x in tracks.items():
        l, r = channel_gains_from_gain_pan(10 ** (gains_db[name] / 20), (pans or {}).get(name, 0.0))
        out[:, 0] += l * x
        out[:, 1] += r * x
    return out


@pytest.fixture(scope="module")
def tracks():
    t = make_multitrack(SR, 4.0, seed=3)
    return {k: t[k] for k in ("kick", "snare", "bass", "guitar")}


GAINS = {"kick": -3.0, "snare": -8.0, "bass": 2.0, "guitar": -14.0}


def _by_name(est, region=0):
    return {t.track: t for t in est.regions[region].tracks}


def test_silent_track_is_reported_not_estimated(tracks):
    mix = _mix(tracks, GAINS)
    stems = list(tracks.items()) + [("silent", np.zeros(next(iter(tracks.values())).shape[0]))]
    est = _by_name(estimate_from_arrays(stems, mix, SR))
    assert est["silent"].gain_db is None and not est["silent"].confident
    assert "silent" in est["silent"].reasons[0]
    assert est["bass"].gain_db == pytest.approx(2.0, abs=0.05)


def test_partially_active_track_gives_right_gain_and_flag(tracks):
    t = dict(tracks)
    g = t["guitar"].copy()
    g[int(0.2 * SR):] = 0.0  # plays only in the first 0.2 s of 4 s
    t["guitar"] = g
    est = _by_name(estimate_from_arrays(list(t.items()), _mix(t, GAINS), SR))
    assert est["guitar"].active_fraction < 0.1
    assert not est["guitar"].confident and "active in only" in est["guitar"].reasons[0]
    assert est["guitar"].gain_db == pytest.approx(-14.0, abs=0.3)


def test_nan_and_inf_samples_are_replaced_and_reported(tracks):
    mix = _mix(tracks, GAINS)
    t = {k: v.copy() for k, v in tracks.items()}
    t["snare"][1000] = np.nan
    t["kick"][2000] = np.inf
    mix[3000, 0] = -np.inf
    est = estimate_from_arrays(list(t.items()), mix, SR)
    assert any("3 NaN/inf samples" in w for w in est.warnings)
    got = _by_name(est)
    for name, g in GAINS.items():
        assert math.isfinite(got[name].gain_db) and got[name].gain_db == pytest.approx(g, abs=0.3)


def test_clipped_mix_frames_are_excluded(tracks):
    mix = _mix(tracks, GAINS)
    mix *= 0.9 / np.max(np.abs(mix))
    scale_db = 20 * np.log10(0.9 / np.max(np.abs(_mix(tracks, GAINS))))
    clipped = mix.copy()
    clipped[: SR] = np.clip(clipped[: SR] * 4.0, -1.0, 1.0)  # first 1 s driven into clipping
    est = estimate_from_arrays(list(tracks.items()), clipped, SR)
    assert any("clipped" in w for w in est.warnings)
    got = _by_name(est)
    for name, g in GAINS.items():
        assert got[name].gain_db == pytest.approx(g + scale_db, abs=0.3), name


def test_float_mix_above_full_scale_is_not_mistaken_for_clipping(tracks):
    mix = _mix(tracks, GAINS)
    scale = 1.5 / np.max(np.abs(mix))  # peaks at +3.5 dBFS in a float file: loud, not clipped
    est = estimate_from_arrays(list(tracks.items()), mix * scale, SR)
    assert not any("clipped" in w for w in est.warnings)
    assert _by_name(est)["snare"].gain_db == pytest.approx(-8.0 + 20 * np.log10(scale), abs=0.05)


@pytest.mark.parametrize("mix_len_s", [3.0, 5.5])
def test_mix_shorter_or_longer_than_stems(tracks, mix_len_s):
    mix = _mix(tracks, GAINS)
    n = int(mix_len_s * SR)
    mix = mix[:n] if n <= mix.shape[0] else np.concatenate([mix, np.zeros((n - mix.shape[0], 2))])
    est = estimate_from_arrays(list(tracks.items()), mix, SR, [RegionSpan("song", 0.0, 4.0)])
    assert any("mix ends" in w for w in est.warnings) == (mix_len_s < 4.0)
    got = _by_name(est)
    for name, g in GAINS.items():
        assert got[name].gain_db == pytest.approx(g, abs=0.1), name


def test_mono_mix_reports_pan_unmeasurable(tracks):
    mix = _mix(tracks, GAINS)[:, 0]  # centre-panned: each channel is the mono mix
    est = estimate_from_arrays(list(tracks.items()), mix, SR)
    assert any("mono" in w for w in est.warnings)
    got = _by_name(est)
    assert all(t.pan == 0.0 and not t.confident for t in got.values())
    assert got["bass"].gain_db == pytest.approx(2.0, abs=0.05)


def test_stereo_stems_and_mono_stems_mixed(tracks):
    t = dict(tracks)
    t["guitar"] = np.stack([tracks["guitar"], 0.5 * tracks["guitar"]], axis=1)  # a stereo stem
    mix = _mix({k: v for k, v in tracks.items() if k != "guitar"}, GAINS)
    mix += 10 ** (-6 / 20) * t["guitar"]  # stereo stem at −6 dB, no pan
    got = _by_name(estimate_from_arrays(list(t.items()), mix, SR))
    assert got["guitar"].gain_db == pytest.approx(-6.0, abs=0.05)
    assert got["guitar"].pan == pytest.approx(0.0, abs=0.01)
    assert got["kick"].gain_db == pytest.approx(-3.0, abs=0.05)


def test_identical_stems_are_flagged_collinear_and_their_sum_is_right(tracks):
    t = dict(tracks)
    t["guitar copy"] = tracks["guitar"].copy()
    got = _by_name(estimate_from_arrays(list(t.items()), _mix(tracks, GAINS), SR))
    for name in ("guitar", "guitar copy"):
        assert not got[name].confident
        assert any("collinear" in r for r in got[name].reasons)
    total = sum(10 ** (got[n].gain_db / 20) for n in ("guitar", "guitar copy") if math.isfinite(got[n].gain_db))
    assert 20 * np.log10(total) == pytest.approx(-14.0, abs=0.1)
    assert got["kick"].confident


def test_track_absent_from_mix_is_flagged(tracks):
    gains = dict(GAINS)
    mix = _mix({k: v for k, v in tracks.items() if k != "snare"}, gains)
    got = _by_name(estimate_from_arrays(list(tracks.items()), mix, SR))
    assert not got["snare"].confident
    assert got["snare"].gain_db is None or got["snare"].gain_db < -40.0


def test_empty_inputs_raise_clear_errors(tracks):
    with pytest.raises(EstimationError, match="no stems"):
        estimate_from_arrays([], np.zeros((100, 2)), SR)
    with pytest.raises(EstimationError, match="no regions"):
        estimate_from_arrays(list(tracks.items()), _mix(tracks, GAINS), SR, [])
    with pytest.raises(EstimationError, match="smoothing"):
        estimate_from_arrays(list(tracks.items()), _mix(tracks, GAINS), SR, smoothing=1.5)


def test_mix_trimmed_at_the_start_is_aligned_by_one_common_offset(tracks):
    cut = int(0.5 * SR)
    mix = _mix(tracks, GAINS)[cut:]  # a master that starts 0.5 s into the stems' timeline
    est = estimate_from_arrays(list(tracks.items()), mix, SR, max_lag_s=1.0)
    assert all(a.offset_samples == -cut and a.polarity == 1 for a in est.alignments)
    got = _by_name(est)
    for name, g in GAINS.items():
        assert got[name].gain_db == pytest.approx(g, abs=0.1), name
