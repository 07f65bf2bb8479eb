"""What the action reads from the open project and hands to the worker: a :class:`ProjectSnapshot`.

The action inside REAPER reads everything the worker needs in one go
(:func:`take_snapshot`): the project file and folder, sample rate, tempo,
notes, markers and regions with names, every track's state chunk, the edit
cursor, the time selection and automix's own project state. The worker gets
it as JSON (:func:`snapshot_to_json` / :func:`snapshot_from_json`); the
action keeps the track handles (:class:`TrackHandles`) to check, before it
writes anything back, that the project did not change meanwhile
(:func:`changes_since`).

Standard library only: this runs inside REAPER's embedded Python.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from automix.errors import ReaperError
from automix.reaper.adapter import ReaperApi
from automix.reaper.markers import LiveMarker, read_markers

SNAPSHOT_FORMAT = 1
"""Version of the JSON layout below."""


@dataclass(frozen=True)
class ProjectSnapshot:
    """The open project as the worker needs it.

    Attributes:
        app_version: REAPER's version string (``7.18/win64``).
        project_file: the saved ``.rpp`` (absolute), or None when never saved.
        folder: where relative media paths resolve (the project's folder, or
            REAPER's recording folder for an unsaved project).
        sample_rate_hz: project sample rate; 0 when left to the audio device.
        tempo_bpm: start tempo, beats per minute.
        notes: project notes, lines separated by ``\\n``.
        markers: markers and regions in REAPER's enumeration order, named.
        track_chunks: every track's state chunk as ``GetTrackStateChunk`` returned it.
        cursor_s: edit cursor, seconds.
        time_selection: (start_s, end_s); equal values mean none.
        ext_state: automix's project state, key → value ("" when unset).
        dirty: the project had unsaved changes.
    """

    app_version: str
    project_file: str | None
    folder: str
    sample_rate_hz: int
    tempo_bpm: float
    notes: str
    markers: tuple[LiveMarker, ...]
    track_chunks: tuple[str, ...]
    cursor_s: float = 0.0
    time_selection: tuple[float, float] = (0.0, 0.0)
    ext_state: dict[str, str] = field(default_factory=dict)
    dirty: bool = False


@dataclass(frozen=True)
class TrackHandles:
    """The ``MediaTrack*`` handles of the snapshot's tracks, in order, and the ``ReaProject*`` of the
    project tab they belong to (kept inside REAPER only)."""

    handles: tuple[Any, ...]
    project: Any = None


def take_snapshot(api: ReaperApi, *, ext_section: str = "", ext_keys: tuple[str, ...] = (),
                  progress: Callable[[str], None] | None = None) -> tuple[ProjectSnapshot, TrackHandles]:
    """Read the open project (see the module docstring).

    Raises:
        ReaperError: an API call failed, a chunk is too large, or a region's
            name cannot be read (each message names the track or region).
    """
    project = api.active_project()
    path = api.project_file()
    folder = path.parent if path is not None else api.recording_folder()
    count = api.track_count()
    if progress is not None:
        progress(f"reading {count} tracks of {path.name if path is not None else 'the unsaved project'}")
    handles, chunks = [], []
    for index in range(count):
        handle = api.track(index)
        handles.append(handle)
        chunks.append(api.track_chunk(handle, index))
    snapshot = ProjectSnapshot(
        app_version=api.app_version(), project_file=str(path) if path is not None else None, folder=str(folder),
        sample_rate_hz=api.sample_rate_hz(), tempo_bpm=api.tempo_bpm(), notes=api.notes(),
        markers=tuple(read_markers(api, path)), track_chunks=tuple(chunks), cursor_s=api.cursor_s(),
        time_selection=_selection(api), ext_state={k: api.ext_state(ext_section, k) for k in ext_keys},
        dirty=api.is_dirty())
    return snapshot, TrackHandles(tuple(handles), project)


def _selection(api: ReaperApi) -> tuple[float, float]:
    sel = api.time_selection()
    return (sel.start_s, sel.end_s)


def changes_since(api: ReaperApi, snapshot: ProjectSnapshot, handles: TrackHandles, *,
                  ext_section: str = "") -> list[str]:
    """What changed in the open project since ``snapshot`` was taken ([] = nothing).

    Compares the active project tab (automix writes to the active one), the
    track count, each track's handle and state chunk, the markers and
    regions, the notes (the genre line), the sample rate and the ext-state
    keys the snapshot holds.
    """
    if handles.project is not None and api.active_project() != handles.project:
        where = Path(snapshot.project_file).name if snapshot.project_file else "the unsaved project"
        return [f"another project tab is active now; automix started in {where}: switch back to it"]
    changes = []
    count = api.track_count()
    if count != len(snapshot.track_chunks):
        return [f"the project has {count} tracks now, {len(snapshot.track_chunks)} before"]
    for index, (handle, before) in enumerate(zip(handles.handles, snapshot.track_chunks)):
        if api.track(index) != handle:
            changes.append(f"track {index + 1} was moved, added or deleted")
        elif api.track_chunk(handle, index) != before:
            changes.append(f"{api.describe_track(handle, index)} was edited")
    path = snapshot.project_file
    try:
        markers = tuple(read_markers(api, None if path is None else Path(path)))
    except ReaperError as exc:
        changes.append(f"markers and regions cannot be read again ({exc})")
    else:
        if markers != snapshot.markers:
            changes.append("markers or regions were moved, renamed, added or deleted")
    if api.notes() != snapshot.notes:
        changes.append("the project notes were edited (automix reads the genre from them)")
    if api.sample_rate_hz() != snapshot.sample_rate_hz:
        changes.append(f"the project sample rate is {api.sample_rate_hz()} Hz now, {snapshot.sample_rate_hz} Hz before")
    for key, before in snapshot.ext_state.items():
        if api.ext_state(ext_section, key) != before:
            changes.append(f"automix's stored {key} changed (another automix action ran)")
    return changes


def snapshot_to_json(snapshot: ProjectSnapshot) -> dict:
    """JSON-able form of a snapshot."""
    data = asdict(snapshot)
    data["format"] = SNAPSHOT_FORMAT
    data["markers"] = [asdict(m) for m in snapshot.markers]
    data["time_selection"] = list(snapshot.time_selection)
    data["track_chunks"] = list(snapshot.track_chunks)
    return data


def snapshot_from_json(data: dict) -> ProjectSnapshot:
    """The snapshot of :func:`snapshot_to_json`.

    Raises:
        ReaperError: the data is not a snapshot of this format.
    """
    if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
        raise ReaperError(f"the action sent a snapshot of an unknown format "
                          f"({data.get('format') if isinstance(data, dict) else type(data).__name__!r}): "
                          f"the worker's automix and REAPER's automix differ; re-run install.py")
    try:
        return ProjectSnapshot(
            app_version=str(data["app_version"]), project_file=data["project_file"], folder=str(data["folder"]),
            sample_rate_hz=int(data["sample_rate_hz"]), tempo_bpm=float(data["tempo_bpm"]),
            notes=str(data["notes"]), markers=tuple(LiveMarker(**m) for m in data["markers"]),
            track_chunks=tuple(str(t) for t in data["track_chunks"]), cursor_s=float(data["cursor_s"]),
            time_selection=(float(data["time_selection"][0]), float(data["time_selection"][1])),
            ext_state={str(k): str(v) for k, v in data["ext_state"].items()}, dirty=bool(data["dirty"]))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ReaperError(f"the action sent an incomplete snapshot ({type(exc).__name__}: {exc})") from None


__all__ = ["ProjectSnapshot", "TrackHandles", "take_snapshot", "changes_since", "snapshot_to_json",
           "snapshot_from_json", "SNAPSHOT_FORMAT"]
