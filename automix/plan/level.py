"""Keeping a plan inside the gain REAPER can play without moving the whole mix, and its expected level.

A track recorded very quietly can need more than the volume envelope's
:data:`~automix.plan.model.MAX_GAIN_DB` (+6 dB): its fader then carries the
static part of the gain (:func:`automix.plan.heard.volume_setting`), up to
:data:`~automix.plan.model.MAX_PLAN_GAIN_DB` (+18 dB) in all. Shifting every
gain down so that track fits would drag the whole mix down with it (one quiet
track took mixes to −31 … −35 LUFS). :func:`fit_to_gain_range` clips only the
tracks beyond +18 dB and says, per track, how far under its planned balance
it will play, so the user can raise that recording (item or take volume) and
every other track stays where the plan put it.

:func:`expected_mix_level_db` estimates the mix's RMS level per region from
the tracks' recorded levels and their gains (uncorrelated tracks: powers add),
so the job can report the level the mix will have.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from automix.plan.model import MAX_FADER_DB, MAX_GAIN_DB, MAX_PLAN_GAIN_DB, MIN_GAIN_DB, MixPlan


def fit_to_gain_range(plan: MixPlan, max_gain_db: float = MAX_PLAN_GAIN_DB) -> tuple[MixPlan, tuple[str, ...]]:
    """(the plan with each gain clipped to ``MIN_GAIN_DB … max_gain_db``, one note per clipped track)."""
    excess: dict[str, tuple[str, float]] = {}
    regions = []
    for r in plan.regions:
        tracks = []
        for t in r.tracks:
            if t.gain_db > max_gain_db:
                name, worst = excess.get(t.guid.upper(), (t.name, 0.0))
                excess[t.guid.upper()] = (name, max(worst, t.gain_db - max_gain_db))
            tracks.append(replace(t, gain_db=min(max(t.gain_db, MIN_GAIN_DB), max_gain_db)))
        regions.append(replace(r, tracks=tuple(tracks)))
    notes = tuple(f"track {name!r}: needs up to {over:.1f} dB more than the {max_gain_db:+g} dB the volume envelope "
                  f"({MAX_GAIN_DB:+g} dB) and the fader ({MAX_FADER_DB:+g} dB) reach (recorded very quietly): clipped "
                  f"there, it plays up to {over:.1f} dB under its planned balance; raise its item or take volume by "
                  f"{over:.1f} dB and mix again" for name, over in excess.values())
    return replace(plan, regions=tuple(regions)), notes


def expected_mix_level_db(plan: MixPlan, guids: Sequence[str], levels_db: np.ndarray) -> list[float]:
    """Expected RMS level (dBFS) of the mix in each region of ``plan``.

    Args:
        plan: the plan, regions in the order of the columns of ``levels_db``.
        guids: track GUIDs, in the order of the rows of ``levels_db``.
        levels_db: recorded RMS level of each track in each region, shape (n_tracks, n_regions).

    Returns:
        One level per region (−inf for a silent region).
    """
    out = []
    for k, r in enumerate(plan.regions):
        power = 0.0
        for i, guid in enumerate(guids):
            t = r.track(guid)
            level = float(levels_db[i, k]) if k < levels_db.shape[1] else -math.inf
            if t is not None and math.isfinite(level):
                power += 10.0 ** ((level + t.gain_db) / 10.0)
        out.append(10.0 * math.log10(power) if power > 0 else -math.inf)
    return out
