"""The two scikit-learn estimators: KDE (the paper's method) and MLR (its baseline).

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
(``n_impute_iter`` rounds) before the final PCA. The per-section bundle of
estimators (:class:`automix.models.mix_model.MixModel`) lives in :mod:`automix.models.mix_model`;
prediction from the learned arrays is in
:mod:`automix.models.fitted` (numpy only, for models read from files).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.optimize import nnls
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from automix.errors import ModelError
from automix.models.fitted import check_method, kde_predict, mlr_predict

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
        return kde_predict(X, self.x_mean_, self.x_scale_, self.coef_, self.components_, self.y_mean_)

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
        return self._shape_output(mlr_predict(X, self.coef_, self.intercept_))


def make_estimator(method: str, n_components: int = 8, alpha: float = 1.0,
                   nonnegative: bool = False) -> KDERegressor | MLRRegressor:
    """A fresh estimator of ``method`` (``"kde"`` or ``"mlr"``; :data:`automix.models.fitted.METHODS`)."""
    if method == "kde":
        return KDERegressor(n_components=n_components, alpha=alpha)
    check_method(method)
    return MLRRegressor(nonnegative=nonnegative)
