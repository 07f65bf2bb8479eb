"""Model files: a JSON description + an ``.npz`` of arrays, never a pickle.

A model ``<genre>__<section>`` is two files side by side:

``<genre>__<section>.json``
    ``format`` ("automix-model"), ``format_version``, ``method``, ``genre``,
    ``section``, ``target_kind``, ``params`` (n_components, alpha,
    nonnegative), ``track_types``, ``feature_names``, ``output_groups``,
    ``training`` (description, n_songs, n_samples, sources), ``evaluation``
    (name → figure), ``created_utc``, ``arrays_file`` and ``arrays_sha256``
    (SHA-256 of the npz, so a changed or swapped array file is detected).
``<genre>__<section>.npz``
    ``<group>.<attribute>`` → array for each output group's estimator
    (see :data:`automix.models.fitted.LEARNED_ARRAYS`) and ``model.type_counts``
    (training rows per track type), loaded with ``allow_pickle=False``.

Every problem (missing, truncated, corrupt, tampered, wrong version,
inconsistent shapes, over a size limit) raises :class:`~automix.errors.ModelError`
naming the file. Reading is bounded: at most :data:`MAX_MODEL_JSON_BYTES` of
description (nested at most :data:`MAX_MODEL_JSON_DEPTH` deep) and
:data:`MAX_MODEL_ARRAYS_BYTES` of arrays, and only the arrays the description
declares are decompressed (:func:`automix.util.bounded.read_npz_arrays`).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from automix.errors import ModelError
from automix.knowledge.targets import TARGET_KINDS
from automix.models.fitted import LEARNED_ARRAYS, METHODS, FittedArrays
from automix.models.mix_model import OUTPUT_GROUPS, MixModel
from automix.util.atomic import write_bytes_atomic
from automix.util.bounded import read_json_object_bounded, read_npz_arrays

TYPE_COUNTS_KEY = "model.type_counts"
"""npz key of the per-type count of training rows (types never seen are not predicted)."""

MAX_MODEL_JSON_BYTES = 4 << 20
"""Largest model description read (bytes). A description lists track types, feature names and
figures: the shipped ones are under 6 KiB, a model of 100 types × 20 features would be ~100 KiB."""

MAX_MODEL_JSON_DEPTH = 32
"""Deepest nesting of a model description (the format nests 3 levels)."""

MAX_MODEL_ARRAYS_BYTES = 256 << 20
"""Largest total of a model's decompressed arrays (bytes). Shipped models hold ~130 KiB; the
arrays grow with features × types × components, so even 100 types × 500 features stay under 5 MiB."""

FORMAT_NAME = "automix-model"
FORMAT_VERSION = 1
"""The model file format this automix writes and reads."""


@dataclass(frozen=True)
class TrainingInfo:
    """What a model was trained on.

    Attributes:
        description: free text (recipe, data set, augmentation).
        n_songs: number of songs.
        n_samples: number of training rows (song sections × frames …).
        sources: where the data came from (folders, data set names).
    """

    description: str = ""
    n_songs: int = 0
    n_samples: int = 0
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelInfo:
    """The JSON side of a model file (everything but the arrays).

    ``evaluation`` maps a figure's name (e.g. ``loocv_level_mse_db2``) to its value.
    """

    genre: str
    section: str
    method: str
    target_kind: str
    track_types: tuple[str, ...]
    feature_names: tuple[str, ...]
    n_components: int = 8
    alpha: float = 1.0
    nonnegative: bool = False
    training: TrainingInfo = field(default_factory=TrainingInfo)
    evaluation: dict[str, float] = field(default_factory=dict)
    created_utc: str = ""
    format_version: int = FORMAT_VERSION


@dataclass(frozen=True)
class LoadedModel:
    """A model read from disk: its description, the fitted model and its file."""

    info: ModelInfo
    model: MixModel
    path: Path


def model_file_stem(genre: str, section: str) -> str:
    """File name stem of the model for ``genre`` × ``section`` (``rock__chorus``).

    Characters other than letters, digits, ``-`` and ``_`` become ``_`` so a
    genre like ``World/Folk`` cannot name a path outside the folder.
    """
    def clean(text: str) -> str:
        return re.sub(r"[^0-9A-Za-z_-]+", "_", text).strip("_") or "unnamed"

    return f"{clean(genre)}__{clean(section)}"


def info_for(model: MixModel, genre: str, section: str, feature_names: tuple[str, ...] | list[str],
             training: TrainingInfo | None = None, evaluation: dict[str, float] | None = None) -> ModelInfo:
    """The :class:`ModelInfo` describing a fitted ``model``."""
    return ModelInfo(
        genre=genre, section=section, method=model.method, target_kind=model.target_kind,
        track_types=tuple(model.track_types), feature_names=tuple(feature_names),
        n_components=int(model.n_components), alpha=float(model.alpha),
        nonnegative=bool(model.nonnegative), training=training or TrainingInfo(),
        evaluation=dict(evaluation or {}))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_model(model: MixModel, info: ModelInfo, directory: str | Path) -> Path:
    """Write ``model`` as ``<genre>__<section>.json`` + ``.npz`` in ``directory``.

    Returns the JSON path. Both files are written atomically (npz first).
    """
    if not model.estimators_:
        raise ModelError("cannot save an unfitted model")
    if len(info.feature_names) != model.n_features_in_:
        raise ModelError(f"{len(info.feature_names)} feature names for a model of "
                         f"{model.n_features_in_} features")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = model_file_stem(info.genre, info.section)
    json_path, npz_path = directory / f"{stem}.json", directory / f"{stem}.npz"
    arrays = {f"{group}.{attr}": np.asarray(getattr(est, attr), dtype=float)
              for group, est in model.estimators_.items() for attr in LEARNED_ARRAYS[model.method]}
    arrays[TYPE_COUNTS_KEY] = np.asarray(model.type_counts_, dtype=float)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    write_bytes_atomic(npz_path, buf.getvalue())
    doc = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "method": model.method,
        "genre": info.genre,
        "section": info.section,
        "target_kind": model.target_kind,
        "params": {"n_components": int(model.n_components), "alpha": float(model.alpha),
                   "nonnegative": bool(model.nonnegative)},
        "track_types": list(model.track_types),
        "feature_names": list(info.feature_names),
        "output_groups": list(model.estimators_),
        "training": {"description": info.training.description, "n_songs": info.training.n_songs,
                     "n_samples": info.training.n_samples, "sources": list(info.training.sources)},
        "evaluation": {k: float(v) for k, v in info.evaluation.items()},
        "created_utc": info.created_utc or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "arrays_file": npz_path.name,
        "arrays_sha256": _sha256(npz_path),
    }
    write_bytes_atomic(json_path, (json.dumps(doc, indent=2, sort_keys=False) + "\n").encode("utf-8"))
    return json_path


def _field(doc: dict, key: str, kind: type | tuple[type, ...], path: Path):
    if key not in doc:
        raise ModelError(f"model description lacks {key!r}", file=path)
    value = doc[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ModelError(f"model field {key!r} has the wrong type: {value!r}", file=path)
    return value


def _read_json(path: Path) -> dict:
    doc = read_json_object_bounded(path, MAX_MODEL_JSON_BYTES, MAX_MODEL_JSON_DEPTH, ModelError, "model description")
    if doc.get("format") != FORMAT_NAME:
        raise ModelError(f"not an automix model file (format {doc.get('format')!r})", file=path)
    return doc


def read_side_file(path: Path, format_version: int, what: str) -> dict:
    """The JSON object of a small file stored beside the models (role model, track balance, genre profiles).

    Read with the limits of a model description (:data:`MAX_MODEL_JSON_BYTES`,
    :data:`MAX_MODEL_JSON_DEPTH`); its ``format_version`` must be ``format_version``.

    Raises:
        ModelError: naming the file, as :func:`~automix.util.bounded.read_json_object_bounded`
            does, or the version found.
    """
    doc = read_json_object_bounded(path, MAX_MODEL_JSON_BYTES, MAX_MODEL_JSON_DEPTH, ModelError, what)
    if doc.get("format_version") != format_version:
        raise ModelError(f"{what} format {doc.get('format_version')!r}, automix reads {format_version}", file=path)
    return doc


def side_file_figure(doc: dict, key: str) -> float:
    """An optional figure of a side file (:func:`read_side_file`): ``doc[key]`` as a float, NaN when absent or null.

    Raises ValueError / TypeError for a value that is not a number (the callers name the file).
    """
    value = doc.get(key)
    return math.nan if value is None else float(value)


def read_model_info(json_path: str | Path) -> ModelInfo:
    """Read and check a model's JSON description (the arrays are not opened)."""
    path = Path(json_path)
    doc = _read_json(path)
    version = _field(doc, "format_version", int, path)
    if version != FORMAT_VERSION:
        raise ModelError(f"model format version {version}, this automix reads version {FORMAT_VERSION}",
                         file=path)
    method = _field(doc, "method", str, path)
    if method not in METHODS:
        raise ModelError(f"unknown model method {method!r}", file=path)
    target_kind = _field(doc, "target_kind", str, path)
    if target_kind not in TARGET_KINDS:
        raise ModelError(f"unknown target kind {target_kind!r}", file=path)
    params = _field(doc, "params", dict, path)
    training = _field(doc, "training", dict, path)
    evaluation = _field(doc, "evaluation", dict, path)
    for key in ("track_types", "feature_names", "output_groups"):
        items = _field(doc, key, list, path)
        if not all(isinstance(x, str) for x in items):
            raise ModelError(f"model field {key!r} must be a list of names", file=path)
    if tuple(doc["output_groups"]) != OUTPUT_GROUPS:
        raise ModelError(f"model output groups {doc['output_groups']} differ from {list(OUTPUT_GROUPS)}",
                         file=path)
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in evaluation.values()):
        raise ModelError("model evaluation figures must be numbers", file=path)
    try:
        return ModelInfo(
            genre=_field(doc, "genre", str, path), section=_field(doc, "section", str, path),
            method=method, target_kind=target_kind, track_types=tuple(doc["track_types"]),
            feature_names=tuple(doc["feature_names"]), n_components=int(params["n_components"]),
            alpha=float(params["alpha"]), nonnegative=bool(params["nonnegative"]),
            training=TrainingInfo(str(training.get("description", "")), int(training.get("n_songs", 0)),
                                  int(training.get("n_samples", 0)),
                                  tuple(str(s) for s in training.get("sources", []))),
            evaluation={str(k): float(v) for k, v in evaluation.items()},
            created_utc=str(doc.get("created_utc", "")), format_version=version)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"model parameters are malformed: {exc!r}", file=path) from None


def _expected_shapes(method: str, n_feat: int, n_out: int, m: int) -> dict[str, tuple[int, ...]]:
    if method == "kde":
        return {"x_mean_": (n_feat,), "x_scale_": (n_feat,), "y_mean_": (n_out,),
                "components_": (m, n_out), "coef_": (n_feat, m), "explained_variance_ratio_": (m,)}
    return {"coef_": (n_out, n_feat), "intercept_": (n_out,), "n_observed_": (n_out,)}


def set_model_figures(json_path: str | Path, figures: dict[str, float]) -> None:
    """Add or replace figures in a saved model's ``evaluation`` (the JSON file rewritten atomically; its
    arrays untouched). ModelError names a file that is not a readable model."""
    path = Path(json_path)
    read_model_info(path)
    doc = _read_json(path)
    doc["evaluation"] = {**doc.get("evaluation", {}), **{k: float(v) for k, v in figures.items()}}
    write_bytes_atomic(path, (json.dumps(doc, indent=2, sort_keys=False) + "\n").encode("utf-8"))


def load_model(json_path: str | Path) -> LoadedModel:
    """Load a model; any missing, corrupt, tampered or inconsistent part raises ModelError."""
    path = Path(json_path)
    info = read_model_info(path)
    doc = _read_json(path)
    npz_name = _field(doc, "arrays_file", str, path)
    digest = _field(doc, "arrays_sha256", str, path)
    npz_path = path.parent / npz_name
    if Path(npz_name).name != npz_name:
        raise ModelError(f"array file name {npz_name!r} must not contain a folder", file=path)
    if not npz_path.is_file():
        raise ModelError(f"array file {npz_name!r} is missing", file=path)
    if npz_path.stat().st_size > MAX_MODEL_ARRAYS_BYTES:
        raise ModelError(f"array file larger than the {MAX_MODEL_ARRAYS_BYTES >> 20} MiB automix reads",
                         file=npz_path)
    actual = _sha256(npz_path)
    if actual != digest:
        raise ModelError(f"array file was changed or corrupted (sha256 {actual[:12]}…, "
                         f"the description records {digest[:12]}…)", file=npz_path)
    declared = [f"{group}.{attr}" for group in OUTPUT_GROUPS for attr in LEARNED_ARRAYS[info.method]]
    arrays = read_npz_arrays(npz_path, [*declared, TYPE_COUNTS_KEY], MAX_MODEL_ARRAYS_BYTES, ModelError,
                             required=False)
    n_feat, n_out = len(info.feature_names), len(info.track_types)
    model = MixModel(info.track_types, method=info.method, target_kind=info.target_kind,
                     n_components=info.n_components, alpha=info.alpha, nonnegative=info.nonnegative)
    for group in OUTPUT_GROUPS:
        m = arrays.get(f"{group}.components_", np.zeros((0, 0))).shape[0]
        learned = {}
        for attr, shape in _expected_shapes(info.method, n_feat, n_out, m).items():
            key = f"{group}.{attr}"
            if key not in arrays:
                raise ModelError(f"model arrays lack {key!r}", file=npz_path)
            arr = arrays[key]
            if arr.shape != shape or arr.dtype.kind != "f" or not np.all(np.isfinite(arr)):
                raise ModelError(f"model array {key!r} has shape {arr.shape} dtype {arr.dtype}, "
                                 f"expected finite float {shape}", file=npz_path)
            if attr == "x_scale_" and np.any(arr <= 0):
                raise ModelError(f"model array {key!r} holds a scale <= 0", file=npz_path)
            learned[attr] = arr
        model.estimators_[group] = FittedArrays(info.method, learned, n_feat)
    counts = arrays.get(TYPE_COUNTS_KEY)
    if counts is None or counts.shape != (n_out,) or counts.dtype.kind != "f" or \
            not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise ModelError(f"model array {TYPE_COUNTS_KEY!r} is missing or not {n_out} counts >= 0",
                         file=npz_path)
    model.type_counts_ = counts
    model.n_features_in_ = n_feat
    return LoadedModel(info=info, model=model, path=path)
