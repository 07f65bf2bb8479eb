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

* ``gain_db`` is the track's level as heard inside the region, relative to
  its recorded level (item and take volumes included). It is realised by the
  volume envelope, the track's fader and its folders
  (:func:`automix.plan.heard.volume_setting`). REAPER's volume envelopes reach
  ``MAX_GAIN_DB`` (+6 dB) with the default preferences and a fader
  ``MAX_FADER_DB`` (+12 dB) more, so a plan is limited to
  ``MIN_GAIN_DB … MAX_PLAN_GAIN_DB`` (−150 … +18 dB): a track recorded very
  quietly keeps its balance by its fader carrying the static part of its gain.
  :func:`fit_gains_to_range` shifts a plan's gains down by a common amount
  (the balance, which is what matters, is kept).
* ``pan`` is REAPER's track convention, −1 (100 % left) … +1 (100 % right).
  (Pan *envelopes* store the opposite sign; the envelope writer flips it.)
* ``eq`` lists ReaEQ bands (see :data:`EQ_BAND_TYPES`); ``gain_db`` within
  ±``MAX_EQ_GAIN_DB``, ``freq_hz`` within ReaEQ's 20 … 24000 Hz,
  ``bw_oct`` within 0.01 … 4 octaves (ReaEQ's bandwidth control spans 4 octaves).
* Between regions and outside them the envelope holds the nearest value;
  a change at a region boundary is a short linear ramp ending at the
  boundary, as :func:`automix.plan.apply.envelope_points` builds it (the
  preview renders the same points).

Regions appear in time order and never overlap; a track appears at most once
per region. Region names may repeat ("Verse", "Verse"), so regions are
identified by their bounds.

This module holds the records, limits, ReaEQ conversions and plan edits;
reading, writing and validating plans is :mod:`automix.plan.json_io`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from automix.errors import PlanError
from automix.project.reaeq import MAX_GAIN_DB as REAEQ_MAX_GAIN_DB
from automix.project.reaeq import EqBandSetting

PLAN_VERSION = 1
"""Version written into every plan; :func:`plan_from_json` rejects others."""

MIN_GAIN_DB = -150.0
"""Lowest track gain in a plan (REAPER shows −inf below about −150 dB)."""

MAX_GAIN_DB = 6.0
"""Highest volume-envelope gain: REAPER's default volume-envelope range tops out at +6 dB."""

MAX_FADER_DB = 12.0
"""Highest track fader REAPER stores (``VOLPAN`` amplitude 3.98)."""

MAX_PLAN_GAIN_DB = MAX_GAIN_DB + MAX_FADER_DB
"""Highest gain a plan may ask for: the envelope at its top with the fader at its top (+18 dB)."""

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
"""ReaEQ band types a plan may use (names as in :mod:`automix.audio.bands`)."""


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
        notes: what the plan leaves out and why (skipped tracks and regions,
            limits reached), one sentence each; JSON key ``notes``, omitted when empty.
    """

    genre: str
    model: str
    regions: tuple[RegionPlan, ...]
    version: int = PLAN_VERSION
    notes: tuple[str, ...] = ()

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
    """Convert to :class:`automix.project.reaeq.EqBandSetting` (the ReaEQ writer's record).

    The only place where plan bands meet the ReaEQ module; both use the field
    names ``band_type, freq_hz, gain_db, bw_oct``.
    """
    return EqBandSetting(band_type=band.band_type, freq_hz=band.freq_hz,
                         gain_db=band.gain_db, bw_oct=band.bw_oct)


def eq_band_from_setting(setting: Any) -> EqBand:
    """Convert any record with ``band_type, freq_hz, gain_db, bw_oct`` to an :class:`EqBand`."""
    return EqBand(band_type=str(setting.band_type), freq_hz=float(setting.freq_hz),
                  gain_db=float(setting.gain_db), bw_oct=float(setting.bw_oct))


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

