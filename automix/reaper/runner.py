"""Running an action's heavy work in a worker process while REAPER stays responsive.

Inside REAPER an action (:mod:`automix.reaper.actions`) builds a
:class:`LiveJob` and calls :meth:`LiveJob.start`, which

1. reads the open project into a snapshot (:func:`~automix.reaper.snapshot.take_snapshot`),
2. writes it to a fresh temporary job folder (:mod:`automix.reaper.job_files`),
3. starts ``<worker python> -m automix.reaper.worker <folder>``, the
   interpreter named in ``automix.json`` in REAPER's resource folder
   (:mod:`automix.reaper.worker_config`), and
4. returns, leaving :meth:`LiveJob.poll` to REAPER's ``defer`` timer.

Each poll copies the worker's new progress lines to the console. When the
worker is done, the result is applied in one undo block
(:func:`~automix.reaper.session.run_undoable`) — but only if the project is
as it was when the snapshot was taken (track chunks, track handles, markers,
automix's stored state); otherwise nothing is written and the message says
what changed. Each track's chunk is written by a
:class:`~automix.reaper.checked_write.CheckedWriter`: REAPER's own formatting
calibrates the volume and ReaEQ gain values (:mod:`automix.reaper.calibration`)
and reads them back (:mod:`automix.reaper.readback`); a value REAPER cannot be
made to read within 0.1 dB of the wanted dB takes every write back and is
reported. Running any automix action while a job runs asks whether to
cancel it; a cancelled job (or one whose script REAPER terminates: the
``atexit`` hook) kills the worker and changes nothing.

Standard library only: this runs inside REAPER's embedded Python.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Callable

from automix.errors import AutomixError, ReaperError
from automix.reaper.adapter import ReaperApi
from automix.reaper.job_files import (
    LOG_FILE,
    ProgressReader,
    log_tail,
    read_result,
    write_request,
)
from automix.reaper.checked_write import CheckedWriter
from automix.reaper.session import (
    ActionOutcome,
    LiveTrack,
    LiveTransaction,
    report_failure,
    run_undoable,
)
from automix.reaper.snapshot import (
    ProjectSnapshot,
    TrackHandles,
    changes_since,
    snapshot_to_json,
    take_snapshot,
)
from automix.reaper.state import EXT_SECTION
from automix.reaper.worker_config import read_worker_config

WORKER_MODULE = "automix.reaper.worker"
"""What the worker interpreter runs (``-m``)."""

POLL_SLEEP_S = 0.05
"""Pause between polls when no ``defer`` is given (a caller outside REAPER), seconds."""

MESSAGE_BOX_YES_NO = 4
MESSAGE_BOX_YES = 6
"""``ShowMessageBox`` type with Yes/No buttons, and the value Yes returns."""

Defer = Callable[[Callable[[], None]], None]
"""REAPER's ``defer``: run the callback once, on a later timer tick."""

_RUNNING: list["LiveJob"] = []
"""The job running in this REAPER (REAPER's Python keeps modules between action runs)."""


def running_job() -> "LiveJob | None":
    """The job still running in this process, if any."""
    return _RUNNING[0] if _RUNNING else None


class LiveJob:
    """One action run: snapshot → worker → result applied in one undo block (see the module docstring).

    Args:
        api: the REAPER API.
        title: the action's name (console, message boxes, undo step).
        action: ``mix``, ``resuggest`` or ``learn`` (what the worker does).
        options: the worker's options (JSON-able).
        defer: REAPER's ``defer``; None polls in a blocking loop (callers outside REAPER).
        atexit: REAPER's ``atexit`` (cleanup when the user terminates the script).
        undo: apply the result in an undo block (False: the job changes nothing).
        ext_keys: automix's project-state keys the worker reads (snapshot) and may write.
    """

    def __init__(self, api: ReaperApi, title: str, action: str, options: dict, *, defer: Defer | None = None,
                 atexit: Callable[[Callable[[], None]], None] | None = None, undo: bool = True,
                 ext_keys: tuple[str, ...] = ()) -> None:
        self.api = api
        self.title = title
        self.action = action
        self.options = options
        self.defer = defer
        self.atexit = atexit
        self.undo = undo
        self.ext_keys = ext_keys
        self.outcome: ActionOutcome | None = None
        self.folder: Path | None = None
        self.process: subprocess.Popen | None = None
        self._snapshot: ProjectSnapshot | None = None
        self._handles: TrackHandles | None = None
        self._progress: ProgressReader | None = None
        self._cancelled = False

    # -- lifecycle ----------------------------------------------------------
    def start(self) -> "LiveJob":
        """Snapshot the project and start the worker; polling continues through ``defer``."""
        other = running_job()
        if other is not None:
            other.offer_cancel(self.title)
            self.outcome = ActionOutcome(False, f"{other.title} is still running")
            return self
        try:
            self.api.console(f"{self.title} …")
            python = read_worker_config(self.api.resource_path())
            self._snapshot, self._handles = take_snapshot(
                self.api, ext_section=EXT_SECTION, ext_keys=self.ext_keys,
                progress=lambda m: self.api.console(f"automix: {m}"))
            self._check_before_start()
            self.folder = Path(tempfile.mkdtemp(prefix="automix-job-"))
            write_request(self.folder, self.action, self.options, snapshot_to_json(self._snapshot))
            self.process = _start_worker(python.worker_python, python.package_path, self.folder)
        except Exception as exc:  # nothing was written: show why and stop
            self._finish(report_failure(self.api, self.title, exc, _details(exc)))
            return self
        self._progress = ProgressReader(self.folder)
        _RUNNING.append(self)
        if self.atexit is not None:
            self.atexit(self.terminate)
        self._console(f"automix: working in the background (pid {self.process.pid}); REAPER stays usable. "
                      f"Run any automix action again to cancel.")
        self._schedule()
        return self

    def _check_before_start(self) -> None:
        """Refusals that need no worker (the learn action needs a saved project)."""
        if self.action == "learn" and self._snapshot is not None:
            if not self._snapshot.project_file:
                raise ReaperError("the project has never been saved: save it, then run this action again")
            if self._snapshot.dirty:
                self._console("automix: the project has unsaved changes; learning from the saved file "
                              "(save first to include them)")

    def _schedule(self) -> None:
        if self.defer is not None:
            self.defer(self.poll)
            return
        while self.outcome is None:  # outside REAPER: block until the worker is done
            time.sleep(POLL_SLEEP_S)
            self.poll(reschedule=False)

    def poll(self, reschedule: bool = True) -> None:
        """One timer tick: copy progress, finish when the worker is done, else poll again."""
        if self.outcome is not None:
            return
        try:
            self._copy_progress()
            if self.process is not None and self.process.poll() is None:
                if reschedule and self.defer is not None:
                    self.defer(self.poll)
                return
            self._copy_progress()
            self._finish(self._apply_result())
        except Exception as exc:  # never leave the defer loop with an exception REAPER would only print
            self._finish(report_failure(self.api, self.title, exc, _details(exc)))

    def offer_cancel(self, requested_by: str) -> bool:
        """Ask (Yes/No) whether to cancel this job because ``requested_by`` was started; True if cancelled."""
        try:
            answer = self.api.message_box(f"{self.title} is still working.\n\nCancel it? (Nothing has been "
                                          f"changed yet.) Run '{requested_by}' again afterwards.",
                                          self.title, MESSAGE_BOX_YES_NO)
        except AutomixError:
            return False
        if answer == MESSAGE_BOX_YES:
            self.cancel()
            return True
        return False

    def cancel(self) -> None:
        """Stop the worker; nothing is written."""
        if self.outcome is not None:
            return
        self._cancelled = True
        self._kill()
        self._console(f"{self.title}: cancelled; nothing was changed.")
        self._finish(ActionOutcome(False, "cancelled"))

    def terminate(self) -> None:
        """REAPER ended the script (``atexit``): stop the worker if it still runs."""
        if self.outcome is None:
            self._kill()
            self._finish(ActionOutcome(False, "terminated"))

    # -- the end --------------------------------------------------------------
    def _apply_result(self) -> ActionOutcome:
        assert self.folder is not None and self._snapshot is not None and self._handles is not None
        result = read_result(self.folder)
        if result is None:
            code = self.process.returncode if self.process is not None else None
            tail = log_tail(self.folder)
            raise ReaperError(f"the automix worker stopped (exit status {code}) without a result"
                              + (f":\n{tail}" if tail else "") + f"\n(log: {self.folder / LOG_FILE})")
        if not result.ok:
            if result.internal and result.details:
                self._console(result.details)
            return report_failure(self.api, self.title, ReaperError(result.error))
        for line in result.console:
            self._console(line)
        if not self.undo:
            return ActionOutcome(True, result.summary)
        changes = changes_since(self.api, self._snapshot, self._handles, ext_section=EXT_SECTION)
        if changes:
            return report_failure(self.api, self.title, ReaperError(
                "the project changed while automix was working (" + "; ".join(changes[:5])
                + (f"; {len(changes) - 5} more" if len(changes) > 5 else "")
                + "), so automix wrote nothing: run the action again"))
        snapshot, handles = self._snapshot, self._handles
        writer = CheckedWriter(self.api, result.checks)

        def body(tx: LiveTransaction) -> str:
            for index, text in sorted(result.tracks.items()):
                if not 0 <= index < len(handles.handles):
                    raise ReaperError(f"the worker returned track {index + 1}; the project has "
                                      f"{len(handles.handles)} tracks")
                writer.write(tx, LiveTrack(index, handles.handles[index], snapshot.track_chunks[index]), text)
            for key, value in result.ext_state.items():
                tx.set_ext_state(EXT_SECTION, key, value)
            return result.summary

        outcome = run_undoable(self.api, self.title, body)
        if outcome.ok:
            for line in writer.notes():
                self._console(line)
        return outcome

    def _finish(self, outcome: ActionOutcome) -> None:
        if self.outcome is not None:
            return
        self.outcome = outcome
        if self in _RUNNING:
            _RUNNING.remove(self)
        if outcome.ok:
            self._console(f"{self.title}: done. {outcome.summary}")
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    # -- helpers --------------------------------------------------------------
    def _copy_progress(self) -> None:
        if self._progress is not None:
            for line in self._progress.new_lines():
                self._console(line)

    def _console(self, message: str) -> None:
        try:
            self.api.console(message)
        except AutomixError:
            pass

    def _kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def _details(exc: BaseException) -> str:
    """A traceback for errors that are not AutomixErrors (shown in the console)."""
    if isinstance(exc, AutomixError):
        return ""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def _start_worker(python: Path, package_path: Path | None, folder: Path) -> subprocess.Popen:
    """Start ``python -m automix.reaper.worker folder`` with its output in ``worker.log``.

    Raises:
        ReaperError: the interpreter cannot be started (names it).
    """
    env = dict(os.environ)
    env["PYTHONIOENCODING"] = "utf-8"
    if package_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(package_path), env.get("PYTHONPATH", "")) if p)
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0) if sys.platform == "win32" else 0
    log = open(folder / LOG_FILE, "wb")
    try:
        return subprocess.Popen([str(python), "-m", WORKER_MODULE, str(folder)], stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, cwd=str(folder), env=env,
                                creationflags=flags)
    except OSError as exc:
        raise ReaperError(f"cannot start the automix worker {str(python)!r}: {exc.strerror or exc}; re-run "
                          f"install.py") from None
    finally:
        log.close()


__all__ = ["LiveJob", "running_job", "Defer", "WORKER_MODULE"]
