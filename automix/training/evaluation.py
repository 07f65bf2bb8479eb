"""Leave-one-song-out evaluation: the papers' tables, in α and in dB, KDE vs MLR.

:func:`evaluate_samples` runs leave-one-song-out cross-validation inside each
genre-group × section bucket (the models the bank would use) and returns an
:class:`EvaluationReport`:

* MSE of α (the paper's figure) and MAE / median |error| / MSE of the level
  in dB, per genre group and per track type, for KDE and MLR;
* an m sweep (KDE with m principal components);
* a cross-genre matrix: models of one group tested on the songs of another
  (the diagonal is leave-one-song-out).

Level errors are measured as a mixer hears them: the predicted levels of a
section are normalised (power sum = the mix, as the planner does) and
compared with the true levels relative to the mix. α errors compare the α
that the prediction implies for the section's stems with the true α.
:func:`report_markdown` renders the tables; :func:`write_evaluation_report` adds plots
(PNG with matplotlib, else SVG via :mod:`automix.util.svgplot`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from automix.errors import AutomixError
from automix.knowledge.genres import genre_group, normalize_genre
from automix.knowledge.targets import DEFAULT_TARGET_KIND
from automix.training.fit import fit_model, loo_predict_levels, training_set
from automix.training.metrics import level_errors_db
from automix.training.samples import SectionSample
from automix.util.atomic import atomic_path, write_text_atomic

M_SWEEP: tuple[int, ...] = (1, 2, 4, 6, 8, 10, 12)
"""KDE component counts of the m sweep."""


def group_key(genre: str) -> str:
    """The genre's group id, or the genre id itself when it has no group."""
    grp = genre_group(normalize_genre(genre))
    return grp.id if grp is not None else normalize_genre(genre)


@dataclass(frozen=True)
class Errors:
    """Leave-one-out errors of one configuration, one entry per present (section, type).

    ``level_db`` and ``alpha`` errors; ``group``, ``type_id``, ``section``, ``song`` label each entry.
    """

    level_db: np.ndarray
    alpha: np.ndarray
    group: np.ndarray
    type_id: np.ndarray
    section: np.ndarray
    song: np.ndarray

    def select(self, mask: np.ndarray) -> "Errors":
        """The entries where ``mask`` is True."""
        return Errors(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))

    def summary(self) -> dict[str, float]:
        """n, α MSE, level MSE (dB²), MAE (dB), median |error| (dB)."""
        e = self.level_db
        if e.size == 0:
            return {"n": 0, "alpha_mse": float("nan"), "mse_db2": float("nan"), "mae_db": float("nan"),
                    "median_abs_db": float("nan")}
        return {"n": int(e.size), "alpha_mse": float(np.mean(self.alpha ** 2)), "mse_db2": float(np.mean(e ** 2)),
                "mae_db": float(np.mean(np.abs(e))), "median_abs_db": float(np.median(np.abs(e)))}


def _concat(parts: list[Errors]) -> Errors:
    if not parts:
        z = np.zeros(0)
        return Errors(z, z, z.astype(str), z.astype(str), z.astype(str), z.astype(str))
    return Errors(*(np.concatenate([getattr(p, f) for p in parts]) for f in Errors.__dataclass_fields__))


def _buckets(samples: Sequence[SectionSample]) -> dict[tuple[str, str], list[SectionSample]]:
    out: dict[tuple[str, str], list[SectionSample]] = {}
    for s in samples:
        out.setdefault((group_key(s.genre), s.section), []).append(s)
    return out


def _errors_of(ts, pred_level: np.ndarray, target_kind: str, group: str) -> Errors:
    lvl, alpha, present = level_errors_db(ts, pred_level, target_kind, with_alpha=True)
    rows, cols = np.nonzero(present)
    return Errors(lvl, alpha, np.full(lvl.shape, group, dtype=object).astype(str),
                  np.array([ts.track_types[c] for c in cols], dtype=str),
                  np.array([ts.samples[r].section for r in rows], dtype=str),
                  np.array([ts.samples[r].song_id for r in rows], dtype=str))


def loocv_errors(samples: Sequence[SectionSample], method: str = "kde", n_components: int = 8,
                 target_kind: str = DEFAULT_TARGET_KIND, alpha: float = 1.0) -> Errors:
    """Leave-one-song-out errors inside each genre-group × section bucket (buckets with >= 2 songs)."""


    parts = []
    for (grp, _sec), rows in sorted(_buckets(samples).items()):
        if len({s.song_id for s in rows}) < 2:
            continue
        ts = training_set(rows, target_kind)
        pred = loo_predict_levels(ts, method, n_components, target_kind, alpha)
        parts.append(_errors_of(ts, pred, target_kind, grp))
    return _concat(parts)


def cross_genre_matrix(samples: Sequence[SectionSample], method: str = "kde", n_components: int = 8,
                       target_kind: str = DEFAULT_TARGET_KIND) -> tuple[tuple[str, ...], np.ndarray]:
    """Level MAE (dB) of models trained on group i (rows) tested on group j (columns).

    Off the diagonal a model of group i × section predicts every song of group
    j in that section; the diagonal is leave-one-song-out. NaN where no
    section is shared.
    """


    buckets = _buckets(samples)
    groups = tuple(sorted({g for g, _ in buckets}))
    out = np.full((len(groups), len(groups)), np.nan)
    diag = loocv_errors(samples, method, n_components, target_kind)
    for i, gi in enumerate(groups):
        out[i, i] = np.mean(np.abs(diag.level_db[diag.group == gi])) if np.any(diag.group == gi) else np.nan
        for j, gj in enumerate(groups):
            if i == j:
                continue
            errs = []
            for (g, sec), rows in buckets.items():
                if g != gi or (gj, sec) not in buckets:
                    continue
                train = training_set(rows, target_kind)
                model = fit_model(train, method, n_components, target_kind)
                test = training_set(buckets[(gj, sec)], target_kind, train.track_types, train.feature_names)
                pred = model.estimators_["level"].predict(test.X)
                errs.append(level_errors_db(test, pred, target_kind))
            if errs:
                out[i, j] = float(np.mean(np.abs(np.concatenate(errs))))
    return groups, out


@dataclass(frozen=True)
class EvaluationReport:
    """Everything :func:`report_markdown` prints.

    ``results`` maps (method, target_kind) → errors; ``m_sweep`` m → KDE errors;
    ``cross`` (group ids, MAE matrix).
    """

    n_songs: int
    n_sections: int
    results: dict[tuple[str, str], Errors]
    m_sweep: dict[int, Errors] = field(default_factory=dict)
    cross: tuple[tuple[str, ...], np.ndarray] | None = None


def evaluate_samples(samples: Sequence[SectionSample], *, n_components: int = 8, m_sweep: Sequence[int] = M_SWEEP,
                     cross: bool = True) -> EvaluationReport:
    """KDE and MLR (both target kinds), the m sweep and the cross-genre matrix."""
    if len({s.song_id for s in samples}) < 2:
        raise AutomixError("leave-one-out needs at least two songs")
    results = {(m, k): loocv_errors(samples, m, n_components, k)
               for m in ("kde", "mlr") for k in ("relative_loudness_db", "alpha")}
    sweep = {m: loocv_errors(samples, "kde", m) for m in m_sweep}
    return EvaluationReport(len({s.song_id for s in samples}), len(samples), results, sweep,
                            cross_genre_matrix(samples, "kde", n_components) if cross else None)


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    def fmt(v: object) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in r) + " |" for r in rows]
    return lines


def report_markdown(rep: EvaluationReport) -> str:
    """The evaluation tables as markdown."""
    kde, mlr = rep.results[("kde", DEFAULT_TARGET_KIND)], rep.results[("mlr", DEFAULT_TARGET_KIND)]
    out = ["# Leave-one-song-out evaluation", "",
           f"{rep.n_songs} songs, {rep.n_sections} song sections; models per genre group × section.", "",
           "## Methods and targets (all entries)", ""]
    rows = []
    for (m, k), e in sorted(rep.results.items()):
        s = e.summary()
        rows.append([m.upper(), k, s["n"], s["alpha_mse"], s["mse_db2"], s["mae_db"], s["median_abs_db"]])
    out += _table(["method", "target", "n", "MSE α", "MSE dB²", "MAE dB", "median |err| dB"], rows)
    for title, attr in (("per genre group", "group"), ("per track type", "type_id"), ("per section", "section")):
        out += ["", f"## KDE vs MLR {title} (target {DEFAULT_TARGET_KIND})", ""]
        rows = []
        for key in sorted(set(getattr(kde, attr))):
            a, b = kde.select(getattr(kde, attr) == key).summary(), mlr.select(getattr(mlr, attr) == key).summary()
            rows.append([key, a["n"], a["alpha_mse"], b["alpha_mse"], a["mae_db"], b["mae_db"],
                         a["median_abs_db"], b["median_abs_db"]])
        out += _table([attr, "n", "MSE α KDE", "MSE α MLR", "MAE dB KDE", "MAE dB MLR", "median KDE", "median MLR"],
                      rows)
    if rep.m_sweep:
        out += ["", "## m sweep (KDE components)", ""]
        out += _table(["m", "MSE α", "MAE dB", "median |err| dB"],
                      [[m, e.summary()["alpha_mse"], e.summary()["mae_db"], e.summary()["median_abs_db"]]
                       for m, e in sorted(rep.m_sweep.items())])
    if rep.cross is not None:
        groups, mat = rep.cross
        out += ["", "## Cross-genre matrix: level MAE dB (rows: trained on, columns: tested on)", ""]
        out += _table(["trained \\ tested", *groups], [[g, *[float(v) for v in mat[i]]] for i, g in enumerate(groups)])
    return "\n".join(out) + "\n"


def _plot_series(rep: EvaluationReport) -> list[tuple[str, str, str, list[tuple[str, list[float], list[float]]]]]:
    """(file stem, x label, y label, [(label, xs, ys)]) of each plot."""
    plots = []
    if rep.m_sweep:
        ms = sorted(rep.m_sweep)
        plots.append(("m_sweep", "KDE components m", "level MAE (dB)",
                      [("KDE", [float(m) for m in ms], [rep.m_sweep[m].summary()["mae_db"] for m in ms])]))
    kde, mlr = rep.results[("kde", DEFAULT_TARGET_KIND)], rep.results[("mlr", DEFAULT_TARGET_KIND)]
    types = sorted(set(kde.type_id))
    xs = [float(i) for i in range(len(types))]
    plots.append(("per_type_kde_vs_mlr", "track type # (" + ", ".join(f"{i}={t}" for i, t in enumerate(types)) + ")",
                  "level MAE (dB)",
                  [(name.upper(), xs, [e.select(e.type_id == t).summary()["mae_db"] for t in types])
                   for name, e in (("kde", kde), ("mlr", mlr))]))
    return plots


def write_plots(rep: EvaluationReport, directory: Path) -> list[Path]:
    """The report's plots: PNG when matplotlib is installed (extra ``plots``), else SVG."""
    written = []
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        from automix.util import svgplot
        for stem, xl, yl, series in _plot_series(rep):
            svg = svgplot.line_chart([svgplot.Series(lbl, x, y, svgplot.color(i))
                                      for i, (lbl, x, y) in enumerate(series)], x_label=xl, y_label=yl,
                                     zero_line=False)
            path = directory / f"{stem}.svg"
            write_text_atomic(path, svg)
            written.append(path)
        return written
    for stem, xl, yl, series in _plot_series(rep):
        fig, ax = plt.subplots(figsize=(7, 3.2))
        for lbl, x, y in series:
            ax.plot(x, y, marker="o", label=lbl)
        ax.set_xlabel(xl if len(xl) < 90 else xl[:87] + "…", fontsize=7)
        ax.set_ylabel(yl)
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        path = directory / f"{stem}.png"
        with atomic_path(path, suffix=".png") as tmp:
            fig.savefig(tmp, dpi=100, format="png")
        plt.close(fig)
        written.append(path)
    return written


def write_evaluation_report(rep: EvaluationReport, directory: str | Path) -> list[Path]:
    """``evaluation.md`` plus plots (PNG with matplotlib, else SVG) in ``directory``."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    md = d / "evaluation.md"
    write_text_atomic(md, report_markdown(rep))
    return [md, *write_plots(rep, d)]
