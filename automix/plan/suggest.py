"""Re-suggest one region: another variant of its settings, fitted to the rest of the current plan."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from automix.errors import PlanError
from automix.features.analysis import ProjectAnalysis
from automix.models.bank import ModelBank
from automix.plan.balance import median_offset
from automix.plan.model import MAX_PLAN_GAIN_DB, MixPlan, RegionPlan
from automix.plan.planner import make_plan


def suggest_region(analysis: ProjectAnalysis, bank: ModelBank, genre: str | None, current: MixPlan,
                   section_index: int, variant: int, *, use_eq: bool = True,
                   use_pan: bool = True) -> tuple[RegionPlan, str]:
    """A new plan for one section (variant ``variant``), fitted to the rest of ``current``.

    Playing tracks get the variant's gains, shifted so that they keep, in
    median, their gains in ``current``'s other regions; tracks not playing in
    the section keep ``current``'s values. Gains are clipped to
    :data:`~automix.plan.model.MAX_PLAN_GAIN_DB`.

    Returns:
        (the region plan, a description of the source used).
    """
    sec = analysis.sections[section_index]
    result = make_plan(analysis, bank, genre, use_eq=use_eq, use_pan=use_pan, variants={section_index: variant})
    new_region = result.plan.regions[section_index]
    old_region = next((r for r in current.regions if abs(r.start_s - sec.start_s) <= 1e-3
                       and abs(r.end_s - sec.end_s) <= 1e-3), None)
    if old_region is None:
        raise PlanError(f"the current plan has no region at {sec.start_s:g}–{sec.end_s:g} s; "
                        f"run 'automix mix' again", region=sec.name)
    playing = result.active[section_index]
    guid_index = {t.guid.upper(): i for i, t in enumerate(analysis.tracks)}
    reference: dict[int, float] = {}
    for i, t in enumerate(analysis.tracks):
        vals = [r.track(t.guid).gain_db for k, r in enumerate(current.regions)
                if r is not old_region and r.track(t.guid) is not None and k < len(result.active)
                and result.active[k, i]]
        if vals:
            reference[i] = float(np.median(vals))
    new_gains = {guid_index[t.guid.upper()]: t.gain_db for t in new_region.tracks
                 if playing[guid_index[t.guid.upper()]]}
    if not set(new_gains) & set(reference):
        reference = {guid_index[t.guid.upper()]: t.gain_db for t in old_region.tracks
                     if t.guid.upper() in guid_index}
    offset = median_offset(reference, new_gains)
    tracks = []
    for t in new_region.tracks:
        i = guid_index[t.guid.upper()]
        old = old_region.track(t.guid)
        if playing[i] or old is None:
            tracks.append(replace(t, gain_db=round(min(t.gain_db + offset, MAX_PLAN_GAIN_DB), 2)))
        else:
            tracks.append(old)
    return replace(new_region, tracks=tuple(tracks), name=old_region.name), result.sources[section_index]
