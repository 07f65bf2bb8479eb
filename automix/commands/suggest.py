"""``automix suggest PROJECT.rpp --region NAME|--at SECONDS [--variant N]``: re-suggest one region."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from automix.commands.mix import (
    add_model_arguments,
    add_output_arguments,
    add_verbosity_arguments,
)
from automix.errors import PlanError
from automix.features.analysis import analyse_project, check_project
from automix.jobs.mix import (
    cache_for,
    check_writable,
    load_current_plan,
    model_bank,
    output_path,
    plan_path_for,
    read_project_document,
    resolve_genre,
    save_project,
)
from automix.jobs.report import format_pan
from automix.models.bank import ALL
from automix.plan.apply import ApplyOptions, update_region
from automix.plan.json_io import check_plan_matches_project, save_plan
from automix.plan.model import MixPlan, RegionPlan, replace_region
from automix.plan.planner import make_plan, section_sources, suggest_region
from automix.util.progress import Reporter, reporter_from_args

EXAMPLES = """examples:
  automix suggest song.automix.rpp --region "Chorus 1"            # next-best settings for that region
  automix suggest song.automix.rpp --region "Chorus 1" --variant 2
  automix suggest song.automix.rpp --at 42.5 --list               # list the variants of the region at 42.5 s

Variants: 0 is what 'automix mix' chose; then the other models found along
the fallback chain (genre×section → group×section → genre → group → all),
the models of the other genres of the genre's group, and the published
mixing practice figures. Only that region's envelope points change (every
other point stays byte for byte); the automix ReaEQ gets the new
length-weighted mean EQ. The current plan is read from <name>.automix-plan.json
(or --plan) and updated there. Output rules as for 'automix mix'.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``suggest`` sub-command."""
    p = subparsers.add_parser("suggest", help="re-suggest the settings of one region (variants)",
                              description="Replace one region's volume, pan and EQ with another plausible "
                                          "suggestion, leaving the rest of the mix as it is.",
                              epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("project", type=Path, metavar="PROJECT.rpp")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--region", metavar="NAME", help="region name (case-insensitive)")
    which.add_argument("--at", type=float, metavar="SECONDS", help="the region containing this time")
    p.add_argument("--variant", type=int, default=1, metavar="N", help="0 = the mix's own choice; default 1")
    p.add_argument("--list", action="store_true", help="list the region's variants and exit")
    p.add_argument("--plan", type=Path, metavar="PLAN.json", help="current plan (default: the saved one)")
    p.add_argument("--no-pan", action="store_true", help="leave pan alone")
    add_model_arguments(p)
    add_output_arguments(p)
    add_verbosity_arguments(p)
    p.set_defaults(func=run)


def find_section(sections, region: str | None, at_s: float | None, file: str | None) -> int:
    """Index of the section named ``region`` or containing ``at_s``; PlanError naming the choices."""
    if region is not None:
        hits = [k for k, s in enumerate(sections) if s.name.strip().lower() == region.strip().lower()]
        if len(hits) == 1:
            return hits[0]
        listing = ", ".join(f"{s.name!r} ({s.start_s:g}–{s.end_s:g} s)" for s in sections)
        if not hits:
            raise PlanError(f"no region named {region!r}; regions: {listing}", file=file)
        raise PlanError(f"{len(hits)} regions are named {region!r}; pick one with --at SECONDS: {listing}", file=file)
    for k, s in enumerate(sections):
        if s.start_s <= at_s < s.end_s:
            return k
    raise PlanError(f"no region contains {at_s:g} s (song regions span "
                    f"{sections[0].start_s:g}–{sections[-1].end_s:g} s)", file=file)


def _table(old: RegionPlan, new: RegionPlan) -> str:
    lines = [f"{new.name} ({new.section}, {new.start_s:g}–{new.end_s:g} s)",
             f"  {'track':<20} {'gain dB':>16} {'pan':>12}"]
    for t in new.tracks:
        o = old.track(t.guid)
        g = f"{o.gain_db:+.1f} → {t.gain_db:+.1f}" if o else f"{t.gain_db:+.1f}"
        p = f"{format_pan(o.pan)} → {format_pan(t.pan)}" if o else format_pan(t.pan)
        lines.append(f"  {t.name[:20]:<20} {g:>16} {p:>12}")
    return "\n".join(lines) + "\n"


def run_suggest(args: argparse.Namespace, reporter: Reporter | None = None) -> tuple[MixPlan, RegionPlan, str]:
    """The whole suggestion; returns (new plan, new region, description of its source)."""
    reporter = reporter or Reporter.silent()
    doc, project = read_project_document(args.project)
    check_project(project)
    file = str(args.project)
    bank = model_bank(args.models)
    current = load_current_plan(args.project, args.plan)
    if args.genre != "auto" or current is None:
        genre, message = resolve_genre(args.genre, project.genre, bank)
        reporter.note(message)
    else:
        genre = None if current.genre == ALL else current.genre
    analysis = analyse_project(project, cache=cache_for(args.project), reporter=reporter)
    k = find_section(analysis.sections, args.region, args.at, file)
    sec = analysis.sections[k]
    sources = section_sources(bank, genre, sec.section)
    if args.list:
        return current, None, "\n".join(f"  {i}: {s.describe()}" for i, s in enumerate(sources))
    if current is None:
        reporter.note("no saved plan for this project; planned the whole song first")
        current = make_plan(analysis, bank, genre, use_pan=not args.no_pan).plan
    check_plan_matches_project(current, project, file=args.plan or plan_path_for(args.project))
    use_eq = any(t.eq for r in current.regions for t in r.tracks)
    region, described = suggest_region(analysis, bank, genre, current, k, args.variant, use_eq=use_eq,
                                       use_pan=not args.no_pan)
    new_plan = replace_region(current, region)
    out = output_path(args.project, args.output, args.in_place)
    if not args.dry_run:
        check_writable(out.parent, "project")
    update_region(doc, project, new_plan, region, ApplyOptions(pan=not args.no_pan, eq=use_eq))
    if not args.dry_run:
        save_project(doc, args.project, out)
        save_plan(new_plan, plan_path_for(out))
    return new_plan, region, described


def run(args: argparse.Namespace) -> int:
    """Print the region's old and new settings; returns the exit status."""
    reporter = reporter_from_args(args)
    start = time.monotonic()
    current = load_current_plan(args.project, args.plan) if not args.list else None
    plan, region, described = run_suggest(args, reporter)
    if args.list:
        print(f"variants:\n{described}")
        return 0
    old = next((r for r in current.regions if abs(r.start_s - region.start_s) <= 1e-3), region) \
        if current is not None else region
    print(f"variant {args.variant}: {described}")
    print(_table(old, region), end="")
    if args.dry_run:
        print("dry run: nothing written")
    else:
        out = output_path(args.project, args.output, args.in_place)
        print(f"wrote {out} ({time.monotonic() - start:.2f} s)")
    return 0
