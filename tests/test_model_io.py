"""Model files: JSON + npz round trip, and every way a file can be broken."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pytest

from automix.errors import ModelError
from automix.models.files import (
    FORMAT_VERSION,
    TrainingInfo,
    info_for,
    load_model,
    model_file_stem,
    read_model_info,
    save_model,
)
from automix.models.mix_model import (
    OUTPUT_GROUPS,
    MixModel,
    TypeTargets,
    type_feature_matrix,
    type_feature_names,
)

TYPES = ("kick", "snare", "bass", "lead_vox")
FEATURES = ("rms_db", "centroid_hz")


def _fitted(method: str = "kde") -> tuple[MixModel, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    n = 40
    per_type = rng.normal(size=(n, len(TYPES), len(FEATURES)))
    present = rng.random((n, len(TYPES))) > 0.2
    X = type_feature_matrix(per_type, present)
    targets = TypeTargets(level=per_type[:, :, 0] * 2 - 8, pan=np.clip(per_type[:, :, 1] * 0.2, -1, 1),
                          eq_db=np.repeat(per_type[:, :, :1], 5, axis=2), present=present)
    model = MixModel(TYPES, method=method, n_components=3, alpha=0.5).fit(X, targets)
    return model, X, present


def _save(tmp_path: Path, method: str = "kde") -> tuple[Path, MixModel, np.ndarray, np.ndarray]:
    model, X, present = _fitted(method)
    info = info_for(model, "rock", "chorus", type_feature_names(TYPES, FEATURES),
                    TrainingInfo("synthetic test songs", n_songs=40, n_samples=40, sources=("tests",)),
                    {"loocv_level_mae_db": 0.8})
    return save_model(model, info, tmp_path), model, X, present


@pytest.mark.parametrize("method", ["kde", "mlr"])
def test_round_trip_predicts_identically(tmp_path, method):
    path, model, X, present = _save(tmp_path, method)
    assert path.name == f"{model_file_stem('rock', 'chorus')}.json"
    assert (tmp_path / "rock__chorus.npz").is_file()
    loaded = load_model(path)
    assert loaded.info.genre == "rock" and loaded.info.section == "chorus"
    assert loaded.info.method == method and loaded.info.track_types == TYPES
    assert loaded.info.training.n_songs == 40 and loaded.info.training.sources == ("tests",)
    assert loaded.info.evaluation == {"loocv_level_mae_db": 0.8}
    np.testing.assert_array_equal(loaded.model.type_counts_, model.type_counts_)
    for i in range(5):
        a, b = model.predict(X[i], present[i]), loaded.model.predict(X[i], present[i])
        assert a.track_types == b.track_types
        np.testing.assert_array_equal(a.level, b.level)
        np.testing.assert_array_equal(a.pan, b.pan)
        np.testing.assert_array_equal(a.eq_db, b.eq_db)


def test_json_is_plain_and_describes_the_model(tmp_path):
    path, *_ = _save(tmp_path)
    doc = json.loads(path.read_text())
    assert doc["format_version"] == FORMAT_VERSION and doc["method"] == "kde"
    assert doc["params"] == {"n_components": 3, "alpha": 0.5, "nonnegative": False}
    assert doc["output_groups"] == list(OUTPUT_GROUPS)
    assert doc["feature_names"][0] == "kick:rms_db"
    assert doc["arrays_sha256"] == hashlib.sha256((tmp_path / doc["arrays_file"]).read_bytes()).hexdigest()
    with np.load(tmp_path / doc["arrays_file"], allow_pickle=False) as data:
        assert all(data[k].dtype == np.float64 for k in data.files)


def _rewrite_json(path: Path, **changes) -> None:
    doc = json.loads(path.read_text())
    doc.update(changes)
    path.write_text(json.dumps(doc))


def _rewrite_npz(path: Path, arrays: dict) -> None:
    npz = path.with_suffix(".npz")
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    npz.write_bytes(buf.getvalue())
    _rewrite_json(path, arrays_sha256=hashlib.sha256(buf.getvalue()).hexdigest())


def _arrays(path: Path) -> dict:
    with np.load(path.with_suffix(".npz"), allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def _breakers():
    def truncated_json(p):
        p.write_text(p.read_text()[:200])

    def not_json(p):
        p.write_bytes(b"\x00\xffgarbage")

    def wrong_version(p):
        _rewrite_json(p, format_version=FORMAT_VERSION + 1)

    def other_format(p):
        _rewrite_json(p, format="something-else")

    def missing_key(p):
        doc = json.loads(p.read_text())
        del doc["track_types"]
        p.write_text(json.dumps(doc))

    def truncated_npz(p):
        npz = p.with_suffix(".npz")
        npz.write_bytes(npz.read_bytes()[:100])

    def tampered_npz(p):
        arrays = _arrays(p)
        arrays["level.coef_"] = arrays["level.coef_"] * 2
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        p.with_suffix(".npz").write_bytes(buf.getvalue())  # sha256 not updated

    def missing_npz(p):
        p.with_suffix(".npz").unlink()

    def wrong_shape(p):
        arrays = _arrays(p)
        arrays["pan.coef_"] = arrays["pan.coef_"][:-1]
        _rewrite_npz(p, arrays)

    def missing_array(p):
        arrays = _arrays(p)
        del arrays["eq_high.y_mean_"]
        _rewrite_npz(p, arrays)

    def pickled_array(p):
        arrays = _arrays(p)
        arrays["level.coef_"] = np.array([{"a": 1}], dtype=object)
        _rewrite_npz(p, arrays)

    def nan_array(p):
        arrays = _arrays(p)
        arrays["level.y_mean_"][0] = np.nan
        _rewrite_npz(p, arrays)

    def bad_type_counts(p):
        arrays = _arrays(p)
        arrays["model.type_counts"] = -arrays["model.type_counts"]
        _rewrite_npz(p, arrays)

    def path_escape(p):
        _rewrite_json(p, arrays_file="../elsewhere.npz")

    return {
        "truncated_json": (truncated_json, "corrupt or truncated"),
        "not_json": (not_json, "cannot read|corrupt"),
        "wrong_version": (wrong_version, "format version 2"),
        "other_format": (other_format, "not an automix model"),
        "missing_key": (missing_key, "'track_types'"),
        "truncated_npz": (truncated_npz, "changed or corrupted"),
        "tampered_npz": (tampered_npz, "changed or corrupted"),
        "missing_npz": (missing_npz, "missing"),
        "wrong_shape": (wrong_shape, "'pan.coef_' has shape"),
        "missing_array": (missing_array, "lack 'eq_high.y_mean_'"),
        "pickled_array": (pickled_array, "holds Python objects|dtype object"),
        "nan_array": (nan_array, "'level.y_mean_'"),
        "path_escape": (path_escape, "must not contain a folder"),
        "bad_type_counts": (bad_type_counts, "'model.type_counts'"),
    }


@pytest.mark.parametrize("case", sorted(_breakers()))
def test_broken_files_give_a_model_error_naming_the_file(tmp_path, case):
    path, *_ = _save(tmp_path)
    breaker, message = _breakers()[case]
    breaker(path)
    with pytest.raises(ModelError, match=message) as err:
        load_model(path)
    assert "rock__chorus" in str(err.value)


def test_missing_file_and_unfitted_model(tmp_path):
    with pytest.raises(ModelError, match="not found") as err:
        read_model_info(tmp_path / "nope.json")
    assert "nope.json" in str(err.value)
    model = MixModel(TYPES)
    with pytest.raises(ModelError, match="unfitted"):
        save_model(model, info_for(model, "rock", "all", ()), tmp_path)


def test_file_names_stay_inside_the_folder(tmp_path):
    assert model_file_stem("World/Folk", "all") == "World_Folk__all"
    assert model_file_stem("../..", "chorus") == "unnamed__chorus"
    model, _, _ = _fitted()
    info = info_for(model, "World/Folk", "all", type_feature_names(TYPES, FEATURES))
    path = save_model(model, info, tmp_path)
    assert path.parent == tmp_path and load_model(path).info.genre == "World/Folk"


@pytest.mark.parametrize("method", ["kde", "mlr"])
def test_a_loaded_model_predicts_with_numpy_alone_and_refuses_bad_inputs(tmp_path, method):
    from automix.models.fitted import FittedArrays

    path, model, X, _ = _save(tmp_path, method)
    est = load_model(path).model.estimators_["level"]
    assert isinstance(est, FittedArrays)
    np.testing.assert_array_equal(est.predict(X[:3]), model.estimators_["level"].predict(X[:3]))
    with pytest.raises(ModelError, match="NaN"):
        est.predict(np.where(np.arange(X.shape[1]) == 0, np.nan, X[:1]))
    with pytest.raises(ModelError, match=r"shape \(n, "):
        est.predict(X[:1, :-1])


@pytest.mark.parametrize("relative, load", [
    ("roles/roles.json", "automix.models.roles:load_role_model"),
    ("balance/track_balance.json", "automix.models.track_balance:load_track_balance"),
    ("genres/profiles.json", "automix.models.genre_guess:load_profiles"),
])
@pytest.mark.parametrize("content, message", [
    ("[" * 100_000, "nests deeper than"),           # json.loads would raise RecursionError
    ("[1, 2, 3]", "is not a JSON object"),           # doc.get would raise AttributeError
    ('{"format_version": 1', "corrupt or truncated"),
    ('{"format_version": 999}', "format 999"),
])
def test_files_beside_the_models_are_read_bounded_and_refused_naming_the_file(tmp_path, relative, load,
                                                                                content, message):
    """Role model, track balance and genre profiles are read with the model descriptions' limits."""
    import importlib

    module, name = load.split(":")
    path = tmp_path / relative
    path.parent.mkdir(parents=True)
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ModelError) as err:
        getattr(importlib.import_module(module), name)(tmp_path)
    assert message in str(err.value) and str(path) in str(err.value)
