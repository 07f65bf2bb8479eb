"""``automix render PROJECT.rpp -o mix.wav``: an offline preview of the planned mix."""

from __future__ import annotations

import argparse
from pathlib import Path

from automix.commands.mix import add_model_arguments
from automix.commands.options import add_force_argument, number
from automix.jobs.mix import (
    check_writable,
    load_current_plan,
    model_bank,
    plan_path_for,
    plan_project,
    read_project_document,
)
from automix.jobs.outputs import check_job_outputs, job_inputs
from automix.jobs.preview import DEFAULT_PREVIEW_LUFS, write_preview
from automix.models.bank import default_model_dirs
from automix.plan.json_io import check_plan_matches_project
from automix.plan.model import MixPlan
from automix.project.model import Project
from automix.util.outputs import WAV_SUFFIXES
from automix.util.progress import Reporter, reporter_from_args

EXAMPLES = f"""examples:
  automix render song.rpp -o mix.wav                       # the saved plan (song.automix-plan.json)
  automix render song.rpp -o mix.wav --normalize {DEFAULT_PREVIEW_LUFS:g}       # loudness-matched for A/B
  automix render song.rpp -o raw.wav --unmixed --normalize {DEFAULT_PREVIEW_LUFS:g}
  automix render song.rpp -o mix.wav --plan edited.json

The preview applies per region the plan's EQ (biquads matching ReaEQ's band
types), gain and pan with the same 10 ms ramps the envelopes use, on stems
rendered from the project's items; track FX and sends are not rendered.
Without a saved plan or --plan, the project is planned first (as 'automix
mix --dry-run' would). The WAV is 32-bit float, written atomically. The
output never replaces the project, one of its media files, the plan or a model
file; replacing an existing non-WAV file needs --force.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``render`` sub-command."""
    p = subparsers.add_parser("render", help="render an offline preview of the mix to a WAV file",
                              description="Render the planned mix (or the unmixed sum) of a project to WAV.",
                              epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("project", type=Path, metavar="PROJECT.rpp")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="MIX.wav")
    p.add_argument("--plan", type=Path, metavar="PLAN.json", help="plan to render (default: the saved one)")
    p.add_argument("--normalize", type=number(-70.0, 0.0), metavar="LUFS",
                   help=f"scale to this integrated loudness (e.g. {DEFAULT_PREVIEW_LUFS:g}) for fair A/B")
    p.add_argument("--unmixed", action="store_true", help="render the plain sum of the tracks instead")
    add_model_arguments(p)
    add_force_argument(p)
    p.set_defaults(func=run)


def plan_for(project: Project, path: Path, args: argparse.Namespace, reporter: Reporter) -> MixPlan:
    """The plan of ``--plan``, else the saved one, else a fresh plan (not saved)."""
    plan = load_current_plan(path, args.plan)
    if plan is None:
        reporter.note("no saved plan for this project: planning it now (nothing is written to the project)")
        return plan_project(project, model_bank(args.models), args.genre, reporter=reporter).plan
    check_plan_matches_project(plan, project, file=args.plan)
    return plan


def check_render_output(project: Project, args: argparse.Namespace, out: Path, what: str,
                        suffixes: tuple[str, ...]) -> None:
    """The output policy for render/report: never the project, its media, the plan or a model file."""
    plan = args.plan if args.plan is not None else plan_path_for(args.project)
    dirs = [args.models] if args.models is not None else default_model_dirs()
    check_job_outputs(project, [(what, out, suffixes)], inputs=job_inputs(project, plan=plan, model_dirs=dirs),
                      force=args.force)


def run(args: argparse.Namespace) -> int:
    """Render and print the file's length, loudness and peak."""
    reporter = reporter_from_args(args)
    _doc, project = read_project_document(args.project)
    out = args.output
    check_writable(out.parent if str(out.parent) else Path("."), "preview")
    check_render_output(project, args, out, "preview", WAV_SUFFIXES)
    plan = None if args.unmixed else plan_for(project, args.project, args, reporter)
    summary = write_preview(project, plan, out, normalize_lufs=args.normalize)
    for note in summary.notes:
        reporter.note(note)
    what = "unmixed sum" if plan is None else "planned mix"
    print(f"wrote {summary.path}: {what}, {summary.duration_s:.1f} s, {summary.loudness_lufs:.1f} LUFS, "
          f"peak {summary.peak_dbfs:.1f} dBFS" + (f", normalised by {summary.gain_db:+.1f} dB"
                                                   if args.normalize is not None else ""))
    return 0
