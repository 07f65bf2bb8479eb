"""The ``automix`` command line.

Each sub-command lives in its own module under :mod:`automix.commands` and
exposes ``register(subparsers)``, which adds its parser and sets
``func(args) -> int`` as the handler. Errors derived from
:class:`~automix.errors.AutomixError` are printed as one line on stderr with
exit status 2; nothing else is caught.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from automix import __version__
from automix.errors import AutomixError

COMMAND_MODULES: tuple[str, ...] = (
    "inspect",
    "estimate",
    "demo",
    "models",
    "mix",
    "apply",
    "suggest",
    "render",
    "report",
    "train",
    "learn",
    "evaluate",
)
"""Sub-command modules under ``automix.commands``, in ``--help`` order."""


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="automix",
        description="Automatic multitrack mixing for REAPER projects.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"automix {__version__}")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print only errors and results")
    verbosity.add_argument("-v", "--verbose", action="store_true", help="print details of each step")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"automix.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except AutomixError as exc:
        print(f"automix: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("automix: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
