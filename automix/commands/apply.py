"""``automix apply PROJECT.rpp PLAN.json``: write a (possibly hand-edited) plan into a project."""

from __future__ import annotations

import argparse
from pathlib import Path

from automix.commands.mix import add_output_arguments
from automix.jobs.mix import (
    check_writable,
    output_path,
    plan_path_for,
    read_project_document,
    save_project,
)
from automix.jobs.outputs import check_job_outputs, job_inputs
from automix.jobs.report import format_plan_text
from automix.plan.apply import ApplyOptions, apply_plan
from automix.plan.json_io import load_plan
from automix.util.lock import file_lock
from automix.util.outputs import PLAN_SUFFIXES, RPP_SUFFIXES, is_input

EXAMPLES = """examples:
  automix mix song.rpp --dry-run --plan-out plan.json   # get a plan
  $EDITOR plan.json                                     # change gain_db, pan, eq …
  automix apply song.rpp plan.json                      # writes song.automix.rpp
  automix apply song.automix.rpp plan.json              # updates automix's output in place

The plan format (version 1) is documented in automix/plan.py: per region
(name, section, start_s, end_s) and per track (guid, name, type, gain_db =
gain applied in the region relative to the recorded level, pan -1 left …
+1 right, eq = ReaEQ bands {type, freq_hz, gain_db, bw_oct}). Regions are
identified by their bounds, tracks by GUID. A plan that names a track the
project does not have, or a region outside the song, is refused and the
project is left untouched. The automix ReaEQ gets the length-weighted mean
of the per-region EQ; a track whose plan has no EQ bands loses its automix ReaEQ.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``apply`` sub-command."""
    p = subparsers.add_parser("apply", help="write a mix plan (JSON) into a project",
                              description="Apply a mix plan: volume and pan envelopes per region and one "
                                          "automix ReaEQ per planned track.",
                              epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("project", type=Path, metavar="PROJECT.rpp")
    p.add_argument("plan", type=Path, metavar="PLAN.json")
    add_output_arguments(p)
    p.add_argument("--no-eq", action="store_true", help="leave EQ alone")
    p.add_argument("--no-pan", action="store_true", help="leave pan alone")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the plan against the project, apply it, save; returns the exit status."""
    doc, project = read_project_document(args.project)
    plan = load_plan(args.plan)
    out = output_path(args.project, args.output, args.in_place)
    saved_plan = plan_path_for(out)
    if not args.dry_run:
        check_writable(out.parent, "project")
        keeps_plan = is_input(saved_plan, [args.plan]) is not None
        check_job_outputs(project, [("mixed project", out, RPP_SUFFIXES),
                                    ("plan", None if keeps_plan else saved_plan, PLAN_SUFFIXES)],
                          inputs=job_inputs(project, plan=args.plan),
                          project_is_output=args.in_place or (args.output is None and out == args.project),
                          force=args.force)
    apply_plan(doc, project, plan, ApplyOptions(pan=not args.no_pan, eq=not args.no_eq), plan_file=args.plan)
    print(format_plan_text(plan), end="")
    if args.dry_run:
        print("dry run: the plan matches the project; nothing written")
        return 0
    with file_lock(out, what="project"):
        save_project(doc, args.project, out, plans=[] if keeps_plan else [("plan", saved_plan, plan)])
    print(f"wrote {out}\nplan: {saved_plan}")
    return 0
