"""``automix report PROJECT.rpp -o report.html``: a self-contained page about the mix."""

from __future__ import annotations

import argparse
from pathlib import Path

from automix.audio.spectrum import SPECTRUM_SEGMENT, SpectrumAccumulator
from automix.commands.mix import add_model_arguments
from automix.commands.options import add_force_argument
from automix.commands.render import check_render_output, plan_for
from automix.jobs.mix import check_writable, read_project_document
from automix.jobs.preview import iter_mixes
from automix.jobs.report import write_report_html
from automix.util.outputs import HTML_SUFFIXES
from automix.util.progress import reporter_from_args

EXAMPLES = """examples:
  automix report song.rpp -o report.html
  automix report song.automix.rpp -o report.html --no-spectra    # faster: no audio rendering

The page shows the gain of every track per region, the pan positions, the
EQ curves and the long-term spectrum of the unmixed sum and of the mix; the
plots are inline SVG, so the file works offline and can be mailed as is.
The plan is the saved one (<name>.automix-plan.json), --plan, or a fresh one.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` sub-command."""
    p = subparsers.add_parser("report", help="write an HTML report (gains, pans, EQ, spectra)",
                              description="Write a self-contained HTML page describing the mix plan.",
                              epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("project", type=Path, metavar="PROJECT.rpp")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="REPORT.html")
    p.add_argument("--plan", type=Path, metavar="PLAN.json", help="plan to describe (default: the saved one)")
    p.add_argument("--no-spectra", action="store_true", help="skip the before/after spectra")
    add_model_arguments(p)
    add_force_argument(p)
    p.set_defaults(func=run)


def _lufs_text(lufs: float) -> str:
    """Integrated loudness as a card value, e.g. ``-18.2 LUFS``."""
    return f"{lufs:.1f} LUFS" if lufs > -70 else "silent"


def run(args: argparse.Namespace) -> int:
    """Build and write the page."""
    from automix.audio.loudness import LoudnessMeter

    reporter = reporter_from_args(args)
    _doc, project = read_project_document(args.project)
    check_writable(args.output.parent if str(args.output.parent) else Path("."), "report")
    check_render_output(project, args, args.output, "report", HTML_SUFFIXES)
    plan = plan_for(project, args.project, args, reporter)
    before = after = None
    stats: dict[str, object] = {"Project": args.project.name}
    if not args.no_spectra:
        # one pass over the media for both versions; spectra and loudness accumulate block by block
        sr = project.sample_rate
        segment = max(16, min(SPECTRUM_SEGMENT, int(round(project.end_s * sr))))
        spectra = [SpectrumAccumulator(sr, segment), SpectrumAccumulator(sr, segment)]
        meters = [LoudnessMeter(sr, 2), LoudnessMeter(sr, 2)]
        for blocks in iter_mixes(project, [None, plan], sample_rate=sr):
            for block, spectrum, meter in zip(blocks, spectra, meters):
                spectrum.push(block)
                meter.push(block)
        before = [spectra[0].spectrum("Whole song")]  # one panel: before vs after
        after = [spectra[1].spectrum("Whole song")]
        stats["Unmixed sum"] = _lufs_text(meters[0].integrated())
        stats["automix mix"] = _lufs_text(meters[1].integrated())
    path = write_report_html(project, plan, args.output, spectra_before=before, spectra_after=after, stats=stats)
    print(f"wrote {path}")
    return 0
