"""The three REAPER actions: what the scripts in ``reaper_scripts/`` call.

* :func:`auto_mix_project` — "automix: Auto-mix project": the worker plans
  the open project exactly like ``automix mix`` and applies the plan to the
  track chunks with the same edits; the changed chunks come back as one undo
  step.
* :func:`resuggest_region` — "automix: Re-suggest region at edit cursor":
  the region under the edit cursor (or the one the time selection overlaps
  most) gets its next variant; only that region's envelope points (and the EQ
  mean) change. The plan and the last variant of each region are kept in the
  project (``SetProjExtState``, :mod:`automix.reaper.state`), so repeated runs
  cycle through the variants, and they are saved with the project and follow
  undo.
* :func:`learn_from_project` — "automix: Learn from this project": the
  saved project file feeds the personal model folder; the project does not
  change (no undo block).

Each reads the project inside REAPER, hands the heavy work to a worker
process and returns at once (:class:`~automix.reaper.runner.LiveJob`); REAPER's
``defer`` timer then polls the worker, copies its progress to the console
and applies the result. Errors are shown in a message box and the console;
nothing raises out of an action.

Standard library and automix's thin live layer only: this runs inside
REAPER's embedded Python (numpy, scipy, scikit-learn and soundfile run in the
worker).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

from automix.errors import AutomixError
from automix.reaper.adapter import ReaperApi, connect
from automix.reaper.runner import Defer, LiveJob
from automix.reaper.session import ActionOutcome
from automix.reaper.state import (
    AUTO_MIX_TITLE,
    LEARN_TITLE,
    RESUGGEST_TITLE,
    STATE_KEYS,
)

AtExit = Callable[[Callable[[], None]], None]
"""REAPER's ``atexit``: run the callback when the script ends."""


def _job(api: ReaperApi | None, title: str, action: str, options: dict, defer: Defer | None,
         atexit: AtExit | None, *, undo: bool = True) -> LiveJob | ActionOutcome:
    """Start one action's job; a failed outcome when REAPER cannot be reached (printed: nothing to show it in)."""
    if api is None:
        try:
            api = connect()
        except AutomixError as exc:
            print(f"{title}: {exc}", file=sys.stderr)
            return ActionOutcome(False, str(exc), exc)
    return LiveJob(api, title, action, options, defer=defer, atexit=atexit, undo=undo,
                   ext_keys=STATE_KEYS).start()


def _path(value: str | Path | None) -> str | None:
    return str(Path(value).resolve()) if value is not None else None


def auto_mix_project(api: ReaperApi | None = None, *, defer: Defer | None = None, atexit: AtExit | None = None,
                     models_dir: str | Path | None = None, genre: str = "auto", use_eq: bool = True,
                     use_pan: bool = True) -> Any:
    """Auto-mix the open project (one undo step); see the module docstring.

    Args:
        api: the REAPER API (default: connect to the running REAPER).
        defer / atexit: REAPER's timer functions (None: wait for the worker, blocking).
        models_dir: model folder (default: personal models, then the shipped ones).
        genre: ``auto`` (the ``genre:`` line of the project notes) or a genre name.
        use_eq / use_pan: as ``automix mix --no-eq / --no-pan``.

    Returns:
        the :class:`~automix.reaper.runner.LiveJob` (its ``outcome`` is set when it
        ends), or a failed outcome when REAPER cannot be reached.
    """
    options = {"models_dir": _path(models_dir), "genre": genre, "eq": use_eq, "pan": use_pan}
    return _job(api, AUTO_MIX_TITLE, "mix", options, defer, atexit)


def resuggest_region(api: ReaperApi | None = None, *, defer: Defer | None = None, atexit: AtExit | None = None,
                     models_dir: str | Path | None = None, genre: str = "auto") -> Any:
    """Re-suggest the region under the edit cursor (or the time selection): next variant, one undo step."""
    options = {"models_dir": _path(models_dir), "genre": genre}
    return _job(api, RESUGGEST_TITLE, "resuggest", options, defer, atexit)


def learn_from_project(api: ReaperApi | None = None, *, defer: Defer | None = None, atexit: AtExit | None = None,
                       out_dir: str | Path | None = None) -> Any:
    """Learn from the open project's saved file into the personal models (or ``out_dir``); no undo block."""
    return _job(api, LEARN_TITLE, "learn", {"out_dir": _path(out_dir)}, defer, atexit, undo=False)


__all__ = ["auto_mix_project", "resuggest_region", "learn_from_project", "AUTO_MIX_TITLE", "RESUGGEST_TITLE",
           "LEARN_TITLE"]
