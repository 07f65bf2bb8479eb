"""automix.models.estimators: the KDE and MLR scikit-learn estimators."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import check_estimator

from automix.errors import ModelError
from automix.models.estimators import KDERegressor, MLRRegressor, make_estimator


@pytest.mark.parametrize("estimator", [KDERegressor(), KDERegressor(n_components=1, alpha=0.0),
                                       MLRRegressor(), MLRRegressor(nonnegative=True)],
                         ids=["kde", "kde-m1", "mlr", "mlr-nnls"])
def test_scikit_learn_estimator_checks(estimator):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skipped checks (pandas, array API) warn
        results = check_estimator(estimator, on_fail=None)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"]
    assert failed == []
    assert len(results) > 40


def _linear(rng, n, coef, intercept, noise=0.0):
    X = rng.normal(size=(n, coef.shape[1]))
    return X, X @ coef.T + intercept + rng.normal(scale=noise, size=(n, coef.shape[0]))


def _low_rank_songs(rng, n_songs):
    """``(mixing (8, 12), X (n, 8), Y (n, 12))``: 12 outputs driven by 2 latent factors of 8 inputs + unit noise."""
    A, B = rng.normal(size=(8, 2)), rng.normal(size=(2, 12))
    X = rng.normal(size=(n_songs, 8))
    return A @ B, X, X @ A @ B + rng.normal(size=(n_songs, 12))


def test_mlr_recovers_a_known_linear_relation():
    rng = np.random.default_rng(1)
    coef = np.array([[1.5, -2.0, 0.0, 0.5], [0.0, 3.0, 1.0, -1.0]])
    X, Y = _linear(rng, 400, coef, np.array([4.0, -7.0]), noise=0.05)
    m = MLRRegressor().fit(X, Y)
    np.testing.assert_allclose(m.coef_, coef, atol=0.02)
    np.testing.assert_allclose(m.intercept_, [4.0, -7.0], atol=0.02)


def test_nnls_variant_keeps_slopes_non_negative():
    rng = np.random.default_rng(2)
    coef = np.array([[2.0, -1.5, 0.7]])
    X, Y = _linear(rng, 300, coef, np.array([1.0]), noise=0.01)
    free = MLRRegressor().fit(X, Y[:, 0])
    nn = MLRRegressor(nonnegative=True).fit(X, Y[:, 0])
    assert free.coef_[0, 1] == pytest.approx(-1.5, abs=0.01)
    assert np.all(nn.coef_ >= 0) and nn.coef_[0, 1] == 0.0
    assert nn.coef_[0, 0] == pytest.approx(2.0, abs=0.2)


def test_kde_recovers_a_low_rank_linear_relation():
    rng = np.random.default_rng(3)
    A, B = rng.normal(size=(5, 2)), rng.normal(size=(2, 6))
    X = rng.normal(size=(300, 5))
    Y = X @ A @ B + 3.0
    k = KDERegressor(n_components=2, alpha=1e-6).fit(X, Y)
    Xt = rng.normal(size=(50, 5))
    np.testing.assert_allclose(k.predict(Xt), Xt @ A @ B + 3.0, atol=1e-4)
    assert k.explained_variance_ratio_.sum() == pytest.approx(1.0, abs=1e-9)


def test_kde_with_all_components_and_no_penalty_equals_mlr():
    rng = np.random.default_rng(4)
    X, Y = _linear(rng, 60, rng.normal(size=(4, 3)), np.zeros(4), noise=1.0)
    k = KDERegressor(n_components=4, alpha=0.0).fit(X, Y)
    m = MLRRegressor().fit(X, Y)
    Xt = rng.normal(size=(20, 3))
    np.testing.assert_allclose(k.predict(Xt), m.predict(Xt), atol=1e-8)


def test_kde_beats_mlr_when_outputs_are_correlated():
    """12 outputs driven by 2 latent factors + noise, 25 training songs (the paper's situation)."""
    ratios, kde_m2, kde_m8 = [], [], []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        mixing, X, Y = _low_rank_songs(rng, 25)
        Xt = rng.normal(size=(500, 8))
        truth = Xt @ mixing
        mse = lambda est: float(np.mean((est.fit(X, Y).predict(Xt) - truth) ** 2))  # noqa: E731
        kde, mlr = mse(KDERegressor(n_components=2)), mse(MLRRegressor())
        assert kde < mlr, f"seed {seed}: KDE {kde:.3f} vs MLR {mlr:.3f}"
        ratios.append(kde / mlr)
        kde_m2.append(kde)
        kde_m8.append(mse(KDERegressor(n_components=8)))
    assert np.mean(ratios) < 0.75
    assert np.mean(kde_m2) < np.mean(kde_m8)  # fewer components than outputs helps (the paper's m)


def test_missing_outputs_are_ignored_by_mlr_and_imputed_by_kde():
    rng = np.random.default_rng(5)
    coef = np.array([[1.0, 2.0], [2.0, 4.0], [-1.0, 0.5]])
    X, Y = _linear(rng, 200, coef, np.array([0.0, 1.0, 2.0]), noise=0.01)
    mask = np.ones_like(Y, dtype=bool)
    mask[::2, 1] = False  # type 1 absent from half the songs
    Y_garbage = np.where(mask, Y, 1e6)
    m = MLRRegressor().fit(X, Y_garbage, y_mask=mask)
    np.testing.assert_allclose(m.coef_, coef, atol=0.01)
    assert list(m.n_observed_) == [200, 100, 200]
    k = KDERegressor(n_components=3, alpha=1e-3).fit(X, Y_garbage, y_mask=mask)
    Xt = rng.normal(size=(30, 2))
    np.testing.assert_allclose(k.predict(Xt)[:, [0, 2]], (Xt @ coef.T + [0, 1, 2])[:, [0, 2]], atol=0.3)
    assert np.all(np.abs(k.predict(Xt)) < 1e3)  # the masked 1e6 never leaks in
    never = np.ones_like(mask)
    never[:, 2] = False
    assert np.all(MLRRegressor().fit(X, Y, y_mask=never).predict(Xt)[:, 2] == 0.0)
    with pytest.raises(ModelError, match="y_mask"):
        MLRRegressor().fit(X, Y, y_mask=mask[:, :2])


def test_kde_iterative_imputation_keeps_its_edge_when_types_are_missing():
    """40 % of the (song, type) targets missing: mean imputation alone would lose to MLR."""
    kde, mean_only, mlr = [], [], []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        mixing, X, Y = _low_rank_songs(rng, 30)
        mask = rng.random(Y.shape) > 0.4
        Xt = rng.normal(size=(400, 8))
        mse = lambda est: float(np.mean((est.fit(X, Y, y_mask=mask).predict(Xt) - Xt @ mixing) ** 2))  # noqa: E731
        kde.append(mse(KDERegressor(n_components=2)))
        mean_only.append(mse(KDERegressor(n_components=2, n_impute_iter=0)))
        mlr.append(mse(MLRRegressor()))
    assert np.mean(kde) < 0.6 * np.mean(mlr)
    assert np.mean(kde) < 0.3 * np.mean(mean_only)


def test_bad_parameters_and_unfitted_use():
    X, y = np.ones((5, 2)), np.arange(5.0)
    with pytest.raises(ModelError, match="n_components"):
        KDERegressor(n_components=0).fit(X, y)
    with pytest.raises(ModelError, match="alpha"):
        KDERegressor(alpha=-1.0).fit(X, y)
    with pytest.raises(ModelError, match="n_impute_iter"):
        KDERegressor(n_impute_iter=-2).fit(X, y)
    with pytest.raises(NotFittedError):
        KDERegressor().predict(X)
    with pytest.raises(ModelError, match="'svm'"):
        make_estimator("svm")

