"""Training: buckets and fallbacks, model files, stored samples, the train/learn commands."""

from __future__ import annotations

import json

import numpy as np
import pytest

from automix.cli import main
from automix.errors import ModelError
from automix.features.region import REGION_FEATURE_NAMES
from automix.knowledge.track_types import TRACK_TYPE_IDS
from automix.models.bank import ModelBank
from automix.models.files import load_model
from automix.models.inputs import RECORDING_LEVEL_FEATURES
from automix.training.fit import (
    default_excluded_features,
    informative_columns,
    load_samples,
    save_samples,
    train_models,
    training_set,
)
from automix.training.samples import SectionSample

TYPES = ("kick", "bass", "lead_vox")


def make_samples(n_songs: int, genre: str = "rock", sections=("verse", "chorus"), seed: int = 0,
                 song_prefix: str = "song") -> list[SectionSample]:
    """Rows whose vocal level depends linearly on the bass's spectral centroid (a known rule); every recording
    level (``rms_db``) is random."""
    rng = np.random.default_rng(seed)
    out = []
    T, F = len(TRACK_TYPE_IDS), len(REGION_FEATURE_NAMES)
    rms = REGION_FEATURE_NAMES.index("rms_db")
    centroid = REGION_FEATURE_NAMES.index("centroid_hz")
    for i in range(n_songs):
        for sec in sections:
            feats = np.full((T, F), np.nan)
            present = np.zeros(T, dtype=bool)
            rel = np.full(T, np.nan)
            for t in TYPES:
                k = TRACK_TYPE_IDS.index(t)
                present[k] = True
                feats[k] = rng.normal(0.0, 1.0, F) * 5 + 100
                feats[k, rms] = rng.uniform(-30, -10)
                feats[k, centroid] = rng.uniform(100.0, 500.0)
            bass = (feats[TRACK_TYPE_IDS.index("bass"), centroid] - 300.0) / 10.0
            rel[TRACK_TYPE_IDS.index("kick")] = -6.0
            rel[TRACK_TYPE_IDS.index("bass")] = -8.0
            rel[TRACK_TYPE_IDS.index("lead_vox")] = -3.0 + 0.2 * bass + (1.0 if sec == "chorus" else 0.0)
            alpha = np.where(present, 1.0, np.nan)
            pan = np.where(present, 0.0, np.nan)
            eq = np.where(present[:, None], 0.0, np.nan) * np.ones((T, 5))
            out.append(SectionSample(f"{song_prefix}{i}", genre, sec, sec.title(), "test", feats, present, rel,
                                     alpha, pan, eq, -20.0))
    return out


def test_buckets_and_fallbacks_written(tmp_path):
    samples = make_samples(4, "rock") + make_samples(1, "jazz", ("verse",), seed=1, song_prefix="j")
    paths = train_models(samples, tmp_path, "kde", 2, min_songs=2)
    names = {p.stem for p in paths}
    assert {"rock__verse", "rock__chorus", "rock__all", "rock_punk_metal__verse", "all__all", "all__verse"} <= names
    assert "jazz__verse" not in names  # one song: the bank falls back
    bank = ModelBank([tmp_path])
    assert bank.find("jazz", "verse").genre_key == "all"
    assert bank.find("metal", "chorus").genre_key == "rock_punk_metal"
    info = load_model(tmp_path / "rock__chorus.json").info
    assert info.training.n_songs == 4 and "loocv_level_mae_db" in info.evaluation


def test_trained_model_learns_the_rule(tmp_path):
    samples = make_samples(12, "pop", ("chorus",), seed=2)
    train_models(samples, tmp_path, "kde", 3, min_songs=2)
    loaded = load_model(tmp_path / "pop__chorus.json")
    test = make_samples(1, "pop", ("chorus",), seed=99)[0]
    ts = training_set([test], track_types=loaded.model.track_types, feature_names=loaded.info.feature_names)
    pred = loaded.model.predict(ts.X[0], ts.targets.present[0])
    v = pred.index("lead_vox")
    want = test.level_rel_db[TRACK_TYPE_IDS.index("lead_vox")]
    assert pred.level[v] == pytest.approx(want, abs=1.0)
    assert pred.level[pred.index("kick")] == pytest.approx(-6.0, abs=0.5)


def test_relative_level_models_never_read_a_recording_level(tmp_path):
    train_models(make_samples(4, "pop", ("chorus",)), tmp_path / "relative", "kde", 2, min_songs=2)
    names = load_model(tmp_path / "relative" / "pop__chorus.json").info.feature_names
    assert "bass:centroid_hz" in names and "bass:shape_db_low" in names
    assert not [n for n in names if n.partition(":")[2] in RECORDING_LEVEL_FEATURES]
    train_models(make_samples(4, "pop", ("chorus",)), tmp_path / "alpha", "kde", 2, "alpha", min_songs=2)
    assert "bass:rms_db" in load_model(tmp_path / "alpha" / "pop__chorus.json").info.feature_names  # gains need it
    assert default_excluded_features("alpha") == () and "rms_db" in default_excluded_features()


def test_constant_columns_are_not_model_inputs():
    X = np.array([[1.0, 5.0, 0.0], [2.0, 5.0 + 1e-7, 1.0], [3.0, 5.0, 1.0]])
    assert informative_columns(X, ["a:rms_db", "a:lr_balance_db", "b:present"]) == [0, 2]


def test_samples_round_trip_without_pickle(tmp_path):
    samples = make_samples(2)
    save_samples(samples, tmp_path)
    back = load_samples(tmp_path)
    assert [(s.song_id, s.section) for s in back] == [(s.song_id, s.section) for s in samples]
    np.testing.assert_array_equal(back[1].type_features, samples[1].type_features)
    meta = json.loads((tmp_path / "training-samples.json").read_text())
    meta["feature_names"] = ["x"]
    (tmp_path / "training-samples.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="other track types or features"):
        load_samples(tmp_path)


def test_train_requires_samples(tmp_path):
    with pytest.raises(ModelError, match="no training samples"):
        train_models([], tmp_path)


def test_cli_train_and_learn_errors_name_the_path(tmp_path, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_text("x")
    assert main(["train", str(bad), "--out", str(tmp_path / "m")]) == 2
    assert "notes.txt" in capsys.readouterr().err
    assert main(["learn", str(bad), "--out", str(tmp_path / "m")]) == 2
    assert "not a .rpp project file" in capsys.readouterr().err


def test_learn_refuses_the_shipped_models_folder():
    from automix.models.bank import installed_models_dir
    from automix.training.fit import learn_from_projects

    with pytest.raises(ModelError, match="must not be the shipped models/ folder"):
        learn_from_projects(["song.rpp"], installed_models_dir())
