"""``automix evaluate``: the papers' leave-one-song-out tables on your data, or the real-song check.

DATA as for ``automix train``. Prints leave-one-song-out errors per genre
group × section: MSE of α and of the level in dB (MAE, median), per genre
group, per track type and per section, KDE vs MLR, both target formulations,
an m sweep and a cross-genre matrix. ``--report DIR`` also writes
``evaluation.md`` and plots (PNG with matplotlib — ``pip install
automix-reaper[plots]`` — else SVG).

``--real [DIR ...]`` (default ``../shared/audio``) instead mixes every real song
of the DIRs that has a reference mix with models trained on the other songs
(leave-one-song-out), its stems re-gained at random, as one region and as six,
and prints per song the balance error of automix, equal loudness, the
practice table and no mixing, the unwarranted jumps between regions, the pan
moves and the share of EQ bands at the limit (:mod:`automix.training.real_eval`).
Stem features are cached in ``--cache`` (default ``~/.cache/automix-eval``).

Examples::

    automix evaluate my-songs/ --report eval/
    automix evaluate --real ../shared/audio --trials 4
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from automix.commands.options import integer
from automix.commands.parallel import add_parallel_arguments, parallel_from_args
from automix.errors import AutomixError
from automix.util.outputs import check_output_folder
from automix.util.progress import reporter_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` sub-command."""
    p = subparsers.add_parser("evaluate", help="leave-one-song-out evaluation tables (KDE vs MLR), or --real",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", nargs="*", type=Path, metavar="DATA", help=".rpp projects, song folders or folders of them")
    p.add_argument("--loocv", action="store_true", default=True, help="leave-one-song-out (the only mode; default)")
    p.add_argument("--components", type=integer(1, 64), default=8, metavar="M",
                   help="KDE components of the main tables, 1-64 (default 8)")
    p.add_argument("--no-cross", action="store_true", help="skip the cross-genre matrix")
    p.add_argument("--genre", help="genre of projects whose notes do not say")
    p.add_argument("--report", type=Path, metavar="DIR", help="write evaluation.md and plots into DIR")
    add_parallel_arguments(p, "songs")
    p.add_argument("--real", nargs="*", type=Path, metavar="DIR",
                   help="leave-one-song-out check of the planner on the real songs of every DIR (default "
                        "../shared/audio; more folders, e.g. rendered LMMS songs, add songs)")
    p.add_argument("--cache", type=Path, metavar="DIR", help="feature cache of --real (default ~/.cache/automix-eval)")
    p.add_argument("--trials", type=int, default=4, metavar="N", help="random re-gains per song in --real")
    p.add_argument("--genre-unknown", action="store_true",
                   help="--real: also mix every song as a project that does not say its genre (guessed)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the tables (and write the report)."""
    if args.real is not None:
        return run_real(args)
    if not args.data:
        raise AutomixError("automix evaluate needs DATA (song folders or projects) or --real [DIR]")
    import warnings

    from automix.training.dataset import collect_samples
    from automix.training.evaluation import (
        evaluate_samples,
        report_markdown,
        write_evaluation_report,
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
        for path in write_evaluation_report(rep, args.report):
            print(f"wrote {path}")
    return 0


def run_real(args: argparse.Namespace) -> int:
    """``--real``: leave-one-song-out on the real songs of a folder."""
    import warnings

    from automix.training.real_eval import evaluate_real, scores_markdown
    from automix.training.real_songs import discover_real_songs

    if args.trials < 1:
        raise AutomixError(f"--trials must be at least 1, got {args.trials}")
    folders = args.real or [Path("../shared/audio")]
    songs = [s for d in folders for s in discover_real_songs(d)]
    if len(songs) < 2:
        raise AutomixError(f"--real needs at least two songs with a reference mix, found {len(songs)} in "
                           + ", ".join(map(str, folders)), file=folders[0])
    names = [s.name for s in songs]
    if len(set(names)) < len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise AutomixError(f"--real: song {dup!r} found in more than one folder", file=folders[0])
    quiet = getattr(args, "quiet", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        scores = evaluate_real(songs, cache_dir=args.cache, n_trials=args.trials,
                               genres=("song", None) if args.genre_unknown else ("song",),
                               progress=None if quiet else (lambda m: print(m, file=sys.stderr, flush=True)))
    print(scores_markdown(scores))
    return 0
