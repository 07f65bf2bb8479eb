"""The HTML mix report: one self-contained page that works offline.

Sections (each an element with a fixed ``id``): ``overview`` (project, genre,
model, figures), ``gains`` (heat-map table of gain dB per track × region and a
line chart of gain over time), ``stereo`` (a stereo-field diagram per region),
``eq`` (the EQ response of every track per region, from
:func:`automix.audio.eq.eq_response_db`) and ``spectra`` (average spectra before and
after, when given). Charts are inline SVG drawn by :mod:`automix.util.svgplot`; the
page references no external file, font or URL. The output depends only on its
inputs (no timestamps), so identical inputs give identical bytes.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from automix import __version__
from automix.audio.eq import eq_response_db
from automix.audio.spectrum import Spectrum
from automix.errors import AutomixError
from automix.plan.model import MixPlan
from automix.project.model import Project
from automix.util.atomic import write_text_atomic
from automix.util.svgplot import Series, color, line_chart, stereo_field

# ------------------------------------------------------------------ text table

_BAND_ABBREV = {"low_shelf": "LS", "high_shelf": "HS", "band": "PK", "low_pass": "LP", "high_pass": "HP",
                "notch": "N", "band_pass": "BP"}


def format_pan(pan: float) -> str:
    """Pan as a console shows it: ``C``, ``L35``, ``R100`` (percent)."""
    pct = round(abs(pan) * 100)
    return "C" if pct == 0 else f"{'L' if pan < 0 else 'R'}{pct}"


def format_eq(bands: Sequence) -> str:
    """EQ bands in one short line, e.g. ``HP 80 · PK 2.5k +3.0/1.0``; "flat" when empty."""
    if not bands:
        return "flat"
    parts = []
    for b in bands:
        f = f"{b.freq_hz / 1000:.3g}k" if b.freq_hz >= 1000 else f"{b.freq_hz:.0f}"
        kind = _BAND_ABBREV.get(b.band_type, b.band_type)
        if b.band_type in ("low_pass", "high_pass", "notch", "band_pass"):
            parts.append(f"{kind} {f}")
        else:
            parts.append(f"{kind} {f} {b.gain_db:+.1f}" + (f"/{b.bw_oct:g}" if b.band_type == "band" else ""))
    return " · ".join(parts)


def format_plan_text(plan: MixPlan) -> str:
    """A plain-text table per region (track, type, gain dB, pan, EQ) for the terminal."""
    lines = [f"genre: {plan.genre or 'unknown'}   model: {plan.model or 'none'}"]
    for r in plan.regions:
        lines.append("")
        lines.append(f"{r.name} ({r.section}, {_fmt_time(r.start_s)}–{_fmt_time(r.end_s)})")
        rows = [(t.name, t.type, f"{t.gain_db:+.1f}", format_pan(t.pan), format_eq(t.eq)) for t in r.tracks]
        if not rows:
            lines.append("  (no tracks)")
            continue
        head = ("track", "type", "gain dB", "pan", "EQ")
        widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head[:4])]
        fmt = "  {:<%d}  {:<%d}  {:>%d}  {:>%d}  {}" % tuple(widths)
        lines.append(fmt.format(*head).rstrip())
        lines.extend(fmt.format(*row).rstrip() for row in rows)
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ page parts

_CSS = """
:root{--ink:#1f2630;--muted:#667085;--line:#e4e7ec;--bg:#f6f7f9;--card:#fff;--accent:#3b6fb6}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--ink);
font:15px/1.5 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{background:linear-gradient(120deg,#24324a,#3b6fb6);color:#fff;padding:28px 40px}
header h1{margin:0 0 6px;font-size:26px;font-weight:600}header p{margin:0;opacity:.85}
.chips{display:flex;flex-wrap:wrap;gap:8px;margin-top:14px}
.chip{background:rgba(255,255,255,.16);border-radius:999px;padding:3px 12px;font-size:13px}
main{max-width:1160px;margin:0 auto;padding:24px 24px 48px}
section{background:var(--card);border-radius:12px;box-shadow:0 1px 3px rgba(16,24,40,.08);
padding:20px 24px;margin:0 0 22px}
h2{margin:0 0 4px;font-size:19px}p.note{margin:0 0 14px;color:var(--muted);font-size:13px}
.stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px}
.stat{border:1px solid var(--line);border-radius:10px;padding:10px 14px}
.stat .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.stat .v{font-size:20px;font-weight:600;overflow-wrap:anywhere}
.scroll{overflow-x:auto}table.heat{border-collapse:separate;border-spacing:3px;font-size:13px}
table.heat th{font-weight:600;text-align:left;padding:4px 8px;white-space:nowrap}
table.heat th small{display:block;color:var(--muted);font-weight:400}
table.heat td{text-align:center;padding:6px 10px;border-radius:6px;min-width:72px;
font-variant-numeric:tabular-nums}
table.heat td.none{color:#98a2b3;background:#f2f4f7}
.grid2{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:14px}
.grid3{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:14px}
.panel{border:1px solid var(--line);border-radius:10px;padding:8px}
.panel h3{margin:2px 6px 4px;font-size:14px}.panel h3 small{color:var(--muted);font-weight:400}
svg.chart{width:100%;height:auto;display:block}
svg .grid{stroke:#eaecf0;stroke-width:1}svg .axis{stroke:#98a2b3;stroke-width:1.2}
svg .frame{fill:none;stroke:#d0d5dd}svg .track{stroke:#eaecf0;stroke-width:2}
svg .label{fill:#667085;font-size:11px}svg .legend{fill:#344054;font-size:12px}
svg .span0{fill:#f4f7fc}svg .span1{fill:#fbfcfe}svg .title{fill:#1f2630;font-size:13px;font-weight:600}
.flat{color:var(--muted);font-size:13px}footer{color:var(--muted);font-size:12px;text-align:center}
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _heat_style(gain_db: float) -> str:
    """Diverging background: blue for cuts, orange-red for boosts, white at 0 dB."""
    g = max(-18.0, min(12.0, gain_db))
    strength = abs(g) / (18.0 if g < 0 else 12.0)
    hue = 214 if g < 0 else 18
    light = 97 - 40 * strength
    ink = "#fff" if light < 62 else "#1f2630"
    return f"background:hsl({hue},70%,{light:.0f}%);color:{ink}"


def _fmt_time(t_s: float) -> str:
    m, s = divmod(t_s, 60.0)
    return f"{int(m)}:{s:04.1f}"


def _track_rows(plan: MixPlan, project: Project) -> list[tuple[str, str, str]]:
    """(guid, name, type) for every planned track, in project order then plan order."""
    order = {t.guid.upper(): t.index for t in project.tracks}
    info: dict[str, tuple[str, str, str]] = {}
    for r in plan.regions:
        for t in r.tracks:
            info.setdefault(t.guid.upper(), (t.guid, t.name, t.type))
    return sorted(info.values(), key=lambda x: (order.get(x[0].upper(), 1 << 30), x[1]))


def _overview(project: Project, plan: MixPlan, stats: Mapping[str, object] | None) -> str:
    cards = [("Genre", plan.genre or "—"), ("Regions", len(plan.regions)),
             ("Planned tracks", len(plan.track_guids())), ("Length", _fmt_time(project.end_s))]
    for k, v in (stats or {}).items():
        cards.append((k, f"{v:.2f}" if isinstance(v, float) else v))
    body = "".join(f'<div class="stat"><div class="k">{_esc(k)}</div><div class="v">{_esc(v)}</div></div>'
                   for k, v in cards)
    return f'<section id="overview"><h2>Overview</h2><p class="note">Figures of this mix.</p>' \
           f'<div class="stats">{body}</div></section>'


def _gains(project: Project, plan: MixPlan) -> str:
    rows = _track_rows(plan, project)
    head = "".join(f"<th>{_esc(r.name)}<small>{_esc(r.section)} · {_fmt_time(r.start_s)}–"
                   f"{_fmt_time(r.end_s)}</small></th>" for r in plan.regions)
    body = []
    for guid, name, typ in rows:
        cells = []
        for r in plan.regions:
            t = r.track(guid)
            if t is None:
                cells.append('<td class="none">—</td>')
            else:
                cells.append(f'<td style="{_heat_style(t.gain_db)}" title="{_esc(name)} in {_esc(r.name)}">'
                             f'{t.gain_db:+.1f} dB</td>')
        body.append(f"<tr><th>{_esc(name)}<small>{_esc(typ)}</small></th>{''.join(cells)}</tr>")
    table = f'<div class="scroll"><table class="heat"><thead><tr><th>Track</th>{head}</tr></thead>' \
            f'<tbody>{"".join(body)}</tbody></table></div>'
    series = []
    for i, (guid, name, _typ) in enumerate(rows):
        xs: list[float] = []
        ys: list[float] = []
        for start_s, end_s, gain_db, _pan in plan.envelope_segments(guid):
            if xs and abs(xs[-1] - start_s) > 1e-6:
                xs.append(start_s)
                ys.append(math.nan)
            xs += [start_s, end_s]
            ys += [gain_db, gain_db]
        series.append(Series(name, xs, ys, color(i)))
    spans = [(r.start_s, r.end_s, r.name) for r in plan.regions]
    chart = line_chart(series, x_label="time (s)", y_label="gain (dB)", width=1060, height=340,
                       spans=spans) if series else ""
    return (f'<section id="gains"><h2>Gain per track and region</h2><p class="note">Gain automix applies '
            f'to each track, relative to its recorded level (volume envelope). Blue cuts, orange boosts.</p>'
            f'{table}{chart}</section>')


def _stereo(project: Project, plan: MixPlan) -> str:
    rows = _track_rows(plan, project)
    colours = {g.upper(): color(i) for i, (g, _n, _t) in enumerate(rows)}
    panels = []
    for r in plan.regions:
        entries = [(t.name, t.pan, colours[t.guid.upper()]) for t in r.tracks]
        panels.append(f'<div class="panel"><h3>{_esc(r.name)} <small>{_esc(r.section)}</small></h3>'
                      f'{stereo_field(entries)}</div>')
    return (f'<section id="stereo"><h2>Stereo field</h2><p class="note">Pan position of every track in '
            f'each region (L = hard left, C = centre, R = hard right).</p>'
            f'<div class="grid2">{"".join(panels)}</div></section>')


def _eq(project: Project, plan: MixPlan) -> str:
    sr = project.sample_rate if project.sample_rate > 0 else 48000
    freqs = np.geomspace(20.0, min(20000.0, 0.49 * sr), 200)
    panels, flat = [], []
    for guid, name, typ in _track_rows(plan, project):
        curves: dict[tuple, list[str]] = {}
        for r in plan.regions:
            t = r.track(guid)
            if t is not None and t.eq:
                curves.setdefault(t.eq, []).append(r.name)
        if not curves:
            flat.append(name)
            continue
        series = []
        for i, (bands, names) in enumerate(curves.items()):
            resp = eq_response_db(bands, freqs, sr)
            label = ", ".join(dict.fromkeys(names))
            series.append(Series(label, freqs.tolist(), resp.tolist(), color(i)))
        lo = min(-6.0, min(min(s.ys) for s in series) - 1.0)
        hi = max(6.0, max(max(s.ys) for s in series) + 1.0)
        chart = line_chart(series, x_label="frequency (Hz)", y_label="dB", x_log=True, width=420,
                           height=220, x_range=(20.0, float(freqs[-1])), y_range=(lo, hi))
        panels.append(f'<div class="panel"><h3>{_esc(name)} <small>{_esc(typ)}</small></h3>{chart}</div>')
    note = ""
    if flat:
        note = f'<p class="flat">No EQ (flat): {_esc(", ".join(flat))}</p>'
    return (f'<section id="eq"><h2>EQ curves</h2><p class="note">Response of each track\'s automix ReaEQ, '
            f'one curve per distinct setting (labelled with the regions using it).</p>'
            f'<div class="grid3">{"".join(panels)}</div>{note}</section>')


def _spectra(before: Sequence[Spectrum], after: Sequence[Spectrum]) -> str:
    labels = list(dict.fromkeys([s.label for s in before] + [s.label for s in after]))
    panels = []
    for label in labels:
        series = []
        for spec, tag, dashed, col in [(s, "before", True, "#98a2b3") for s in before if s.label == label] + \
                                      [(s, "after", False, "#3b6fb6") for s in after if s.label == label]:
            series.append(Series("unmixed sum" if tag == "before" else "automix", np.asarray(spec.freqs_hz).tolist(),
                                 np.asarray(spec.level_db).tolist(), col, dashed))
        hi = max(max(s.ys) for s in series)
        chart = line_chart(series, x_label="frequency (Hz)", y_label="level (dB)", x_log=True,
                           width=1060, height=300, zero_line=False, y_range=(hi - 70.0, hi + 5.0))
        panels.append(f'<div class="panel"><h3>{_esc(label)}</h3>{chart}</div>')
    return (f'<section id="spectra"><h2>Spectra before and after</h2><p class="note">Long-term average '
            f'spectrum of the unmixed sum (dashed) and of the automix (solid).</p>{"".join(panels)}</section>')


def build_report_html(project: Project, plan: MixPlan, *, spectra_before: Sequence[Spectrum] | None = None,
                      spectra_after: Sequence[Spectrum] | None = None,
                      stats: Mapping[str, object] | None = None) -> str:
    """The report page as a string (see the module docstring for its sections)."""
    name = project.path.name if project.path is not None else "(unsaved project)"
    chips = [f"genre: {plan.genre or 'unknown'}", f"model: {plan.model or 'none'}",
             f"{project.sample_rate} Hz", f"{len(project.audio_tracks)} audio tracks",
             f"{len(plan.regions)} regions"]
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>automix report · {_esc(name)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>automix report · {_esc(name)}</h1><p>Volume, pan and EQ chosen per song section.</p>",
        f'<div class="chips">{"".join(f"<span class=chip>{_esc(c)}</span>" for c in chips)}</div></header>',
        "<main>", _overview(project, plan, stats), _gains(project, plan), _stereo(project, plan),
        _eq(project, plan),
    ]
    if spectra_before or spectra_after:
        parts.append(_spectra(spectra_before or (), spectra_after or ()))
    parts.append(f"<footer>generated by automix {_esc(__version__)}</footer></main></body></html>\n")
    return "\n".join(parts)


def write_report_html(project: Project, plan: MixPlan, path: str | Path, *,
                 spectra_before: Sequence[Spectrum] | None = None,
                 spectra_after: Sequence[Spectrum] | None = None,
                 stats: Mapping[str, object] | None = None) -> Path:
    """Write the report page to ``path`` atomically; returns the path.

    Raises:
        AutomixError when the file cannot be written.
    """
    text = build_report_html(project, plan, spectra_before=spectra_before, spectra_after=spectra_after,
                             stats=stats)
    path = Path(path)
    try:
        write_text_atomic(path, text)
    except OSError as exc:
        raise AutomixError(f"cannot write report: {exc.strerror or exc}", file=path) from None
    return path
