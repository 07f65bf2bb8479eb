"""The per-section mixing model: one estimator per output group over fixed track types.

:class:`MixModel` bundles one estimator of :mod:`automix.models.estimators` (KDE or
MLR; a model read from a file holds the numpy-only
:class:`automix.models.fitted.FittedArrays` instead) per output group (level, pan, 5 EQ bands)
over a fixed list of track types and reports predictions only for the types
present in the song (:class:`TypePrediction`); :class:`TypeTargets` holds the
training targets with their observed mask; :func:`type_feature_matrix` and
:func:`type_feature_names` build the model inputs; :func:`leave_one_group_out`
gives leave-one-song-out predictions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from threadpoolctl import threadpool_limits

from automix.audio.bands import BAND_NAMES, N_BANDS
from automix.errors import ModelError
from automix.knowledge.targets import TARGET_KINDS
from automix.models.fitted import Predictor, check_method

if TYPE_CHECKING:  # scikit-learn is imported only to train
    from automix.models.estimators import KDERegressor, MLRRegressor

OUTPUT_GROUPS: tuple[str, ...] = ("level", "pan") + tuple(f"eq_{b}" for b in BAND_NAMES)
"""One estimator per group, each predicting one value per track type."""


@dataclass(frozen=True)
class TypeTargets:
    """Training targets of n song sections over a fixed list of T track types.

    Attributes:
        level: (n, T) level targets in the model's target kind (dB relative
            to the mix, or α).
        pan: (n, T) pan, −1 (left) … +1 (right).
        eq_db: (n, T, 5) EQ gain per sub-band in dB.
        present: (n, T) bool, False where the song has no track of the type
            (the other arrays' values there are ignored).
    """

    level: np.ndarray
    pan: np.ndarray
    eq_db: np.ndarray
    present: np.ndarray

    def group(self, name: str) -> np.ndarray:
        """The (n, T) target matrix of an output group of :data:`OUTPUT_GROUPS`."""
        if name == "level":
            return self.level
        if name == "pan":
            return self.pan
        return self.eq_db[:, :, BAND_NAMES.index(name[3:])]


@dataclass(frozen=True)
class TypePrediction:
    """A model's suggestion for one song section, for the types present only.

    Attributes:
        track_types: ids of the present types, in model order.
        level: (k,) level per type in ``target_kind`` units.
        pan: (k,) pan per type, clipped to [−1, 1].
        eq_db: (k, 5) EQ gain per sub-band in dB; (k, 0) when the caller did not ask for EQ.
        target_kind: one of :data:`~automix.knowledge.targets.TARGET_KINDS`.
        untrained: types present in the song that no training song had: the
            model cannot predict them (the caller falls back, e.g. to
            :mod:`automix.knowledge.practice`); they are not in ``track_types``.
    """

    track_types: tuple[str, ...]
    level: np.ndarray
    pan: np.ndarray
    eq_db: np.ndarray
    target_kind: str
    untrained: tuple[str, ...] = ()

    def index(self, type_id: str) -> int:
        """Position of ``type_id``; ModelError if the type was not present."""
        try:
            return self.track_types.index(type_id)
        except ValueError:
            why = " (no training song had it)" if type_id in self.untrained else ""
            raise ModelError(f"no prediction for track type {type_id!r}{why} "
                             f"(predicted: {', '.join(self.track_types)})") from None


def type_feature_matrix(per_type: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Model input rows from per-type features.

    Args:
        per_type: (n, T, F) features of each type's merged track.
        present: (n, T) bool.

    Returns:
        (n, T·F + T): the features with absent types zeroed, then one
        presence indicator (0/1) per type.
    """
    feats = np.asarray(per_type, dtype=float)
    pres = np.asarray(present, dtype=bool)
    if feats.ndim != 3 or pres.shape != feats.shape[:2]:
        raise ModelError(f"per-type features {feats.shape} and presence {pres.shape} do not match")
    zeroed = np.where(pres[:, :, None], np.nan_to_num(feats), 0.0)
    return np.concatenate([zeroed.reshape(len(feats), -1), pres.astype(float)], axis=1)


def type_feature_names(track_types: Sequence[str], feature_names: Sequence[str]) -> tuple[str, ...]:
    """Column names of :func:`type_feature_matrix` (``kick:rms_db`` …, ``kick:present`` …)."""
    return tuple(f"{t}:{f}" for t in track_types for f in feature_names) + tuple(
        f"{t}:present" for t in track_types)


class MixModel:
    """One genre × section model: an estimator per output group over fixed track types.

    Args:
        track_types: the model's type ids (output order).
        method: ``"kde"`` or ``"mlr"``.
        target_kind: what ``level`` means (see :mod:`automix.knowledge.targets`).
        n_components / alpha / nonnegative: estimator parameters.

    After :meth:`fit`, ``estimators_`` maps each group of :data:`OUTPUT_GROUPS`
    to its fitted estimator, ``type_counts_`` (T,) counts the training rows
    that had each type and ``n_features_in_`` is the input width.
    """

    def __init__(self, track_types: Sequence[str], method: str = "kde",
                 target_kind: str = "relative_loudness_db", n_components: int = 8,
                 alpha: float = 1.0, nonnegative: bool = False):
        if target_kind not in TARGET_KINDS:
            raise ModelError(f"unknown target kind {target_kind!r} (known: {', '.join(TARGET_KINDS)})")
        check_method(method)
        self.track_types = tuple(track_types)
        self.method = method
        self.target_kind = target_kind
        self.n_components = n_components
        self.alpha = alpha
        self.nonnegative = nonnegative
        self.estimators_: dict[str, Predictor] = {}
        self.type_counts_ = np.zeros(len(self.track_types))
        self.n_features_in_ = 0

    def new_estimator(self) -> KDERegressor | MLRRegressor:
        """An unfitted estimator with this model's parameters (imports scikit-learn)."""
        from automix.models.estimators import make_estimator

        return make_estimator(self.method, self.n_components, self.alpha, self.nonnegative)

    def fit(self, X: np.ndarray, targets: TypeTargets) -> MixModel:
        """Fit every output group on X (n, F) and the targets (T = len(track_types))."""
        X = np.asarray(X, dtype=float)
        present = np.asarray(targets.present, dtype=bool)
        n_types = len(self.track_types)
        if present.shape != (X.shape[0], n_types):
            raise ModelError(f"presence mask {present.shape} does not match "
                             f"{X.shape[0]} samples × {n_types} track types")
        self.estimators_ = {}
        Ys = [np.where(present, np.nan_to_num(np.asarray(targets.group(name), dtype=float)), 0.0)
              for name in OUTPUT_GROUPS]
        if self.method == "mlr":
            # MLR outputs are independent: one fit over all groups shares each row set's solve.
            joint = self.new_estimator().fit(X, np.hstack(Ys), y_mask=np.tile(present, len(Ys)))
            for g, name in enumerate(OUTPUT_GROUPS):
                est = self.new_estimator()
                cols = slice(g * n_types, (g + 1) * n_types)
                est.coef_, est.intercept_ = joint.coef_[cols].copy(), joint.intercept_[cols].copy()
                est.n_observed_ = joint.n_observed_[cols].copy()
                est.n_features_in_, est.n_outputs_, est.single_output_ = X.shape[1], n_types, False
                self.estimators_[name] = est
        else:
            for name, Y in zip(OUTPUT_GROUPS, Ys):
                self.estimators_[name] = self.new_estimator().fit(X, Y, y_mask=present)
        self.type_counts_ = present.sum(axis=0).astype(float)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, x: np.ndarray, present: Sequence[bool], *, eq: bool = True) -> TypePrediction:
        """Suggestion for one section: x (F,) features, present (T,) which types the song has.

        ``eq=False`` runs only the level and pan estimators (``eq_db`` is then (k, 0)).
        """
        if not self.estimators_:
            raise ModelError("the model is not fitted")
        row = np.asarray(x, dtype=float).reshape(1, -1)
        if row.shape[1] != self.n_features_in_:
            raise ModelError(f"model expects {self.n_features_in_} features, got {row.shape[1]}")
        asked = np.asarray(present, dtype=bool).reshape(-1)
        if asked.size != len(self.track_types):
            raise ModelError(f"{asked.size} presence flags for {len(self.track_types)} track types")
        trained = self.type_counts_ > 0
        mask = asked & trained
        out = {name: np.asarray(est.predict(row)).reshape(-1)[mask]
               for name, est in self.estimators_.items() if eq or not name.startswith("eq_")}
        eq_db = np.stack([out[f"eq_{b}"] for b in BAND_NAMES], axis=1) if eq and mask.any() \
            else np.zeros((int(mask.sum()), N_BANDS if eq else 0))
        return TypePrediction(
            track_types=tuple(t for t, p in zip(self.track_types, mask) if p),
            level=out["level"], pan=np.clip(out["pan"], -1.0, 1.0), eq_db=eq_db,
            target_kind=self.target_kind,
            untrained=tuple(t for t, a, k in zip(self.track_types, asked, trained) if a and not k))


def leave_one_group_out(model: MixModel, X: np.ndarray, targets: TypeTargets,
                        groups: Sequence[str]) -> TypeTargets:
    """Leave-one-song-out predictions: each row predicted by a model fitted without its song.

    Args:
        model: an (unfitted) template; copies with its parameters are fitted.
        X: (n, F) inputs; targets: the (n, T) targets; groups: song id per row.

    Returns:
        predictions in the layout of ``targets`` (``present`` copied; values
        at absent entries are NaN). Errors are ``prediction − target`` on
        ``present`` entries.
    """
    X = np.asarray(X, dtype=float)
    ids = np.asarray(list(groups))
    if ids.shape[0] != X.shape[0]:
        raise ModelError(f"{ids.shape[0]} song ids for {X.shape[0]} samples")
    present = np.asarray(targets.present, dtype=bool)
    level, pan = np.full(present.shape, np.nan), np.full(present.shape, np.nan)
    eq = np.full(present.shape + (N_BANDS,), np.nan)
    with threadpool_limits(limits=1):  # small matrices: BLAS threads only add overhead
        _loo_fill(model, X, targets, ids, present, level, pan, eq)
    mask = present[:, :, None]
    return TypeTargets(level=np.where(present, level, np.nan), pan=np.where(present, pan, np.nan),
                       eq_db=np.where(mask, eq, np.nan), present=present.copy())


def _loo_fill(model, X, targets, ids, present, level, pan, eq) -> None:
    for song in dict.fromkeys(ids.tolist()):
        test = ids == song
        train = ~test
        if not train.any():
            raise ModelError(f"leave-one-out needs at least two songs, got only {song!r}")
        sub = TypeTargets(level=targets.level[train], pan=targets.pan[train], eq_db=targets.eq_db[train],
                          present=present[train])
        fitted = MixModel(model.track_types, model.method, model.target_kind, model.n_components,
                          model.alpha, model.nonnegative).fit(X[train], sub)
        preds = {name: np.asarray(est.predict(X[test])).reshape(int(test.sum()), -1)
                 for name, est in fitted.estimators_.items()}
        level[test], pan[test] = preds["level"], np.clip(preds["pan"], -1.0, 1.0)
        eq[test] = np.stack([preds[f"eq_{b}"] for b in BAND_NAMES], axis=2)
