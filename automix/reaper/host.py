"""REAPER's timer functions (``defer``, ``atexit``) as Python callables for the action scripts.

In a Python ReaScript, ``RPR_defer(code)`` and ``RPR_atexit(code)`` take a
string of Python code that REAPER evaluates later in the script's global
namespace. :func:`timers` turns them into functions taking a callback: the
callback is stored in the script's globals under a fixed name and REAPER is
given the code that calls it.

Standard library only: this runs inside REAPER's embedded Python.
"""

from __future__ import annotations

from typing import Any, Callable

DEFER_NAME = "_automix_deferred"
ATEXIT_NAME = "_automix_at_exit"
"""Names of the script globals REAPER's timer code calls."""


def _reaper_function(script_globals: dict, name: str) -> Callable[[str], Any] | None:
    """``RPR_<name>`` from the script's globals (REAPER puts it there) or REAPER's module; None outside REAPER."""
    func = script_globals.get("RPR_" + name)
    if func is None:
        try:
            import reaper_python  # type: ignore[import-not-found]  # present only inside REAPER
        except ImportError:
            return None
        func = getattr(reaper_python, "RPR_" + name, None)
    return func


def _bridge(script_globals: dict, function: str, slot: str) -> Callable[[Callable[[], None]], None] | None:
    reaper_call = _reaper_function(script_globals, function)
    if reaper_call is None:
        return None

    def schedule(callback: Callable[[], None]) -> None:
        script_globals[slot] = callback
        reaper_call(f"{slot}()")

    return schedule


def timers(script_globals: dict) -> dict[str, Callable[[Callable[[], None]], None] | None]:
    """``{"defer": …, "atexit": …}`` for an action, from the calling script's ``globals()``.

    Outside REAPER both are None (the action then waits for its worker).
    """
    return {"defer": _bridge(script_globals, "defer", DEFER_NAME),
            "atexit": _bridge(script_globals, "atexit", ATEXIT_NAME)}


__all__ = ["timers", "DEFER_NAME", "ATEXIT_NAME"]
