"""``automix train``: fit genre × section models from song folders or finished projects.

DATA are ``.rpp`` projects (exact ground truth from faders, envelopes and
ReaEQ), song folders (stems + mix + ``automix-song.json``, ground truth by
estimation) or folders holding either. One model per genre × section with
enough songs is written to ``--out``, plus the fallbacks (genre, genre group,
all); see :mod:`automix.training.fit`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from automix.commands.options import integer
from automix.commands.parallel import add_parallel_arguments, parallel_from_args
from automix.knowledge.targets import DEFAULT_TARGET_KIND, TARGET_KINDS
from automix.util.outputs import check_output_folder
from automix.util.progress import reporter_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` sub-command."""
    p = subparsers.add_parser("train", help="train genre × section models from songs or mixed projects",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", nargs="+", type=Path, metavar="DATA", help=".rpp projects, song folders or folders of them")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="model folder to write")
    p.add_argument("--method", choices=("kde", "mlr"), default="kde", help="KDE (default) or the MLR baseline")
    p.add_argument("--components", type=integer(1, 64), default=8, metavar="M",
                   help="KDE principal components, 1-64 (default 8)")
    p.add_argument("--target", choices=TARGET_KINDS, default=DEFAULT_TARGET_KIND, help="level target formulation")
    p.add_argument("--genre", help="genre of projects whose notes do not say")
    p.add_argument("--min-songs", type=integer(1, 1_000_000), default=2,
                   help="songs a genre × section needs for its own model")
    add_parallel_arguments(p, "songs")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Collect samples, train, print the model files written."""
    from automix.training.dataset import collect_samples
    from automix.training.fit import train_models

    check_output_folder(args.out, "model folder", inputs=args.data)
    jobs, scheduler = parallel_from_args(args)
    samples = collect_samples(args.data, genre=args.genre, jobs=jobs, scheduler=scheduler,
                              reporter=reporter_from_args(args))
    songs = len({s.song_id for s in samples})
    written = train_models(samples, args.out, args.method, args.components, args.target,
                           min_songs=args.min_songs,
                           description=f"automix train: {songs} songs from {', '.join(map(str, args.data))}")
    print(f"{songs} songs, {len(samples)} sections → {len(written)} models in {args.out}")
    for path in written:
        print(f"  {path.name}")
    return 0
