"""A strict fake of the ReaScript functions automix's live backend calls, backed by a real ``.rpp``.

:class:`FakeReaper` loads a project file with automix's chunk engine and
serves it the way REAPER's generated Python bindings (``reaper_python.py``)
do, for one REAPER version (``6.83``, ``7.18``, ``7.62`` …):

* a function without output parameters returns its value
  (``CountTracks(0) -> 3``, ``SetTrackStateChunk(tr, text, False) -> True``);
* a function with output parameters returns a tuple of the return value (if
  not void) followed by every argument, outputs replaced
  (``GetTrackStateChunk(tr, "", 4194304, False) -> (True, tr, text, 4194304, False)``);
* string outputs: the bindings allocate a 4 MiB buffer (``MAX_STRBUF``)
  whatever size is passed and tell REAPER the size passed; REAPER writes at
  most size − 1 **bytes** (UTF-8) and the bindings decode strictly. So a
  cut inside a multi-byte character raises ``UnicodeDecodeError``, and a
  size above 4 MiB with a longer text is a buffer overflow
  (:class:`BufferOverflow`: the test fails, as REAPER would crash);
* ``char**`` outputs (``EnumProjectMarkers3``'s name) come back as the
  argument the caller passed (the bindings pass a NULL pointer); the real
  name is reachable through :attr:`FakeReaper._ft`, REAPER's function table
  (name → C address), as a native ``EnumProjectMarkers3`` (set
  :attr:`FakeReaper.native_table` False to play reapy's distant API, where
  there is no table);
* a function exists only from the version that has it
  (:data:`fake_reaper_params.FIRST_VERSION`; else ``AttributeError``): the 7.62
  marker functions (``GetNumRegionsOrMarkers``, ``GetRegionOrMarker``,
  ``GetRegionOrMarkerInfo_Value``, ``GetSetRegionOrMarkerInfo_String``), the
  envelope functions from 5.0, the FX formatting functions from 4.0;
* envelopes and FX parameters (``GetEnvelopePoint``, ``GetEnvelopeScalingMode``,
  ``Envelope_FormatValue``, ``TrackFX_FormatParamValue`` …) are read from
  the track's current chunk the way REAPER reads them
  (:mod:`fake_reaper_values`), so what automix writes is read back, not echoed;
* pointers are strings such as ``(MediaTrack*)0x0000000000000003``, validated
  on every call (a deleted track's handle is refused); a null pointer is
  ``...0x0000000000000000``;
* ``GetTrackStateChunk`` returns REAPER's own layout (2 spaces a level from
  column 0, ``\\n``); ``SetTrackStateChunk`` accepts any indentation and line
  ends, as REAPER does, and refuses text that is not one track chunk.

:class:`DeferLoop` plays REAPER's ``defer`` / ``atexit`` timer for actions
that poll a worker process.

Every call is recorded in :attr:`FakeReaper.calls`. :meth:`FakeReaper.fail_at`
makes the n-th call of one function fail, either the way REAPER reports it
(``SetTrackStateChunk`` returning False) or by raising (a lost reapy
connection).
"""

from __future__ import annotations

import ctypes
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from fake_reaper_params import FIRST_VERSION, FakeParamApi, offered
from fake_reaper_values import FakeValueApi

from automix import rpp
from automix.rpp import Chunk, split_tokens

NULL_TRACK = "(MediaTrack*)0x0000000000000000"
PROJECT_POINTER = "(ReaProject*)0x00000000DEADBEEF"
OTHER_PROJECT_POINTER = "(ReaProject*)0x00000000FEEDF00D"
MAX_STRBUF = 4 * 1024 * 1024
"""The bindings' string buffer, bytes."""
VERSIONS = ("6.83", "7.18", "7.62")
"""One REAPER of each behaviour: 6.x, 7.x before 7.62, 7.62 and later (the platform comes from the project)."""
NEW_MARKER_API = ("GetNumRegionsOrMarkers", "GetRegionOrMarker", "GetRegionOrMarkerInfo_Value",
                  "GetSetRegionOrMarkerInfo_String")


class FakeConnectionError(RuntimeError):
    """What an injected "raise" failure raises (reapy's socket errors are not AutomixErrors either)."""


class BufferOverflow(BaseException):
    """REAPER was told a buffer larger than the bindings' 4 MiB and had more to write: memory corruption.

    A BaseException, so no ``except Exception`` in the code under test can swallow it: REAPER would crash.
    """


def reaper_layout(text: str) -> str:
    """Chunk text re-laid the way REAPER returns it: 2-space indentation from column 0, ``\\n`` endings.

    Only leading whitespace and ``\\r`` are changed; line contents (trailing
    spaces of ``|`` lines included) are kept.
    """
    out = []
    depth = 0
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.lstrip(" \t")
        if not line:
            continue
        if line.startswith(">"):
            depth -= 1
        out.append("  " * max(depth, 0) + line)
        if line.startswith("<"):
            depth += 1
    return "\n".join(out) + "\n"


def version_tuple(app_version: str) -> tuple[int, int]:
    """``"7.62/win64"`` → (7, 62)."""
    head = app_version.split("/")[0]
    major, _, minor = head.partition(".")
    digits = "".join(ch for ch in minor if ch.isdigit())
    return int(major), int(digits or 0)


@dataclass
class _Marker:
    number: int
    is_region: bool
    start_s: float
    end_s: float
    name: str
    color: int


@dataclass
class Failure:
    """An injected failure: the ``nth`` call (1-based) of ``function`` fails with ``mode``."""

    function: str
    nth: int
    mode: str = "return_false"
    seen: int = field(default=0)


def _markers_of(root: Chunk) -> list[_Marker]:
    """Markers and regions of a project root, in REAPER's enumeration order (by position)."""
    out: list[_Marker] = []
    open_regions: dict[int, _Marker] = {}
    for node in root.lines:
        toks = split_tokens(node.content)
        if not toks or toks[0] != "MARKER":
            continue
        number, pos = int(toks[1]), float(toks[2])
        name = toks[3] if len(toks) > 3 else ""
        flags = int(toks[4]) if len(toks) > 4 else 0
        color = int(toks[5]) if len(toks) > 5 else 0
        if not flags & 1:
            out.append(_Marker(number, False, pos, pos, name, color))
        elif number in open_regions:
            open_regions.pop(number).end_s = pos
        else:
            marker = _Marker(number, True, pos, pos, name, color)
            open_regions[number] = marker
            out.append(marker)
    out.sort(key=lambda m: (m.start_s, not m.is_region))
    return out


_ENUM_MARKERS_C = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_uint64, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                                   ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)


class FakeReaper(FakeValueApi, FakeParamApi):
    """REAPER with one open project, loaded from ``project_path``.

    The envelope and FX functions (how REAPER reads the values in a chunk)
    come from :class:`fake_reaper_values.FakeValueApi`.

    :attr:`default_version` (class attribute) is the version used when none
    is passed: tests set it to run against every REAPER behaviour.

    Args:
        project_path: the ``.rpp`` file (its absolute path is the project's file name).
        version: REAPER's version (default: the project header's); without a ``/platform`` part the
            header's platform is added (REAPER names ReaEQ's file by platform).
        cursor_s: initial edit cursor position in seconds.
        time_selection: initial (start_s, end_s); equal values mean none.
    """

    default_version: str | None = None
    missing_functions: frozenset[str] = frozenset()
    """ReaScript functions this REAPER lacks (``AttributeError``, as for a function the bindings do not define)."""

    def __init__(self, project_path: str | Path, *, version: str | None = None, cursor_s: float = 0.0,
                 time_selection: tuple[float, float] = (0.0, 0.0)) -> None:
        version = version or FakeReaper.default_version
        self.project_path = Path(project_path).resolve()
        doc = rpp.load(self.project_path)
        root = doc.root
        header = root.args[1] if len(root.args) > 1 else "7.18/win64"
        if version is not None and "/" not in version:
            version = f"{version}/{header.partition('/')[2] or 'win64'}"
        self.app_version = version or header
        self.version = version_tuple(self.app_version)
        self._next_handle = 1
        self._tracks: list[list] = []  # [handle number, chunk text]
        for t in root.findall("TRACK"):
            self._tracks.append([self._next_handle, reaper_layout(rpp.dumps(t))])
            self._next_handle += 1
        self.original_chunks: tuple[str, ...] = self.chunks()
        self._markers = _markers_of(root)
        values = root.get_values("SAMPLERATE")
        self.sample_rate = float(values[0]) if values else 44100.0
        tempo = root.get_values("TEMPO")
        self.tempo_bpm = float(tempo[0]) if tempo else 120.0
        notes = root.find("NOTES")
        self.notes = "\n".join(n.content[1:] for n in notes.lines if n.content.startswith("|")) if notes else ""
        self.cursor_s = float(cursor_s)
        self.selection = (float(time_selection[0]), float(time_selection[1]))
        self.ext_state: dict[tuple[str, str], str] = {}
        self.saved = True
        """False: the project was never saved (EnumProjects gives no file name)."""
        self.dirty = False
        self.active_project = PROJECT_POINTER
        """The ``ReaProject*`` of the active tab (``EnumProjects(-1, …)``); set :data:`OTHER_PROJECT_POINTER`
        to play the user switching to another tab (the same project opened twice: same tracks)."""
        self.resource_path = Path(tempfile.mkdtemp(prefix="fake-reaper-resources-"))
        """REAPER's resource folder: a fresh temporary folder, never beside the project (a project read from
        ../shared must not gain files there, nor pick up another run's worker configuration)."""
        self.calls: list[tuple[str, tuple]] = []
        self.console: list[str] = []
        self.message_boxes: list[tuple[str, str, int]] = []
        self.message_box_answer = 1
        """What ShowMessageBox returns (1 OK, 6 Yes, 7 No)."""
        self.undo_depth = 0
        self.undo_history: list[str] = []
        self.ui_refresh_held = 0
        """PreventUIRefresh balance: must be 0 whenever an action returns control."""
        self.failures: list[Failure] = []
        self.native_table = True
        """True: REAPER's function table (``_ft``) is reachable, as inside REAPER."""
        self._native_names: list[Any] = []  # keeps the C strings handed out alive
        self._native_enum = _ENUM_MARKERS_C(self._enum_markers_native)

    def __getattribute__(self, name: str) -> Any:
        if name in FIRST_VERSION and not offered(name, object.__getattribute__(self, "version")) or \
                name in object.__getattribute__(self, "missing_functions"):
            raise AttributeError(f"REAPER {object.__getattribute__(self, 'app_version')} has no function {name}")
        return object.__getattribute__(self, name)

    # -- test controls ----------------------------------------------------
    def fail_at(self, function: str, nth: int, mode: str = "return_false") -> None:
        """Make the ``nth`` call (1-based) of ``function`` fail: ``return_false`` or ``raise``."""
        if mode not in ("return_false", "raise"):
            raise ValueError(f"mode must be 'return_false' or 'raise', got {mode!r}")
        self.failures.append(Failure(function, nth, mode))

    def chunks(self) -> tuple[str, ...]:
        """The current state chunk of every track, as GetTrackStateChunk returns it."""
        return tuple(chunk for _handle, chunk in self._tracks)

    def set_chunk(self, index: int, text: str) -> None:
        """The user edits track ``index`` (0-based) while an action runs."""
        self._tracks[index][1] = reaper_layout(text)
        self.dirty = True

    def _set_track_text(self, index: int, chunk: Chunk) -> None:
        """Store an edited track chunk the way REAPER lays it out (the project becomes dirty)."""
        self._tracks[index][1] = reaper_layout(rpp.dumps(chunk))
        self.dirty = True

    def delete_track(self, index: int) -> None:
        """The user deletes track ``index``: its handle becomes invalid, the others keep theirs."""
        del self._tracks[index]
        self.dirty = True

    def rename_marker(self, enum_index: int, name: str) -> None:
        """The user renames marker/region ``enum_index``."""
        self._markers[enum_index].name = name
        self.dirty = True

    def count(self, function: str) -> int:
        """How many times ``function`` was called."""
        return sum(1 for name, _ in self.calls if name == function)

    def _enter(self, function: str, args: tuple) -> bool:
        """Record a call; True when an injected failure says it must return failure."""
        self.calls.append((function, args))
        hit = None
        for f in self.failures:
            if f.function == function:
                f.seen += 1
                if f.seen == f.nth:
                    hit = f
        if hit is not None and hit.mode == "raise":
            raise FakeConnectionError(f"injected failure in call {hit.nth} of {function}")
        return hit is not None

    def _track_index(self, track: Any) -> int | None:
        """Index of the track whose handle is ``track``; None for an invalid or deleted handle."""
        text = str(track)
        if not text.startswith("(MediaTrack*)0x"):
            return None
        number = int(text[len("(MediaTrack*)0x"):], 16)
        for index, (handle, _chunk) in enumerate(self._tracks):
            if handle == number:
                return index
        return None

    @staticmethod
    def _out(text: str, size: int) -> str:
        """A string output as the bindings return it (see the module docstring)."""
        data = text.encode("utf-8")
        size = int(size)
        if size > MAX_STRBUF and len(data) >= MAX_STRBUF:
            raise BufferOverflow(f"REAPER was told a {size}-byte buffer and wrote {len(data) + 1} bytes into "
                                 f"the bindings' {MAX_STRBUF}-byte buffer")
        return data[:max(size - 1, 0)].decode("utf-8")  # strict, as rpr_unpacks

    # -- ReaScript functions ----------------------------------------------
    def GetAppVersion(self) -> str:
        self._enter("GetAppVersion", ())
        return self.app_version

    def GetResourcePath(self) -> str:
        self._enter("GetResourcePath", ())
        return str(self.resource_path)

    def EnumProjects(self, idx: int, projfn: str, projfn_sz: int) -> tuple:
        self._enter("EnumProjects", (idx, projfn, projfn_sz))
        if idx not in (-1, 0):
            return ("(ReaProject*)0x0000000000000000", idx, "", projfn_sz)
        name = str(self.project_path) if self.saved else ""
        return (self.active_project if idx == -1 else PROJECT_POINTER, idx, self._out(name, projfn_sz), projfn_sz)

    def GetProjectPath(self, buf: str, buf_sz: int) -> tuple:
        self._enter("GetProjectPath", (buf, buf_sz))
        return (self._out(str(self.project_path.parent), buf_sz), buf_sz)

    def GetSetProjectInfo(self, proj: Any, desc: str, value: float, is_set: bool) -> float:
        self._enter("GetSetProjectInfo", (proj, desc, value, is_set))
        if desc == "PROJECT_SRATE":
            if is_set:
                self.sample_rate = float(value)
            return self.sample_rate
        if desc == "PROJECT_SRATE_USE":
            return 1.0
        return 0.0

    def GetProjectTimeSignature2(self, proj: Any, bpm: float, bpi: float) -> tuple:
        self._enter("GetProjectTimeSignature2", (proj, bpm, bpi))
        return (proj, self.tempo_bpm, 4.0)

    def GetSetProjectNotes(self, proj: Any, set_: bool, notes: str, notes_sz: int) -> tuple:
        if self._enter("GetSetProjectNotes", (proj, set_, notes, notes_sz)):
            return (proj, set_, "", notes_sz)
        if set_:
            self.notes = notes
            self.dirty = True
            return (proj, set_, notes, notes_sz)
        return (proj, set_, self._out(self.notes, notes_sz), notes_sz)

    def CountTracks(self, proj: Any) -> int:
        self._enter("CountTracks", (proj,))
        return len(self._tracks)

    def GetTrack(self, proj: Any, idx: int) -> str:
        self._enter("GetTrack", (proj, idx))
        if not 0 <= idx < len(self._tracks):
            return NULL_TRACK
        return f"(MediaTrack*)0x{self._tracks[idx][0]:016X}"

    def GetTrackName(self, track: Any, buf: str, buf_sz: int) -> tuple:
        self._enter("GetTrackName", (track, buf, buf_sz))
        index = self._track_index(track)
        if index is None:
            return (False, track, "", buf_sz)
        chunk = rpp.loads(self._tracks[index][1], root_tags=("TRACK",)).root
        values = chunk.get_values("NAME")
        name = values[0] if values else f"Track {index + 1}"
        return (True, track, self._out(name, buf_sz), buf_sz)

    def GetTrackStateChunk(self, track: Any, str_: str, str_sz: int, isundo: bool) -> tuple:
        failed = self._enter("GetTrackStateChunk", (track, str_, str_sz, isundo))
        index = self._track_index(track)
        if failed or index is None:
            return (False, track, "", str_sz, isundo)
        return (True, track, self._out(self._tracks[index][1], str_sz), str_sz, isundo)

    def SetTrackStateChunk(self, track: Any, str_: str, isundo: bool) -> bool:
        failed = self._enter("SetTrackStateChunk", (track, str_, isundo))
        index = self._track_index(track)
        if failed or index is None:
            return False
        try:
            chunk = rpp.loads(str_, root_tags=("TRACK",)).root
        except Exception:  # REAPER refuses text that is not one track chunk
            return False
        self._tracks[index][1] = reaper_layout(rpp.dumps(chunk))
        self.dirty = True
        return True

    def CountProjectMarkers(self, proj: Any, num_markers: int, num_regions: int) -> tuple:
        self._enter("CountProjectMarkers", (proj, num_markers, num_regions))
        regions = sum(m.is_region for m in self._markers)
        return (len(self._markers), proj, len(self._markers) - regions, regions)

    def EnumProjectMarkers3(self, proj: Any, idx: int, isrgn: bool, pos: float, rgnend: float, name: str,
                            markrgnindexnumber: int, color: int) -> tuple:
        self._enter("EnumProjectMarkers3", (proj, idx, isrgn, pos, rgnend, name, markrgnindexnumber, color))
        if not 0 <= idx < len(self._markers):
            return (0, proj, idx, False, 0.0, 0.0, name, 0, 0)
        m = self._markers[idx]
        # the name is a char** the bindings pass as NULL: the caller's argument comes back unchanged
        return (idx + 1, proj, idx, m.is_region, m.start_s, m.end_s if m.is_region else 0.0, name, m.number,
                m.color)

    @property
    def _ft(self) -> dict[str, int]:
        """REAPER's function table (name → C address), as ``reaper_python._ft``; absent without it."""
        if not self.native_table:
            raise AttributeError("no function table: not inside REAPER")
        return {"EnumProjectMarkers3": ctypes.cast(self._native_enum, ctypes.c_void_p).value}

    def _enum_markers_native(self, proj: int, idx: int, isrgn_p: int, pos_p: int, end_p: int, name_p: int,
                             number_p: int, color_p: int) -> int:
        """The C ``EnumProjectMarkers3``: writes every output through its pointer (a NULL one is skipped)."""
        self.calls.append(("EnumProjectMarkers3 (native)", (proj, idx)))
        if proj != 0 or not 0 <= idx < len(self._markers):
            return 0
        m = self._markers[idx]
        if isrgn_p:
            ctypes.cast(isrgn_p, ctypes.POINTER(ctypes.c_byte))[0] = int(m.is_region)
        if pos_p:
            ctypes.cast(pos_p, ctypes.POINTER(ctypes.c_double))[0] = m.start_s
        if end_p:
            ctypes.cast(end_p, ctypes.POINTER(ctypes.c_double))[0] = m.end_s if m.is_region else 0.0
        if name_p:
            buffer = ctypes.create_string_buffer(m.name.encode("utf-8"))
            self._native_names.append(buffer)
            ctypes.cast(name_p, ctypes.POINTER(ctypes.c_void_p))[0] = ctypes.addressof(buffer)
        if number_p:
            ctypes.cast(number_p, ctypes.POINTER(ctypes.c_int))[0] = m.number
        if color_p:
            ctypes.cast(color_p, ctypes.POINTER(ctypes.c_int))[0] = m.color
        return idx + 1

    # -- REAPER 7.62+ -------------------------------------------------------
    def _marker_handle_index(self, handle: Any) -> int | None:
        text = str(handle)
        prefix = "(ReaRegionOrMarker*)0x"
        if not text.startswith(prefix):
            return None
        index = int(text[len(prefix):], 16) - 1
        return index if 0 <= index < len(self._markers) else None

    def GetNumRegionsOrMarkers(self, proj: Any) -> int:
        self._enter("GetNumRegionsOrMarkers", (proj,))
        return len(self._markers)

    def GetRegionOrMarker(self, proj: Any, idx: int, guid: str) -> str:
        self._enter("GetRegionOrMarker", (proj, idx, guid))
        if not 0 <= idx < len(self._markers):
            return "(ReaRegionOrMarker*)0x0000000000000000"
        return f"(ReaRegionOrMarker*)0x{idx + 1:016X}"

    def GetRegionOrMarkerInfo_Value(self, proj: Any, region_or_marker: Any, parmname: str) -> float:
        self._enter("GetRegionOrMarkerInfo_Value", (proj, region_or_marker, parmname))
        index = self._marker_handle_index(region_or_marker)
        if index is None:
            return 0.0
        m = self._markers[index]
        values = {"B_ISREGION": float(m.is_region), "D_STARTPOS": m.start_s,
                  "D_ENDPOS": m.end_s if m.is_region else m.start_s, "I_NUMBER": float(m.number),
                  "I_CUSTOMCOLOR": float(m.color)}
        return values.get(parmname, 0.0)

    def GetSetRegionOrMarkerInfo_String(self, proj: Any, region_or_marker: Any, parmname: str, value: str,
                                        set_new_value: bool) -> tuple:
        self._enter("GetSetRegionOrMarkerInfo_String", (proj, region_or_marker, parmname, value, set_new_value))
        index = self._marker_handle_index(region_or_marker)
        if index is None or parmname != "P_NAME":
            return (False, proj, region_or_marker, parmname, "", set_new_value)
        if set_new_value:
            self._markers[index].name = value
            return (True, proj, region_or_marker, parmname, value, set_new_value)
        return (True, proj, region_or_marker, parmname, self._out(self._markers[index].name, MAX_STRBUF),
                set_new_value)

    # -- cursor, selection, state --------------------------------------------
    def GetCursorPosition(self) -> float:
        self._enter("GetCursorPosition", ())
        return self.cursor_s

    def GetSet_LoopTimeRange(self, is_set: bool, is_loop: bool, start: float, end: float,
                             allowautoseek: bool) -> tuple:
        self._enter("GetSet_LoopTimeRange", (is_set, is_loop, start, end, allowautoseek))
        if is_set and not is_loop:
            self.selection = (float(start), float(end))
        return (is_set, is_loop, self.selection[0], self.selection[1], allowautoseek)

    def GetProjExtState(self, proj: Any, extname: str, key: str, val: str, val_sz: int) -> tuple:
        self._enter("GetProjExtState", (proj, extname, key, val, val_sz))
        value = self.ext_state.get((extname.upper(), key.upper()))
        if value is None:
            return (0, proj, extname, key, "", val_sz)
        return (1, proj, extname, key, self._out(value, val_sz), val_sz)

    def SetProjExtState(self, proj: Any, extname: str, key: str, value: str) -> int:
        if self._enter("SetProjExtState", (proj, extname, key, value)):
            return 0
        self.ext_state[(extname.upper(), key.upper())] = value
        self.dirty = True
        return 1

    def IsProjectDirty(self, proj: Any) -> int:
        self._enter("IsProjectDirty", (proj,))
        return int(self.dirty)

    # -- undo, UI -------------------------------------------------------------
    def Undo_BeginBlock2(self, proj: Any) -> None:
        self._enter("Undo_BeginBlock2", (proj,))
        self.undo_depth += 1

    def Undo_EndBlock2(self, proj: Any, descchange: str, extraflags: int) -> None:
        self._enter("Undo_EndBlock2", (proj, descchange, extraflags))
        if self.undo_depth <= 0:
            raise AssertionError("Undo_EndBlock2 without Undo_BeginBlock2")
        self.undo_depth -= 1
        if self.undo_depth == 0:
            self.undo_history.append(descchange)

    def PreventUIRefresh(self, prevent_count: int) -> None:
        self._enter("PreventUIRefresh", (prevent_count,))
        self.ui_refresh_held += int(prevent_count)
        if self.ui_refresh_held < 0:
            raise AssertionError("PreventUIRefresh(-1) without PreventUIRefresh(1)")

    def TrackList_AdjustWindows(self, is_minor: bool) -> None:
        self._enter("TrackList_AdjustWindows", (is_minor,))

    def UpdateArrange(self) -> None:
        self._enter("UpdateArrange", ())

    def ShowConsoleMsg(self, msg: str) -> None:
        self._enter("ShowConsoleMsg", (msg,))
        self.console.append(msg)

    def ShowMessageBox(self, msg: str, title: str, type_: int) -> int:
        self._enter("ShowMessageBox", (msg, title, type_))
        self.message_boxes.append((msg, title, type_))
        return self.message_box_answer


class DeferLoop:
    """REAPER's ``defer`` timer: callbacks run one per tick (about 30 a second), ``atexit`` at the end.

    ``defer(callback)`` queues a callback; :meth:`run` runs the queue until
    it is empty (the script ended: atexit callbacks run) or ``timeout_s``
    passes; ``between`` runs before every tick (a user editing meanwhile).
    """

    def __init__(self, tick_s: float = 0.03) -> None:
        self.tick_s = tick_s
        self.queue: list[Callable[[], None]] = []
        self.at_exit: list[Callable[[], None]] = []
        self.ticks = 0

    def defer(self, callback: Callable[[], None]) -> None:
        self.queue.append(callback)

    def atexit(self, callback: Callable[[], None]) -> None:
        self.at_exit.append(callback)

    def run(self, timeout_s: float = 120.0, between: Callable[[int], None] | None = None) -> int:
        """Run until no callback is queued; returns the number of ticks. A timeout fails the test."""
        deadline = time.monotonic() + timeout_s
        while self.queue:
            if time.monotonic() > deadline:
                raise AssertionError(f"the action still polls after {timeout_s} s")
            if between is not None:
                between(self.ticks)
            callback = self.queue.pop(0)
            self.ticks += 1
            callback()
            time.sleep(self.tick_s)
        self.terminate()
        return self.ticks

    def terminate(self) -> None:
        """The script ends (or the user terminates it): queued callbacks dropped, atexit callbacks run."""
        self.queue.clear()
        while self.at_exit:
            self.at_exit.pop(0)()



def install_worker(fake: FakeReaper) -> Path:
    """Write ``automix.json`` into the fake's resource folder: this interpreter runs the worker."""
    import sys

    from automix.reaper.worker_config import (
        WorkerConfig,
        config_path,
        format_worker_config,
    )
    fake.resource_path.mkdir(parents=True, exist_ok=True)
    repo = Path(__file__).resolve().parents[1]
    path = config_path(fake.resource_path)
    path.write_bytes(format_worker_config(WorkerConfig(Path(sys.executable), package_path=repo)))
    return path


def run_action(action: Callable[..., Any], fake: FakeReaper, *, between: Callable[[int], None] | None = None,
               **options: Any) -> Any:
    """Run an action as REAPER would (``defer`` ticks until it is done); its outcome."""
    from automix.reaper.adapter import ReaperApi
    if not (fake.resource_path / "automix.json").is_file():
        install_worker(fake)
    loop = DeferLoop()
    job = action(ReaperApi(fake), defer=loop.defer, atexit=loop.atexit, **options)
    loop.run(between=between)
    assert fake.ui_refresh_held == 0 and fake.undo_depth == 0
    return job.outcome


__all__ = ["FakeReaper", "FakeConnectionError", "BufferOverflow", "DeferLoop", "install_worker", "run_action",
           "reaper_layout", "version_tuple",
           "NULL_TRACK", "PROJECT_POINTER", "OTHER_PROJECT_POINTER", "MAX_STRBUF", "VERSIONS"]
