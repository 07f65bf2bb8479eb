"""Where a job's outputs go: the mixed project, its plan and its feature cache (``song.rpp``).

* the mixed project: ``-o OUT``, or ``--in-place`` (the project itself), or
  by default ``song.automix.rpp`` beside the original, which is never
  modified unless asked. A project already named ``*.automix.rpp`` is
  automix's own output and is updated in place.
* the plan: ``song.automix-plan.json`` beside the project (shared by
  ``song.rpp`` and ``song.automix.rpp``; ``suggest``, ``render`` and
  ``report`` read it).
* the feature cache: ``song.rpp.automix-cache/`` (also shared).

A project written into another folder gets its relative media paths rebased
(:func:`rebase_media_paths`) so they still resolve.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from automix import rpp
from automix.errors import OutputError, ProjectError, ProjectWriteError
from automix.features.cache import FeatureCache, cache_folder_for
from automix.project.reader import resolve_media_path
from automix.util.outputs import check_writable_folder

OUTPUT_SUFFIX = ".automix"
"""Inserted before ``.rpp`` in the default output name."""

PLAN_SUFFIX = ".automix-plan.json"


def base_path(project_path: str | Path) -> Path:
    """``song.automix.rpp`` → ``song.rpp``; other paths unchanged."""
    p = Path(project_path)
    if p.stem.lower().endswith(OUTPUT_SUFFIX):
        return p.with_name(p.stem[: -len(OUTPUT_SUFFIX)] + p.suffix)
    return p


def default_output_for(project_path: str | Path) -> Path:
    """``song.rpp`` → ``song.automix.rpp``; an ``*.automix.rpp`` project maps to itself."""
    p = Path(project_path)
    if p.stem.lower().endswith(OUTPUT_SUFFIX):
        return p
    return p.with_name(p.stem + OUTPUT_SUFFIX + (p.suffix or ".rpp"))


def plan_path_for(project_path: str | Path) -> Path:
    """Where the current plan of a project is kept: ``song.automix-plan.json``."""
    b = base_path(project_path)
    return b.with_name(b.stem + PLAN_SUFFIX)


def cache_for(project_path: str | Path) -> FeatureCache:
    """The feature cache shared by a project and its automix output."""
    return FeatureCache(cache_folder_for(base_path(project_path)))


def output_path(project_path: Path, output: Path | None, in_place: bool) -> Path:
    """The file a job writes (see the module docstring); ``output`` may be a folder."""
    if in_place:
        if output is not None:
            raise ProjectError("give either -o/--output or --in-place, not both")
        return project_path
    if output is None:
        return default_output_for(project_path)
    return output / default_output_for(project_path).name if output.is_dir() else output


def check_writable(folder: Path, what: str) -> None:
    """Raise ProjectWriteError unless a file can be created in ``folder``."""
    try:
        check_writable_folder(folder, what)
    except OutputError as exc:
        raise ProjectWriteError(exc.message, file=exc.file) from None


def rebase_media_paths(doc: rpp.RppDocument, source_folder: Path, out_folder: Path) -> int:
    """Rewrite relative media ``FILE`` paths so they resolve from ``out_folder``; returns how many changed.

    Needed when a project is written into another folder (``-o``): REAPER
    resolves relative paths against the project's own folder. Absolute paths
    are left alone; the separator style (``\\`` or ``/``) of each path is kept.
    """
    changed = 0
    for source in doc.iter("SOURCE"):
        line = source.find_line("FILE")
        if line is None or not line.values:
            continue
        text = line.values[0]
        unix = text.replace("\\", "/")
        if not text or unix.startswith("/") or re.match(r"^[A-Za-z]:/", unix):
            continue
        target = resolve_media_path(text, source_folder.resolve())
        new = os.path.relpath(target, out_folder.resolve()).replace(os.sep, "/")
        if "\\" in text:
            new = new.replace("/", "\\")
        if new != text:
            line.values = [new, *line.values[1:]]
            changed += 1
    return changed
