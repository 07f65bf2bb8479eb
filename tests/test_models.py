"""The per-section MixModel and the target conversions (the estimators: test_estimators.py)."""

from __future__ import annotations

import numpy as np
import pytest

from automix.audio.panlaw import angle_from_pan, pan_from_angle
from automix.errors import ModelError, PlanError
from automix.knowledge.targets import (
    alpha_from_relative_loudness,
    alpha_to_gain_db,
    check_target_kind,
    eq_db_from_band_alphas,
    gain_db_to_alpha,
    gains_from_relative_loudness,
    level_targets,
    normalize_relative_loudness,
    power_sum_db,
    relative_loudness_from_alpha,
)
from automix.models.mix_model import (
    OUTPUT_GROUPS,
    MixModel,
    TypeTargets,
    leave_one_group_out,
    type_feature_matrix,
    type_feature_names,
)

TYPES = ("kick", "bass", "lead_vox", "electric_guitar")


def _song_data(rng, n):
    per_type = rng.normal(size=(n, len(TYPES), 3))
    present = rng.random((n, len(TYPES))) > 0.25
    present[:, 2] = True
    X = type_feature_matrix(per_type, present)
    level = -6.0 - 2.0 * per_type[:, :, 0] + per_type[:, :, 1]
    pan = np.tile([0.0, 0.0, 0.0, 0.5], (n, 1)) + 0.1 * per_type[:, :, 2]
    eq = np.repeat((2.0 * per_type[:, :, 1])[:, :, None], 5, axis=2)
    return X, TypeTargets(level=level, pan=pan, eq_db=eq, present=present), per_type


def test_type_feature_matrix_zeroes_absent_types_and_flags_presence():
    per_type = np.arange(12, dtype=float).reshape(1, 2, 6)[:, :, :3].copy()
    X = type_feature_matrix(per_type, np.array([[True, False]]))
    np.testing.assert_array_equal(X, [[0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 1.0, 0.0]])
    assert type_feature_names(("kick", "bass"), ("rms_db",)) == (
        "kick:rms_db", "bass:rms_db", "kick:present", "bass:present")


@pytest.mark.parametrize("method", ["kde", "mlr"])
def test_mix_model_predicts_present_types_only(method):
    rng = np.random.default_rng(6)
    X, targets, _ = _song_data(rng, 300)
    model = MixModel(TYPES, method=method, n_components=4, alpha=1e-3).fit(X, targets)
    assert set(model.estimators_) == set(OUTPUT_GROUPS)
    Xt, truth, _ = _song_data(rng, 40)
    errors = []
    for i in range(40):
        pred = model.predict(Xt[i], truth.present[i])
        assert pred.track_types == tuple(t for t, p in zip(TYPES, truth.present[i]) if p)
        assert pred.level.shape == pred.pan.shape == (len(pred.track_types),)
        assert pred.eq_db.shape == (len(pred.track_types), 5)
        errors.extend(pred.level - truth.level[i][truth.present[i]])
        j = pred.index("lead_vox")
        assert pred.eq_db[j, 0] == pytest.approx(truth.eq_db[i, 2, 0], abs=0.2)
        level_pan = model.predict(Xt[i], truth.present[i], eq=False)  # what the planner asks for
        assert np.array_equal(level_pan.level, pred.level) and np.array_equal(level_pan.pan, pred.pan)
        assert level_pan.eq_db.shape == (len(pred.track_types), 0)
    assert np.sqrt(np.mean(np.square(errors))) < 0.2
    called = []
    for name, est in model.estimators_.items():
        est.predict = (lambda f, n: lambda row: called.append(n) or f(row))(est.predict, name)
    model.predict(Xt[0], truth.present[0], eq=False)
    assert sorted(called) == ["level", "pan"]  # the EQ estimators are not run
    nobass = np.array([True, False, True, True])
    with pytest.raises(ModelError, match="'bass'"):
        model.predict(Xt[0], nobass).index("bass")
    with pytest.raises(ModelError, match="features"):
        model.predict(Xt[0][:-1], nobass)


def test_mix_model_rejects_bad_setup():
    with pytest.raises(ModelError, match="target kind"):
        MixModel(TYPES, target_kind="loudness")
    with pytest.raises(ModelError, match="method"):
        MixModel(TYPES, method="svm")
    with pytest.raises(ModelError, match="not fitted"):
        MixModel(TYPES).predict(np.zeros(3), [True] * 4)


# ------------------------------------------------------------------ targets

def test_alpha_and_db_round_trip():
    alpha = np.array([1.0, 0.5, 2.0, 0.0])
    np.testing.assert_allclose(alpha_to_gain_db(alpha), [0.0, -6.0206, 6.0206, -120.0], atol=1e-3)
    np.testing.assert_allclose(gain_db_to_alpha(alpha_to_gain_db(alpha[:3])), alpha[:3])
    with pytest.raises(PlanError, match="'rms'"):
        check_target_kind("rms")


def test_relative_loudness_does_not_depend_on_the_recording_level():
    stem_db, mix_db = np.array([-20.0, -14.0]), -10.0
    alpha = np.array([0.8, 0.3])
    rel = relative_loudness_from_alpha(alpha, stem_db, mix_db)
    # the same stems recorded 6 dB hotter need half the alpha for the same mix
    rel_hot = relative_loudness_from_alpha(alpha / 2.0, stem_db + 20 * np.log10(2.0), mix_db)
    np.testing.assert_allclose(rel, rel_hot, atol=1e-12)
    np.testing.assert_allclose(alpha_from_relative_loudness(rel, stem_db, mix_db), alpha)
    both = level_targets(np.array([0.8, np.nan]), stem_db, mix_db)
    assert np.isnan(both.relative_db[1]) and both.get("alpha")[0] == 0.8


def test_gains_from_relative_loudness_realise_the_balance():
    stems = np.array([-30.0, -12.0, -22.0])
    target = np.array([-3.0, -6.0, -9.0])
    gains = gains_from_relative_loudness(target, stems)
    after = stems + gains
    mix = power_sum_db(after)
    assert mix == pytest.approx(power_sum_db(stems), abs=1e-9)  # overall level kept
    np.testing.assert_allclose(after - mix, normalize_relative_loudness(target), atol=1e-9)
    np.testing.assert_allclose(np.diff(after), np.diff(target), atol=1e-9)
    assert power_sum_db(normalize_relative_loudness(target)) == pytest.approx(0.0, abs=1e-12)


def test_pan_angle_law_and_eq_from_band_alphas():
    np.testing.assert_allclose(pan_from_angle([0.0, np.pi / 4, np.pi / 2]), [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(angle_from_pan(pan_from_angle(0.3)), 0.3)
    eq = eq_db_from_band_alphas(np.array([[1.0, 2.0, 0.5, 1.0, 1.0]]), np.array([1.0]))
    np.testing.assert_allclose(eq, [[0.0, 6.0206, -6.0206, 0.0, 0.0]], atol=1e-3)


def test_leave_one_song_out_never_sees_the_held_out_song():
    rng = np.random.default_rng(8)
    X, targets, _ = _song_data(rng, 60)
    songs = [f"song{i // 3}" for i in range(60)]  # 3 sections per song
    template = MixModel(TYPES, method="mlr")
    pred = leave_one_group_out(template, X, targets, songs)
    assert not template.estimators_  # the template stays unfitted
    assert np.array_equal(np.isnan(pred.level), ~targets.present)
    err = (pred.level - targets.level)[targets.present]
    assert np.sqrt(np.mean(err ** 2)) < 0.3  # the relation is exact: held-out songs are predicted well
    # a song whose targets are shifted cannot predict itself: its held-out error shows the shift
    shifted = TypeTargets(level=targets.level + np.where(np.arange(60)[:, None] < 3, 5.0, 0.0),
                          pan=targets.pan, eq_db=targets.eq_db, present=targets.present)
    pred2 = leave_one_group_out(template, X, shifted, songs)
    gap = (shifted.level - pred2.level)[:3][targets.present[:3]]
    assert np.all(gap > 4.0)
    with pytest.raises(ModelError, match="two songs"):
        leave_one_group_out(template, X, targets, ["one"] * 60)


def test_types_no_training_song_had_are_not_predicted():
    rng = np.random.default_rng(9)
    X, targets, _ = _song_data(rng, 50)
    present = targets.present.copy()
    present[:, 3] = False  # no training song has an electric guitar
    t = TypeTargets(targets.level, targets.pan, targets.eq_db, present)
    for method in ("kde", "mlr"):
        model = MixModel(TYPES, method=method).fit(X, t)
        assert list(model.type_counts_) == list(present.sum(axis=0).astype(float))
        pred = model.predict(X[0], [True, True, True, True])
        assert pred.track_types == ("kick", "bass", "lead_vox") and pred.untrained == ("electric_guitar",)
        with pytest.raises(ModelError, match="no training song had it"):
            pred.index("electric_guitar")
