"""Plans as JSON text and files, and their validation (the format is documented in :mod:`automix.plan.model`).

:func:`plan_to_json`/:func:`plan_from_json` write and read the documented
format of :mod:`automix.plan.model` (sorted keys, 2-space indent; identical plans
give identical text); :func:`save_plan` writes atomically, :func:`load_plan`
reads and validates. :func:`validate_plan` checks a plan on its own (version,
value ranges, region order), :func:`check_plan_matches_project` against a
project (GUIDs of audio tracks, regions inside the song). Errors are
:class:`~automix.errors.PlanError` naming the file, line, region, track,
field and bad value.

Reading is bounded: a plan file over :data:`MAX_PLAN_BYTES`, nested deeper
than :data:`MAX_PLAN_JSON_DEPTH`, or with more than :data:`MAX_PLAN_REGIONS`
regions or :data:`MAX_PLAN_TRACKS` tracks in a region is refused before it is
turned into records.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from automix.errors import PlanError
from automix.plan.model import (
    BOUNDS_TOLERANCE_S,
    EQ_BAND_TYPES,
    MAX_EQ_BW_OCT,
    MAX_EQ_FREQ_HZ,
    MAX_EQ_GAIN_DB,
    MAX_PLAN_GAIN_DB,
    MIN_EQ_BW_OCT,
    MIN_EQ_FREQ_HZ,
    MIN_GAIN_DB,
    PLAN_VERSION,
    EqBand,
    MixPlan,
    RegionPlan,
    TrackPlan,
)
from automix.project.model import Project
from automix.util.atomic import write_text_atomic
from automix.util.bounded import json_depth_exceeds, read_bytes_bounded

MAX_PLAN_BYTES = 16 << 20
"""Largest plan file read (bytes). A track entry with 5 EQ bands is ~0.6 KiB, so 100 regions ×
200 tracks (far beyond a real song) is ~12 MiB; parsing 16 MiB of JSON stays under ~200 MB."""

MAX_PLAN_REGIONS = 10_000
"""Most regions in a plan: a song marked every bar for an hour has under 2,000."""

MAX_PLAN_TRACKS = 4_096
"""Most tracks in one region: REAPER projects rarely pass a few hundred tracks."""

MAX_PLAN_JSON_DEPTH = 16
"""Deepest nesting of a plan (the format nests 5 levels: plan, regions, region, tracks, track, eq)."""

# ---------------------------------------------------------------- JSON

def _band_dict(b: EqBand) -> dict[str, Any]:
    return {"type": b.band_type, "freq_hz": b.freq_hz, "gain_db": b.gain_db, "bw_oct": b.bw_oct}


def plan_to_dict(plan: MixPlan) -> dict[str, Any]:
    """The plan as JSON-ready nested dicts and lists (the documented format)."""
    doc: dict[str, Any] = {
        "version": plan.version,
        "genre": plan.genre,
        "model": plan.model,
        "regions": [
            {"name": r.name, "section": r.section, "start_s": r.start_s, "end_s": r.end_s,
             "tracks": [
                 {"guid": t.guid, "name": t.name, "type": t.type, "gain_db": t.gain_db,
                  "pan": t.pan, "eq": [_band_dict(b) for b in t.eq]}
                 for t in r.tracks]}
            for r in plan.regions
        ],
    }
    if plan.notes:
        doc["notes"] = list(plan.notes)
    return doc


def plan_to_json(plan: MixPlan) -> str:
    """Serialise a plan: sorted keys, 2-space indent, trailing newline.

    Identical plans give identical text. Raises PlanError on NaN/inf values.
    """
    try:
        text = json.dumps(plan_to_dict(plan), sort_keys=True, indent=2,
                          ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise PlanError(f"plan holds a value JSON cannot represent ({exc})") from None
    return text + "\n"


def save_plan(plan: MixPlan, path: str | Path) -> None:
    """Write ``plan_to_json(plan)`` to ``path`` atomically (temp file + rename)."""
    path = Path(path)
    text = plan_to_json(plan)
    try:
        write_text_atomic(path, text)
    except OSError as exc:
        raise PlanError(f"cannot write plan: {exc.strerror or exc}", file=path) from None


def load_plan(path: str | Path) -> MixPlan:
    """Read and validate a plan file."""
    path = Path(path)
    try:
        text = read_bytes_bounded(path, MAX_PLAN_BYTES, PlanError, "plan file").decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"cannot read plan: {exc}", file=path) from None
    return plan_from_json(text, file=path)


_KINDS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "str": (str, "a string"), "list": (list, "a list"), "int": (int, "an integer"),
    "num": ((int, float), "a finite number"), "obj": (dict, "a JSON object"),
}


def _take(obj: Any, spec: dict[str, str], what: str, file: str | Path | None,
          optional: dict[str, Any] | None = None, **where: str | None) -> dict[str, Any]:
    """Check ``obj`` is an object holding ``spec``'s fields (key → kind); return them (numbers as float)."""
    if not isinstance(obj, dict):
        raise PlanError(f"{what} must be a JSON object, got {obj!r:.60}", file=file, **where)
    out: dict[str, Any] = {}
    for key, kind in spec.items():
        if key not in obj:
            if optional is not None and key in optional:
                out[key] = optional[key]
                continue
            raise PlanError(f"{what}: missing field {key!r}", file=file, **where)
        value = obj[key]
        types, desc = _KINDS[kind]
        ok = isinstance(value, types) and not isinstance(value, bool)
        if ok and kind == "num":
            ok = math.isfinite(value)
            value = float(value)
        if not ok:
            raise PlanError(f"{what}: field {key!r} must be {desc}, got {value!r:.60}", file=file, **where)
        out[key] = value
    return out


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed in a plan")


_BAND_SPEC = {"type": "str", "freq_hz": "num", "gain_db": "num", "bw_oct": "num"}
_TRACK_SPEC = {"guid": "str", "name": "str", "type": "str", "gain_db": "num", "pan": "num", "eq": "list"}
_REGION_SPEC = {"name": "str", "section": "str", "start_s": "num", "end_s": "num", "tracks": "list"}
_PLAN_SPEC = {"version": "int", "genre": "str", "model": "str", "regions": "list"}


def plan_from_json(text: str, *, file: str | Path | None = None) -> MixPlan:
    """Parse and validate a plan (structure, types and value ranges).

    Args:
        text: the JSON text.
        file: the file it came from, named in error messages.

    Raises:
        PlanError: naming the file (and line for syntax errors), region,
            track, field and the bad value.
    """
    if len(text) > MAX_PLAN_BYTES:
        raise PlanError(f"plan larger than the {MAX_PLAN_BYTES >> 20} MiB automix accepts", file=file)
    if json_depth_exceeds(text, MAX_PLAN_JSON_DEPTH):
        raise PlanError(f"plan nests deeper than {MAX_PLAN_JSON_DEPTH} levels (the format uses 6)", file=file)
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise PlanError(f"not valid JSON: {exc.msg} (column {exc.colno})", file=file, line=exc.lineno) from None
    except ValueError as exc:
        raise PlanError(f"not a valid plan: {exc}", file=file) from None
    if isinstance(data, dict) and "version" in data and data["version"] != PLAN_VERSION:
        raise PlanError(f"unsupported plan version {data['version']!r} "
                        f"(this automix reads version {PLAN_VERSION})", file=file)
    top = _take(data, _PLAN_SPEC, "the plan", file, optional={"model": ""})
    if len(top["regions"]) > MAX_PLAN_REGIONS:
        raise PlanError(f"{len(top['regions'])} regions, more than the {MAX_PLAN_REGIONS} automix accepts",
                        file=file)
    regions = []
    for i, rv in enumerate(top["regions"]):
        rname = rv.get("name") if isinstance(rv, dict) and isinstance(rv.get("name"), str) else f"#{i + 1}"
        ro = _take(rv, _REGION_SPEC, "region", file, region=rname)
        if len(ro["tracks"]) > MAX_PLAN_TRACKS:
            raise PlanError(f"{len(ro['tracks'])} tracks, more than the {MAX_PLAN_TRACKS} automix accepts",
                            file=file, region=rname)
        tracks = []
        for j, tv in enumerate(ro["tracks"]):
            tname = tv.get("name") if isinstance(tv, dict) and isinstance(tv.get("name"), str) else f"#{j + 1}"
            where = {"region": rname, "track": tname}
            to = _take(tv, _TRACK_SPEC, "track", file, **where)
            bands = tuple(EqBand(b["type"], b["freq_hz"], b["gain_db"], b["bw_oct"])
                          for k, bv in enumerate(to["eq"])
                          for b in [_take(bv, _BAND_SPEC, f"eq band #{k + 1}", file, **where)])
            tracks.append(TrackPlan(to["guid"], to["name"], to["type"], to["gain_db"], to["pan"], bands))
        regions.append(RegionPlan(rname, ro["section"], ro["start_s"], ro["end_s"], tuple(tracks)))
    notes = data.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise PlanError(f"the plan: field 'notes' must be a list of strings, got {notes!r:.60}", file=file)
    plan = MixPlan(genre=top["genre"], model=top["model"], regions=tuple(regions), version=top["version"],
                   notes=tuple(notes))
    validate_plan(plan, file=file)
    return plan


# ---------------------------------------------------------------- validation

def validate_plan(plan: MixPlan, *, file: str | Path | None = None) -> None:
    """Check a plan on its own: version, value ranges, region order and overlaps.

    Raises:
        PlanError naming the region, track, field and bad value.
    """
    if plan.version != PLAN_VERSION:
        raise PlanError(f"unsupported plan version {plan.version!r}", file=file)
    prev = None
    for r in plan.regions:
        if not (math.isfinite(r.start_s) and math.isfinite(r.end_s)) or r.start_s < 0:
            raise PlanError(f"start_s {r.start_s!r} / end_s {r.end_s!r} out of range", file=file, region=r.name)
        if r.end_s <= r.start_s:
            raise PlanError(f"zero-length or reversed region: start_s {r.start_s} >= end_s {r.end_s}",
                            file=file, region=r.name)
        if prev is not None and r.start_s < prev.end_s - 1e-9:
            raise PlanError(f"region ({r.start_s}–{r.end_s} s) overlaps or precedes region "
                            f"{prev.name!r} ({prev.start_s}–{prev.end_s} s); regions must be in time "
                            f"order without overlap", file=file, region=r.name)
        prev = r
        seen: set[str] = set()
        for t in r.tracks:
            g = t.guid.upper()
            if g in seen:
                raise PlanError(f"track GUID {t.guid} appears twice in the region", file=file,
                                region=r.name, track=t.name)
            seen.add(g)
            _check_track_values(t, r.name, file)


def _check_range(value: float, lo: float, hi: float, field: str, region: str, track: str,
                 file: str | Path | None, unit: str = "") -> None:
    if not (math.isfinite(value) and lo <= value <= hi):
        raise PlanError(f"{field} {value!r}{unit} outside {lo:g} … {hi:g}{unit}",
                        file=file, region=region, track=track)


def _check_track_values(t: TrackPlan, region: str, file: str | Path | None) -> None:
    _check_range(t.gain_db, MIN_GAIN_DB, MAX_PLAN_GAIN_DB, "gain_db", region, t.name, file, " dB")
    _check_range(t.pan, -1.0, 1.0, "pan", region, t.name, file)
    for k, b in enumerate(t.eq):
        if b.band_type not in EQ_BAND_TYPES:
            raise PlanError(f"eq band #{k + 1}: type {b.band_type!r} is not one of {', '.join(EQ_BAND_TYPES)}",
                            file=file, region=region, track=t.name)
        _check_range(b.freq_hz, MIN_EQ_FREQ_HZ, MAX_EQ_FREQ_HZ, f"eq band #{k + 1} freq_hz",
                     region, t.name, file, " Hz")
        _check_range(b.gain_db, -MAX_EQ_GAIN_DB, MAX_EQ_GAIN_DB, f"eq band #{k + 1} gain_db",
                     region, t.name, file, " dB")
        _check_range(b.bw_oct, MIN_EQ_BW_OCT, MAX_EQ_BW_OCT, f"eq band #{k + 1} bw_oct",
                     region, t.name, file, " oct")


def check_plan_matches_project(plan: MixPlan, project: Project, *, file: str | Path | None = None) -> None:
    """Check that a plan can be applied to ``project``.

    Every GUID must name an audio track of the project, every region must lie
    inside the song (0 … ``project.end_s``), regions must not overlap, and all
    values must be within range (see :func:`validate_plan`).

    Raises:
        PlanError naming the plan file, region, track and bad value.
    """
    validate_plan(plan, file=file)
    song_end_s = project.end_s
    audio = {t.guid.upper() for t in project.audio_tracks}
    for r in plan.regions:
        if r.end_s > song_end_s + BOUNDS_TOLERANCE_S:
            raise PlanError(f"region ends at {r.end_s} s, after the end of the song ({song_end_s} s)",
                            file=file, region=r.name)
        for t in r.tracks:
            track = project.track_by_guid(t.guid)
            if track is None:
                raise PlanError(f"GUID {t.guid} is not a track of the project", file=file,
                                region=r.name, track=t.name)
            if t.guid.upper() not in audio:
                raise PlanError(f"GUID {t.guid} ({track.name!r}) is not an audio track (no audio items)",
                                file=file, region=r.name, track=t.name)
