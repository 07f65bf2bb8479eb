"""``automix suggest PROJECT.rpp --region NAME|--at SECONDS [--variant N]``: re-suggest one region."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from automix.commands.mix import (
    add_model_arguments,
    add_output_arguments,
)
from automix.commands.options import integer, number
from automix.jobs.report import format_pan
from automix.jobs.suggest import SuggestOptions, list_variants, suggest_in_file
from automix.plan.model import RegionPlan
from automix.util.progress import reporter_from_args

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
    which.add_argument("--at", type=number(0.0, 1e7), metavar="SECONDS", help="the region containing this time")
    p.add_argument("--variant", type=integer(0, 1000), default=1, metavar="N",
                   help="0 = the mix's own choice; default 1")
    p.add_argument("--list", action="store_true", help="list the region's variants and exit")
    p.add_argument("--plan", type=Path, metavar="PLAN.json", help="current plan (default: the saved one)")
    p.add_argument("--no-pan", action="store_true", help="leave pan alone")
    add_model_arguments(p)
    add_output_arguments(p)
    p.set_defaults(func=run)


def _table(old: RegionPlan, new: RegionPlan) -> str:
    lines = [f"{new.name} ({new.section}, {new.start_s:g}–{new.end_s:g} s)",
             f"  {'track':<20} {'gain dB':>16} {'pan':>12}"]
    for t in new.tracks:
        o = old.track(t.guid)
        g = f"{o.gain_db:+.1f} → {t.gain_db:+.1f}" if o else f"{t.gain_db:+.1f}"
        p = f"{format_pan(o.pan)} → {format_pan(t.pan)}" if o else format_pan(t.pan)
        lines.append(f"  {t.name[:20]:<20} {g:>16} {p:>12}")
    return "\n".join(lines) + "\n"


def options_from_args(args: argparse.Namespace) -> SuggestOptions:
    """The job's options from the parsed command line."""
    return SuggestOptions(region=args.region, at_s=args.at, variant=args.variant, plan=args.plan, genre=args.genre,
                          models_dir=args.models, use_pan=not args.no_pan, output=args.output,
                          in_place=args.in_place, dry_run=args.dry_run, force=args.force)


def run(args: argparse.Namespace) -> int:
    """Print the region's variants, or its old and new settings; returns the exit status."""
    reporter = reporter_from_args(args)
    start = time.monotonic()
    options = options_from_args(args)
    if args.list:
        _, sources = list_variants(args.project, options, reporter)
        print("variants:\n" + "\n".join(f"  {i}: {s.describe()}" for i, s in enumerate(sources)))
        return 0
    suggestion, out = suggest_in_file(args.project, options, reporter)
    print(f"variant {args.variant}: {suggestion.source}")
    print(_table(suggestion.previous, suggestion.region), end="")
    if args.dry_run:
        print("dry run: nothing written")
    else:
        print(f"wrote {out} ({time.monotonic() - start:.2f} s)")
    return 0
