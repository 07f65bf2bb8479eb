"""Argument helpers shared by every sub-command: checked numbers, ``-q``/``-v``, ``--force``.

Numeric options take a type from :func:`number` or :func:`integer`, which
rejects NaN, infinities and values outside a stated range at parse time with
one line naming the option's value and the range, e.g. ``argument --frame-s:
1000000000.0 is not between 0.005 and 10``.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def _fmt(x: float) -> str:
    return f"{x:g}"


def number(low: float, high: float, *, low_open: bool = False) -> Callable[[str], float]:
    """An argparse ``type`` for a finite float in ``[low, high]`` (``(low, high]`` with ``low_open``)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
        if value < low or value > high or (low_open and value == low):
            bounds = f"greater than {_fmt(low)} and at most {_fmt(high)}" if low_open \
                else f"between {_fmt(low)} and {_fmt(high)}"
            raise argparse.ArgumentTypeError(f"{value!r} is not {bounds}")
        return value
    parse.__name__ = "number"
    return parse


def integer(low: int, high: int) -> Callable[[str], int]:
    """An argparse ``type`` for an integer in ``[low, high]``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value
    parse.__name__ = "integer"
    return parse


def add_verbosity_arguments(p: argparse.ArgumentParser) -> None:
    """``-q``/``-v`` after the sub-command too (``automix mix song.rpp -q``); same as before it.

    Quiet hides notes and progress bars, never results (tables, what was written).
    """
    group = p.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                       help="print only errors and results")
    group.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                       help="print details of each step")


def add_force_argument(p: argparse.ArgumentParser) -> None:
    """``--force``: replace an existing file of another kind (never an input, never a non-regular file)."""
    p.add_argument("--force", action="store_true",
                   help="replace an existing output file even when its name says it holds something else "
                        "(inputs of the command and non-regular files are never replaced)")
