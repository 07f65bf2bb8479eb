"""Evaluation tables, plots and the balance-restoration measure."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_training import make_samples

from automix.features.region import REGION_FEATURE_NAMES
from automix.training.balance_restore import balance_error_db, shift_levels
from automix.training.evaluation import evaluate_samples, report_markdown, write_evaluation_report


def test_balance_error_ignores_a_common_offset():
    ref = np.array([-10.0, -14.0, -20.0])
    assert balance_error_db(ref + 7.0, ref) == pytest.approx(0.0, abs=1e-12)
    assert balance_error_db(np.array([-10.0, -14.0, -17.0]), ref) == pytest.approx((1 + 1 + 2) / 3)


def test_shift_levels_moves_only_level_features():
    f = np.arange(2 * len(REGION_FEATURE_NAMES), dtype=float).reshape(2, -1)
    g = shift_levels(f, np.array([6.0, -3.0]))
    for j, name in enumerate(REGION_FEATURE_NAMES):
        moved = name in ("rms_db", "loudness_lufs") or name.startswith("band_db_")
        assert g[0, j] - f[0, j] == (6.0 if moved else 0.0)
        assert g[1, j] - f[1, j] == (-3.0 if moved else 0.0)


def test_report_tables_and_plots(tmp_path):
    samples = make_samples(6, "rock") + make_samples(5, "pop", seed=4, song_prefix="p")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rep = evaluate_samples(samples, m_sweep=(1, 2, 3))
    text = report_markdown(rep)
    for heading in ("Methods and targets", "per genre group", "per track type", "m sweep", "Cross-genre matrix"):
        assert heading in text
    kde = rep.results[("kde", "relative_loudness_db")].summary()
    assert kde["n"] == 11 * 2 * 3  # songs × sections × types
    assert kde["mae_db"] < 1.5  # the rule is linear in the features
    files = write_evaluation_report(rep, tmp_path / "rep")
    assert files[0].name == "evaluation.md"
    assert {p.suffix for p in files[1:]} <= {".png", ".svg"} and len(files) == 3
    assert all(p.stat().st_size > 500 for p in files)


def test_plots_fall_back_to_svg_without_matplotlib(tmp_path, monkeypatch):
    import sys

    samples = make_samples(4, "rock")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rep = evaluate_samples(samples, m_sweep=(1, 2), cross=False)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    files = write_evaluation_report(rep, tmp_path)
    svgs = [p for p in files if p.suffix == ".svg"]
    assert len(svgs) == 2
    assert all(p.read_text(encoding="utf-8").lstrip().startswith("<svg") for p in svgs)
    assert "Cross-genre" not in files[0].read_text(encoding="utf-8")
