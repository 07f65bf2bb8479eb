"""Issue 11 defect 5: tracks of one type get shares from their prominence, not equal loudness by default."""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pytest
from test_planner import build_test_bank, make_analysis

from automix.errors import ModelError
from automix.features.analysis import TrackAnalysis
from automix.features.region import LEVEL_FEATURE, REGION_FEATURE_NAMES
from automix.models.bank import ModelBank
from automix.models.roles import (
    ROLE_RIDGE_DB2,
    ROLES_FILE,
    RoleModel,
    fit_role_model,
    load_role_model,
    save_role_model,
    within_type_pairs,
)
from automix.plan.planner import make_plan


def test_slope_is_recovered_and_shrunk_to_equal_when_pairs_are_few():
    rng = np.random.default_rng(0)
    songs = {}
    for s in range(4):
        z = rng.normal(0, 4, 60)
        songs[f"song{s}"] = np.stack([z, 0.5 * z + rng.normal(0, 0.5, z.size)], axis=1)
    model = fit_role_model(songs)
    assert model.beta == pytest.approx(0.5, abs=0.03) and model.n_pairs == 240 and model.n_songs == 4
    assert model.loso_mae_db < 0.6 < model.equal_mae_db
    few = fit_role_model({"a": np.array([[1.0, 0.5], [-1.0, -0.5]])})
    assert few.beta == pytest.approx(1.0 / (2.0 + ROLE_RIDGE_DB2))  # two pairs: almost equal shares


def test_within_type_pairs_are_centred_per_type_and_region():
    f = np.zeros((3, 1, len(REGION_FEATURE_NAMES)))
    f[:, 0, REGION_FEATURE_NAMES.index("rms_db")] = [-20.0, -30.0, -25.0]
    f[:, 0, REGION_FEATURE_NAMES.index(LEVEL_FEATURE)] = [-18.0, -18.0, -20.0]
    pairs = within_type_pairs(f, np.array([[-10.0], [-14.0], [-12.0]]), ["synth", "synth", "bass"],
                              np.ones((3, 1), bool))
    assert pairs.tolist() == [[5.0, 2.0], [-5.0, -2.0]]  # the lone bass forms no pair


def _with_prominence(analysis, name: str, prominence_db: float):
    tracks = []
    for t in analysis.tracks:
        if t.name == name:
            feats = tuple(replace(f, rms_db=f.loudness_lufs + prominence_db) for f in t.features)
            t = TrackAnalysis(t.guid, t.name, t.index, feats)
        tracks.append(t)
    return replace(analysis, tracks=tuple(tracks))


@pytest.mark.parametrize("beta, expected_db", [(None, 0.0), (0.5, 3.0)])
def test_the_more_prominent_track_of_a_type_sits_higher(tmp_path, beta, expected_db):
    folder = build_test_bank(tmp_path / "bank", "practice")
    if beta is not None:
        save_role_model(RoleModel(beta=beta, n_pairs=100, n_songs=5), folder)
    levels = {"Kick": [-20.0, -20.0], "Synth Lead": [-25.0, -25.0], "Synth Pad": [-15.0, -15.0],
              "Lead Vox": [-22.0, -22.0]}
    analysis = make_analysis(levels)
    analysis = _with_prominence(_with_prominence(analysis, "Synth Lead", 0.0), "Synth Pad", -6.0)
    plan = make_plan(analysis, ModelBank([folder]), "rock").plan
    lvl = {t.name: f.loudness_lufs for t in analysis.tracks for f in t.features[:1]}
    for region in plan.regions:
        g = {t.name: t.gain_db for t in region.tracks}
        placed = (lvl["Synth Lead"] + g["Synth Lead"]) - (lvl["Synth Pad"] + g["Synth Pad"])
        assert placed == pytest.approx(expected_db, abs=0.05)


def test_role_model_round_trip_and_bad_file(tmp_path):
    model = RoleModel(0.42, 172, 5, 2.37, 3.01, "five sessions")
    path = save_role_model(model, tmp_path)
    assert path == tmp_path / ROLES_FILE and load_role_model(tmp_path) == model
    assert load_role_model(tmp_path / "none") is None
    path.write_text('{"format_version": 1, "beta": "steep"}')
    with pytest.raises(ModelError, match="roles.json.*steep|steep.*roles.json"):
        load_role_model(tmp_path)
    shutil.rmtree(tmp_path / "roles")
    assert ModelBank([tmp_path]).role_model().beta == 0.0
