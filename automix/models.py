"""The estimators: KDE (the paper's method) and MLR (its baseline).

Both are scikit-learn regressors (``__init__`` only stores parameters,
``fit`` returns self, learned attributes end in ``_``; ``check_estimator``
passes on both, see ``tests/test_models.py``) mapping an input feature vector
``X[i]`` (one song section) to an output vector ``y[i]`` (one value per
track type).

* :class:`KDERegressor` — standardise X; PCA of the outputs to ``m``
  components; one ridge regression per component; predict the components and
  project back. Outputs that move together (tracks whose settings depend on
  each other) share components, so few songs go further.
* :class:`MLRRegressor` — one independent linear regression per output;
  ``nonnegative=True`` constrains the slopes to >= 0 (NNLS, as in the MLR
  paper).

Missing track types: a song without a type has no target for it. ``fit``
takes ``y_mask`` (True where observed): MLR fits each output on its observed
rows only; KDE imputes a missing entry with the type's mean over the songs
that have it, then refines the imputation from its own predictions
(``n_impute_iter`` rounds) before the final PCA. :class:`MixModel` bundles
one estimator per output group (level, pan, 5 EQ bands) over a fixed list of
track types and reports predictions only for the types present in the song;
:func:`leave_one_group_out` gives leave-one-song-out predictions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.optimize import nnls
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from automix.bands import BAND_NAMES, N_BANDS
from automix.errors import ModelError
from automix.targets import TARGET_KINDS

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data

    def _validate(est, X, y="no_validation", *, reset, **check):
        return _validate_data(est, X, y, reset=reset, **check)
except ImportError:  # pragma: no cover - scikit-learn 1.2 … 1.5
    def _validate(est, X, y="no_validation", *, reset, **check):
        return est._validate_data(X, y, reset=reset, **check)


def _check_mask(y_mask, shape: tuple[int, int]) -> np.ndarray:
    if y_mask is None:
        return np.ones(shape, dtype=bool)
    mask = np.asarray(y_mask, dtype=bool)
    if mask.ndim == 1:
        mask = mask[:, None]
    if mask.shape != shape:
        raise ModelError(f"y_mask has shape {mask.shape}, the targets {shape}")
    return mask


class _MaskedRegressor(RegressorMixin, BaseEstimator):
    """Shared input handling: validation, 1-D/2-D targets, the observation mask."""

    def _fit_arrays(self, X, y, y_mask):
        X, y = _validate(self, X, y, reset=True, multi_output=True, y_numeric=True)
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        self.n_outputs_ = Y.shape[1]
        self.single_output_ = y.ndim == 1
        return X, Y.astype(float), _check_mask(y_mask, Y.shape)

    def _shape_output(self, Y: np.ndarray) -> np.ndarray:
        return Y[:, 0] if self.single_output_ else Y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"multioutput": True}


def _ridge_solver(Xs: np.ndarray, alpha: float) -> Callable[[np.ndarray], np.ndarray]:
    """A function mapping centred targets (n, k) to ridge coefficients (F, k) on centred ``Xs`` (n, F).

    The matrix is factorised once (so repeated solves in the imputation loop
    are cheap), in the dual n×n form when n < F, else the primal F×F form;
    memory stays O(n·F + min(n, F)²) even for frame-level training sets.
    """
    n, f = Xs.shape
    if alpha > 0:
        try:
            if n < f:
                dual = cho_factor(Xs @ Xs.T + alpha * np.eye(n))
                return lambda T: Xs.T @ cho_solve(dual, T)
            primal = cho_factor(Xs.T @ Xs + alpha * np.eye(f))
            return lambda T: cho_solve(primal, Xs.T @ T)
        except np.linalg.LinAlgError:  # pragma: no cover - only for degenerate data
            pass
    return lambda T: np.linalg.lstsq(Xs, T, rcond=None)[0]


def _least_squares(Xc: np.ndarray, Yc: np.ndarray) -> np.ndarray:
    """Minimum-norm least-squares coefficients (n_features, n_targets) of centred data.

    Solved through the smaller of the two Gram matrices (n×n or F×F) with a
    symmetric pseudo-inverse: much faster than an SVD of X when n ≪ F.
    """
    n, f = Xc.shape
    if n < f:
        gram = Xc @ Xc.T
        return Xc.T @ (np.linalg.pinv(gram, 1e-10, hermitian=True) @ Yc)
    gram = Xc.T @ Xc
    return np.linalg.pinv(gram, 1e-10, hermitian=True) @ (Xc.T @ Yc)


class KDERegressor(_MaskedRegressor):
    """Kernel-dependency-estimation regressor (linear kernel), as in the KDE paper.

    Args:
        n_components: m, the number of principal components of the outputs
            kept (clipped to the number of outputs and samples). The paper
            found m = 8 of 12 better than 12.
        alpha: ridge penalty of each component's regression (on standardised X).
        n_impute_iter: rounds of iterative imputation of missing targets:
            start from each output's observed mean, then replace the missing
            entries by the model's own prediction from X and refit (EM-like;
            stops early once the imputed values no longer change).
            With many absent track types, mean imputation alone flattens the
            output correlations KDE relies on; 0 keeps the mean imputation.

    Learned attributes: ``x_mean_``/``x_scale_`` (n_features,), ``y_mean_``
    (n_outputs,), ``components_`` (m, n_outputs), ``coef_`` (n_features, m),
    ``explained_variance_ratio_`` (m,), ``n_components_``.
    """

    def __init__(self, n_components: int = 8, alpha: float = 1.0, n_impute_iter: int = 20):
        self.n_components = n_components
        self.alpha = alpha
        self.n_impute_iter = n_impute_iter

    def fit(self, X, y, y_mask=None):
        """Fit on X (n_samples, n_features) and y (n_samples,) or (n_samples, n_outputs).

        ``y_mask`` (same shape as y, bool): False marks a missing target
        (its value is ignored and imputed by the output's observed mean).
        """
        if not (isinstance(self.n_components, (int, np.integer)) and self.n_components >= 1):
            raise ModelError(f"KDE n_components must be an integer >= 1, got {self.n_components!r}")
        if not (np.isfinite(self.alpha) and self.alpha >= 0):
            raise ModelError(f"KDE alpha must be a finite number >= 0, got {self.alpha!r}")
        if not (isinstance(self.n_impute_iter, (int, np.integer)) and self.n_impute_iter >= 0):
            raise ModelError(f"KDE n_impute_iter must be an integer >= 0, got {self.n_impute_iter!r}")
        X, Y, mask = self._fit_arrays(X, y, y_mask)
        self.x_mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.x_scale_ = np.where(scale > 1e-12 * np.maximum(1.0, np.abs(self.x_mean_)), scale, 1.0)
        Xs = (X - self.x_mean_) / self.x_scale_
        solve = _ridge_solver(Xs, float(self.alpha))
        counts = mask.sum(axis=0)
        col_mean = np.where(counts > 0, np.where(mask, Y, 0.0).sum(axis=0) / np.maximum(counts, 1), 0.0)
        Yf = np.where(mask, Y, col_mean)
        self._fit_filled(solve, Yf)
        if not mask.all():
            observed_any = counts > 0  # an output never observed stays at 0
            for _ in range(self.n_impute_iter):
                new = np.where(mask, Y, np.where(observed_any, Xs @ self.coef_ @ self.components_ + self.y_mean_,
                                                 0.0))
                change = float(np.max(np.abs(new - Yf)))
                Yf = new
                self._fit_filled(solve, Yf)
                if change <= 1e-9 * max(1.0, float(np.max(np.abs(Yf)))):
                    break
        return self

    def _fit_filled(self, solve: Callable[[np.ndarray], np.ndarray], Yf: np.ndarray) -> None:
        """PCA of the (imputed) targets and the ridge fit of each component."""
        self.y_mean_ = Yf.mean(axis=0)
        Yc = Yf - self.y_mean_
        _, s, vt = np.linalg.svd(Yc, full_matrices=False)
        m = int(min(self.n_components, vt.shape[0]))
        self.n_components_ = m
        self.components_ = vt[:m]
        total = float(np.sum(s ** 2))
        self.explained_variance_ratio_ = (s[:m] ** 2 / total) if total > 0 else np.zeros(m)
        self.coef_ = solve(Yc @ self.components_.T)

    def _predict_2d(self, X: np.ndarray) -> np.ndarray:
        return ((X - self.x_mean_) / self.x_scale_) @ self.coef_ @ self.components_ + self.y_mean_

    def predict(self, X):
        """Predicted outputs, shape (n_samples,) or (n_samples, n_outputs)."""
        check_is_fitted(self, "coef_")
        X = _validate(self, X, reset=False)
        return self._shape_output(self._predict_2d(X))


class MLRRegressor(_MaskedRegressor):
    """Multiple linear regression, one independent least-squares fit per output.

    Args:
        nonnegative: constrain the slopes to >= 0 (NNLS, the MLR paper's
            variant); the intercept stays free.

    Learned attributes: ``coef_`` (n_outputs, n_features), ``intercept_``
    (n_outputs,), ``n_observed_`` (n_outputs,) rows each output was fitted on.
    An output never observed predicts 0.
    """

    def __init__(self, nonnegative: bool = False):
        self.nonnegative = nonnegative

    def fit(self, X, y, y_mask=None):
        """Fit on X (n_samples, n_features) and y; ``y_mask`` as in :meth:`KDERegressor.fit`."""
        X, Y, mask = self._fit_arrays(X, y, y_mask)
        n_out, n_feat = Y.shape[1], X.shape[1]
        self.coef_ = np.zeros((n_out, n_feat))
        self.intercept_ = np.zeros(n_out)
        self.n_observed_ = mask.sum(axis=0)
        patterns: dict[bytes, list[int]] = {}
        for j in range(n_out):  # outputs observed on the same rows share one solve
            patterns.setdefault(mask[:, j].tobytes(), []).append(j)
        for cols in patterns.values():
            rows = mask[:, cols[0]]
            if not rows.any():
                continue
            Xr, Yr = X[rows], Y[np.ix_(rows, cols)]
            x_mean, y_mean = Xr.mean(axis=0), Yr.mean(axis=0)
            Xc, Yc = Xr - x_mean, Yr - y_mean
            if self.nonnegative:
                coef = np.stack([nnls(Xc, Yc[:, k])[0] for k in range(len(cols))])
            else:
                coef = _least_squares(Xc, Yc).T
            self.coef_[cols] = coef
            self.intercept_[cols] = y_mean - coef @ x_mean
        return self

    def predict(self, X):
        """Predicted outputs, shape (n_samples,) or (n_samples, n_outputs)."""
        check_is_fitted(self, "coef_")
        X = _validate(self, X, reset=False)
        return self._shape_output(X @ self.coef_.T + self.intercept_)


METHODS: tuple[str, ...] = ("kde", "mlr")
LEARNED_ARRAYS: dict[str, tuple[str, ...]] = {
    "kde": ("x_mean_", "x_scale_", "y_mean_", "components_", "coef_", "explained_variance_ratio_"),
    "mlr": ("coef_", "intercept_", "n_observed_"),
}
"""The arrays that fully describe a fitted estimator of each method (what model files store)."""


def make_estimator(method: str, n_components: int = 8, alpha: float = 1.0,
                   nonnegative: bool = False) -> KDERegressor | MLRRegressor:
    """A fresh estimator of ``method`` (``"kde"`` or ``"mlr"``)."""
    if method == "kde":
        return KDERegressor(n_components=n_components, alpha=alpha)
    if method == "mlr":
        return MLRRegressor(nonnegative=nonnegative)
    raise ModelError(f"unknown model method {method!r} (known: {', '.join(METHODS)})")


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
        eq_db: (k, 5) EQ gain per sub-band in dB.
        target_kind: one of :data:`~automix.targets.TARGET_KINDS`.
        untrained: types present in the song that no training song had: the
            model cannot predict them (the caller falls back, e.g. to
            :mod:`automix.mixing_practice`); they are not in ``track_types``.
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
        target_kind: what ``level`` means (see :mod:`automix.targets`).
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
        make_estimator(method)  # validates the method name
        self.track_types = tuple(track_types)
        self.method = method
        self.target_kind = target_kind
        self.n_components = n_components
        self.alpha = alpha
        self.nonnegative = nonnegative
        self.estimators_: dict[str, KDERegressor | MLRRegressor] = {}
        self.type_counts_ = np.zeros(len(self.track_types))
        self.n_features_in_ = 0

    def new_estimator(self) -> KDERegressor | MLRRegressor:
        """An unfitted estimator with this model's parameters."""
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

    def predict(self, x: np.ndarray, present: Sequence[bool]) -> TypePrediction:
        """Suggestion for one section: x (F,) features, present (T,) which types the song has."""
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
               for name, est in self.estimators_.items()}
        eq = np.stack([out[f"eq_{b}"] for b in BAND_NAMES], axis=1) if mask.any() \
            else np.zeros((0, N_BANDS))
        return TypePrediction(
            track_types=tuple(t for t, p in zip(self.track_types, mask) if p),
            level=out["level"], pan=np.clip(out["pan"], -1.0, 1.0), eq_db=eq,
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
