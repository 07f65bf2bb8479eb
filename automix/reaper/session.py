"""The open REAPER project as automix sees it, and all-or-nothing chunk writes.

Reading (:func:`read_live_project`): the project file name, sample rate,
tempo, notes, markers/regions (``EnumProjectMarkers3``) and every track's
state chunk are fetched through a :class:`~automix.reaper.adapter.ReaperApi` and
assembled into the text of a project (a header plus the track chunks). That
text is parsed by the same chunk engine and turned into the same
:class:`~automix.project.model.Project` by the same reader
(:func:`~automix.project.reader.project_from_document`) as a ``.rpp`` file,
so analysis, planning and :mod:`automix.plan.apply` run unchanged on it.

Writing (:class:`LiveTransaction`): the track chunks that the edits changed
are sent back with ``SetTrackStateChunk`` (and automix's state with
``SetProjExtState``), each write recording how to take it back.
:func:`run_undoable` wraps a whole action in one undo block that is closed
whatever happens; on any error it takes every write back (each chunk
already set returns to its original text), so nothing is left half-done.

Line numbers: the assembled text is not the file on disk, so the live
project model and its chunks carry no line numbers (error messages name the
file, track and region only).

Pure code over an API object: tested with ``tests/fake_reaper.py``.
"""

from __future__ import annotations

import dataclasses
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from automix import rpp
from automix.errors import AutomixError, ReaperError
from automix.project.edit import track_name
from automix.project.model import Project
from automix.project.reader import project_from_document
from automix.reaper.adapter import LiveMarker, ReaperApi, TimeSelection
from automix.rpp import Chunk, RppDocument, quote
from automix.rpp.tokens import format_number

LIVE_HEADER_TIMESTAMP = 0
"""Third field of the assembled header (REAPER writes a save time; nothing reads it)."""


@dataclass(frozen=True)
class LiveTrack:
    """One track of the open project.

    Attributes:
        index: 0-based track index.
        handle: the ``MediaTrack*`` handle.
        chunk_text: the state chunk as REAPER returned it.
        name: the track name ("" if unnamed), for messages.
    """

    index: int
    handle: Any
    chunk_text: str
    name: str = ""

    def describe(self) -> str:
        """``track 3 ('Bass')`` for messages."""
        return f"track {self.index + 1}" + (f" ({self.name!r})" if self.name else "")


@dataclass
class LiveProject:
    """The open project: its model, its assembled chunk tree and the user's position.

    Attributes:
        project: the project model (same as :func:`automix.project.reader.read_project` gives).
        document: the assembled project text, parsed; edits go here.
        tracks: the tracks in REAPER's order; ``document``'s ``<TRACK`` chunks
            are in the same order.
        markers: markers and regions as REAPER enumerated them.
        cursor_s: edit cursor position in seconds.
        time_selection: the time selection.
    """

    project: Project
    document: RppDocument
    tracks: tuple[LiveTrack, ...]
    markers: tuple[LiveMarker, ...]
    cursor_s: float
    time_selection: TimeSelection
    _baseline: tuple[str, ...] = field(default=(), repr=False)

    def track_chunks(self) -> list[Chunk]:
        """The ``<TRACK`` chunks of :attr:`document`, one per entry of :attr:`tracks`."""
        return self.document.root.findall("TRACK")


def chunk_text_for_reaper(text: str) -> str:
    """Chunk text laid out as REAPER writes state chunks: 2-space indentation from column 0, ``\\n``.

    Only leading whitespace and ``\\r`` change (indentation is not significant
    to REAPER); line contents, trailing spaces included, are kept.
    """
    out = []
    depth = 0
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.lstrip(" \t")
        if not line:
            continue
        if line.startswith(">"):
            depth = max(depth - 1, 0)
        out.append("  " * depth + line)
        if line.startswith("<"):
            depth += 1
    return "\n".join(out) + "\n"


def _marker_lines(markers: tuple[LiveMarker, ...]) -> list[str]:
    """``MARKER`` lines (REAPER 7 layout) for markers and regions; a region's two lines stay together."""
    lines = []
    for m in markers:
        if m.is_region:
            lines.append(f"  MARKER {m.number} {format_number(m.start_s)} {quote(m.name)} 1 {m.color}")
            lines.append(f"  MARKER {m.number} {format_number(m.end_s)} \"\" 1")
        else:
            lines.append(f"  MARKER {m.number} {format_number(m.start_s)} {quote(m.name)} 0 {m.color}")
    return lines


def live_project_text(*, app_version: str, sample_rate_hz: int, tempo_bpm: float, notes: str,
                      markers: tuple[LiveMarker, ...], track_chunks: list[str]) -> str:
    """The text of a project holding what the live API reported (header, notes, markers, tracks)."""
    lines = [f"<REAPER_PROJECT 0.1 {quote(app_version)} {LIVE_HEADER_TIMESTAMP}"]
    if notes:
        lines.append("  <NOTES 0 2")
        lines += ["    |" + line for line in notes.split("\n")]
        lines.append("  >")
    if sample_rate_hz > 0:
        lines.append(f"  SAMPLERATE {sample_rate_hz} 0 0")
    lines.append(f"  TEMPO {format_number(tempo_bpm)} 4 4")
    lines += _marker_lines(markers)
    text = "\n".join(lines) + "\n"
    for chunk in track_chunks:
        text += chunk if chunk.endswith("\n") else chunk + "\n"
    return text + ">\n"


def read_live_project(api: ReaperApi, *, progress: Callable[[str], None] | None = None) -> LiveProject:
    """Read the open project through the API and build its model.

    Raises:
        ReaperError: an API call failed.
        ProjectParseError: a track chunk could not be parsed (names the track number).
    """
    path = api.project_file()
    folder = path.parent if path is not None else api.recording_folder()
    count = api.track_count()
    if progress is not None:
        progress(f"reading {count} tracks of {path.name if path is not None else 'the unsaved project'}")
    tracks = []
    for index in range(count):
        handle = api.track(index)
        text = api.track_chunk(handle, index)
        try:
            chunk = rpp.loads(text, root_tags=("TRACK",)).root
        except AutomixError as exc:
            raise ReaperError(f"REAPER returned an unreadable state chunk for track {index + 1}: {exc}",
                              file=path) from exc
        tracks.append(LiveTrack(index, handle, text, track_name(chunk)))
    markers = tuple(api.markers(path))
    text = live_project_text(app_version=api.app_version(), sample_rate_hz=api.sample_rate_hz(),
                             tempo_bpm=api.tempo_bpm(), notes=api.notes(), markers=markers,
                             track_chunks=[t.chunk_text for t in tracks])
    doc = rpp.loads(text, file=path)
    for chunk in doc.iter():
        chunk.line = None  # lines of the assembled text are not lines of any file
    try:
        project = without_line_numbers(project_from_document(doc, path, folder))
    except AutomixError as exc:
        raise type(exc)(exc.message, file=exc.file, track=exc.track, region=exc.region) from exc
    baseline = tuple(rpp.dumps(c) for c in doc.root.findall("TRACK"))
    return LiveProject(project, doc, tuple(tracks), markers, api.cursor_s(), api.time_selection(), baseline)


def without_line_numbers(value: Any) -> Any:
    """A copy of a project-model record tree with every ``line`` set to None.

    The live project is assembled text, not the file on disk: its line
    numbers would point error messages at the wrong lines.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: without_line_numbers(getattr(value, f.name)) for f in dataclasses.fields(value)
                   if f.name != "line"}
        if any(f.name == "line" for f in dataclasses.fields(value)):
            changes["line"] = None
        return dataclasses.replace(value, **changes)
    if isinstance(value, dict):
        return {k: without_line_numbers(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(without_line_numbers(v) for v in value)
    return value


def changed_tracks(live: LiveProject) -> list[tuple[LiveTrack, str]]:
    """(track, new chunk text for REAPER) of every track whose chunk the edits changed."""
    chunks = live.track_chunks()
    if len(chunks) != len(live.tracks):
        raise ReaperError(f"the edited project has {len(chunks)} tracks, REAPER has {len(live.tracks)}; "
                          f"automix never adds or removes tracks")
    out = []
    for track, chunk, before in zip(live.tracks, chunks, live._baseline):
        now = rpp.dumps(chunk)
        if now != before:
            out.append((track, chunk_text_for_reaper(now)))
    return out


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
        self._inverse.append((track.describe(),
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

    def write_changed_tracks(self, live: LiveProject, *,
                             progress: Callable[[str], None] | None = None) -> int:
        """Send every track chunk the edits changed; returns how many."""
        changes = changed_tracks(live)
        for track, text in changes:
            self.set_track_chunk(track, text)
            if progress is not None:
                progress(f"updated track {track.index + 1}")
        return len(changes)

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
    error with its traceback in the console.

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


__all__ = ["LiveTrack", "LiveProject", "LiveTransaction", "ActionOutcome", "read_live_project",
           "live_project_text", "chunk_text_for_reaper", "changed_tracks", "without_line_numbers", "run_undoable",
           "report_failure"]
