"""Fit the genre × section model bank from training samples, and learn from finished projects.

:func:`train_models` groups :class:`~automix.training.samples.SectionSample` rows by
genre and section and writes one model per bucket that has enough songs
(:data:`MIN_SONGS`), plus the fallbacks the bank's chain looks for when data
is thin: per genre (all sections), per genre group (× section and all
sections) and ``all`` (× section and ``all × all``, always written).
Each model's JSON records what it was trained on and, with at least three
songs, its leave-one-song-out level error.

:func:`learn_from_projects` is what ``automix learn`` and the live REAPER
"learn" action call: it reads finished projects (exact ground truth), adds
them to the folder's stored samples (``training-data/training-samples.npz``
+ ``.json``, no pickle; a project learnt again replaces its earlier rows) and retrains the
folder's models, so a personal model grows with every mix.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from automix.errors import ModelError
from automix.features.region import REGION_FEATURE_NAMES
from automix.knowledge.genres import genre_group, normalize_genre
from automix.knowledge.targets import DEFAULT_TARGET_KIND, check_target_kind
from automix.knowledge.track_types import TRACK_TYPE_IDS
from automix.models.bank import ALL
from automix.models.files import TrainingInfo, info_for, save_model
from automix.models.inputs import MODEL_FEATURE_NAMES, RECORDING_LEVEL_FEATURES, with_shape_features
from automix.models.mix_model import (
    MixModel,
    TypeTargets,
    type_feature_matrix,
    type_feature_names,
)
from automix.training.metrics import level_errors_db
from automix.training.samples import SectionSample
from automix.util.atomic import fsync_folder, write_bytes_atomic, write_text_atomic

MIN_SONGS = 2
"""Songs a genre or section bucket needs before it gets its own model (``all × all`` is always written)."""

SMALL_MODEL_EXCLUDED_FEATURES: tuple[str, ...] = (*RECORDING_LEVEL_FEATURES, "spread_hz", "zcr", "lr_balance_db",
                                                  "slope_db_per_oct", "active_fraction")
"""Inputs left out of the shipped KDE models and of the real-song evaluation's folds: the recording-level features
(:data:`~automix.models.inputs.RECORDING_LEVEL_FEATURES`) and, for size, five spectral and activity features;
``centroid_hz`` and the five ``shape_db_*`` stay (plus each type's presence). With ``rms_db`` still an input, held
out on the 8 real songs of ``automix evaluate --real`` (shipped recipe, genre named) the plans scored 2.81 / 3.01 dB
(one / six regions), without it 2.83 / 3.02, and a track recorded 30 dB quieter moved the hi-hat of the demo by
0.9 dB."""

SAMPLES_FILE = "training-samples"
"""Stem of the files holding accumulated training samples."""

SAMPLES_DIR = "training-data"
"""Sub-folder of a learnt model folder holding its samples (so model listings never see them)."""


@dataclass(frozen=True)
class TrainingSet:
    """Model-ready arrays of some samples.

    Attributes:
        X: (n, F') inputs (:func:`automix.models.mix_model.type_feature_matrix`).
        targets: per-type targets over ``track_types``.
        song_ids: (n,) song of each row (leave-one-song-out groups).
        track_types: the T types present in at least one row.
        feature_names: the F' input names (``kick:centroid_hz`` …, ``kick:present``).
        samples: the rows, in order.
    """

    X: np.ndarray
    targets: TypeTargets
    song_ids: tuple[str, ...]
    track_types: tuple[str, ...]
    feature_names: tuple[str, ...]
    samples: tuple[SectionSample, ...]


MIN_FEATURE_SPREAD: dict[str, float] = {"hz": 20.0, "zcr": 0.005, "active_fraction": 0.02, "db": 0.5}
"""Smallest standard deviation over the training rows a feature column needs to be a model input.

A column that barely varies (a mono track's stereo balance, a level that
never changes) would be scaled up enormously by the estimators'
standardisation and turn a small difference in a new song into a wild
prediction, so it is left out of the model (its feature list says which
inputs it uses). Presence columns are always kept.
"""


def _min_spread(feature: str) -> float:
    if feature.endswith("_hz"):
        return MIN_FEATURE_SPREAD["hz"]
    if feature in ("zcr", "active_fraction"):
        return MIN_FEATURE_SPREAD[feature]
    return MIN_FEATURE_SPREAD["db"]


def informative_columns(X: np.ndarray, names: Sequence[str]) -> list[int]:
    """Indices of the columns of X (n, F) worth using (see :data:`MIN_FEATURE_SPREAD`)."""
    std = X.std(axis=0)
    keep = []
    for j, name in enumerate(names):
        feat = name.partition(":")[2]
        if feat == "present" or std[j] >= _min_spread(feat):
            keep.append(j)
    return keep


def training_set(samples: Sequence[SectionSample], target_kind: str = DEFAULT_TARGET_KIND,
                 track_types: Sequence[str] | None = None,
                 feature_names: Sequence[str] | None = None,
                 exclude_features: Sequence[str] = ()) -> TrainingSet:
    """Arrays for fitting: the types present in the samples (or ``track_types``), inputs and targets.

    The inputs are the informative columns of :func:`automix.models.mix_model.type_feature_matrix`
    (:func:`informative_columns`) minus the per-type features named in
    ``exclude_features`` (e.g. ``zcr``, to keep shipped models small), or
    exactly ``feature_names`` (to predict new rows with a trained model's inputs).
    """
    check_target_kind(target_kind)
    if not samples:
        raise ModelError("no training samples")
    present_all = np.stack([s.present for s in samples])
    if track_types is None:
        cols = [k for k in range(len(TRACK_TYPE_IDS)) if present_all[:, k].any()]
        track_types = tuple(TRACK_TYPE_IDS[k] for k in cols)
    else:
        cols = [TRACK_TYPE_IDS.index(t) for t in track_types]
    present = present_all[:, cols]
    feats = with_shape_features(np.stack([s.type_features[cols] for s in samples]))
    X = type_feature_matrix(feats, present)
    all_names = type_feature_names(track_types, MODEL_FEATURE_NAMES)
    if feature_names is None:
        cols_x = [j for j in informative_columns(X, all_names)
                  if all_names[j].partition(":")[2] not in set(exclude_features)]
    else:
        try:
            cols_x = [all_names.index(n) for n in feature_names]
        except ValueError as exc:
            raise ModelError(f"unknown model input: {exc}") from None
    X = X[:, cols_x]
    level = np.stack([(s.alpha if target_kind == "alpha" else s.level_rel_db)[cols] for s in samples])
    targets = TypeTargets(level=np.nan_to_num(level), pan=np.nan_to_num(np.stack([s.pan[cols] for s in samples])),
                          eq_db=np.nan_to_num(np.stack([s.eq_db[cols] for s in samples])), present=present)
    return TrainingSet(X, targets, tuple(s.song_id for s in samples), tuple(track_types),
                       tuple(all_names[j] for j in cols_x), tuple(samples))


def fit_model(ts: TrainingSet, method: str = "kde", n_components: int = 8,
              target_kind: str = DEFAULT_TARGET_KIND, alpha: float = 1.0) -> MixModel:
    """A :class:`MixModel` fitted on a training set."""
    return MixModel(ts.track_types, method=method, target_kind=target_kind, n_components=n_components,
                    alpha=alpha).fit(ts.X, ts.targets)


def loocv_level_errors_db(ts: TrainingSet, method: str = "kde", n_components: int = 8,
                          target_kind: str = DEFAULT_TARGET_KIND, alpha: float = 1.0,
                          exclude_features: Sequence[str] = ()) -> np.ndarray:
    """Leave-one-song-out errors (dB) of each present type's level relative to the mix, flat (k,).

    Predictions are normalised per section (power sum 0 dB) like the planner
    does; α predictions are turned into levels with the section's own stem levels.
    """

    pred = loo_predict_levels(ts, method, n_components, target_kind, alpha, exclude_features)
    return level_errors_db(ts, pred, target_kind)


def loo_predict_levels(ts: TrainingSet, method: str = "kde", n_components: int = 8,
                       target_kind: str = DEFAULT_TARGET_KIND, alpha: float = 1.0,
                       exclude_features: Sequence[str] = ()) -> np.ndarray:
    """Leave-one-song-out level predictions (n, T) over ``ts.track_types``.

    Each held-out song is predicted by a model fitted on the other songs
    alone, including the choice of input columns; types no other song has
    are NaN (not predictable, as :meth:`automix.models.mix_model.MixModel.predict` says).
    """
    pred = np.full(ts.targets.present.shape, np.nan)
    ids = np.array(ts.song_ids)
    for song in dict.fromkeys(ts.song_ids):
        test = ids == song
        if test.all():
            raise ModelError(f"leave-one-out needs at least two songs, got only {song!r}")
        train = [s for s, t in zip(ts.samples, test) if not t]
        tr = training_set(train, target_kind, ts.track_types, exclude_features=exclude_features)
        model = fit_model(tr, method, n_components, target_kind, alpha)
        te = training_set([s for s, t in zip(ts.samples, test) if t], target_kind, ts.track_types, tr.feature_names)
        pred[test] = np.asarray(model.estimators_["level"].predict(te.X)).reshape(int(test.sum()), -1)
        pred[np.ix_(test, model.type_counts_ == 0)] = np.nan  # untrained types: the planner falls back
    return pred


def _buckets(samples: Sequence[SectionSample]) -> dict[tuple[str, str], list[SectionSample]]:
    out: dict[tuple[str, str], list[SectionSample]] = {}
    for s in samples:
        g = normalize_genre(s.genre)
        grp = genre_group(g)
        keys = {(g, s.section), (g, ALL), (ALL, s.section), (ALL, ALL)}
        if grp is not None:
            keys |= {(grp.id, s.section), (grp.id, ALL)}
        for key in keys:
            out.setdefault(key, []).append(s)
    return out


def default_excluded_features(target_kind: str = DEFAULT_TARGET_KIND) -> tuple[str, ...]:
    """Per-type features a model of ``target_kind`` leaves out unless told otherwise.

    Levels relative to the mix: the recording-level features (:data:`~automix.models.inputs.RECORDING_LEVEL_FEATURES`),
    so that one track's recording level never moves the others. Gains relative to the recording (``alpha``) need
    them: none.
    """
    check_target_kind(target_kind)
    return () if target_kind == "alpha" else RECORDING_LEVEL_FEATURES


def train_models(samples: Sequence[SectionSample], out_dir: str | Path, method: str = "kde",
                 n_components: int = 8, target_kind: str = DEFAULT_TARGET_KIND, *, alpha: float = 1.0,
                 min_songs: int = MIN_SONGS, description: str = "", evaluate: bool = True,
                 buckets: Sequence[tuple[str, str]] | None = None,
                 exclude_features: Sequence[str] | None = None) -> list[Path]:
    """Fit and save one model per genre × section bucket with enough songs, plus the fallbacks.

    Args:
        samples: training rows (any genres and sections).
        out_dir: model folder (created).
        method / n_components / target_kind / alpha: model parameters.
        min_songs: songs a bucket needs (``all × all`` is written whatever the count).
        description: what the data is, stored in each model's JSON.
        evaluate: store leave-one-song-out level errors in the models with >= 3 songs.
        buckets: only these (genre key, section key) buckets (default: all).
        exclude_features: per-type features left out of the inputs (see :func:`training_set`); default
            :func:`default_excluded_features`.

    Returns:
        the JSON paths written, sorted.
    """
    check_target_kind(target_kind)
    if exclude_features is None:
        exclude_features = default_excluded_features(target_kind)
    if not samples:
        raise ModelError("no training samples")
    written = []
    for (gk, sk), rows in sorted(_buckets(samples).items()):
        if buckets is not None and (gk, sk) not in buckets:
            continue
        songs = sorted({s.song_id for s in rows})
        if len(songs) < min_songs and (gk, sk) != (ALL, ALL):
            continue
        ts = training_set(rows, target_kind, exclude_features=exclude_features)
        model = fit_model(ts, method, n_components, target_kind, alpha)
        figures: dict[str, float] = {}
        if evaluate and len(songs) >= 3:
            err = loocv_level_errors_db(ts, method, n_components, target_kind, alpha, exclude_features)
            figures = {"loocv_level_mae_db": float(np.mean(np.abs(err))),
                       "loocv_level_median_abs_db": float(np.median(np.abs(err))),
                       "loocv_level_mse_db2": float(np.mean(err ** 2))}
        sources = tuple(sorted({s.source for s in rows}))
        info = info_for(model, gk, sk, ts.feature_names,
                        TrainingInfo(description or f"{len(songs)} songs", len(songs), len(rows),
                                     sources[:50]), figures)
        written.append(save_model(model, info, out_dir))
    return sorted(written)


# ---------------------------------------------------------------- stored samples

def save_samples(samples: Sequence[SectionSample], directory: str | Path) -> Path:
    """Store samples as ``training-samples.npz`` (arrays) + ``.json`` (text fields), each written atomically.

    Returns the npz path.
    """
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    arrays = {name: np.stack([getattr(s, name) for s in samples]).astype(float)
              for name in ("type_features", "present", "level_rel_db", "alpha", "pan", "eq_db")}
    arrays["mix_level_db"] = np.array([s.mix_level_db for s in samples], dtype=float)
    npz = d / f"{SAMPLES_FILE}.npz"
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    write_bytes_atomic(npz, buf.getvalue())
    meta = {"type_ids": list(TRACK_TYPE_IDS), "feature_names": list(REGION_FEATURE_NAMES),
            "rows": [{"song_id": s.song_id, "genre": s.genre, "section": s.section, "region": s.region,
                      "source": s.source} for s in samples]}
    write_text_atomic(d / f"{SAMPLES_FILE}.json", json.dumps(meta, indent=1) + "\n")
    return npz


def load_samples(directory: str | Path) -> list[SectionSample]:
    """Samples stored by :func:`save_samples` (empty when none); ModelError if they do not match this automix."""
    d = Path(directory)
    npz, meta_path = d / f"{SAMPLES_FILE}.npz", d / f"{SAMPLES_FILE}.json"
    if not npz.is_file() or not meta_path.is_file():
        return []
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        with np.load(npz, allow_pickle=False) as data:
            arrays = {k: np.array(data[k]) for k in data.files}
    except (OSError, ValueError, json.JSONDecodeError) as exc:
        raise ModelError(f"cannot read stored training samples: {exc}", file=npz) from None
    if meta.get("type_ids") != list(TRACK_TYPE_IDS) or meta.get("feature_names") != list(REGION_FEATURE_NAMES):
        raise ModelError("stored training samples were made with other track types or features; "
                         "learn the projects again into an empty folder", file=meta_path)
    out = []
    for i, row in enumerate(meta["rows"]):
        out.append(SectionSample(row["song_id"], row["genre"], row["section"], row["region"], row["source"],
                                 arrays["type_features"][i], arrays["present"][i].astype(bool),
                                 arrays["level_rel_db"][i], arrays["alpha"][i], arrays["pan"][i],
                                 arrays["eq_db"][i], float(arrays["mix_level_db"][i])))
    return out


def learn_from_projects(paths: Sequence[str | Path], out_dir: str | Path, *, genre: str | None = None,
                        method: str = "kde", n_components: int = 8, jobs: int = 1,
                        scheduler: str | None = None) -> str:
    """Learn from finished REAPER projects into the model folder ``out_dir``; returns a one-line summary.

    The projects' rows replace earlier rows of the same projects; every
    model of the folder is retrained on all stored rows. ``jobs`` / ``scheduler``:
    where the projects are analysed (see :func:`automix.training.dataset.collect_samples`).
    Training happens in a scratch folder inside ``out_dir``; only when every
    model is saved do they replace the folder's previous models, so a failure
    leaves those in place.
    """
    from automix.models.bank import installed_models_dir
    from automix.training.dataset import collect_samples

    if Path(out_dir).resolve() == installed_models_dir().resolve():
        raise ModelError("learn writes a personal model folder; it must not be the shipped models/ folder",
                         file=out_dir)
    new = collect_samples(paths, genre=genre, jobs=jobs, scheduler=scheduler)
    new_ids = {s.song_id for s in new}
    out = Path(out_dir)
    kept = [s for s in load_samples(out / SAMPLES_DIR) if s.song_id not in new_ids]
    samples = kept + new
    n_songs = len({s.song_id for s in samples})
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".automix-learn.", dir=out) as work:
            # train into a scratch folder first: a failure leaves the previous models and samples in place
            save_samples(samples, Path(work) / SAMPLES_DIR)
            written = train_models(samples, work, method, n_components, min_songs=1,
                                   description=f"personal model: {n_songs} finished REAPER project(s) "
                                               "(exact ground truth)")
            _replace_models(Path(work), out, [Path(w) for w in written])
    except OSError as exc:
        raise ModelError(f"cannot write the model folder: {exc.strerror or exc}", file=exc.filename or out) from None
    return (f"learnt {len(new_ids)} project(s), {len(new)} section(s); {n_songs} project(s) in total; "
            f"{len(written)} model(s) in {out}")


def _replace_models(work: Path, out: Path, written: Sequence[Path]) -> None:
    """Move the models and samples trained in ``work`` into ``out``; remove ``out``'s models not retrained."""
    new_names = set()
    for json_path in written:
        for path in (json_path.with_suffix(".npz"), json_path):  # arrays first: the JSON holds their checksum
            os.replace(path, out / path.name)
            new_names.add(path.name)
    (out / SAMPLES_DIR).mkdir(exist_ok=True)
    for path in sorted((work / SAMPLES_DIR).iterdir()):
        os.replace(path, out / SAMPLES_DIR / path.name)
    for old in sorted(out.glob("*.json")):  # models of the previous learning round
        if old.name not in new_names and old.with_suffix(".npz").is_file():
            old.unlink()
            old.with_suffix(".npz").unlink()
    fsync_folder(out)


def relabel_sections(samples: Sequence[SectionSample], sections: Sequence[str]) -> list[SectionSample]:
    """Copies of unlabelled (``other``) rows for each of ``sections`` (labelled rows unchanged)."""
    out = []
    for s in samples:
        if s.section == "other":
            out += [replace(s, section=sec) for sec in sections]
        else:
            out.append(s)
    return out


__all__ = ["TrainingSet", "training_set", "fit_model", "train_models", "learn_from_projects", "save_samples",
           "load_samples", "loocv_level_errors_db", "loo_predict_levels", "relabel_sections", "MIN_SONGS"]
