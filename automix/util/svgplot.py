"""Tiny inline-SVG charts for the HTML report (no plotting library, no network).

Every function returns an ``<svg>`` element as a string, sized by
``viewBox`` so it scales with the page; colours and fonts come from the
report's CSS classes (``axis``, ``grid``, ``label``, ``legend``). All text is
HTML-escaped. Values that are not finite are treated as gaps.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

PALETTE: tuple[str, ...] = (
    "#3b6fb6", "#e0803a", "#3a9d5d", "#c8453e", "#8a63b8", "#8c5a46",
    "#d16ba5", "#6f7782", "#b5a21f", "#2aa6b8", "#5c7d2a", "#b03a6d",
)
"""Qualitative colours, cycled by series index."""


def color(index: int) -> str:
    """Palette colour of series ``index``."""
    return PALETTE[index % len(PALETTE)]


@dataclass(frozen=True)
class Series:
    """One line: points ``(x, y)``; a non-finite y breaks the line.

    Attributes:
        label: legend text.
        xs / ys: coordinates, same length.
        color: CSS colour.
        dashed: draw dashed.
    """

    label: str
    xs: Sequence[float]
    ys: Sequence[float]
    color: str
    dashed: bool = False


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def _fmt(v: float) -> str:
    return f"{v:.1f}"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering ``lo … hi``."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    v = first
    while v <= hi + 1e-9 * step:
        ticks.append(round(v, 10))
        v += step
    return ticks


LOG_FREQ_TICKS_HZ = (20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000)


def _freq_label(f: float) -> str:
    return f"{f / 1000:g}k" if f >= 1000 else f"{f:g}"


def line_chart(series: Sequence[Series], *, x_label: str, y_label: str, width: int = 720, height: int = 300,
               x_log: bool = False, x_range: tuple[float, float] | None = None,
               y_range: tuple[float, float] | None = None, zero_line: bool = True,
               title: str = "", spans: Sequence[tuple[float, float, str]] = ()) -> str:
    """An x/y line chart with axes, grid, optional log-frequency x axis and a legend.

    ``spans`` shades x intervals ``(x0, x1, label)`` (e.g. song regions) with
    their label along the top of the plot area.

    Returns:
        an ``<svg>`` string (legend below the plot area, wrapped in rows).
    """
    left, right, bottom = 56, 16, 40
    top = (24 if title else 12) + (18 if spans else 0)
    leg_cols = max(1, (width - left) // 150)
    leg_rows = math.ceil(len(series) / leg_cols) if len(series) > 1 else 0
    total_h = height + leg_rows * 20
    pw, ph = width - left - right, height - top - bottom
    xs_all = [x for s in series for x in s.xs if math.isfinite(x) and (not x_log or x > 0)]
    ys_all = [y for s in series for y in s.ys if math.isfinite(y)]
    x0, x1 = x_range or ((min(xs_all), max(xs_all)) if xs_all else (0.0, 1.0))
    if y_range is not None:
        y0, y1 = y_range
    else:
        y0, y1 = (min(ys_all), max(ys_all)) if ys_all else (-1.0, 1.0)
        if zero_line:
            y0, y1 = min(y0, 0.0), max(y1, 0.0)
        pad = max((y1 - y0) * 0.08, 0.5)
        y0, y1 = y0 - pad, y1 + pad
    if x1 <= x0:
        x1 = x0 + 1.0
    fx = (lambda x: math.log10(x)) if x_log else (lambda x: x)
    lx0, lx1 = fx(x0), fx(x1)

    def px(x: float) -> float:
        return left + (fx(x) - lx0) / (lx1 - lx0) * pw

    def py(y: float) -> float:
        return top + (1.0 - (min(max(y, y0), y1) - y0) / (y1 - y0)) * ph

    out = [f'<svg class="chart" viewBox="0 0 {width} {total_h}" role="img" aria-label="{_esc(title or y_label)}">']
    if title:
        out.append(f'<text class="title" x="{left}" y="16">{_esc(title)}</text>')
    for i, (a, b, label) in enumerate(spans):
        xa, xb = px(max(a, x0)), px(min(b, x1))
        if xb <= xa:
            continue
        out.append(f'<rect class="span{i % 2}" x="{_fmt(xa)}" y="{top}" width="{_fmt(xb - xa)}" height="{ph}"/>')
        out.append(f'<text class="label" x="{_fmt((xa + xb) / 2)}" y="{top - 6}" text-anchor="middle">'
                   f'{_esc(label[: max(1, int((xb - xa) / 7))])}</text>')
    xt = [f for f in LOG_FREQ_TICKS_HZ if x0 <= f <= x1] if x_log else nice_ticks(x0, x1, 8)
    for t in xt:
        X = px(t)
        out.append(f'<line class="grid" x1="{_fmt(X)}" y1="{top}" x2="{_fmt(X)}" y2="{top + ph}"/>')
        out.append(f'<text class="label" x="{_fmt(X)}" y="{top + ph + 16}" text-anchor="middle">'
                   f'{_esc(_freq_label(t) if x_log else f"{t:g}")}</text>')
    for t in nice_ticks(y0, y1, 5):
        Y = py(t)
        cls = "axis" if abs(t) < 1e-12 and zero_line else "grid"
        out.append(f'<line class="{cls}" x1="{left}" y1="{_fmt(Y)}" x2="{left + pw}" y2="{_fmt(Y)}"/>')
        out.append(f'<text class="label" x="{left - 6}" y="{_fmt(Y + 4)}" text-anchor="end">{t:g}</text>')
    out.append(f'<rect class="frame" x="{left}" y="{top}" width="{pw}" height="{ph}"/>')
    out.append(f'<text class="label" x="{left + pw / 2:.1f}" y="{top + ph + 34}" text-anchor="middle">'
               f'{_esc(x_label)}</text>')
    out.append(f'<text class="label" transform="translate(14 {top + ph / 2:.1f}) rotate(-90)" '
               f'text-anchor="middle">{_esc(y_label)}</text>')
    for s in series:
        runs: list[list[str]] = [[]]
        for x, y in zip(s.xs, s.ys):
            if not (math.isfinite(x) and math.isfinite(y)) or (x_log and x <= 0) or not x0 <= x <= x1:
                runs.append([])
                continue
            runs[-1].append(f"{_fmt(px(x))},{_fmt(py(y))}")
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        for run in runs:
            if len(run) >= 2:
                out.append(f'<polyline fill="none" stroke="{s.color}" stroke-width="2"{dash} '
                           f'stroke-linejoin="round" points="{" ".join(run)}"><title>{_esc(s.label)}</title>'
                           f'</polyline>')
            elif len(run) == 1:
                cx, cy = run[0].split(",")
                out.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{s.color}"/>')
    if leg_rows:
        for i, s in enumerate(series):
            lx = left + (i % leg_cols) * 150
            ly = height + (i // leg_cols) * 20 + 4
            dash = ' stroke-dasharray="6 4"' if s.dashed else ""
            out.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 22}" y2="{ly}" stroke="{s.color}" '
                       f'stroke-width="3"{dash}/>')
            out.append(f'<text class="legend" x="{lx + 28}" y="{ly + 4}">{_esc(s.label[:20])}</text>')
    out.append("</svg>")
    return "".join(out)


def stereo_field(entries: Sequence[tuple[str, float, str]], *, title: str = "", width: int = 340) -> str:
    """A stereo-field diagram: one row per track with its pan position on an L … C … R line.

    Args:
        entries: ``(label, pan −1…+1, colour)`` per track.
        title: heading drawn above the rows.
    """
    row_h = 22
    top = 30 if title else 12
    left, right = 110, 24
    height = top + row_h * max(len(entries), 1) + 24
    pw = width - left - right
    out = [f'<svg class="chart stereo" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{_esc(title or "stereo field")}">']
    if title:
        out.append(f'<text class="title" x="8" y="18">{_esc(title)}</text>')
    bottom = top + row_h * max(len(entries), 1)
    for frac, name in ((0.0, "L"), (0.5, "C"), (1.0, "R")):
        X = left + frac * pw
        out.append(f'<line class="{"axis" if name == "C" else "grid"}" x1="{X:.1f}" y1="{top - 4}" '
                   f'x2="{X:.1f}" y2="{bottom}"/>')
        out.append(f'<text class="label" x="{X:.1f}" y="{bottom + 16}" text-anchor="middle">{name}</text>')
    for i, (label, pan, col) in enumerate(entries):
        y = top + row_h * i + row_h / 2
        p = min(max(pan, -1.0), 1.0) if math.isfinite(pan) else 0.0
        X = left + (p + 1.0) / 2.0 * pw
        out.append(f'<text class="legend" x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{_esc(label[:16])}</text>')
        out.append(f'<line class="track" x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}"/>')
        out.append(f'<line x1="{left + pw / 2:.1f}" y1="{y:.1f}" x2="{X:.1f}" y2="{y:.1f}" stroke="{col}" '
                   f'stroke-width="4" stroke-linecap="round" opacity="0.45"/>')
        out.append(f'<circle cx="{X:.1f}" cy="{y:.1f}" r="6" fill="{col}"><title>{_esc(label)}: pan '
                   f'{pan:+.2f}</title></circle>')
    out.append("</svg>")
    return "".join(out)
