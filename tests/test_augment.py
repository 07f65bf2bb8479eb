"""EQ/level augmentation of engineer-balanced stems: the EQ target undoes the deviation, features move with it."""

from __future__ import annotations

import numpy as np
import pytest

from automix.audio.bands import BAND_EDGES_HZ
from automix.errors import AutomixError
from automix.features.region import REGION_FEATURE_NAMES
from automix.knowledge.track_types import TRACK_TYPE_IDS
from automix.models.inputs import MODEL_FEATURE_NAMES, with_shape_features
from automix.training.augment import (
    MAX_DEVIATION_DB,
    StemTruth,
    apply_band_gains,
    augmented_copies,
    copy_samples,
    layout_bands,
    random_band_deviations_db,
)

SR = 22050


def _noise(seconds: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(int(seconds * SR)) * 0.05


def test_minus_deviation_undoes_the_deviation_exactly():
    x = _noise(1.0, 0)
    d = np.array([4.0, -3.0, 5.5, -6.0, 6.0])
    y = apply_band_gains(apply_band_gains(x, SR, d), SR, -d)
    assert np.max(np.abs(y - x)) < 1e-6 * np.max(np.abs(x))
    assert np.array_equal(apply_band_gains(x, SR, np.zeros(5)), x)


def test_high_band_deviation_moves_the_high_band_feature_and_not_the_low_one():
    from automix.training.dataset import song_features

    x = _noise(2.0, 1)
    spans = [("all", 0.0, 2.0)]
    before = song_features([x], SR, spans)[0, 0]
    after = song_features([apply_band_gains(x, SR, [0, 0, 0, 0, 6.0])], SR, spans)[0, 0]
    hi, lo = REGION_FEATURE_NAMES.index("band_db_high"), REGION_FEATURE_NAMES.index("band_db_low")
    assert 3.0 < after[hi] - before[hi] < 6.5  # a shelf at the band edge: half its gain at 6 kHz
    assert abs(after[lo] - before[lo]) < 0.3
    assert BAND_EDGES_HZ[4] == 6000.0


def test_random_deviations_are_bounded_and_some_tracks_stay_untouched():
    d = random_band_deviations_db(np.random.default_rng(3), 400, p_deviate=0.5)
    assert d.shape == (400, 5)
    assert np.max(np.abs(d)) <= MAX_DEVIATION_DB
    touched = np.any(d != 0, axis=1).mean()
    assert 0.4 < touched < 0.6
    assert np.all(random_band_deviations_db(np.random.default_rng(3), 10, p_deviate=0.0) == 0)
    with pytest.raises(AutomixError, match="p_deviate"):
        random_band_deviations_db(np.random.default_rng(0), 3, p_deviate=2.0)
    with pytest.raises(AutomixError, match="5 finite band gains"):
        layout_bands([1.0, 2.0])


def test_copy_targets_undo_the_copy_and_level_targets_ignore_the_recording_level():
    rng = np.random.default_rng(5)
    stems = [_noise(2.0, 10), _noise(2.0, 11) * 0.3]
    spans = [("A", 0.0, 1.0), ("B", 1.0, 2.0)]
    truth = StemTruth(gain_db=np.array([[0.0, -3.0], [1.0, -2.0]]), pan=np.array([[0.0, 0.5], [0.0, 0.5]]),
                      eq_db=np.zeros((2, 2, 5)))
    copies = augmented_copies(stems, SR, spans, rng, 6, max_regain_db=12.0, p_deviate=1.0)
    base = augmented_copies(stems, SR, spans, np.random.default_rng(0), 1, max_regain_db=0.0, p_deviate=0.0)[0]
    types = ["kick", "bass"]
    ref = copy_samples(base, truth, song_id="s", genre="rock", source="t", sections=[("A", "verse"), ("B", "chorus")],
                       track_types=types)
    rms = REGION_FEATURE_NAMES.index("rms_db")
    for c in copies:
        assert np.all(np.any(c.deviation_db != 0, axis=1))
        rows = copy_samples(c, truth, song_id="s", genre="rock", source="t",
                            sections=[("A", "verse"), ("B", "chorus")], track_types=types)
        assert [r.section for r in rows] == ["verse", "chorus"]
        for r, r0 in zip(rows, ref):
            for i, t in enumerate(types):
                k = TRACK_TYPE_IDS.index(t)
                np.testing.assert_allclose(r.eq_db[k], -c.deviation_db[i], atol=1e-12)
                # the features moved by the recording level (± what the deviation adds in power)
                moved = r.type_features[k, rms] - r0.type_features[k, rms]
                assert abs(moved - c.regain_db[i]) < 6.5
            gained = [r.type_features[TRACK_TYPE_IDS.index(t), rms] + truth.gain_db[0 if r.region == "A" else 1, i]
                      - c.regain_db[i] for i, t in enumerate(types)]
            gained0 = [r0.type_features[TRACK_TYPE_IDS.index(t), rms] + truth.gain_db[0 if r.region == "A" else 1, i]
                       for i, t in enumerate(types)]
            # only the deviations (≤ 6 dB a band) change the balance, never the recording level
            assert max(abs(a - b) for a, b in zip(gained, gained0)) < 6.5


def test_undeviated_copy_keeps_the_level_target_whatever_the_recording_level():
    stems = [_noise(1.0, 20), _noise(1.0, 21) * 0.5]
    spans = [("A", 0.0, 1.0)]
    truth = StemTruth(np.array([[0.0, 2.0]]), np.zeros((1, 2)), np.zeros((1, 2, 5)))
    base = augmented_copies(stems, SR, spans, np.random.default_rng(0), 1, max_regain_db=0.0, p_deviate=0.0)[0]
    kw = dict(song_id="s", genre="rock", source="t", sections=[("A", "verse")], track_types=["kick", "bass"])
    ref = copy_samples(base, truth, **kw)[0]
    for c in augmented_copies(stems, SR, spans, np.random.default_rng(1), 4, max_regain_db=12.0, p_deviate=0.0):
        row = copy_samples(c, truth, **kw)[0]
        np.testing.assert_allclose(row.level_rel_db[row.present], ref.level_rel_db[ref.present], atol=0.01)
        assert np.all(row.eq_db[row.present] == 0)


def test_shape_features_do_not_move_with_the_recording_level():
    from automix.training.dataset import song_features

    x = _noise(1.0, 30)
    spans = [("all", 0.0, 1.0)]
    a = with_shape_features(song_features([x], SR, spans)[0, 0])
    b = with_shape_features(song_features([x * 10 ** (9 / 20)], SR, spans)[0, 0])
    shape = [MODEL_FEATURE_NAMES.index(f"shape_db_{n}") for n in ("low", "mid", "high")]
    np.testing.assert_allclose(a[shape], b[shape], atol=0.01)
    assert b[MODEL_FEATURE_NAMES.index("rms_db")] - a[MODEL_FEATURE_NAMES.index("rms_db")] == pytest.approx(9.0, abs=0.01)
    with pytest.raises(ValueError, match="region features"):
        with_shape_features(np.zeros(3))
