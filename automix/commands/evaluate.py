"""``automix evaluate``: the papers' leave-one-song-out tables on your data.

DATA as for ``automix train``. Prints leave-one-song-out errors per genre
group × section: MSE of α and of the level in dB (MAE, median), per genre
group, per track type and per section, KDE vs MLR, both target formulations,
an m sweep and a cross-genre matrix. ``--report DIR`` also writes
``evaluation.md`` and plots (PNG with matplotlib — ``pip install
automix-reaper[plots]`` — else SVG).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from automix.commands.options import integer
from automix.commands.parallel import add_parallel_arguments, parallel_from_args
from automix.util.outputs import check_output_folder
from automix.util.progress import reporter_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` sub-command."""
    p = subparsers.add_parser("evaluate", help="leave-one-song-out evaluation tables (KDE vs MLR)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", nargs="+", type=Path, metavar="DATA", help=".rpp projects, song folders or folders of them")
    p.add_argument("--loocv", action="store_true", default=True, help="leave-one-song-out (the only mode; default)")
    p.add_argument("--components", type=integer(1, 64), default=8, metavar="M",
                   help="KDE components of the main tables, 1-64 (default 8)")
    p.add_argument("--no-cross", action="store_true", help="skip the cross-genre matrix")
    p.add_argument("--genre", help="genre of projects whose notes do not say")
    p.add_argument("--report", type=Path, metavar="DIR", help="write evaluation.md and plots into DIR")
    add_parallel_arguments(p, "songs")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the tables (and write the report)."""
    import warnings

    from automix.training.dataset import collect_samples
    from automix.training.evaluation import (
        evaluate_samples,
        report_markdown,
        write_report,
    )

    if args.report is not None:
        check_output_folder(args.report, "report folder", inputs=args.data)
    jobs, scheduler = parallel_from_args(args)
    samples = collect_samples(args.data, genre=args.genre, jobs=jobs, scheduler=scheduler,
                              reporter=reporter_from_args(args))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rep = evaluate_samples(samples, n_components=args.components, cross=not args.no_cross)
    print(report_markdown(rep))
    if args.report is not None:
        for path in write_report(rep, args.report):
            print(f"wrote {path}")
    return 0
