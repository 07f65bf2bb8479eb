"""``automix mix PROJECT.rpp...``: the whole pipeline on one project, several, or a folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from automix.commands.options import add_force_argument
from automix.commands.parallel import add_parallel_arguments, parallel_from_args
from automix.jobs.batch import batch_summary, collect_projects, run_batch
from automix.jobs.mix import MixOptions, run_mix_job
from automix.util.progress import reporter_from_args

EXAMPLES = """examples:
  automix mix song.rpp                        # writes song.automix.rpp, song.automix-plan.json
  automix mix song.rpp --in-place             # edits song.rpp, keeps song.rpp-bak
  automix mix song.rpp -o mixed.rpp --genre pop --no-eq
  automix mix song.rpp --dry-run --plan-out plan.json   # only show and save the plan
  automix mix ~/projects/ --jobs 2            # every .rpp of a folder, two at a time
  automix mix /shared/projects/ --scheduler tcp://render1:8786   # on a Dask cluster's workers

Outputs never replace an input: -o or --plan-out naming the project, one of
its media files or a model file, or a FIFO/device/folder, is refused before
any work; replacing an existing file of another kind needs --force.

What is written: per audio track one volume envelope (VOLENV2) and one pan
envelope (PANENV2) stepping at every region boundary (10 ms ramps), and one
ReaEQ named "automix EQ". ReaEQ holds one setting per track: it gets the
length-weighted mean of the plan's per-region EQ (per-region EQ automation
is not written; the plan and 'automix render' keep it per region). Nothing
else in the project changes; running again gives identical bytes.

Output: without -o/--in-place the original is never modified; the mix goes to
<name>.automix.rpp beside it (a project already named *.automix.rpp is updated
in place). The plan is saved as <name>.automix-plan.json beside the project,
where 'automix suggest', 'render' and 'report' find it; features are cached in
<name>.rpp.automix-cache/.

Genre: --genre auto (default) reads a line 'genre: <name>' from the project
notes; without one the all-genre models are used and automix says so.
Sections without a model in the folder use published mixing practice figures.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``mix`` sub-command."""
    p = subparsers.add_parser(
        "mix", help="auto-mix projects: volume, pan and EQ per song section",
        description="Analyse every audio track, predict volume, pan and EQ per region with the genre's "
                    "model and write them into the project as automation and a ReaEQ.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("projects", nargs="+", metavar="PROJECT", help=".rpp files or folders of them")
    add_model_arguments(p)
    add_output_arguments(p)
    p.add_argument("--plan-out", type=Path, metavar="PLAN.json", help="also save the plan here (one project)")
    p.add_argument("--no-eq", action="store_true", help="leave EQ alone (no automix ReaEQ)")
    p.add_argument("--no-pan", action="store_true", help="leave pan alone (no pan envelope)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the feature cache")
    add_parallel_arguments(p, "projects")
    p.set_defaults(func=run)


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    """``--genre`` and ``--models`` (shared by mix and suggest)."""
    p.add_argument("--genre", default="auto", metavar="auto|NAME",
                   help="genre whose model mixes the song (default auto: the project notes' 'genre:' line)")
    p.add_argument("--models", type=Path, metavar="DIR",
                   help="model folder (e.g. written by 'automix learn'); default: the shipped models/")


def add_output_arguments(p: argparse.ArgumentParser) -> None:
    """``-o``, ``--in-place`` and ``--dry-run`` (shared by mix, apply and suggest)."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", type=Path, metavar="OUT",
                       help="write the result here (a folder when mixing several projects)")
    where.add_argument("--in-place", action="store_true", help="modify the project itself (backup: .rpp-bak)")
    p.add_argument("--dry-run", action="store_true", help="show what would be done, write no project")
    add_force_argument(p)


def options_from_args(args: argparse.Namespace) -> MixOptions:
    """:class:`MixOptions` from parsed arguments."""
    return MixOptions(genre=args.genre, models_dir=args.models, output=args.output, in_place=args.in_place,
                      plan_out=args.plan_out, dry_run=args.dry_run, use_eq=not args.no_eq,
                      use_pan=not args.no_pan, use_cache=not args.no_cache, force=args.force)


def run(args: argparse.Namespace) -> int:
    """Mix; one project raises on failure (exit 2), a batch reports failures and exits 1."""
    reporter = reporter_from_args(args)
    options = options_from_args(args)
    jobs, scheduler = parallel_from_args(args)
    projects = collect_projects(args.projects)
    if len(projects) == 1:
        if scheduler is None:
            result = run_mix_job(projects[0], options, reporter)
        else:
            result = run_batch(projects, options, scheduler=scheduler, reporter=reporter)[0]
            for note in result.notes:
                reporter.note(note)
            if not result.ok:
                print(f"automix: error: {result.error}", file=sys.stderr)
                return 2
        if not reporter.quiet:
            print(f"{result.project}:")
        print(result.table, end="")
        if result.output is not None:
            print(f"wrote {result.output}\nplan: {result.plan_path}")
        else:
            print("dry run: no project written")
        return 0
    results = run_batch(projects, options, jobs=jobs, scheduler=scheduler, reporter=reporter)
    for r in results:
        if r.ok:  # results: the project's table always; its notes unless quiet
            print(f"{r.project}:")
            if not reporter.quiet:
                for note in r.notes:
                    print(f"  note: {note}")
            print(r.table)
    print(batch_summary(results), end="")
    return 0 if all(r.ok for r in results) else 1
