"""``automix learn``: a personal model from your own finished REAPER projects.

Each project's faders, volume/pan envelopes and ReaEQ bands are exact ground
truth for its regions; the project notes must hold a ``genre: <name>`` line
(or pass ``--genre``). The projects are added to the samples stored in
``--out`` (learning a project again replaces it) and the folder's models are
retrained; ``automix mix --models DIR`` then uses them before the shipped
models. The live REAPER action "automix: learn from this project" does the same.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from automix.commands.options import integer
from automix.commands.parallel import add_parallel_arguments, parallel_from_args
from automix.util.outputs import check_output_folder


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``learn`` sub-command."""
    p = subparsers.add_parser("learn", help="learn a personal model from finished REAPER projects",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("projects", nargs="+", type=Path, metavar="PROJECT.rpp", help="finished (mixed) projects")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="model folder to (re)train (default: the personal folder that 'automix mix' and the "
                        "REAPER actions use first: $AUTOMIX_PERSONAL_MODELS or the per-user data folder)")
    p.add_argument("--genre", help="genre of projects whose notes do not say")
    p.add_argument("--method", choices=("kde", "mlr"), default="kde")
    p.add_argument("--components", type=integer(1, 64), default=8, metavar="M",
                   help="KDE principal components, 1-64 (default 8)")
    add_parallel_arguments(p, "projects")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Learn and print the summary."""
    from automix.errors import ProjectError
    from automix.training.fit import learn_from_projects

    for p in args.projects:
        if not p.is_file() or p.suffix.lower() != ".rpp":
            raise ProjectError("not a .rpp project file", file=p)
    from automix.models.bank import personal_models_dir
    jobs, scheduler = parallel_from_args(args)
    out = args.out if args.out is not None else personal_models_dir()
    check_output_folder(out, "model folder", inputs=args.projects)
    print(learn_from_projects(args.projects, out, genre=args.genre, method=args.method,
                              n_components=args.components, jobs=jobs, scheduler=scheduler))
    return 0
