"""A fake of the ReaScript functions automix's live backend calls, backed by a real ``.rpp``.

:class:`FakeReaper` loads a project file with automix's chunk engine and
serves it the way REAPER's Python bindings (and reapy, which passes them
through) do:

* a function without output parameters returns its value
  (``CountTracks(0) -> 3``, ``SetTrackStateChunk(tr, text, False) -> True``);
* a function with output parameters returns a tuple of the return value (if
  not void) followed by every argument, outputs replaced
  (``GetTrackStateChunk(tr, "", 4096, False) -> (True, tr, text, 4096, False)``);
* string outputs are cut to the buffer size minus one (a C string);
* pointers are strings such as ``(MediaTrack*)0x0000000000000003``; a null
  pointer is ``...0x0000000000000000``;
* ``GetTrackStateChunk`` returns REAPER's own layout: two spaces of
  indentation per nesting level from column 0, ``\\n`` line ends.

Quirks reproduced: the name output of ``EnumProjectMarkers3`` comes back
empty (users of the Python bindings report it; REAPER 7's
``GetSetRegionOrMarkerInfo_String(…"P_NAME"…)`` gives the name); set
:attr:`FakeReaper.enum_names_work` to get names from the enumeration, and
put function names in :attr:`FakeReaper.hidden` to play an older REAPER.

Every call is recorded in :attr:`FakeReaper.calls`. :meth:`FakeReaper.fail_at`
makes the n-th call of one function fail, either the way REAPER reports it
(``SetTrackStateChunk`` returning False) or by raising (a lost reapy
connection).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from automix import rpp
from automix.rpp import Chunk, split_tokens

NULL_TRACK = "(MediaTrack*)0x0000000000000000"
PROJECT_POINTER = "(ReaProject*)0x00000000DEADBEEF"


class FakeConnectionError(RuntimeError):
    """What an injected "raise" failure raises (reapy's socket errors are not AutomixErrors either)."""


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


class FakeReaper:
    """REAPER with one open project, loaded from ``project_path``.

    Args:
        project_path: the ``.rpp`` file (its absolute path is the project's file name).
        cursor_s: initial edit cursor position in seconds.
        time_selection: initial (start_s, end_s); equal values mean none.
    """

    def __init__(self, project_path: str | Path, *, cursor_s: float = 0.0,
                 time_selection: tuple[float, float] = (0.0, 0.0)) -> None:
        self.project_path = Path(project_path).resolve()
        doc = rpp.load(self.project_path)
        root = doc.root
        self.app_version = root.args[1] if len(root.args) > 1 else "7.18/win64"
        self._tracks: list[str] = [reaper_layout(rpp.dumps(t)) for t in root.findall("TRACK")]
        self.original_chunks: tuple[str, ...] = tuple(self._tracks)
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
        self.calls: list[tuple[str, tuple]] = []
        self.console: list[str] = []
        self.message_boxes: list[tuple[str, str, int]] = []
        self.undo_depth = 0
        self.undo_history: list[str] = []
        self.failures: list[Failure] = []
        self.enum_names_work = False
        """False (default): EnumProjectMarkers3 gives "" names, as users report of the Python bindings."""
        self.hidden: set[str] = set()
        """Functions this REAPER lacks (e.g. the 7.x ``GetRegionOrMarker`` for a 6.x REAPER)."""

    def __getattribute__(self, name: str) -> Any:
        if name[:1].isupper() and name in object.__getattribute__(self, "hidden"):
            raise AttributeError(f"this REAPER has no function {name}")
        return object.__getattribute__(self, name)

    # -- test controls ----------------------------------------------------
    def fail_at(self, function: str, nth: int, mode: str = "return_false") -> None:
        """Make the ``nth`` call (1-based) of ``function`` fail: ``return_false`` or ``raise``."""
        if mode not in ("return_false", "raise"):
            raise ValueError(f"mode must be 'return_false' or 'raise', got {mode!r}")
        self.failures.append(Failure(function, nth, mode))

    def chunks(self) -> tuple[str, ...]:
        """The current state chunk of every track, as GetTrackStateChunk returns it."""
        return tuple(self._tracks)

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
        text = str(track)
        if not text.startswith("(MediaTrack*)0x"):
            return None
        index = int(text[len("(MediaTrack*)0x"):], 16) - 1
        return index if 0 <= index < len(self._tracks) else None

    @staticmethod
    def _cut(text: str, size: int) -> str:
        return text[:max(int(size) - 1, 0)]

    # -- ReaScript functions ----------------------------------------------
    def GetAppVersion(self) -> str:
        self._enter("GetAppVersion", ())
        return self.app_version

    def EnumProjects(self, idx: int, projfn: str, projfn_sz: int) -> tuple:
        self._enter("EnumProjects", (idx, projfn, projfn_sz))
        if idx not in (-1, 0):
            return ("(ReaProject*)0x0000000000000000", idx, "", projfn_sz)
        name = str(self.project_path) if self.saved else ""
        return (PROJECT_POINTER, idx, self._cut(name, projfn_sz), projfn_sz)

    def GetProjectPath(self, buf: str, buf_sz: int) -> tuple:
        self._enter("GetProjectPath", (buf, buf_sz))
        return (self._cut(str(self.project_path.parent), buf_sz), buf_sz)

    def GetProjectName(self, proj: Any, buf: str, buf_sz: int) -> tuple:
        self._enter("GetProjectName", (proj, buf, buf_sz))
        return (proj, self._cut(self.project_path.name, buf_sz), buf_sz)

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
        return (proj, set_, self._cut(self.notes, notes_sz), notes_sz)

    def CountTracks(self, proj: Any) -> int:
        self._enter("CountTracks", (proj,))
        return len(self._tracks)

    def GetTrack(self, proj: Any, idx: int) -> str:
        self._enter("GetTrack", (proj, idx))
        if not 0 <= idx < len(self._tracks):
            return NULL_TRACK
        return f"(MediaTrack*)0x{idx + 1:016X}"

    def GetTrackStateChunk(self, track: Any, str_: str, str_sz: int, isundo: bool) -> tuple:
        failed = self._enter("GetTrackStateChunk", (track, str_, str_sz, isundo))
        index = self._track_index(track)
        if failed or index is None:
            return (False, track, "", str_sz, isundo)
        return (True, track, self._cut(self._tracks[index], str_sz), str_sz, isundo)

    def SetTrackStateChunk(self, track: Any, str_: str, isundo: bool) -> bool:
        failed = self._enter("SetTrackStateChunk", (track, str_, isundo))
        index = self._track_index(track)
        if failed or index is None:
            return False
        try:
            chunk = rpp.loads(str_, root_tags=("TRACK",)).root
        except Exception:  # REAPER refuses text that is not one track chunk
            return False
        self._tracks[index] = reaper_layout(rpp.dumps(chunk))
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
            return (0, proj, idx, False, 0.0, 0.0, "", 0, 0)
        m = self._markers[idx]
        return (idx + 1, proj, idx, m.is_region, m.start_s, m.end_s if m.is_region else 0.0,
                m.name if self.enum_names_work else "", m.number, m.color)

    def GetRegionOrMarker(self, proj: Any, idx: int, guid: str) -> str:
        self._enter("GetRegionOrMarker", (proj, idx, guid))
        if not 0 <= idx < len(self._markers):
            return "(void*)0x0000000000000000"
        return f"(void*)0x{idx + 1:016X}"

    def GetSetRegionOrMarkerInfo_String(self, proj: Any, region_or_marker: Any, parmname: str, value: str,
                                        set_new_value: bool) -> tuple:
        self._enter("GetSetRegionOrMarkerInfo_String", (proj, region_or_marker, parmname, value, set_new_value))
        text = str(region_or_marker)
        idx = int(text[len("(void*)0x"):], 16) - 1 if text.startswith("(void*)0x") else -1
        if not 0 <= idx < len(self._markers) or parmname != "P_NAME":
            return (False, proj, region_or_marker, parmname, "", set_new_value)
        if set_new_value:
            self._markers[idx].name = value
            return (True, proj, region_or_marker, parmname, value, set_new_value)
        return (True, proj, region_or_marker, parmname, self._markers[idx].name, set_new_value)

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
        return (1, proj, extname, key, self._cut(value, val_sz), val_sz)

    def SetProjExtState(self, proj: Any, extname: str, key: str, value: str) -> int:
        if self._enter("SetProjExtState", (proj, extname, key, value)):
            return 0
        self.ext_state[(extname.upper(), key.upper())] = value
        self.dirty = True
        return 1

    def IsProjectDirty(self, proj: Any) -> int:
        self._enter("IsProjectDirty", (proj,))
        return int(self.dirty)

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

    def UpdateArrange(self) -> None:
        self._enter("UpdateArrange", ())

    def ShowConsoleMsg(self, msg: str) -> None:
        self._enter("ShowConsoleMsg", (msg,))
        self.console.append(msg)

    def ShowMessageBox(self, msg: str, title: str, type_: int) -> int:
        self._enter("ShowMessageBox", (msg, title, type_))
        self.message_boxes.append((msg, title, type_))
        return 1


__all__ = ["FakeReaper", "FakeConnectionError", "reaper_layout", "NULL_TRACK", "PROJECT_POINTER"]
