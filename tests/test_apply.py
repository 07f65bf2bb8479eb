"""Applying a MixPlan to the chunk tree: envelopes, the automix ReaEQ, nothing else."""

from __future__ import annotations

import difflib
import math
from dataclasses import replace

import pytest
from rpp_factory import FactoryItem, FactoryTrack, guid_for, project_text

from automix import rpp
from automix.errors import PlanError
from automix.plan.apply import (
    RAMP_S,
    ApplyOptions,
    apply_plan,
    envelope_points,
    mean_eq,
    update_region,
)
from automix.plan.model import EqBand, MixPlan, RegionPlan, TrackPlan, replace_region
from automix.project.edit import find_automix_eq, find_track
from automix.project.reader import project_from_document
from automix.project.reaeq import decode_reaeq

REGIONS = ((1, "Intro", 0.0, 10.0), (2, "Verse", 10.0, 40.0), (3, "Chorus", 40.0, 60.0))
USER_EQ = """<FXCHAIN
  SHOW 0
  LASTSEL 0
  DOCKED 0
  BYPASS 0 0 0
  <JS "utility/volume" ""
    0 0 - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -
  >
  FLOATPOS 0 0 0 0
  FXID {11111111-2222-3333-4444-555555555555}
  WAK 0 0
>
<VOLENV2
  EGUID {AAAAAAAA-2222-3333-4444-555555555555}
  ACT 0 -1
  VIS 1 1 1
  LANEHEIGHT 0 0
  ARM 0
  DEFSHAPE 0 -1 -1
  VOLTYPE 1
  PT 0 1 0
  PT 5 0.5 0
>"""


def _text() -> str:
    tracks = [FactoryTrack("Kick", [FactoryItem(0.0, 60.0, "media/kick.wav")]),
              FactoryTrack("Bass", [FactoryItem(0.0, 60.0, "media/bass.wav")], body_lines=USER_EQ.split("\n")),
              FactoryTrack("Piano MIDI", [FactoryItem(0.0, 60.0, None, kind="MIDI")])]
    return project_text(tracks, regions=REGIONS, version="7.18/win64")


def _load(text: str):
    doc = rpp.loads(text, file="song.rpp")
    return doc, project_from_document(doc, None, __import__("pathlib").Path("/tmp"))


def _eq(gain_db: float) -> tuple[EqBand, ...]:
    return (EqBand("low_shelf", 120.0, gain_db, 2.0), EqBand("band", 1000.0, -gain_db / 2, 1.0))


def _plan(gains: dict[str, list[float]], pans: dict[str, list[float]] | None = None) -> MixPlan:
    regions = []
    for k, (_n, name, a, b) in enumerate(REGIONS):
        tracks = tuple(TrackPlan(guid_for(t), t, "x", g[k], (pans or {}).get(t, [0.0] * 3)[k], _eq(g[k] / 2))
                       for t, g in gains.items())
        regions.append(RegionPlan(name, name.lower(), a, b, tracks))
    return MixPlan("rock", "test", tuple(regions))


PLAN = _plan({"Kick": [-3.0, -3.0, -1.0], "Bass": [-6.0, -4.0, -2.0]}, {"Bass": [0.0, -0.5, 0.5]})


def _pt(env) -> list[tuple[float, float]]:
    return [(float(line.values[0]), float(line.values[1])) for line in env.findall_lines("PT")]


def test_envelope_points_step_at_every_boundary_even_without_change():
    pts = envelope_points([(0.0, 10.0, 1.0), (10.0, 40.0, 1.0), (40.0, 60.0, 0.5)])
    assert [(p.time_s, p.value) for p in pts] == [
        (0.0, 1.0), (10.0 - RAMP_S, 1.0), (10.0, 1.0), (40.0 - RAMP_S, 1.0), (40.0, 0.5), (60.0, 0.5)]
    assert all(p.shape == 0 for p in pts)
    gap = envelope_points([(0.0, 2.0, 0.5), (2.5, 3.0, 1.0)])  # a gap: the old value held until the ramp
    assert [(p.time_s, p.value) for p in gap] == [(0.0, 0.5), (2.5 - RAMP_S, 0.5), (2.5, 1.0), (3.0, 1.0)]
    with pytest.raises(PlanError, match="region 1–3 s is empty, reversed or overlaps the previous one"):
        envelope_points([(0.0, 2.0, 1.0), (1.0, 3.0, 1.0)])
    with pytest.raises(PlanError, match="region 2–2 s is empty"):
        envelope_points([(2.0, 2.0, 1.0)])


def test_apply_writes_one_volume_and_pan_envelope_per_planned_track():
    doc, project = _load(_text())
    apply_plan(doc, project, PLAN)
    for name, gains in (("Kick", [-3.0, -3.0, -1.0]), ("Bass", [-6.0, -4.0, -2.0])):
        track = find_track(doc, guid_for(name))
        assert len(track.findall("VOLENV2")) == 1 and len(track.findall("PANENV2")) == 1
        vol = _pt(track.find("VOLENV2"))
        times = [t for t, _ in vol]
        for boundary in (10.0, 40.0):
            assert boundary in times and boundary - RAMP_S in times
        for (t, v), k in zip(vol, (0, 0, 1, 1, 2, 2)):
            assert v == pytest.approx(10 ** (gains[k] / 20), rel=1e-12)
        assert track.find("VOLENV2").get_values("ACT")[0] == "1"
    pan = _pt(find_track(doc, guid_for("Bass")).find("PANENV2"))
    assert [v for _, v in pan] == [0.0, 0.0, 0.5, 0.5, -0.5, -0.5]  # file sign: +1 = left
    assert find_track(doc, guid_for("Piano MIDI")).find("VOLENV2") is None


def test_only_envelopes_and_automix_eq_are_added_and_reapplying_is_byte_identical():
    text = _text()
    doc, project = _load(text)
    notes = apply_plan(doc, project, PLAN)
    assert notes == ["track 'Bass': replaced its VOLENV2 envelope (2 points)"]
    out = rpp.dumps(doc)
    removed = [line for line in difflib.ndiff(text.splitlines(), out.splitlines()) if line.startswith("- ")]
    # only the user's old VOLENV2 points/ACT are replaced (an envelope is replaced, never duplicated)
    assert sorted(r[2:].strip() for r in removed) == sorted(["ACT 0 -1", "PT 0 1 0", "PT 5 0.5 0"])
    doc2, project2 = _load(out)
    assert apply_plan(doc2, project2, PLAN) == []  # automix's own envelopes: nothing to report
    assert rpp.dumps(doc2) == out


def test_automix_eq_holds_the_length_weighted_mean_and_user_fx_stay():
    doc, project = _load(_text())
    apply_plan(doc, project, PLAN)
    bass = find_track(doc, guid_for("Bass"))
    chain = bass.find("FXCHAIN")
    assert len(chain.findall("JS")) == 1 and len(chain.findall("VST")) == 1
    state = decode_reaeq([line.content for line in find_automix_eq(bass).lines])
    # low shelf gains per region -3, -2, -1 dB over 10, 30, 20 s → (-30 - 60 - 20) / 60 (plan: 0.01 dB steps)
    assert state.bands[0].gain_db == pytest.approx(-110.0 / 60.0, abs=0.006)
    assert state.bands[0].freq_hz == pytest.approx(120.0)
    assert mean_eq(PLAN, guid_for("Bass"))[1].gain_db == pytest.approx(110.0 / 120.0, abs=0.01)
    kick = find_track(doc, guid_for("Kick"))
    assert kick.find("FXCHAIN") is not None and find_automix_eq(kick) is not None


def test_options_and_flat_plans():
    doc, project = _load(_text())
    apply_plan(doc, project, PLAN, ApplyOptions(pan=False, eq=False))
    kick = find_track(doc, guid_for("Kick"))
    assert kick.find("PANENV2") is None and kick.find("FXCHAIN") is None and kick.find("VOLENV2") is not None
    apply_plan(doc, project, PLAN)
    assert find_automix_eq(kick) is not None
    flat = replace(PLAN, regions=tuple(replace(r, tracks=tuple(replace(t, eq=()) for t in r.tracks))
                                       for r in PLAN.regions))
    apply_plan(doc, project, flat)
    assert find_automix_eq(kick) is None  # no EQ in the plan: the automix ReaEQ goes


def test_plans_that_do_not_match_the_project_are_refused():
    doc, project = _load(_text())
    before = rpp.dumps(doc)
    stranger = _plan({"Kick": [0.0] * 3, "Ghost": [0.0] * 3})
    with pytest.raises(PlanError, match="Ghost"):
        apply_plan(doc, project, stranger, plan_file="plan.json")
    midi = _plan({"Piano MIDI": [0.0] * 3})
    with pytest.raises(PlanError, match="not an audio track"):
        apply_plan(doc, project, midi)
    late = replace(PLAN, regions=PLAN.regions[:2] + (replace(PLAN.regions[2], end_s=90.0),))
    with pytest.raises(PlanError, match="after the end of the song"):
        apply_plan(doc, project, late)
    assert rpp.dumps(doc) == before


def test_update_region_changes_only_that_regions_points():
    doc, project = _load(_text())
    apply_plan(doc, project, PLAN)
    before = rpp.dumps(doc).splitlines()
    verse = PLAN.regions[1]
    new_region = replace(verse, tracks=tuple(replace(t, gain_db=t.gain_db - 5.0, pan=0.25) for t in verse.tracks))
    new_plan = replace_region(PLAN, new_region)
    update_region(doc, project, new_plan, new_region, ApplyOptions(eq=False))
    after = rpp.dumps(doc).splitlines()
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert len(before) == len(after)
    times = {float(b.split()[1]) for _a, b in changed}
    assert times == {10.0, 40.0 - RAMP_S}  # the verse's own two points, in both envelopes of both tracks
    assert len(changed) == 8
    fresh_doc, fresh_project = _load(_text())
    apply_plan(fresh_doc, fresh_project, new_plan, ApplyOptions(eq=False))
    vol_fresh = _pt(find_track(fresh_doc, guid_for("Kick")).find("VOLENV2"))
    vol_upd = _pt(find_track(doc, guid_for("Kick")).find("VOLENV2"))
    assert all(math.isclose(a[1], b[1], rel_tol=1e-12) for a, b in zip(vol_fresh, vol_upd))
