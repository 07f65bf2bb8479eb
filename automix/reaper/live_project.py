"""The open project, rebuilt by the worker from the action's snapshot (runs outside REAPER).

The action inside REAPER sends a :class:`~automix.reaper.snapshot.ProjectSnapshot`
(track chunks as ``GetTrackStateChunk`` returned them, markers with names,
notes, sample rate, tempo). :func:`live_project_from_snapshot` assembles the
text of a project from it (a header plus the track chunks), parses it with
the same chunk engine and turns it into the same
:class:`~automix.project.model.Project` with the same reader
(:func:`~automix.project.reader.project_from_document`) as a ``.rpp`` file, so
analysis, planning and :mod:`automix.plan.apply` run unchanged on it.
:func:`changed_tracks` then gives the chunk text to send back for every track
the edits changed, laid out as REAPER writes state chunks.

Line numbers: the assembled text is not the file on disk, so the live
project model and its chunks carry no line numbers (error messages name the
file, track and region only).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from automix import rpp
from automix.errors import AutomixError, ReaperError
from automix.project.model import Project
from automix.project.reader import project_from_document
from automix.reaper.markers import LiveMarker
from automix.reaper.snapshot import ProjectSnapshot
from automix.rpp import Chunk, RppDocument, quote
from automix.rpp.tokens import format_number

LIVE_HEADER_TIMESTAMP = 0
"""Third field of the assembled header (REAPER writes a save time; nothing reads it)."""


@dataclass
class LiveProject:
    """The open project: its snapshot, model and assembled chunk tree.

    Attributes:
        snapshot: what the action read from REAPER.
        project: the project model (same as :func:`automix.project.reader.read_project` gives).
        document: the assembled project text, parsed; edits go here. Its
            ``<TRACK`` chunks are in REAPER's track order.
    """

    snapshot: ProjectSnapshot
    project: Project
    document: RppDocument
    _baseline: tuple[str, ...] = field(default=(), repr=False)

    def track_chunks(self) -> list[Chunk]:
        """The ``<TRACK`` chunks of :attr:`document`, one per track of the snapshot."""
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


def live_project_from_snapshot(snapshot: ProjectSnapshot) -> LiveProject:
    """Build the project model and chunk tree of a snapshot.

    Raises:
        ReaperError: a track chunk could not be parsed (names the track number).
        AutomixError: as reading the same ``.rpp`` would (without line numbers).
    """
    path = Path(snapshot.project_file) if snapshot.project_file else None
    for index, text in enumerate(snapshot.track_chunks):
        try:
            rpp.loads(text, root_tags=("TRACK",))
        except AutomixError as exc:
            raise ReaperError(f"REAPER returned an unreadable state chunk for track {index + 1}: {exc}",
                              file=path) from exc
    text = live_project_text(app_version=snapshot.app_version, sample_rate_hz=snapshot.sample_rate_hz,
                             tempo_bpm=snapshot.tempo_bpm, notes=snapshot.notes, markers=snapshot.markers,
                             track_chunks=list(snapshot.track_chunks))
    doc = rpp.loads(text, file=path)
    for chunk in doc.iter():
        chunk.line = None  # lines of the assembled text are not lines of any file
    try:
        project = without_line_numbers(project_from_document(doc, path, Path(snapshot.folder)))
    except AutomixError as exc:
        raise type(exc)(exc.message, file=exc.file, track=exc.track, region=exc.region) from exc
    baseline = tuple(rpp.dumps(c) for c in doc.root.findall("TRACK"))
    return LiveProject(snapshot, project, doc, baseline)


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


def changed_tracks(live: LiveProject) -> dict[int, str]:
    """{0-based track index: new chunk text for REAPER} of every track whose chunk the edits changed."""
    chunks = live.track_chunks()
    count = len(live.snapshot.track_chunks)
    if len(chunks) != count:
        raise ReaperError(f"the edited project has {len(chunks)} tracks, REAPER has {count}; "
                          f"automix never adds or removes tracks")
    out = {}
    for index, (chunk, before) in enumerate(zip(chunks, live._baseline)):
        now = rpp.dumps(chunk)
        if now != before:
            out[index] = chunk_text_for_reaper(now)
    return out


__all__ = ["LiveProject", "live_project_from_snapshot", "live_project_text", "chunk_text_for_reaper",
           "changed_tracks", "without_line_numbers"]
