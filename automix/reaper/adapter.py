"""The one adapter between automix and a running REAPER (ReaScript API).

Everything that calls REAPER goes through :class:`ReaperApi`: typed methods
over a table of raw ReaScript functions. The table is, in REAPER,
``reapy.reascript_api`` (or REAPER's own ``reaper_python`` module when reapy
is not installed) and, in tests, a fake with the same functions.

Return conventions followed (REAPER's Python bindings, which reapy passes
through unchanged): a function without output parameters returns its value;
a function with output parameters returns a tuple holding the return value
(when not void) followed by *every* argument, output parameters replaced by
their results — e.g. ``GetTrackStateChunk(tr, "", 4096, False)`` returns
``(ok, tr, chunk_text, 4096, False)`` and the void
``GetSetProjectNotes(0, False, "", 4096)`` returns ``(0, False, notes, 4096)``.
String outputs are cut to their buffer size minus one character, as in C.

Nothing here runs at import time: :func:`connect` imports reapy lazily.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from automix.errors import ReaperError

CURRENT_PROJECT = 0
"""The ``ReaProject*`` argument meaning "the active project tab"."""

PATH_BUFFER_SIZE = 4096
"""Buffer size for file names."""

CHUNK_BUFFER_SIZE = 1 << 20
"""First buffer size for a track chunk (1 MiB); doubled until the whole chunk fits."""

MAX_CHUNK_BUFFER_SIZE = 1 << 30
"""Largest buffer tried for one track chunk."""

NOTES_BUFFER_SIZE = 1 << 16
"""Buffer size for the project notes."""

EXT_STATE_BUFFER_SIZE = 1 << 16
"""Buffer size for one project ext-state value."""

UNDO_ALL = -1
"""``Undo_EndBlock2`` flag: everything (track config, FX, envelopes, items …) may have changed."""

MESSAGE_BOX_OK = 0
"""``ShowMessageBox`` type: one OK button."""


@dataclass(frozen=True)
class LiveMarker:
    """A marker or region as ``EnumProjectMarkers3`` reports it.

    Attributes:
        enum_index: the enumeration index (not the number REAPER shows).
        number: the marker/region number REAPER shows.
        is_region: True for a region.
        start_s: position (region start) in seconds.
        end_s: region end in seconds (equal to ``start_s`` for a marker).
        name: the name ("" if none).
        color: REAPER's colour value (0 = default).
    """

    enum_index: int
    number: int
    is_region: bool
    start_s: float
    end_s: float
    name: str
    color: int = 0


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

    def _text_out(self, name: str, args: tuple, text_index: int, size_arg: int, size: int,
                  limit: int) -> tuple[Any, str]:
        """Call a function with a string output, growing the buffer until the text fits.

        ``text_index`` is the text's position in the returned tuple, ``size_arg``
        the position of the buffer-size argument in ``args``.
        """
        while True:
            call_args = list(args)
            call_args[size_arg] = size
            result = self.call(name, *call_args)
            text = result[text_index]
            if not isinstance(text, str):
                raise ReaperError(f"REAPER call {name} returned {type(text).__name__} instead of text")
            if len(text) < size - 1 or size >= limit:
                if len(text) >= size - 1:
                    raise ReaperError(f"REAPER call {name}: text longer than {limit} characters")
                return result, text
            size *= 2

    # -- project ----------------------------------------------------------
    def app_version(self) -> str:
        """REAPER's version string, e.g. ``7.18/win64`` (the ``.rpp`` header's second field)."""
        return str(self.call("GetAppVersion"))

    def project_file(self) -> Path | None:
        """The open project's ``.rpp`` file, or None when it was never saved."""
        result = self.call("EnumProjects", -1, "", PATH_BUFFER_SIZE)
        name = result[2] if isinstance(result, (tuple, list)) and len(result) > 2 else ""
        return Path(name) if name else None

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
        _result, text = self._text_out("GetSetProjectNotes", (self.project, False, "", 0), 2, 3,
                                       NOTES_BUFFER_SIZE, MAX_CHUNK_BUFFER_SIZE)
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

    def track_chunk(self, track: Any) -> str:
        """The state chunk text of a track (``<TRACK`` … ``>``)."""
        result, text = self._text_out("GetTrackStateChunk", (track, "", 0, False), 2, 2,
                                      CHUNK_BUFFER_SIZE, MAX_CHUNK_BUFFER_SIZE)
        if not result[0]:
            raise ReaperError(f"REAPER could not return the state chunk of track {track}")
        return text

    def set_track_chunk(self, track: Any, text: str) -> None:
        """Replace a track's state with ``text``; a refusal is a ReaperError."""
        ok = self.call("SetTrackStateChunk", track, text, False)
        if not ok:
            raise ReaperError("REAPER refused the new state chunk (SetTrackStateChunk returned false)")

    # -- markers, cursor, selection --------------------------------------
    def markers(self) -> list[LiveMarker]:
        """Every marker and region, in REAPER's enumeration order (by position).

        Positions come from ``EnumProjectMarkers3``; names from
        ``GetSetRegionOrMarkerInfo_String(…"P_NAME"…)`` where REAPER has it
        (7.x), because the name output of ``EnumProjectMarkers3`` is reported
        not to come through Python bindings; else from the enumeration.
        """
        out = []
        index = 0
        while True:
            result = self.call("EnumProjectMarkers3", self.project, index, False, 0.0, 0.0, "", 0, 0)
            if not result[0]:
                return out
            _ret, _proj, _idx, is_region, pos, end, name, number, color = result[:9]
            name = self._marker_name(index, name)
            out.append(LiveMarker(index, int(number), bool(is_region), float(pos),
                                  float(end) if is_region else float(pos), name, int(color)))
            index += 1

    def _marker_name(self, enum_index: int, enumerated: Any) -> str:
        """The name of marker/region ``enum_index`` (see :meth:`markers`)."""
        if hasattr(self.rpr, "GetRegionOrMarker") and hasattr(self.rpr, "GetSetRegionOrMarkerInfo_String"):
            handle = self.call("GetRegionOrMarker", self.project, enum_index, "")
            result = self.call("GetSetRegionOrMarkerInfo_String", self.project, handle, "P_NAME", "", False)
            if result[0] and isinstance(result[4], str):
                return result[4]
        if isinstance(enumerated, bytes):
            return enumerated.decode("utf-8", "replace")
        return enumerated if isinstance(enumerated, str) else ""

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
        _result, text = self._text_out("GetProjExtState", (self.project, section, key, "", 0), 4, 4,
                                       EXT_STATE_BUFFER_SIZE, MAX_CHUNK_BUFFER_SIZE)
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
        """Redraw the arrange view after chunk edits."""
        self.call("UpdateArrange")

    def console(self, message: str) -> None:
        """Print a line in REAPER's console (``ShowConsoleMsg``)."""
        self.call("ShowConsoleMsg", message if message.endswith("\n") else message + "\n")

    def message_box(self, message: str, title: str, kind: int = MESSAGE_BOX_OK) -> int:
        """Show a message box; returns the button pressed (1 = OK)."""
        return int(self.call("ShowMessageBox", message, title, kind) or 0)


class _ReaperPythonTable:
    """REAPER's own ``reaper_python`` module seen without the ``RPR_`` prefix (reapy absent)."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, "RPR_" + name)


def raw_api() -> Any:
    """The raw ReaScript function table: reapy's, or REAPER's own when reapy is missing.

    Raises:
        ReaperError: neither inside REAPER nor connected to it through reapy.
    """
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # reapy warns when its distant API is disabled
            import reapy
            from reapy import reascript_api
    except ImportError:
        try:
            import reaper_python  # type: ignore[import-not-found]
        except ImportError:
            raise ReaperError("neither reapy nor REAPER's reaper_python module is available: run automix's "
                              "actions from inside REAPER, or install python-reapy") from None
        return _ReaperPythonTable(reaper_python)
    if not (reapy.is_inside_reaper() or reapy.dist_api_is_enabled()):
        raise ReaperError("REAPER is not running or reapy's distant API is not enabled: run the action from "
                          "REAPER's action list, or run reapy.configure_reaper() once inside REAPER")
    return reascript_api


def connect(project: Any = CURRENT_PROJECT) -> ReaperApi:
    """A :class:`ReaperApi` on the running REAPER (imports reapy now, not before)."""
    return ReaperApi(raw_api(), project)


__all__ = ["ReaperApi", "LiveMarker", "TimeSelection", "connect", "raw_api", "CURRENT_PROJECT", "UNDO_ALL"]
