"""Per-region EQ in the project: ReaEQ band-gain parameter envelopes stepping at region boundaries."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from rpp_factory import guid_for
from test_apply import PLAN, REGIONS, _load, _text

from automix import rpp
from automix.errors import ProjectEditError
from automix.plan.apply import (
    RAMP_S,
    ApplyOptions,
    apply_plan,
    eq_gain_envelopes,
    update_region,
)
from automix.plan.model import EqBand, replace_region
from automix.project.edit import find_automix_eq, find_track, set_automix_eq_envelopes
from automix.project.model import EnvelopePoint
from automix.project.reaeq import (
    GAIN_ENVELOPE_RANGE,
    band_gain_param,
    gain_envelope_value,
)

USER_PARMENV = """<FXCHAIN
  SHOW 0
  LASTSEL 0
  DOCKED 0
  BYPASS 0 0 0
  <JS "utility/volume" ""
    0 0 - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -
  >
  FLOATPOS 0 0 0 0
  FXID {11111111-2222-3333-4444-555555555555}
  <PARMENV 0 -150 24 0
    EGUID {AAAAAAAA-2222-3333-4444-555555555555}
    ACT 1 -1
    VIS 1 1 1
    LANEHEIGHT 0 0
    ARM 0
    DEFSHAPE 0 -1 -1
    PT 0 -6 0
  >
  WAK 0 0
>"""


def _parmenvs(track) -> list:
    chain = track.find("FXCHAIN")
    return [c for c in chain.children if isinstance(c, rpp.Chunk) and c.tag == "PARMENV"]


def _automix_block(track) -> list:
    """The nodes of the automix ReaEQ's FX block, from its chunk to the next FX."""
    chain = track.find("FXCHAIN")
    children = chain.children
    i = chain.index(find_automix_eq(track))
    out = []
    for node in children[i + 1:]:
        if isinstance(node, rpp.Chunk) and node.tag in ("VST", "JS") or getattr(node, "key", None) == "BYPASS":
            break
        out.append(node)
    return out


def _points(env) -> list[tuple[float, float]]:
    return [(float(line.values[0]), float(line.values[1])) for line in env.findall_lines("PT")]


def test_the_gain_mapping_and_parameter_indices():
    assert gain_envelope_value(0.0) == 0.25
    assert gain_envelope_value(20 * math.log10(2)) == pytest.approx(0.5, rel=1e-12)
    assert gain_envelope_value(-24.0) == pytest.approx(10 ** (-24 / 20) / 4, rel=1e-12)
    lo, hi, default = GAIN_ENVELOPE_RANGE
    assert lo <= gain_envelope_value(-24.0) < gain_envelope_value(24.0) <= hi and default == gain_envelope_value(0)
    with pytest.raises(ProjectEditError, match="must be finite, got nan"):
        gain_envelope_value(math.nan)
    assert [band_gain_param(k) for k in range(4)] == [1, 4, 7, 10]  # band k: 3k freq, 3k+1 gain, 3k+2 bandwidth


def test_bands_whose_gain_changes_get_one_envelope_stepping_at_region_boundaries():
    doc, project = _load(_text())
    apply_plan(doc, project, PLAN)
    bass = find_track(doc, guid_for("Bass"))
    block = _automix_block(bass)
    keys = [n.tag if isinstance(n, rpp.Chunk) else n.key for n in block]
    assert keys == ["FLOATPOS", "FXID", "PARMENV", "PARMENV", "WAK"]  # after FXID, before WAK
    low, mid = [n for n in block if isinstance(n, rpp.Chunk)]
    assert low.args == ["1", "0", "4", "0.25"] and mid.args[0] == "4"
    # Bass gains -6, -4, -2 dB → low shelf -3, -2, -1 dB and band +1.5, +1, +0.5 dB over 0–10, 10–40, 40–60 s
    for env, gains in ((low, (-3.0, -2.0, -1.0)), (mid, (1.5, 1.0, 0.5))):
        expected = [(0.0, gains[0]), (10 - RAMP_S, gains[0]), (10.0, gains[1]), (40 - RAMP_S, gains[1]),
                    (40.0, gains[2]), (60.0, gains[2])]
        for (t, v), (te, ge) in zip(_points(env), expected, strict=True):
            assert t == pytest.approx(te, abs=1e-9) and v == pytest.approx(10 ** (ge / 20) / 4, rel=1e-9)
    assert len(_parmenvs(find_track(doc, guid_for("Kick")))) == 2  # Kick's EQ changes too (-1.5, -1.5, -0.5)
    out = rpp.dumps(doc)
    doc2, project2 = _load(out)  # the result reads back, and re-applying replaces, never stacks
    apply_plan(doc2, project2, PLAN)
    assert rpp.dumps(doc2) == out and len(_parmenvs(find_track(doc2, guid_for("Bass")))) == 2


def test_a_user_envelope_on_another_plugin_stays_and_constant_eq_gets_none():
    doc, project = _load(_text())
    bass = find_track(doc, guid_for("Bass"))
    bass.remove(bass.find("FXCHAIN"))
    bass.append(rpp.loads("<REAPER_PROJECT\n" + USER_PARMENV + "\n>").root.find("FXCHAIN"))
    apply_plan(doc, project, PLAN)
    assert [c.args[0] for c in _parmenvs(bass)] == ["0", "1", "4"]  # the JS's own envelope first, untouched
    assert _points(_parmenvs(bass)[0]) == [(0.0, -6.0)]
    steady = replace(PLAN, regions=tuple(
        replace(r, tracks=tuple(replace(t, eq=(EqBand("low_shelf", 120.0, -2.0, 2.0),)) for t in r.tracks))
        for r in PLAN.regions))
    assert eq_gain_envelopes(steady, guid_for("Bass")) == {}
    apply_plan(doc, project, steady)
    assert [c.args[0] for c in _parmenvs(bass)] == ["0"]  # automix's envelopes removed, the user's kept
    assert find_automix_eq(bass) is not None


def test_layouts_that_differ_between_regions_get_no_envelope_and_flat_regions_hold_0_db():
    guid = guid_for("Bass")
    mixed = replace(PLAN, regions=(replace(PLAN.regions[0], tracks=tuple(
        replace(t, eq=(EqBand("high_pass", 80.0, 0.0, 1.0),)) for t in PLAN.regions[0].tracks)),) + PLAN.regions[1:])
    assert eq_gain_envelopes(mixed, guid) == {}
    flat_intro = replace(PLAN, regions=(replace(PLAN.regions[0], tracks=tuple(
        replace(t, eq=()) for t in PLAN.regions[0].tracks)),) + PLAN.regions[1:])
    envelopes = eq_gain_envelopes(flat_intro, guid)
    assert sorted(envelopes) == [1, 4]
    assert [p.value for p in envelopes[1]][:2] == [0.25, 0.25]  # the intro has no EQ: 0 dB


def test_the_live_mode_can_pass_its_own_calibrated_mapping():
    doc, project = _load(_text())
    calibrated = lambda gain_db: 0.5 + gain_db / 48.0  # noqa: E731 - e.g. REAPER's normalised gain
    apply_plan(doc, project, PLAN, ApplyOptions(eq_gain_value=calibrated))
    low = _parmenvs(find_track(doc, guid_for("Bass")))[0]
    assert [v for _t, v in _points(low)] == pytest.approx([0.5 - 3 / 48] * 2 + [0.5 - 2 / 48] * 2 + [0.5 - 1 / 48] * 2)


def test_update_region_rewrites_the_eq_envelopes():
    doc, project = _load(_text())
    apply_plan(doc, project, PLAN)
    verse = PLAN.regions[1]
    louder = replace(verse, tracks=tuple(replace(t, eq=(EqBand("low_shelf", 120.0, 6.0, 2.0),
                                                         EqBand("band", 1000.0, -3.0, 1.0))) for t in verse.tracks))
    new_plan = replace_region(PLAN, louder)
    update_region(doc, project, new_plan, louder)
    low = _parmenvs(find_track(doc, guid_for("Bass")))[0]
    assert [v for _t, v in _points(low)][2:4] == pytest.approx([10 ** (6 / 20) / 4] * 2)
    fresh, fresh_project = _load(_text())
    apply_plan(fresh, fresh_project, new_plan)
    assert rpp.dumps(find_track(doc, guid_for("Bass"))) == rpp.dumps(find_track(fresh, guid_for("Bass")))


def test_envelope_values_outside_the_range_and_missing_eq_are_refused():
    doc, project = _load(_text())
    bass = find_track(doc, guid_for("Bass"))
    with pytest.raises(ProjectEditError, match="track 'Bass': ReaEQ envelopes need the automix ReaEQ"):
        set_automix_eq_envelopes(bass, {1: [EnvelopePoint(0.0, 0.25)]})
    apply_plan(doc, project, PLAN)
    with pytest.raises(ProjectEditError, match=r"ReaEQ parameter 1 envelope value 5\.0 at 0\.0 s is outside"):
        set_automix_eq_envelopes(bass, {1: [EnvelopePoint(0.0, 5.0)]})
    assert len(_parmenvs(bass)) == 2  # nothing changed by the refused edit
    assert len(REGIONS) == 3
