"""Marker and region names from the ``MARKER`` lines of a saved ``.rpp`` file.

Before REAPER 7.62 the Python bindings give every marker and region the name
"" (see :mod:`automix.reaper.native`). When REAPER's function table is not
reachable either, the names come from the project file as last saved: each
``MARKER <number> <position s> <name> <flags> …`` line at project level; a
region is two lines with one number, the first (earlier) one carrying the
name. Lines are matched to live markers by (number, region or not, position).

Standard library and :mod:`automix.rpp.tokens` only: this runs inside REAPER.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from automix.errors import ReaperError
from automix.rpp.tokens import split_tokens

POSITION_TOLERANCE_S = 1e-6
"""Largest difference between a live position and the file's for them to be the same marker, seconds."""


@dataclass(frozen=True)
class SavedMarker:
    """A marker or region start as the file has it: number, kind, position (s), name."""

    number: int
    is_region: bool
    start_s: float
    name: str


def read_saved_markers(path: str | Path) -> list[SavedMarker]:
    """Every marker and region start of the saved project ``path``, in file order.

    Raises:
        ReaperError: the file cannot be read.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise ReaperError(f"cannot read the saved project for its region names: {exc.strerror or exc}",
                          file=path) from None
    out: list[SavedMarker] = []
    open_regions: set[int] = set()
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("MARKER "):
            continue
        toks = split_tokens(stripped)
        try:
            number, pos = int(toks[1]), float(toks[2])
            flags = int(toks[4]) if len(toks) > 4 else 0
        except (IndexError, ValueError):
            continue
        name = toks[3] if len(toks) > 3 else ""
        if flags & 1:
            if number in open_regions:  # the region's end line
                open_regions.discard(number)
                continue
            open_regions.add(number)
        out.append(SavedMarker(number, bool(flags & 1), pos, name))
    return out


def saved_name(saved: list[SavedMarker], number: int, is_region: bool, start_s: float) -> str | None:
    """The saved name of the marker/region (number, kind, start), or None when the file does not have it."""
    for m in saved:
        if m.number == number and m.is_region == is_region and abs(m.start_s - start_s) <= POSITION_TOLERANCE_S:
            return m.name
    return None


__all__ = ["SavedMarker", "read_saved_markers", "saved_name", "POSITION_TOLERANCE_S"]
