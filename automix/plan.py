"""The mix plan: what automix will do to each track in each region.

A plan is plain, versioned JSON that a person can read, diff and edit::

    {
      "version": 1,
      "genre": "rock",
      "model": "models/rock",
      "regions": [
        {"name": "Chorus 1", "section": "chorus", "start_s": 30.0, "end_s": 52.5,
         "tracks": [
           {"guid": "{…}", "name": "Bass", "type": "Bass", "gain_db": -3.5, "pan": 0.0,
            "eq": [{"type": "low_shelf", "freq_hz": 120.0, "gain_db": 1.5, "bw_oct": 2.0}]}
         ]}
      ]
    }

Semantics:

* ``gain_db`` is the gain automix applies to the track inside the region,
  relative to the recorded level (fader, item and take volumes are left as
  they are). It is realised as a volume-envelope amplitude ``10**(gain_db/20)``.
  REAPER's volume envelopes reach +6 dB with the default preferences, so a
  plan is limited to ``MIN_GAIN_DB … MAX_GAIN_DB`` (−150 … +6 dB); use
  :func:`fit_gains_to_range` to shift a plan's gains down by a common amount
  (the balance, which is what matters, is kept).
* ``pan`` is REAPER's track convention, −1 (100 % left) … +1 (100 % right).
  (Pan *envelopes* store the opposite sign; the envelope writer flips it.)
* ``eq`` lists ReaEQ bands (see :data:`EQ_BAND_TYPES`); ``gain_db`` within
  ±``MAX_EQ_GAIN_DB``, ``freq_hz`` within ReaEQ's 20 … 24000 Hz,
  ``bw_oct`` within 0.01 … 4 octaves (ReaEQ's bandwidth control spans 4 octaves).
* Between regions and outside them the envelope holds the nearest value;
  a change at a region boundary is a short linear ramp ending at the
  boundary, as :func:`automix.edit.step_points` writes it (the preview
  renders the same points).

Regions appear in time order and never overlap; a track appears at most once
per region. Region names may repeat ("Verse", "Verse"), so regions are
identified by their bounds.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from automix.atomic import write_text_atomic
from automix.errors import PlanError
from automix.project import Project
from automix.reaeq import MAX_GAIN_DB as REAEQ_MAX_GAIN_DB
from automix.reaeq import EqBandSetting

PLAN_VERSION = 1
"""Version written into every plan; :func:`plan_from_json` rejects others."""

MIN_GAIN_DB = -150.0
"""Lowest track gain in a plan (REAPER shows −inf below about −150 dB)."""

MAX_GAIN_DB = 6.0
"""Highest track gain: REAPER's default volume-envelope range tops out at +6 dB."""

MAX_EQ_GAIN_DB = REAEQ_MAX_GAIN_DB
"""Largest |gain| of an EQ band: what the ReaEQ writer accepts (24 dB)."""

MIN_EQ_FREQ_HZ = 20.0
MAX_EQ_FREQ_HZ = 24000.0
"""ReaEQ's frequency range (its normalised-frequency mapping spans 20 … 24000 Hz)."""

MIN_EQ_BW_OCT = 0.01
MAX_EQ_BW_OCT = 4.0
"""Bandwidth range in octaves (ReaEQ's normalised bandwidth is octaves / 4)."""

BOUNDS_TOLERANCE_S = 1e-3
"""Slack when comparing region bounds with the project's extent."""

EQ_BAND_TYPES: tuple[str, ...] = (
    "low_shelf", "high_shelf", "band", "low_pass", "high_pass", "notch", "band_pass",
)
"""ReaEQ band types a plan may use (names as in :mod:`automix.bands`)."""


@dataclass(frozen=True)
class EqBand:
    """One EQ band (a ReaEQ band).

    Attributes:
        band_type: one of :data:`EQ_BAND_TYPES` (JSON key ``type``).
        freq_hz: centre / corner frequency in Hz.
        gain_db: band gain in dB (ignored by pass, notch and band-pass types).
        bw_oct: bandwidth in octaves.
    """

    band_type: str
    freq_hz: float
    gain_db: float
    bw_oct: float


@dataclass(frozen=True)
class TrackPlan:
    """What automix does to one track in one region.

    Attributes:
        guid: track GUID with braces, as in the project.
        name: track name (informative; the GUID identifies the track).
        type: the track type the model assigned (``Kick``, ``Bass`` …).
        gain_db: gain applied in the region, relative to the recorded level.
        pan: −1 (left) … +1 (right).
        eq: the EQ bands for the region (empty = flat).
    """

    guid: str
    name: str
    type: str
    gain_db: float
    pan: float
    eq: tuple[EqBand, ...] = ()


@dataclass(frozen=True)
class RegionPlan:
    """The settings of every planned track in one region.

    Attributes:
        name: the region name in the project.
        section: the section class the model used (``intro``, ``verse`` …).
        start_s / end_s: region bounds on the timeline in seconds.
        tracks: one entry per planned track.
    """

    name: str
    section: str
    start_s: float
    end_s: float
    tracks: tuple[TrackPlan, ...]

    def track(self, guid: str) -> TrackPlan | None:
        """The entry for ``guid`` (case-insensitive), or None."""
        g = guid.upper()
        for t in self.tracks:
            if t.guid.upper() == g:
                return t
        return None


@dataclass(frozen=True)
class MixPlan:
    """A whole mix plan.

    Attributes:
        genre: genre whose model produced the plan.
        model: identifier of the model (folder or name), "" if none.
        regions: regions in time order.
        version: format version (:data:`PLAN_VERSION`).
    """

    genre: str
    model: str
    regions: tuple[RegionPlan, ...]
    version: int = PLAN_VERSION

    def track_guids(self) -> tuple[str, ...]:
        """Every planned track GUID, in order of first appearance."""
        seen: dict[str, None] = {}
        for r in self.regions:
            for t in r.tracks:
                seen.setdefault(t.guid, None)
        return tuple(seen)

    def envelope_segments(self, track_guid: str) -> list[tuple[float, float, float, float]]:
        """``(start_s, end_s, gain_db, pan)`` for each region planning the track, in time order."""
        out = []
        for r in sorted(self.regions, key=lambda r: r.start_s):
            t = r.track(track_guid)
            if t is not None:
                out.append((r.start_s, r.end_s, t.gain_db, t.pan))
        return out


# ---------------------------------------------------------------- conversions

def eq_band_to_setting(band: EqBand) -> EqBandSetting:
    """Convert to :class:`automix.reaeq.EqBandSetting` (the ReaEQ writer's record).

    The only place where plan bands meet the ReaEQ module; both use the field
    names ``band_type, freq_hz, gain_db, bw_oct``.
    """
    return EqBandSetting(band_type=band.band_type, freq_hz=band.freq_hz,
                         gain_db=band.gain_db, bw_oct=band.bw_oct)


def eq_band_from_setting(setting: Any) -> EqBand:
    """Convert any record with ``band_type, freq_hz, gain_db, bw_oct`` to an :class:`EqBand`."""
    return EqBand(band_type=str(setting.band_type), freq_hz=float(setting.freq_hz),
                  gain_db=float(setting.gain_db), bw_oct=float(setting.bw_oct))


# ---------------------------------------------------------------- JSON

def _band_dict(b: EqBand) -> dict[str, Any]:
    return {"type": b.band_type, "freq_hz": b.freq_hz, "gain_db": b.gain_db, "bw_oct": b.bw_oct}


def plan_to_dict(plan: MixPlan) -> dict[str, Any]:
    """The plan as JSON-ready nested dicts and lists (the documented format)."""
    return {
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
        text = path.read_text(encoding="utf-8")
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
    regions = []
    for i, rv in enumerate(top["regions"]):
        rname = rv.get("name") if isinstance(rv, dict) and isinstance(rv.get("name"), str) else f"#{i + 1}"
        ro = _take(rv, _REGION_SPEC, "region", file, region=rname)
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
    plan = MixPlan(genre=top["genre"], model=top["model"], regions=tuple(regions), version=top["version"])
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
    _check_range(t.gain_db, MIN_GAIN_DB, MAX_GAIN_DB, "gain_db", region, t.name, file, " dB")
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


# ---------------------------------------------------------------- edits

def replace_region(plan: MixPlan, region_plan: RegionPlan) -> MixPlan:
    """A new plan with the region having ``region_plan``'s bounds replaced by it.

    Regions are matched by bounds (within 1 ms), since names may repeat.

    Raises:
        PlanError when no region of the plan has those bounds.
    """
    regions = list(plan.regions)
    for i, r in enumerate(regions):
        if (abs(r.start_s - region_plan.start_s) <= BOUNDS_TOLERANCE_S
                and abs(r.end_s - region_plan.end_s) <= BOUNDS_TOLERANCE_S):
            regions[i] = region_plan
            return replace(plan, regions=tuple(regions))
    raise PlanError(f"no region of the plan spans {region_plan.start_s}–{region_plan.end_s} s",
                    region=region_plan.name)


def fit_gains_to_range(plan: MixPlan, max_gain_db: float = MAX_GAIN_DB) -> MixPlan:
    """Shift every gain by one common amount so the largest is ≤ ``max_gain_db``.

    The balance between tracks and regions is unchanged; gains that would fall
    below :data:`MIN_GAIN_DB` are clamped there. A plan already within range is
    returned unchanged.
    """
    gains = [t.gain_db for r in plan.regions for t in r.tracks]
    if not gains or max(gains) <= max_gain_db:
        return plan
    shift_db = max_gain_db - max(gains)
    regions = tuple(
        replace(r, tracks=tuple(replace(t, gain_db=max(MIN_GAIN_DB, t.gain_db + shift_db)) for t in r.tracks))
        for r in plan.regions)
    return replace(plan, regions=regions)


def region_at(plan: MixPlan, time_s: float) -> RegionPlan | None:
    """The region containing ``time_s`` (start inclusive, end exclusive), or None."""
    for r in plan.regions:
        if r.start_s <= time_s < r.end_s:
            return r
    return None
