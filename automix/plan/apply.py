"""A :class:`~automix.plan.model.MixPlan` → edits on the project's chunk tree.

Per planned audio track, and nothing else:

* one ``VOLENV2`` (replaced, never duplicated) holding, per region, the
  amplitude that makes the track *heard* at the plan's gain — the gain less
  the fader and the enclosing folders' volume (:mod:`automix.plan.heard`; the
  fader itself is reset only when the envelope's range cannot compensate it,
  and a note says so) — and one ``PANENV2`` holding its pan; both step at
  *every* region boundary — a point :data:`RAMP_S` before the boundary with
  the old value and one at the boundary with the new value (a short linear
  ramp, no click), even where the value does not change, so each region owns
  a fixed set of points (see :func:`envelope_points`, the one builder of
  envelope points: the preview, :mod:`automix.jobs.preview`, plays
  :func:`track_envelopes` too);
* one automix ReaEQ (the ReaEQ renamed :data:`~automix.project.reaeq.AUTOMIX_EQ_RENAME`)
  holding the **length-weighted mean** of the plan's per-region EQ (band gains
  averaged in dB, frequencies geometrically, bandwidths arithmetically) and,
  for every band whose gain changes between regions, a band-gain parameter
  envelope (``<PARMENV 3k+1`` inside the ReaEQ's FX block) stepping at the
  region boundaries like the volume envelope (:func:`eq_gain_envelopes`); a
  region without EQ holds 0 dB. Envelope values come from
  :attr:`ApplyOptions.eq_gain_value` (headless: the **unverified**
  :func:`~automix.project.reaeq.gain_envelope_value`). Frequencies and
  bandwidths keep the mean; regions whose band layouts differ get the longest
  region's bands and no envelopes. A track whose EQ is the same in every region
  gets no envelope (an earlier one is removed); a track whose plan has no EQ
  bands in any region loses its automix ReaEQ.

Re-applying the same plan gives identical bytes. :func:`update_region`
changes only one region's envelope points (and the EQ mean).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from automix.errors import PlanError
from automix.plan.heard import VolumeSetting, volume_setting
from automix.plan.json_io import check_plan_matches_project
from automix.plan.model import EqBand, MixPlan, RegionPlan, eq_band_to_setting
from automix.project.edit import (
    find_automix_eq,
    find_track,
    platform_hint_for,
    remove_automix_eq,
    set_automix_eq_envelopes,
    set_pan_envelope,
    set_track_volume_pan,
    set_volume_envelope,
    upsert_automix_eq,
)
from automix.project.model import EnvelopePoint, Project
from automix.project.reaeq import MAX_GAIN_DB, band_gain_param, gain_envelope_value
from automix.rpp import Chunk, RppDocument
from automix.rpp.tokens import format_number

RAMP_S = 0.01
"""Length of the linear ramp ending at a region boundary (seconds): REAPER cannot hold two values at one instant."""

EQ_CHANGE_DB = 0.05
"""A band whose gain varies by no more than this between regions (dB) gets no envelope."""


@dataclass(frozen=True)
class ApplyOptions:
    """Which parts of a plan to write: ``volume`` (VOLENV2), ``pan`` (PANENV2), ``eq`` (automix ReaEQ and
    its band-gain envelopes), and ``eq_gain_value``, the dB → ReaEQ band-gain envelope value mapping
    (headless: :func:`~automix.project.reaeq.gain_envelope_value`; the live mode may pass one
    calibrated against REAPER)."""

    volume: bool = True
    pan: bool = True
    eq: bool = True
    eq_gain_value: Callable[[float], float] = gain_envelope_value


def envelope_points(segments: Sequence[tuple[float, float, float]]) -> list[EnvelopePoint]:
    """Linear envelope points holding each segment's value, with a :data:`RAMP_S` ramp into every boundary.

    Args:
        segments: ``(start_s, end_s, value)`` in time order, not overlapping.

    Returns:
        ``2·n`` points for n segments: the first value at the first start;
        for each later segment one point :data:`RAMP_S` before its start
        (previous value; never before the previous point) and one at its start
        (its value), even when the value does not change; the last value at
        the last end. Before the first and after the last point the envelope
        holds its value.

    Raises:
        PlanError: no segment, or one that is empty, reversed, not finite or
            overlapping the previous one.
    """
    if not segments:
        raise PlanError("an envelope needs at least one region")
    previous_end = -math.inf
    for start, end, _value in segments:
        if not (math.isfinite(start) and math.isfinite(end) and end > start >= previous_end - 1e-9):
            raise PlanError(f"region {start:g}–{end:g} s is empty, reversed or overlaps the previous one")
        previous_end = end
    points = [EnvelopePoint(float(segments[0][0]), float(segments[0][2]))]
    for (_s0, _e0, v0), (s1, _e1, v1) in zip(segments, segments[1:]):
        points.append(EnvelopePoint(max(float(s1) - RAMP_S, points[-1].time_s), float(v0)))
        points.append(EnvelopePoint(float(s1), float(v1)))
    points.append(EnvelopePoint(float(segments[-1][1]), float(segments[-1][2])))
    return points


def _gain_amp(gain_db: float) -> float:
    return 10.0 ** (gain_db / 20.0)


def track_volume_setting(plan: MixPlan, project: Project, guid: str) -> VolumeSetting:
    """How the track realises the plan's gains (envelope dB per planned region, fader): :mod:`automix.plan.heard`."""
    track = project.track_by_guid(guid)
    if track is None:
        raise PlanError(f"GUID {guid} is not a track of the project")
    return volume_setting(project, track, [g for _a, _b, g, _p in plan.envelope_segments(guid)])


def track_envelopes(plan: MixPlan, guid: str, *,
                    setting: VolumeSetting | None = None) -> tuple[list[EnvelopePoint], list[EnvelopePoint]]:
    """(volume points as amplitude, pan points in track convention) of one track, as written and previewed.

    ``setting`` gives the envelope gains that compensate fader and folders
    (:func:`track_volume_setting`); without it the envelope holds the plan's gains.

    Raises:
        PlanError: the plan does not mention the track.
    """
    segs = plan.envelope_segments(guid)
    if not segs:
        raise PlanError(f"the plan has no settings for track {guid}")
    env_db = setting.envelope_db if setting is not None else [g for _a, _b, g, _p in segs]
    vol = envelope_points([(a, b, _gain_amp(e)) for (a, b, _g, _p), e in zip(segs, env_db)])
    pan = envelope_points([(a, b, p) for a, b, _g, p in segs])
    return vol, pan


def mean_eq(plan: MixPlan, guid: str) -> tuple[EqBand, ...]:
    """The length-weighted mean of a track's per-region EQ (empty when no region has bands).

    Bands are matched by position when every region uses the same band types;
    otherwise the longest region's bands are used as they are.
    """
    regs = [(r.end_s - r.start_s, r.track(guid)) for r in plan.regions]
    regs = [(w, t.eq) for w, t in regs if t is not None and t.eq]
    if not regs:
        return ()
    layout = [b.band_type for b in regs[0][1]]
    if any([b.band_type for b in eq] != layout for _w, eq in regs):
        return max(regs, key=lambda we: we[0])[1]
    total = sum(w for w, _ in regs)
    out = []
    for j, kind in enumerate(layout):
        gain = sum(w * eq[j].gain_db for w, eq in regs) / total
        freq = math.exp(sum(w * math.log(eq[j].freq_hz) for w, eq in regs) / total)
        bw = sum(w * eq[j].bw_oct for w, eq in regs) / total
        out.append(EqBand(kind, round(freq, 2), round(gain, 2), round(bw, 3)))
    return tuple(out)


def eq_gain_envelopes(plan: MixPlan, guid: str,
                      gain_value: Callable[[float], float] = gain_envelope_value) -> dict[int, list[EnvelopePoint]]:
    """ReaEQ parameter index → envelope points for each band of the track whose gain changes between regions.

    Empty when every region planning the track uses the same gains (within
    :data:`EQ_CHANGE_DB`) or when the regions' band layouts (types, in order)
    differ. A region without EQ holds 0 dB. Gains are limited to ±
    :data:`~automix.project.reaeq.MAX_GAIN_DB` as in the ReaEQ chunk, then
    mapped with ``gain_value``; points come from :func:`envelope_points`.
    """
    regions = [(r.start_s, r.end_s, t.eq) for r in sorted(plan.regions, key=lambda r: r.start_s)
               if (t := r.track(guid)) is not None]
    layouts = {tuple(b.band_type for b in eq) for _a, _b, eq in regions if eq}
    if len(layouts) != 1:
        return {}
    n_bands = len(next(iter(layouts)))
    gains = [[min(max(eq[j].gain_db, -MAX_GAIN_DB), MAX_GAIN_DB) if eq else 0.0 for j in range(n_bands)]
             for _a, _b, eq in regions]
    out = {}
    for j in range(n_bands):
        column = [g[j] for g in gains]
        if max(column) - min(column) > EQ_CHANGE_DB:
            out[band_gain_param(j)] = envelope_points([(a, b, gain_value(g[j]))
                                                       for (a, b, _eq), g in zip(regions, gains)])
    return out


def _set_eq(track: Chunk, plan: MixPlan, guid: str, platform: str, options: ApplyOptions) -> None:
    bands = mean_eq(plan, guid)
    if bands:
        upsert_automix_eq(track, [eq_band_to_setting(b) for b in bands], platform_hint=platform)
        set_automix_eq_envelopes(track, eq_gain_envelopes(plan, guid, options.eq_gain_value))
    elif find_automix_eq(track) is not None:
        remove_automix_eq(track)


def apply_plan(doc: RppDocument, project: Project, plan: MixPlan, options: ApplyOptions = ApplyOptions(), *,
               plan_file: str | Path | None = None) -> list[str]:
    """Write the plan into ``doc`` (edited in place).

    Returns:
        notes about envelopes that held other points before (automation
        drawn by hand or by an older plan with other regions), which are
        replaced, and about faders reset or gains that cannot be reached
        (:mod:`automix.plan.heard`).

    Raises:
        PlanError: the plan does not match the project (names the plan file, region, track).
    """
    check_plan_matches_project(plan, project, file=plan_file)
    platform = platform_hint_for(doc)
    notes: list[str] = []
    for guid in plan.track_guids():
        track = find_track(doc, guid)
        setting = track_volume_setting(plan, project, guid)
        vol, pan = track_envelopes(plan, guid, setting=setting)
        if options.volume:
            notes.extend(setting.notes)
            if setting.fader_changed:
                set_track_volume_pan(track, volume_amp=setting.fader_amp)
        for tag, points, wanted in (("VOLENV2", vol, options.volume), ("PANENV2", pan, options.pan)):
            env = track.find(tag) if wanted else None
            times = _pt_times(env) if env is not None else []
            if times and (len(times) != len(points)
                          or any(abs(t - p.time_s) > 1e-6 for t, p in zip(times, points))):
                name = track.get_values("NAME") or [""]
                notes.append(f"track {name[0]!r}: replaced its {tag} envelope ({len(times)} points)")
        if options.volume:
            set_volume_envelope(track, vol)
        if options.pan:
            set_pan_envelope(track, pan)
        if options.eq:
            _set_eq(track, plan, guid, platform, options)
    return notes


def _pt_times(env: Chunk) -> list[float]:
    out = []
    for line in env.findall_lines("PT"):
        try:
            out.append(float(line.values[0]))
        except (IndexError, ValueError):
            out.append(math.nan)
    return out


def _update_points(track: Chunk, tag: str, points: list[EnvelopePoint], file_values: list[float]) -> bool:
    """Set the values of an existing envelope's points when its times match ``points``; False otherwise."""
    env = track.find(tag)
    if env is None:
        return False
    lines = env.findall_lines("PT")
    times = _pt_times(env)
    if len(times) != len(points) or any(abs(t - p.time_s) > 1e-6 for t, p in zip(times, points)):
        return False
    for line, value in zip(lines, file_values):
        vals = line.values
        new = format_number(value)
        if len(vals) > 1 and vals[1] != new and not math.isclose(float(vals[1]), value, rel_tol=0, abs_tol=1e-12):
            line.values = [vals[0], new, *vals[2:]]
    return True


def update_region(doc: RppDocument, project: Project, plan: MixPlan, region: RegionPlan,
                  options: ApplyOptions = ApplyOptions()) -> None:
    """Write ``plan`` (which already holds the new ``region``) changing only that region's points.

    Envelopes written by automix for the same regions keep every other point
    byte for byte (only values of the region's own points change); an
    envelope that was edited by hand (different point times) or is missing is
    rewritten from the plan. The automix ReaEQ gets the new EQ mean and band-gain envelopes.
    """
    check_plan_matches_project(plan, project)
    platform = platform_hint_for(doc)
    for t in region.tracks:
        track = find_track(doc, t.guid)
        setting = track_volume_setting(plan, project, t.guid)
        vol, pan = track_envelopes(plan, t.guid, setting=setting)
        if options.volume and setting.fader_changed:
            set_track_volume_pan(track, volume_amp=setting.fader_amp)
        if options.volume and not _update_points(track, "VOLENV2", vol, [p.value for p in vol]):
            set_volume_envelope(track, vol)
        if options.pan and not _update_points(track, "PANENV2", pan, [-p.value + 0.0 for p in pan]):
            set_pan_envelope(track, pan)
        if options.eq:
            _set_eq(track, plan, t.guid, platform, options)
