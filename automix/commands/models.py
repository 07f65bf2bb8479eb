"""``automix models``: list the installed genre × section models.

Lists every model file of the shipped ``models/`` folder and of each
``--models DIR`` (searched first, in the order given): genre, section,
method, target, track types, training size and the stored evaluation
figures. Each model's arrays are checked against the SHA-256 recorded in its
description; broken files are listed with the reason instead of stopping the
listing. With ``--genre``/``--section`` it also says which model the fallback
chain (genre × section → group × section → genre → group → all) would use.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from automix.errors import ModelError
from automix.models.bank import ModelBank, installed_models_dir
from automix.models.files import load_model


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``models`` sub-command."""
    p = subparsers.add_parser("models", help="list installed genre × section models",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", type=Path, action="append", default=[], metavar="DIR",
                   help="also list models in DIR (searched before the shipped models; repeatable)")
    p.add_argument("--no-installed", action="store_true", help="do not list the shipped models/ folder")
    p.add_argument("--genre", help="show which model a song of this genre would use")
    p.add_argument("--section", help="… for this section (intro, verse, chorus …)")
    p.set_defaults(func=run)


def _figures(evaluation: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:.4g}" for k, v in sorted(evaluation.items())) or "-"


def run(args: argparse.Namespace) -> int:
    """Print the listing; exit status 0, or 1 when a listed model file is broken."""
    dirs = list(args.models) + ([] if args.no_installed else [installed_models_dir()])
    bank = ModelBank(dirs)
    entries = bank.entries()
    broken = 0
    for d in dirs:
        mine = [e for e in entries if e.path.parent == d]
        print(f"{d}: {len(mine)} model(s)" + ("" if d.is_dir() else " (folder not found)"))
        for e in mine:
            error = e.error
            if not error:
                try:
                    load_model(e.path)
                except ModelError as exc:
                    error = str(exc)
            if error:
                broken += 1
                print(f"  {e.path.name}: BROKEN: {error}")
                continue
            info = e.info
            assert info is not None
            print(f"  {info.genre} × {info.section}: {info.method}"
                  f"{f' m={info.n_components}' if info.method == 'kde' else ''}, target {info.target_kind}, "
                  f"{len(info.track_types)} track types, {len(info.feature_names)} features, "
                  f"{info.training.n_songs} songs / {info.training.n_samples} samples  [{e.path.name}]")
            if info.training.description:
                print(f"    trained on: {info.training.description}")
            print(f"    evaluation: {_figures(info.evaluation)}")
    if args.genre or args.section:
        choice = bank.find(args.genre, args.section)
        print(f"genre {args.genre!r} section {args.section!r}: {choice.describe()}")
    return 1 if broken else 0
