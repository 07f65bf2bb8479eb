"""Fitted estimators as plain arrays: predicting without importing scikit-learn.

A fitted :class:`~automix.models.estimators.KDERegressor` or
:class:`~automix.models.estimators.MLRRegressor` is fully described by a few arrays
(:data:`LEARNED_ARRAYS`), and both predict linearly from them. The estimators
call :func:`kde_predict` / :func:`mlr_predict`; a model read from a file
holds :class:`FittedArrays`, which predict with the same functions. Loading
and using a model therefore needs numpy only: scikit-learn (about a second to
import) is imported when a model is trained.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from automix.errors import ModelError

METHODS: tuple[str, ...] = ("kde", "mlr")
"""Model methods: Kernel Dependency Estimation and multiple linear regression."""

LEARNED_ARRAYS: dict[str, tuple[str, ...]] = {
    "kde": ("x_mean_", "x_scale_", "y_mean_", "components_", "coef_", "explained_variance_ratio_"),
    "mlr": ("coef_", "intercept_", "n_observed_"),
}
"""The arrays that fully describe a fitted estimator of each method (what model files store)."""


class Predictor(Protocol):
    """Anything that maps inputs ``(n_samples, n_features)`` to outputs (a fitted estimator)."""

    def predict(self, X) -> np.ndarray: ...


def check_method(method: str) -> None:
    """Raise :class:`ModelError` unless ``method`` is one of :data:`METHODS`."""
    if method not in METHODS:
        raise ModelError(f"unknown model method {method!r} (known: {', '.join(METHODS)})")


def kde_predict(X: np.ndarray, x_mean: np.ndarray, x_scale: np.ndarray, coef: np.ndarray,
                components: np.ndarray, y_mean: np.ndarray) -> np.ndarray:
    """KDE outputs ``(n, n_outputs)``: standardise X, predict the components, project back."""
    return ((X - x_mean) / x_scale) @ coef @ components + y_mean


def mlr_predict(X: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """MLR outputs ``(n, n_outputs)``: one linear function of X per output."""
    return X @ coef.T + intercept


class FittedArrays:
    """A fitted estimator read from a model file: its learned arrays as attributes, and ``predict``.

    Args:
        method: ``"kde"`` or ``"mlr"``.
        arrays: every name of ``LEARNED_ARRAYS[method]`` → array (shapes
            checked by :mod:`automix.models.files`).
        n_features: input width.
    """

    def __init__(self, method: str, arrays: dict[str, np.ndarray], n_features: int) -> None:
        check_method(method)
        missing = [name for name in LEARNED_ARRAYS[method] if name not in arrays]
        if missing:
            raise ModelError(f"{method} arrays lack {', '.join(missing)}")
        self.method = method
        self.n_features_in_ = int(n_features)
        for name in LEARNED_ARRAYS[method]:
            setattr(self, name, arrays[name])
        if method == "kde":
            self.n_components_ = int(arrays["components_"].shape[0])

    def predict(self, X) -> np.ndarray:
        """Outputs ``(n_samples, n_outputs)`` for X ``(n_samples, n_features)``."""
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ModelError(f"model expects inputs of shape (n, {self.n_features_in_}), got {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ModelError("model inputs hold NaN or infinite values")
        if self.method == "kde":
            return kde_predict(X, self.x_mean_, self.x_scale_, self.coef_, self.components_, self.y_mean_)
        return mlr_predict(X, self.coef_, self.intercept_)
