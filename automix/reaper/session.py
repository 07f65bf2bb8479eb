"""All-or-nothing writes to the open REAPER project, in one undo block.

:class:`LiveTransaction` sends track chunks (``SetTrackStateChunk``) and
automix's project state (``SetProjExtState``), each write first recording
how to take it back. :func:`run_undoable` wraps the writes in one undo block
that is closed whatever happens; on any error it takes every write back
(each chunk already set returns to its original text), so nothing is left
half-done, and shows the message (:func:`report_failure`).

Pure code over an API object (tested with ``tests/fake_reaper.py``); standard
library only: this runs inside REAPER's embedded Python.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any, Callable

from automix.errors import AutomixError, ReaperError
from automix.reaper.adapter import ReaperApi


@dataclass(frozen=True)
class LiveTrack:
    """One track of the open project.

    Attributes:
        index: 0-based track index.
        handle: the ``MediaTrack*`` handle.
        chunk_text: the state chunk as REAPER returned it (what a rollback sets back).
        name: the track name ("" if unnamed), for messages.
    """

    index: int
    handle: Any
    chunk_text: str
    name: str = ""

    def describe(self) -> str:
        """``track 3 ('Bass')`` for messages."""
        return f"track {self.index + 1}" + (f" ({self.name!r})" if self.name else "")


class LiveTransaction:
    """Writes to the open project that can all be taken back.

    Every write first records how to undo it; :meth:`rollback` undoes them
    newest first. Used by :func:`run_undoable`, which rolls back on any error.
    """

    def __init__(self, api: ReaperApi) -> None:
        self.api = api
        self._inverse: list[tuple[str, Callable[[], None]]] = []

    @property
    def writes(self) -> int:
        """How many writes were started."""
        return len(self._inverse)

    def set_track_chunk(self, track: LiveTrack, text: str) -> None:
        """``SetTrackStateChunk``; undone by setting the track's original chunk text."""
        label = track.describe() if track.name else self.api.describe_track(track.handle, track.index)
        self._inverse.append((label,
                              lambda: self.api.set_track_chunk(track.handle, track.chunk_text)))
        try:
            self.api.set_track_chunk(track.handle, text)
        except AutomixError as exc:
            raise ReaperError(f"{exc.message} for track {track.index + 1}", track=track.name or None) from exc

    def set_ext_state(self, section: str, key: str, value: str) -> None:
        """``SetProjExtState``; undone by writing the previous value back."""
        old = self.api.ext_state(section, key)
        self._inverse.append((f"project state {section}/{key}",
                              lambda: self.api.set_ext_state(section, key, old)))
        self.api.set_ext_state(section, key, value)


    def rollback(self) -> list[str]:
        """Undo every write, newest first; returns what could not be undone."""
        failed = []
        while self._inverse:
            what, undo = self._inverse.pop()
            try:
                undo()
            except AutomixError:
                failed.append(what)
        return failed


@dataclass(frozen=True)
class ActionOutcome:
    """How an action ended.

    Attributes:
        ok: True when the action completed.
        summary: what was done (shown in the console), or the error message.
        error: the exception when not ``ok``.
    """

    ok: bool
    summary: str
    error: BaseException | None = None


def run_undoable(api: ReaperApi, undo_name: str, body: Callable[[LiveTransaction], str]) -> ActionOutcome:
    """Run ``body`` inside one undo block named ``undo_name``, all or nothing.

    ``body`` makes its writes through the :class:`LiveTransaction` it is
    given, with REAPER's redraws held (``PreventUIRefresh(1)``, released in
    ``finally``); after the writes, and after a rollback, the track list and
    arrange view are redrawn (``TrackList_AdjustWindows(false)``,
    ``UpdateArrange``). On any exception every write is taken back, the
    block is closed (named ``"<undo_name> (failed, nothing changed)"``) and
    the message is shown in a message box and the console: an
    :class:`AutomixError` as its message, any other exception as an internal
    error with its traceback in the console. A ``BaseException`` that is not
    an ``Exception`` (``KeyboardInterrupt``, ``SystemExit``: the script is being
    stopped) takes the writes back, closes the block and redraws too, then
    propagates.

    Returns:
        the outcome; ``summary`` is ``body``'s return value when it succeeds.
    """
    api.begin_undo()
    transaction = LiveTransaction(api)
    error: BaseException | None = None
    details = ""
    not_restored: list[str] = []
    summary = ""
    held = _quietly(api.prevent_ui_refresh, 1)
    try:
        try:
            summary = body(transaction)
        except Exception as exc:  # the user must see every failure, and the block must close
            error, details = exc, traceback.format_exc()
            not_restored = transaction.rollback()
        except BaseException:  # the script is being stopped: take the writes back, close the block, go on stopping
            transaction.rollback()
            _quietly(api.end_undo, f"{undo_name} (stopped, nothing changed)")
            raise
    finally:
        if held:
            _quietly(api.prevent_ui_refresh, -1)
        _quietly(api.refresh)
    if error is None:
        try:
            api.end_undo(undo_name)
        except AutomixError as exc:  # not retried: the block must not be closed twice
            error = exc
            not_restored = transaction.rollback()
            _quietly(api.refresh)
        else:
            return ActionOutcome(True, summary)
    else:
        _quietly(api.end_undo, f"{undo_name} (failed, nothing changed)")
    return report_failure(api, undo_name, error, details, not_restored)


def report_failure(api: ReaperApi, title: str, error: BaseException, details: str = "",
                   not_restored: list[str] | None = None) -> ActionOutcome:
    """Show a failed action's message in a message box and the console; the failed outcome.

    An :class:`AutomixError` is shown as its message; anything else as an
    internal error, with ``details`` (a traceback) in the console.
    """
    if isinstance(error, AutomixError):
        message = str(error)
    else:
        message = f"internal error ({type(error).__name__}): {error}"
        if details:
            _quietly(api.console, details)
    if not_restored:
        tail = f"COULD NOT set back: {', '.join(not_restored)}. Use Edit > Undo."
    else:
        tail = "Nothing was changed."
    _quietly(api.console, f"automix: error: {message}")
    _quietly(api.message_box, f"{message}\n\n{tail}", title, 0)
    return ActionOutcome(False, message, error)


def _quietly(call: Callable[..., Any], *args: Any) -> bool:
    """Call ``call``; False (and nothing raised) when REAPER reports an error."""
    try:
        call(*args)
    except AutomixError:
        return False
    return True


__all__ = ["LiveTrack", "LiveTransaction", "ActionOutcome", "run_undoable", "report_failure"]
