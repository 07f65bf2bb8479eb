"""The files through which an action inside REAPER and its worker process talk.

One temporary folder per run (``automix-job-*`` in the system temp folder):

``request.json`` (action → worker, written before the worker starts)
    ``{"format": 1, "action": "mix" | "resuggest" | "learn", "options": {…},
    "snapshot": <ProjectSnapshot as JSON>}``.
``progress.txt`` (worker → action, appended while it runs)
    UTF-8 lines the action copies to REAPER's console as they arrive.
``result.json`` (worker → action, written atomically once, at the end)
    ``{"format": 1, "ok": true, "summary": str, "tracks": {"<0-based index>":
    chunk text}, "checks": {"<0-based index>": [value check]}, "ext_state": {key: value},
    "console": [lines]}`` (a value check is :meth:`ValueCheck.to_json
    <automix.reaper.readback.ValueCheck.to_json>`: what REAPER must read back) or
    ``{"format": 1, "ok": false, "error": message, "internal": bool,
    "details": traceback text}``.
``worker.log``
    the worker's own stdout and stderr (shown when it dies without a result).

Standard library only: this runs inside REAPER's embedded Python (and in
the worker).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from automix.errors import ReaperError
from automix.reaper.readback import ValueCheck
from automix.util.atomic import write_text_atomic

JOB_FORMAT = 1
"""Version of the request and result layouts."""

REQUEST_FILE = "request.json"
PROGRESS_FILE = "progress.txt"
RESULT_FILE = "result.json"
LOG_FILE = "worker.log"

ACTIONS = ("mix", "resuggest", "learn")
"""What a worker can be asked to do."""


@dataclass(frozen=True)
class JobResult:
    """What the worker sent back (see the module docstring).

    Attributes:
        ok: the job succeeded.
        summary: one line for the console (success).
        tracks: 0-based track index → the chunk text to set.
        checks: 0-based track index → the values REAPER must read back as the formulas say
            (:mod:`automix.reaper.readback`).
        ext_state: automix project-state key → value to store.
        console: lines to print before the summary.
        error: the message (failure).
        internal: the failure was a bug, not bad input (``details`` has the traceback).
        details: traceback text.
    """

    ok: bool
    summary: str = ""
    tracks: dict[int, str] = field(default_factory=dict)
    checks: dict[int, tuple[ValueCheck, ...]] = field(default_factory=dict)
    ext_state: dict[str, str] = field(default_factory=dict)
    console: tuple[str, ...] = ()
    error: str = ""
    internal: bool = False
    details: str = ""


def write_request(folder: Path, action: str, options: dict, snapshot: dict) -> None:
    """Write ``request.json`` (atomically)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    data = {"format": JOB_FORMAT, "action": action, "options": options, "snapshot": snapshot}
    write_text_atomic(folder / REQUEST_FILE, json.dumps(data, ensure_ascii=False))


def read_request(folder: Path) -> tuple[str, dict, dict]:
    """(action, options, snapshot JSON) of ``request.json``.

    Raises:
        ReaperError: missing, unreadable or of another format (names the file).
    """
    data = _read_json(folder / REQUEST_FILE)
    if data.get("action") not in ACTIONS or not isinstance(data.get("options"), dict):
        raise ReaperError(f"not an automix job request (action {data.get('action')!r})", file=folder / REQUEST_FILE)
    return data["action"], data["options"], data.get("snapshot")


def write_result(folder: Path, result: JobResult) -> None:
    """Write ``result.json`` atomically: the action sees all of it or nothing."""
    data = {"format": JOB_FORMAT, "ok": result.ok, "summary": result.summary,
            "tracks": {str(k): v for k, v in result.tracks.items()},
            "checks": {str(k): [c.to_json() for c in v] for k, v in result.checks.items()},
            "ext_state": result.ext_state,
            "console": list(result.console), "error": result.error, "internal": result.internal,
            "details": result.details}
    write_text_atomic(folder / RESULT_FILE, json.dumps(data, ensure_ascii=False))


def read_result(folder: Path) -> JobResult | None:
    """The worker's result, or None when it wrote none.

    Raises:
        ReaperError: the file is unreadable or of another format.
    """
    if not (folder / RESULT_FILE).is_file():
        return None
    data = _read_json(folder / RESULT_FILE)
    try:
        return JobResult(ok=bool(data["ok"]), summary=str(data["summary"]),
                         tracks={int(k): str(v) for k, v in data["tracks"].items()},
                         checks={int(k): tuple(ValueCheck.from_json(c) for c in v)
                                 for k, v in data.get("checks", {}).items()},
                         ext_state={str(k): str(v) for k, v in data["ext_state"].items()},
                         console=tuple(str(line) for line in data["console"]), error=str(data["error"]),
                         internal=bool(data["internal"]), details=str(data["details"]))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ReaperError(f"the worker's result is incomplete ({type(exc).__name__}: {exc})",
                          file=folder / RESULT_FILE) from None


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReaperError("the file is missing", file=path) from None
    except (OSError, ValueError) as exc:
        raise ReaperError(f"unreadable ({exc})", file=path) from None
    if not isinstance(data, dict) or data.get("format") != JOB_FORMAT:
        raise ReaperError(f"format {data.get('format') if isinstance(data, dict) else None!r} is not "
                          f"{JOB_FORMAT}: the worker's automix and REAPER's automix differ; re-run install.py",
                          file=path)
    return data


class ProgressReader:
    """Reads the complete lines the worker appended to ``progress.txt`` since the last call."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / PROGRESS_FILE
        self._offset = 0

    def new_lines(self) -> list[str]:
        """Lines completed since the last call (a line still being written waits for the next call)."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                data = fh.read()
        except FileNotFoundError:
            return []
        end = data.rfind(b"\n")
        if end < 0:
            return []
        self._offset += end + 1
        return [line for line in data[:end].decode("utf-8", errors="replace").split("\n") if line.strip()]


def log_tail(folder: Path, lines: int = 12) -> str:
    """The last ``lines`` lines of ``worker.log`` ("" when empty or missing)."""
    try:
        text = (folder / LOG_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


__all__ = ["JobResult", "ProgressReader", "write_request", "read_request", "write_result", "read_result",
           "log_tail", "JOB_FORMAT", "ACTIONS", "REQUEST_FILE", "PROGRESS_FILE", "RESULT_FILE", "LOG_FILE"]
