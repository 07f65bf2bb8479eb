"""Markers and regions of the open project, with their names, on every REAPER version.

REAPER 7.62 added ``GetNumRegionsOrMarkers`` / ``GetRegionOrMarker`` /
``GetRegionOrMarkerInfo_Value`` / ``GetSetRegionOrMarkerInfo_String``: one
enumeration gives positions, numbers and names. Before 7.62,
``EnumProjectMarkers3`` gives positions and numbers, but its name comes back
as the "" passed in (the bindings pass a NULL ``char**``): names are then
read with a ctypes call through REAPER's function table
(:mod:`automix.reaper.native`), else from the ``MARKER`` lines of the saved
project file (:mod:`automix.reaper.saved_markers`); a region whose name none
of these can give is an error naming it, never an unnamed region.

Standard library only: this runs inside REAPER's embedded Python.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from automix.errors import ReaperError
from automix.reaper.adapter import NEW_MARKER_API, ReaperApi
from automix.reaper.native import enum_marker_name, has_native_marker_names
from automix.reaper.saved_markers import read_saved_markers, saved_name


@dataclass(frozen=True)
class LiveMarker:
    """A marker or region of the open project.

    Attributes:
        enum_index: the enumeration index (not the number REAPER shows).
        number: the marker/region number REAPER shows.
        is_region: True for a region.
        start_s: position (region start) in seconds.
        end_s: region end in seconds (equal to ``start_s`` for a marker).
        name: the name ("" if it has none).
        color: REAPER's colour value (0 = default).
    """

    enum_index: int
    number: int
    is_region: bool
    start_s: float
    end_s: float
    name: str
    color: int = 0


def read_markers(api: ReaperApi, saved_project: Path | None = None) -> list[LiveMarker]:
    """Every marker and region, in REAPER's enumeration order (by position), with names.

    Args:
        api: the REAPER API.
        saved_project: the saved ``.rpp`` to take names from when REAPER
            cannot report them (before 7.62, without its function table).

    Raises:
        ReaperError: a region's name cannot be found (names the region
            by number and position, and says what to do).
    """
    if api.has(*NEW_MARKER_API):
        return _markers_by_handle(api)
    found = _markers_enumerated(api)
    table = api.function_table()
    if has_native_marker_names(table):
        return [replace(m, name=enum_marker_name(table, m.enum_index)) for m in found]
    return _names_from_file(api, found, saved_project)


def _markers_by_handle(api: ReaperApi) -> list[LiveMarker]:
    """REAPER 7.62+: one enumeration (``GetNumRegionsOrMarkers`` + ``GetRegionOrMarker``)."""
    out = []
    for index in range(int(api.call("GetNumRegionsOrMarkers", api.project))):
        handle = api.call("GetRegionOrMarker", api.project, index, "")

        def value(parm: str) -> float:
            return float(api.call("GetRegionOrMarkerInfo_Value", api.project, handle, parm))

        result = api.call("GetSetRegionOrMarkerInfo_String", api.project, handle, "P_NAME", "", False)
        if not result[0] or not isinstance(result[4], str):
            raise ReaperError(f"REAPER could not report the name of marker/region {index + 1} "
                              f"(GetSetRegionOrMarkerInfo_String P_NAME)")
        is_region = value("B_ISREGION") != 0
        start = value("D_STARTPOS")
        out.append(LiveMarker(index, int(value("I_NUMBER")), is_region, start,
                              value("D_ENDPOS") if is_region else start, result[4],
                              int(value("I_CUSTOMCOLOR"))))
    return out


def _markers_enumerated(api: ReaperApi) -> list[LiveMarker]:
    """Before 7.62: ``EnumProjectMarkers3`` (names as it returns them: "" from the bindings)."""
    out = []
    index = 0
    while True:
        result = api.call("EnumProjectMarkers3", api.project, index, False, 0.0, 0.0, "", 0, 0)
        if not result[0]:
            return out
        _ret, _proj, _idx, is_region, pos, end, name, number, color = result[:9]
        out.append(LiveMarker(index, int(number), bool(is_region), float(pos),
                              float(end) if is_region else float(pos), name if isinstance(name, str) else "",
                              int(color)))
        index += 1


def _names_from_file(api: ReaperApi, found: list[LiveMarker], saved_project: Path | None) -> list[LiveMarker]:
    """Names from the saved file's MARKER lines; a region the file lacks is an error."""
    regions = [m for m in found if m.is_region]
    if not regions:
        return found
    version = api.app_version()
    if saved_project is None:
        first = regions[0]
        raise ReaperError(f"REAPER {version} does not give region names to Python scripts and the project "
                          f"was never saved, so region {first.number} at {first.start_s:g} s has no name "
                          f"automix can read: save the project (or use REAPER 7.62 or later) and run the "
                          f"action again")
    saved = read_saved_markers(saved_project)
    out = []
    for m in found:
        name = saved_name(saved, m.number, m.is_region, m.start_s)
        if name is None and m.is_region:
            raise ReaperError(f"REAPER {version} does not give region names to Python scripts and region "
                              f"{m.number} at {m.start_s:g} s is not in the saved project: save the project "
                              f"(or use REAPER 7.62 or later) and run the action again", file=saved_project)
        out.append(replace(m, name=name or ""))
    return out


__all__ = ["LiveMarker", "read_markers"]
