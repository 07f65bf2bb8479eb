"""The ``automix`` command line.

Each sub-command lives in its own module under :mod:`automix.commands` and
exposes ``register(subparsers)``, which adds its parser and sets
``func(args) -> int`` as the handler. Errors derived from
:class:`~automix.errors.AutomixError` and command-line mistakes (unknown
option, a number out of range) are printed as one line on stderr with exit
status 2; nothing else is caught. ``-q``/``-v`` are accepted before and after
the sub-command, by every sub-command. Before a command is imported (and with
it numpy), OpenBLAS is held to one thread (:func:`limit_blas_threads`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from automix import __version__
from automix.commands.options import add_verbosity_arguments
from automix.errors import AutomixError

COMMANDS: dict[str, str] = {
    "demo": "write a synthesised demo project (demo.rpp + media) into a folder",
    "inspect": "print a project's tracks, items, regions and missing media",
    "mix": "auto-mix projects: volume, pan and EQ per song section",
    "suggest": "re-suggest the settings of one region (variants)",
    "apply": "write a mix plan (JSON) into a project",
    "render": "render an offline preview of the mix to a WAV file",
    "report": "write an HTML report (gains, pans, EQ, spectra)",
    "estimate": "estimate gain/pan/EQ of stems in a reference mix",
    "train": "train genre × section models from songs or mixed projects",
    "learn": "learn a personal model from finished REAPER projects",
    "evaluate": "leave-one-song-out evaluation tables (KDE vs MLR), or --real",
    "models": "list installed genre × section models",
}
"""Sub-command → one-line summary, in ``--help`` order. Each is a module under
``automix.commands``; only the module of the command being run is imported, so
``automix --help`` and light commands do not pay for scipy and scikit-learn."""


BLAS_THREADS = {"OPENBLAS_NUM_THREADS": "1"}
"""Set (unless already set) before a command imports numpy: automix's matrix products are small (model
inputs of thousands × tens, 3-column spectral weights), and starting OpenBLAS's threads costs about
55 ms of every process on 2 cores, as long as 5 % of decoding a 16-track song. Child processes inherit it."""


def limit_blas_threads() -> None:
    """Apply :data:`BLAS_THREADS` to this process's environment (a value the user set wins)."""
    for name, value in BLAS_THREADS.items():
        os.environ.setdefault(name, value)


def _command_in(argv: list[str]) -> str | None:
    """The sub-command named in ``argv`` (the first word that is not an option), if any."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


class UsageError(Exception):
    """A command-line mistake found by argparse (message without the usage text)."""

    def __init__(self, prog: str, message: str) -> None:
        self.prog = prog
        super().__init__(message)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors raise :class:`UsageError` instead of printing the usage and exiting."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(self.prog, message)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser.

    Args:
        only: import and register just this sub-command's full parser; the
            others get a bare entry with their summary (enough for ``--help``).
            ``None`` registers every sub-command fully.
    """
    parser = _Parser(
        prog="automix",
        description="Automatic multitrack mixing for REAPER projects.",
        epilog="Run 'automix COMMAND --help' for a command's options and examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"automix {__version__}")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print only errors and results")
    verbosity.add_argument("-v", "--verbose", action="store_true", help="print details of each step")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary in COMMANDS.items():
        if only is None or name == only:
            importlib.import_module(f"automix.commands.{name}").register(subparsers)
        else:
            subparsers.add_parser(name, help=summary)
    for sub in subparsers.choices.values():
        add_verbosity_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    words = sys.argv[1:] if argv is None else list(argv)
    limit_blas_threads()
    command = _command_in(words)
    parser = build_parser(only=command) if command else build_parser(only="")
    try:
        args = parser.parse_args(words)
    except UsageError as exc:
        print(f"{exc.prog}: error: {exc} (see '{exc.prog} --help')", file=sys.stderr)
        return 2
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
