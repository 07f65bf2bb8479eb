"""Progress bars and step messages on stderr.

A :class:`Reporter` carries the user's verbosity (``--quiet`` / ``--verbose``)
through a job. Progress bars are drawn only when stderr is a terminal and
the user did not ask for quiet output; notes (what automix assumed, which
model it used) are printed unless quiet; details only with ``--verbose``.
Results (tables, summaries) go to stdout and are not handled here.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

BAR_WIDTH = 28
"""Width of the bar in characters."""

MIN_REDRAW_S = 0.1
"""Smallest interval between two redraws of a bar."""


@dataclass
class Reporter:
    """Where and how much to tell the user.

    Attributes:
        quiet: print only errors (no notes, no bars).
        verbose: also print details of each step.
        stream: the stream for bars and notes (default ``sys.stderr``).
        bars: draw progress bars; None = only when ``stream`` is a terminal.
    """

    quiet: bool = False
    verbose: bool = False
    stream: TextIO | None = None
    bars: bool | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def silent(cls) -> "Reporter":
        """A reporter that prints nothing (library use, tests)."""
        return cls(quiet=True)

    @property
    def out(self) -> TextIO:
        """The stream messages go to."""
        return self.stream if self.stream is not None else sys.stderr

    def bars_enabled(self) -> bool:
        """True when progress bars should be drawn."""
        if self.quiet:
            return False
        if self.bars is not None:
            return self.bars
        isatty = getattr(self.out, "isatty", None)
        return bool(isatty and isatty())

    def note(self, message: str) -> None:
        """A message the user should see (assumptions, warnings); kept in :attr:`notes`."""
        self.notes.append(message)
        if not self.quiet:
            print(f"automix: {message}", file=self.out)

    def detail(self, message: str) -> None:
        """A message shown only with ``--verbose``."""
        if self.verbose and not self.quiet:
            print(f"automix: {message}", file=self.out)

    def progress(self, total: int, label: str) -> "ProgressBar":
        """A bar counting ``total`` steps (a no-op when bars are disabled)."""
        return ProgressBar(total, label, self.out if self.bars_enabled() else None)


class ProgressBar:
    """A one-line text progress bar; use as a context manager.

    Args:
        total: number of steps (>= 0).
        label: what is counted (``analysing tracks``).
        stream: where to draw, or None to draw nothing.
    """

    def __init__(self, total: int, label: str, stream: TextIO | None) -> None:
        self.total = max(int(total), 0)
        self.label = label
        self.stream = stream
        self.done = 0
        self._last_draw = 0.0

    def __enter__(self) -> "ProgressBar":
        self._draw(force=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.stream is not None:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()

    def advance(self, steps: int = 1, what: str = "") -> None:
        """Count ``steps`` more steps; ``what`` names the current one."""
        self.done = min(self.done + steps, self.total) if self.total else self.done + steps
        self._draw(what=what)

    def render(self, what: str = "") -> str:
        """The bar's text, e.g. ``analysing tracks [#######.......]  5/11 Bass``."""
        frac = self.done / self.total if self.total else 1.0
        filled = int(round(frac * BAR_WIDTH))
        text = f"{self.label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self.done}/{self.total}"
        return f"{text} {what}".rstrip()

    def _draw(self, what: str = "", force: bool = False) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < MIN_REDRAW_S and self.done < self.total:
            return
        self._last_draw = now
        self.stream.write("\r" + self.render(what)[:100].ljust(100))
        self.stream.flush()


def reporter_from_args(args: object) -> Reporter:
    """A :class:`Reporter` from parsed CLI arguments (``quiet`` / ``verbose`` attributes)."""
    return Reporter(quiet=bool(getattr(args, "quiet", False)), verbose=bool(getattr(args, "verbose", False)))
