"""The track-level balance model: fit with λ chosen on held-out songs, file round trip, the planner's use of it."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest
from test_planner import build_test_bank, make_analysis
from test_roles import _with_prominence

from automix.errors import ModelError
from automix.features.region import LEVEL_FEATURE, REGION_FEATURE_NAMES
from automix.knowledge.practice import typical_level_db
from automix.models.bank import ModelBank
from automix.models.roles import RoleModel, save_role_model
from automix.models.track_balance import (
    BALANCE_FILE,
    DESCRIPTOR_NAMES,
    EQUAL_LOUDNESS,
    BalanceRegion,
    TrackBalanceModel,
    balance_region,
    fit_track_balance,
    load_track_balance,
    loso_error_db,
    mean_balance_error_db,
    ridge_coef,
    save_track_balance,
    track_descriptors,
)
from automix.plan.planner import make_plan

_RMS = REGION_FEATURE_NAMES.index("rms_db")
_LEVEL = REGION_FEATURE_NAMES.index(LEVEL_FEATURE)
TYPES = ("kick", "bass", "synth", "fx", "back_vox", "lead_vox")


def _features(loudness_db: np.ndarray, prominence_db: np.ndarray) -> np.ndarray:
    f = np.zeros((len(loudness_db), len(REGION_FEATURE_NAMES)))
    f[:, _LEVEL] = loudness_db
    f[:, _RMS] = np.asarray(loudness_db) + prominence_db
    return f


def _songs(slope_db: float, noise_db: float, n_songs: int = 6, seed: int = 0) -> dict[str, list[BalanceRegion]]:
    """Songs whose stems sit ``slope_db`` dB higher per dB of prominence (+ Gaussian noise), 5 regions each."""
    rng = np.random.default_rng(seed)
    songs = {}
    for s in range(n_songs):
        regions = []
        for _ in range(5):
            prom = rng.uniform(-20.0, 0.0, len(TYPES))
            level = slope_db * prom + rng.normal(0.0, noise_db, len(TYPES))
            feats = _features(rng.uniform(-40, -10, len(TYPES)), prom)  # recording levels: arbitrary
            regions.append(balance_region(feats, level, TYPES))
        songs[f"song{s}"] = regions
    return songs


def test_descriptors_do_not_depend_on_the_recording_level():
    f = _features(np.array([-30.0, -12.0]), np.array([-3.0, -15.0]))
    x = track_descriptors(f, ["kick", "fx"])
    louder = track_descriptors(f + np.where(np.arange(f.shape[1]) == _RMS, 9.0, 0.0)
                               + np.where(np.arange(f.shape[1]) == _LEVEL, 9.0, 0.0), ["kick", "fx"])
    assert x.shape == (2, len(DESCRIPTOR_NAMES)) and np.array_equal(x, louder)
    assert x[:, 0].tolist() == [-3.0, -15.0]
    assert x[:, 1].tolist() == [typical_level_db("kick"), typical_level_db("fx")]


def test_slope_is_recovered_and_predictions_are_relative_to_the_mean():
    model = fit_track_balance(_songs(0.4, 0.3))
    assert model.coef[0] == pytest.approx(0.4, abs=0.02)
    assert abs(model.coef[1]) < 0.05  # the practice level says nothing about these songs
    assert math.isfinite(model.ridge) and model.n_songs == 6 and model.n_regions == 30
    assert model.loso_error_db < 0.5 < model.equal_error_db
    f = _features(np.array([-20.0, -35.0, -10.0]), np.array([-2.0, -12.0, -7.0]))
    rel = model.relative_levels_db(f, ["synth", "synth", "synth"])
    assert rel.mean() == pytest.approx(0.0, abs=1e-9)
    assert rel[0] - rel[1] == pytest.approx(10.0 * model.coef[0], abs=1e-9)


def test_noise_alone_falls_back_to_equal_loudness():
    model = fit_track_balance(_songs(0.0, 4.0, seed=3))
    assert model.ridge == math.inf and model.coef == (0.0, 0.0)
    assert fit_track_balance({k: v for k, v in list(_songs(0.5, 0.1).items())[:2]}) == EQUAL_LOUDNESS


def test_ridge_fit_takes_any_number_of_descriptors():
    """recipes/balance_ceiling.py fits wider rows (audio descriptors + one column per type) with the same code."""
    rng = np.random.default_rng(5)
    truth = np.array([0.5, -1.0, 0.0, 2.0])
    songs = {}
    for s in range(4):
        regions = []
        for _ in range(3):
            x = rng.normal(size=(6, 4))
            x -= x.mean(axis=0)
            regions.append(BalanceRegion(x, x @ truth))
        songs[f"song{s}"] = regions
    coef = ridge_coef(list(songs.values()), 1e-9)
    assert coef == pytest.approx(truth, abs=1e-6)
    assert ridge_coef(list(songs.values()), math.inf).tolist() == [0.0] * 4  # equal loudness, same width
    assert loso_error_db(songs, math.inf) == pytest.approx(
        np.mean([mean_balance_error_db(r, np.zeros(4)) for r in songs.values()]))
    assert loso_error_db(songs, 1e-9) < 1e-6


def test_round_trip_and_bad_files(tmp_path):
    model = TrackBalanceModel((0.31, 0.27), 30.0, 7, 49, 2.9, 3.1, "seven songs")
    path = save_track_balance(model, tmp_path)
    assert path == tmp_path / BALANCE_FILE and load_track_balance(tmp_path) == model
    assert ModelBank([tmp_path]).track_balance_model() == model
    assert load_track_balance(tmp_path / "none") is None
    doc = json.loads(path.read_text())
    for key, bad, words in (("coef", [0.3, "loud"], "loud"), ("coef", [0.3, None], "None"),
                            ("descriptor_names", ["prominence_db", "tempo"], "tempo"),
                            ("format_version", 9, "format 9")):
        path.write_text(json.dumps({**doc, key: bad}))
        with pytest.raises(ModelError, match=words) as err:
            load_track_balance(tmp_path)
        assert "track_balance.json" in str(err.value)
    shutil.rmtree(tmp_path / "balance")
    assert ModelBank([tmp_path]).track_balance_model() == EQUAL_LOUDNESS


def _heard_in_each_region(folder, levels: dict[str, list[float]], prominence: dict[str, float]) -> list[dict]:
    """Each track's planned loudness (dB) per region, the tracks given the prominences asked for."""
    analysis = make_analysis(levels)
    for name, p in prominence.items():
        analysis = _with_prominence(analysis, name, p)
    plan = make_plan(analysis, ModelBank([folder]), "rock", use_eq=False).plan
    lvl = {t.name: t.features[0].loudness_lufs for t in analysis.tracks}
    return [{t.name: lvl[t.name] + t.gain_db for t in region.tracks} for region in plan.regions]


@pytest.mark.parametrize("slope_db", [0.0, 0.5])
def test_the_planner_adds_the_track_balance_with_its_weight(tmp_path, slope_db):
    folder = build_test_bank(tmp_path / "bank", "practice")
    save_track_balance(TrackBalanceModel((slope_db, 0.0), 10.0, 5, 30), folder)
    for heard in _heard_in_each_region(folder, {"Kick": [-20.0, -20.0], "Bass": [-24.0, -24.0],
                                                "Fx Riser": [-30.0, -30.0], "Synth Pad": [-18.0, -18.0],
                                                "Lead Vox": [-22.0, -22.0]}, {"Fx Riser": -4.0, "Synth Pad": -12.0}):
        # fx and synth are types the bank's models never saw (evidence 0 songs: model weight 0), so the track
        # balance places them in full: 8 dB of prominence apart
        assert heard["Fx Riser"] - heard["Synth Pad"] == pytest.approx(slope_db * 8.0, abs=0.05)
        # kick and bass, well known to the models, keep their type levels
        assert abs(heard["Kick"] - heard["Bass"]) < 8.0


@pytest.mark.parametrize("beta", [0.0, 0.5])
def test_inside_a_type_only_the_roles_differ(tmp_path, beta):
    """Two FX tracks 8 dB of prominence apart sit beta·8 dB apart, whatever the track balance's slope."""
    folder = build_test_bank(tmp_path / "bank", "practice")
    save_track_balance(TrackBalanceModel((0.5, 0.0), 10.0, 5, 30), folder)
    save_role_model(RoleModel(beta=beta, n_pairs=100, n_songs=5), folder)
    for heard in _heard_in_each_region(folder, {"Kick": [-20.0, -20.0], "Fx Riser": [-30.0, -30.0],
                                                "Fx Sweep": [-18.0, -18.0], "Lead Vox": [-22.0, -22.0]},
                                       {"Fx Riser": -4.0, "Fx Sweep": -12.0}):
        # was (beta + 0.5)·8: prominence counted twice inside a type
        assert heard["Fx Riser"] - heard["Fx Sweep"] == pytest.approx(beta * 8.0, abs=0.05)
