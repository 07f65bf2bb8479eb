"""Physical facts about the ReaEQ-style biquads in automix.audio.eq."""

from __future__ import annotations

import numpy as np
import pytest

from automix.audio.eq import (
    StreamingEq,
    apply_eq,
    bw_oct_from_q,
    design_biquad,
    eq_response_db,
    q_from_bw_oct,
)
from automix.errors import AutomixError
from automix.plan.model import EqBand

SR = 48000


def _db(bands, f, sr=SR):
    return float(eq_response_db(bands, np.array([f]), sr)[0])


@pytest.mark.parametrize("gain_db", [-12.0, -3.0, 4.5, 12.0])
@pytest.mark.parametrize("freq_hz", [100.0, 1000.0, 8000.0])
def test_peaking_band_gives_its_gain_at_centre_and_unity_far_away(gain_db, freq_hz):
    band = EqBand("band", freq_hz, gain_db, 1.0)
    assert _db([band], freq_hz) == pytest.approx(gain_db, abs=0.05)
    assert abs(_db([band], freq_hz / 32)) < 0.1
    if freq_hz * 16 < SR / 2:
        assert abs(_db([band], freq_hz * 16)) < 0.25


def test_peaking_bandwidth_in_octaves_sets_half_gain_points():
    # the cookbook bandwidth is between the points at half the gain in dB
    band = EqBand("band", 1000.0, 12.0, 2.0)
    lo, hi = 1000.0 / 2.0, 1000.0 * 2.0
    assert _db([band], lo) == pytest.approx(6.0, abs=0.3)
    assert _db([band], hi) == pytest.approx(6.0, abs=0.3)


@pytest.mark.parametrize("gain_db", [-9.0, 6.0])
def test_shelves_reach_gain_far_away_and_half_at_corner(gain_db):
    low = EqBand("low_shelf", 200.0, gain_db, 2.0)
    high = EqBand("high_shelf", 3000.0, gain_db, 2.0)
    assert _db([low], 200.0) == pytest.approx(gain_db / 2, abs=0.05)
    assert _db([high], 3000.0) == pytest.approx(gain_db / 2, abs=0.05)
    assert _db([low], 5.0) == pytest.approx(gain_db, abs=0.1)
    assert abs(_db([low], 15000.0)) < 0.1
    assert _db([high], 22000.0) == pytest.approx(gain_db, abs=0.15)
    assert abs(_db([high], 20.0)) < 0.1


def test_pass_filters_are_minus_3_db_at_cutoff_with_q_0707():
    bw = bw_oct_from_q(1 / np.sqrt(2))
    assert bw == pytest.approx(1.9, abs=0.01)
    lp = EqBand("low_pass", 1000.0, 0.0, bw)
    hp = EqBand("high_pass", 1000.0, 0.0, bw)
    assert _db([lp], 1000.0) == pytest.approx(-3.01, abs=0.05)
    assert _db([hp], 1000.0) == pytest.approx(-3.01, abs=0.05)
    assert abs(_db([lp], 20.0)) < 0.05
    assert abs(_db([hp], 20000.0)) < 0.05
    # second order: -12 dB/octave well past the cutoff (about -24 dB two octaves above)
    assert _db([lp], 4000.0) == pytest.approx(-24.0, abs=1.5)
    assert _db([hp], 250.0) == pytest.approx(-24.0, abs=1.5)


def test_notch_and_band_pass():
    notch = EqBand("notch", 1000.0, 0.0, 1.0)
    bp = EqBand("band_pass", 1000.0, 0.0, 1.0)
    assert _db([notch], 1000.0) < -60
    assert abs(_db([notch], 50.0)) < 0.1
    assert _db([bp], 1000.0) == pytest.approx(0.0, abs=0.05)
    assert _db([bp], 50.0) < -20
    # band pass: -3 dB at the band edges one octave apart (geometric around centre)
    assert _db([bp], 1000.0 / np.sqrt(2)) == pytest.approx(-3.01, abs=0.15)


def test_q_bw_round_trip():
    for q in (0.3, 0.707, 1.0, 4.0):
        assert q_from_bw_oct(bw_oct_from_q(q)) == pytest.approx(q, rel=1e-12)
    with pytest.raises(AutomixError, match="-1"):
        q_from_bw_oct(-1)


def test_chain_adds_in_db_and_apply_eq_matches_response():
    bands = [EqBand("band", 1000.0, 6.0, 1.0), EqBand("low_shelf", 100.0, -4.0, 2.0)]
    f = np.array([100.0, 1000.0])
    total = eq_response_db(bands, f, SR)
    parts = eq_response_db(bands[:1], f, SR) + eq_response_db(bands[1:], f, SR)
    np.testing.assert_allclose(total, parts, atol=1e-9)
    # a steady 1 kHz sine filtered through the chain comes out at the predicted level
    t = np.arange(SR) / SR
    x = np.sin(2 * np.pi * 1000.0 * t)
    stereo = np.stack([x, 0.5 * x], axis=1).astype(np.float32)
    y = apply_eq(stereo, SR, bands)
    assert y.shape == stereo.shape and y.dtype == np.float32
    tail = slice(SR // 2, None)
    gain_db = 20 * np.log10(np.sqrt(np.mean(y[tail, 0] ** 2)) / np.sqrt(np.mean(x[tail] ** 2)))
    assert gain_db == pytest.approx(total[1], abs=0.05)
    np.testing.assert_allclose(y[:, 1], 0.5 * y[:, 0], atol=1e-6)
    mono = apply_eq(x, SR, bands)
    assert mono.shape == x.shape
    np.testing.assert_array_equal(apply_eq(x, SR, []), x)


def test_unknown_type_and_bad_frequency_raise():
    with pytest.raises(AutomixError, match="'tilt'"):
        design_biquad(EqBand("tilt", 1000.0, 0.0, 1.0), SR)
    with pytest.raises(AutomixError, match="0"):
        design_biquad(EqBand("band", 0.0, 3.0, 1.0), SR)


def test_frequency_above_nyquist_is_clamped_and_stable():
    b, a = design_biquad(EqBand("high_shelf", 24000.0, 6.0, 2.0), 44100)
    assert np.all(np.abs(np.roots(a)) < 1.0)


def test_streaming_eq_equals_whole_signal_filtering():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((10000, 2))
    bands = [EqBand("band", 500.0, 5.0, 1.0), EqBand("high_pass", 80.0, 0.0, 1.9)]
    whole = apply_eq(x, SR, bands)
    eq = StreamingEq(SR, 2)
    parts = [eq.process(x[i:i + 1234], bands) for i in range(0, len(x), 1234)]
    np.testing.assert_allclose(np.concatenate(parts), whole, atol=1e-10)
