"""The one adapter between automix and a running REAPER (ReaScript API).

Everything that calls REAPER goes through :class:`ReaperApi`: typed methods
over a table of raw ReaScript functions. The table is, inside REAPER, REAPER's
own ``reaper_python`` module (outside it, reapy's distant API) and, in
tests, a fake with the same functions.

Return conventions followed (REAPER's generated ``reaper_python.py``, which
reapy passes through unchanged): a function without output parameters returns
its value; a function with output parameters returns a tuple holding the
return value (when not void) followed by *every* argument, output parameters
replaced by their results — e.g. ``GetTrackStateChunk(tr, "", 4194304, False)``
returns ``(ok, tr, chunk_text, 4194304, False)``.

String outputs: the bindings always allocate a buffer of
:data:`STRING_BUFFER_BYTES` (4 MiB) but tell REAPER the size the caller
passed, so a larger size lets REAPER write past the buffer. Every string
output here is asked for once with at most 4 MiB; REAPER cuts it to the size
minus one **byte** (UTF-8), and a cut inside a multi-byte character makes the
bindings' strict decode fail. A result whose encoded length fills the buffer,
or that fails to decode, is too long: reported, never retried larger.

Markers and regions are read by :mod:`automix.reaper.markers` (one
enumeration on REAPER 7.62+, names through REAPER's function table or the
saved file before it).

Nothing here runs at import time: :func:`connect` imports REAPER's module
(or reapy) lazily. Standard library only: this runs inside REAPER.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from automix.errors import ReaperError

CURRENT_PROJECT = 0
"""The ``ReaProject*`` argument meaning "the active project tab"."""

PATH_BUFFER_SIZE = 4096
"""Buffer size for file names, bytes."""

STRING_BUFFER_BYTES = 4 * 1024 * 1024
"""The buffer REAPER's Python bindings allocate for every string output (``MAX_STRBUF``), bytes.

Track chunks, notes and ext-state values are asked for with exactly this
size: never more (REAPER would write past the buffer), and one call (a text
that fills it is reported as too long).
"""

NEW_MARKER_API = ("GetNumRegionsOrMarkers", "GetRegionOrMarker", "GetRegionOrMarkerInfo_Value",
                  "GetSetRegionOrMarkerInfo_String")
"""The marker/region functions REAPER 7.62 added (one enumeration with names)."""

UNDO_ALL = -1
"""``Undo_EndBlock2`` flag: everything (track config, FX, envelopes, items …) may have changed."""

MESSAGE_BOX_OK = 0
"""``ShowMessageBox`` type: one OK button."""


@dataclass(frozen=True)
class TimeSelection:
    """The time selection in seconds; ``start_s == end_s`` means none."""

    start_s: float
    end_s: float

    @property
    def is_empty(self) -> bool:
        """True when nothing is selected."""
        return not self.end_s > self.start_s


class ReaperApi:
    """Typed access to the ReaScript functions automix uses.

    Args:
        rpr: an object whose attributes are the raw ReaScript functions
            (``reapy.reascript_api``, a ``reaper_python`` wrapper or a fake).
        project: the ``ReaProject*`` to work on (default the active project).
    """

    def __init__(self, rpr: Any, project: Any = CURRENT_PROJECT) -> None:
        self.rpr = rpr
        self.project = project

    # -- raw access -------------------------------------------------------
    def call(self, name: str, *args: Any) -> Any:
        """Call the ReaScript function ``name``; a missing function or a failed call is a ReaperError."""
        func: Callable[..., Any] | None = getattr(self.rpr, name, None)
        if func is None:
            raise ReaperError(f"the ReaScript function {name} is not available: automix must run inside "
                              f"REAPER (as an action) or with reapy connected to a running REAPER")
        try:
            return func(*args)
        except ReaperError:
            raise
        except Exception as exc:  # reapy raises its own errors (DisabledDistAPIError, socket errors …)
            raise ReaperError(f"REAPER call {name} failed: {type(exc).__name__}: {exc}") from exc

    def has(self, *names: str) -> bool:
        """True when this REAPER offers every ReaScript function in ``names``."""
        return all(getattr(self.rpr, name, None) is not None for name in names)

    def _text_out(self, name: str, args: tuple, text_index: int, what: str) -> tuple[Any, str]:
        """Call ``name`` once with a :data:`STRING_BUFFER_BYTES` buffer; the result and its text.

        ``args`` holds the buffer size at the place REAPER expects it (the
        caller passes :data:`STRING_BUFFER_BYTES`); ``text_index`` is the
        text's position in the returned tuple; ``what`` names the text in
        messages.

        Raises:
            TextTooLongError: the text filled the buffer (compared in UTF-8
                bytes) or was cut inside a multi-byte character.
            ReaperError: the call failed.
        """
        try:
            result = self.call(name, *args)
        except ReaperError as exc:
            if isinstance(exc.__cause__, UnicodeDecodeError):  # the bindings decode a cut character strictly
                raise TextTooLongError(f"{what}: {STRING_BUFFER_BYTES // (1024 * 1024)} MiB or more "
                                       f"(REAPER cut it inside a character)") from None
            raise
        text = result[text_index]
        if not isinstance(text, str):
            raise ReaperError(f"REAPER call {name} returned {type(text).__name__} instead of text")
        if len(text.encode("utf-8")) >= STRING_BUFFER_BYTES - 1:
            raise TextTooLongError(f"{what}: {STRING_BUFFER_BYTES // (1024 * 1024)} MiB or more, more than "
                                   f"REAPER's Python bindings can return")
        return result, text

    # -- project ----------------------------------------------------------
    def app_version(self) -> str:
        """REAPER's version string, e.g. ``7.18/win64`` (the ``.rpp`` header's second field)."""
        return str(self.call("GetAppVersion"))

    def project_file(self) -> Path | None:
        """The open project's ``.rpp`` file, or None when it was never saved."""
        result = self.call("EnumProjects", -1, "", PATH_BUFFER_SIZE)
        name = result[2] if isinstance(result, (tuple, list)) and len(result) > 2 else ""
        return Path(name) if name else None

    def active_project(self) -> Any:
        """The ``ReaProject*`` of the active project tab (what ``CURRENT_PROJECT`` refers to now)."""
        result = self.call("EnumProjects", -1, "", PATH_BUFFER_SIZE)
        return result[0] if isinstance(result, (tuple, list)) and result else result

    def recording_folder(self) -> Path:
        """Where REAPER records new media (``GetProjectPath``); media of an unsaved project resolve here."""
        result = self.call("GetProjectPath", "", PATH_BUFFER_SIZE)
        return Path(result[0])

    def sample_rate_hz(self) -> int:
        """The project sample rate (``PROJECT_SRATE``); 0 when the project leaves it to the device."""
        return int(round(float(self.call("GetSetProjectInfo", self.project, "PROJECT_SRATE", 0.0, False))))

    def tempo_bpm(self) -> float:
        """The project's start tempo in beats per minute."""
        result = self.call("GetProjectTimeSignature2", self.project, 0.0, 0.0)
        return float(result[1])

    def notes(self) -> str:
        """The project notes ("" if none), lines separated by ``\\n``."""
        _result, text = self._text_out("GetSetProjectNotes", (self.project, False, "", STRING_BUFFER_BYTES), 2,
                                       "the project notes")
        return text.replace("\r\n", "\n")

    # -- tracks -----------------------------------------------------------
    def track_count(self) -> int:
        """Number of tracks (the master track not counted)."""
        return int(self.call("CountTracks", self.project))

    def track(self, index: int) -> Any:
        """The ``MediaTrack*`` handle of track ``index`` (0-based)."""
        handle = self.call("GetTrack", self.project, index)
        if not handle or str(handle).endswith("0x0000000000000000"):
            raise ReaperError(f"REAPER has no track {index + 1}")
        return handle

    def track_chunk(self, track: Any, index: int | None = None) -> str:
        """The state chunk text of a track (``<TRACK`` … ``>``): one call with a 4 MiB buffer.

        Args:
            track: the ``MediaTrack*`` handle.
            index: the track's 0-based index, for messages.

        Raises:
            TextTooLongError: the chunk is 4 MiB or more (names the track).
            ReaperError: REAPER refused (a stale handle).
        """
        where = self.describe_track(track, index)
        try:
            result, text = self._text_out("GetTrackStateChunk", (track, "", STRING_BUFFER_BYTES, False), 2,
                                          f"the state chunk of {where}")
        except TextTooLongError as exc:
            raise TextTooLongError(f"{exc.message}; automix cannot edit this track inside REAPER: save the "
                                   f"project and mix the file with 'automix mix'") from None
        if not result[0]:
            raise ReaperError(f"REAPER could not return the state chunk of {where}")
        return text

    def describe_track(self, track: Any, index: int | None = None) -> str:
        """``track 3 ('Bass')`` for messages (``GetTrackName``; the number alone if that fails)."""
        where = f"track {index + 1}" if index is not None else f"track {track}"
        try:
            result = self.call("GetTrackName", track, "", PATH_BUFFER_SIZE)
        except ReaperError:
            return where
        name = result[2] if isinstance(result, (tuple, list)) and len(result) > 2 and result[0] else ""
        return f"{where} ({name!r})" if isinstance(name, str) and name else where

    def set_track_chunk(self, track: Any, text: str) -> None:
        """Replace a track's state with ``text``; a refusal is a ReaperError."""
        ok = self.call("SetTrackStateChunk", track, text, False)
        if not ok:
            raise ReaperError("REAPER refused the new state chunk (SetTrackStateChunk returned false)")

    # -- markers, cursor, selection --------------------------------------
    def function_table(self) -> Any:
        """REAPER's function table (``reaper_python._ft``: name → address), or None when not reachable."""
        table = getattr(self.rpr, "_ft", None)
        return table if isinstance(table, dict) else None

    def cursor_s(self) -> float:
        """The edit cursor position in seconds."""
        return float(self.call("GetCursorPosition"))

    def time_selection(self) -> TimeSelection:
        """The time selection (not the loop points)."""
        result = self.call("GetSet_LoopTimeRange", False, False, 0.0, 0.0, False)
        return TimeSelection(float(result[2]), float(result[3]))

    # -- project ext state ------------------------------------------------
    def ext_state(self, section: str, key: str) -> str:
        """A value stored in the project (``GetProjExtState``), "" if none."""
        _result, text = self._text_out("GetProjExtState", (self.project, section, key, "", STRING_BUFFER_BYTES),
                                       4, f"the project state {section}/{key}")
        return text

    def set_ext_state(self, section: str, key: str, value: str) -> None:
        """Store a value in the project (saved with it, part of the undo state)."""
        self.call("SetProjExtState", self.project, section, key, value)

    # -- undo, UI ---------------------------------------------------------
    def begin_undo(self) -> None:
        """Open an undo block (``Undo_BeginBlock2``)."""
        self.call("Undo_BeginBlock2", self.project)

    def end_undo(self, description: str, flags: int = UNDO_ALL) -> None:
        """Close the undo block under ``description`` (``Undo_EndBlock2``)."""
        self.call("Undo_EndBlock2", self.project, description, flags)

    def refresh(self) -> None:
        """Redraw after chunk writes: ``TrackList_AdjustWindows(false)`` then ``UpdateArrange``."""
        self.call("TrackList_AdjustWindows", False)
        self.call("UpdateArrange")

    def prevent_ui_refresh(self, count: int) -> None:
        """``PreventUIRefresh``: +1 holds redraws, -1 releases them (calls must balance)."""
        self.call("PreventUIRefresh", count)

    def is_dirty(self) -> bool:
        """True when the project has unsaved changes."""
        return bool(int(self.call("IsProjectDirty", self.project) or 0))

    def resource_path(self) -> Path:
        """REAPER's resource folder (``GetResourcePath``)."""
        return Path(str(self.call("GetResourcePath")))

    def console(self, message: str) -> None:
        """Print a line in REAPER's console (``ShowConsoleMsg``)."""
        self.call("ShowConsoleMsg", message if message.endswith("\n") else message + "\n")

    def message_box(self, message: str, title: str, kind: int = MESSAGE_BOX_OK) -> int:
        """Show a message box; returns the button pressed (1 = OK)."""
        return int(self.call("ShowMessageBox", message, title, kind) or 0)


class TextTooLongError(ReaperError):
    """A string output of REAPER (a track chunk, the notes …) does not fit the bindings' 4 MiB buffer."""


class _ReaperPythonTable:
    """REAPER's own ``reaper_python`` module seen without the ``RPR_`` prefix.

    ``_ft`` is REAPER's function table (name → address) for the calls made
    with ctypes (:mod:`automix.reaper.native`).
    """

    def __init__(self, module: Any) -> None:
        self._module = module
        self._ft = getattr(module, "_ft", None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, "RPR_" + name)


def raw_api() -> Any:
    """The raw ReaScript function table: REAPER's own module inside REAPER, else reapy's distant API.

    Raises:
        ReaperError: neither inside REAPER nor connected to it through reapy.
    """
    try:
        import reaper_python  # type: ignore[import-not-found]  # present only inside REAPER
    except ImportError:
        reaper_python = None
    if reaper_python is not None:
        return _ReaperPythonTable(reaper_python)
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # reapy warns when its distant API is disabled
            import reapy
            from reapy import reascript_api
    except ImportError:
        raise ReaperError("neither REAPER's reaper_python module nor reapy is available: run automix's "
                          "actions from inside REAPER") from None
    if not (reapy.is_inside_reaper() or reapy.dist_api_is_enabled()):
        raise ReaperError("REAPER is not running or reapy's distant API is not enabled: run the action from "
                          "REAPER's action list")
    return reascript_api


def connect(project: Any = CURRENT_PROJECT) -> ReaperApi:
    """A :class:`ReaperApi` on the running REAPER (imports reapy now, not before)."""
    return ReaperApi(raw_api(), project)


__all__ = ["ReaperApi", "TimeSelection", "TextTooLongError", "connect", "raw_api", "CURRENT_PROJECT",
           "UNDO_ALL", "STRING_BUFFER_BYTES", "NEW_MARKER_API"]
