"""The mix plan format: round trips, validation messages, project checks, helpers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from automix.errors import PlanError
from automix.knowledge.sections import section_index_at
from automix.plan.json_io import (
    check_plan_matches_project,
    load_plan,
    plan_from_json,
    plan_to_json,
    save_plan,
)
from automix.plan.model import (
    MAX_GAIN_DB,
    EqBand,
    MixPlan,
    RegionPlan,
    TrackPlan,
    eq_band_from_setting,
    eq_band_to_setting,
    fit_gains_to_range,
    replace_region,
)
from automix.project.model import Fade, Item, Project, Source, Take, Track

G_KICK = "{11111111-1111-1111-1111-111111111111}"
G_BASS = "{22222222-2222-2222-2222-222222222222}"
G_MIDI = "{33333333-3333-3333-3333-333333333333}"


def _item(kind: str, pos: float, length: float) -> Item:
    src = Source(kind=kind, file_text="x.wav" if kind == "WAVE" else None)
    take = Take("t", 1.0, False, 0.0, 0.0, 1.0, True, 0.0, 0, src)
    return Item(pos, length, 0.0, False, 1.0, Fade(), Fade(), False, (take,), 0)


def _track(i: int, guid: str, name: str, kind: str = "WAVE") -> Track:
    return Track(i, guid, name, 1.0, 0.0, False, False, 0, None, items=(_item(kind, 0.0, 60.0),))


def make_project() -> Project:
    return Project(path=None, folder=Path("."), reaper_version="7.18/linux64", sample_rate=48000,
                   tempo_bpm=120.0,
                   tracks=(_track(0, G_KICK, "Kick"), _track(1, G_BASS, "Bass"),
                           _track(2, G_MIDI, "Synth", kind="MIDI")),
                   markers=(), regions=())


def make_plan() -> MixPlan:
    eq = (EqBand("low_shelf", 120.0, 2.5, 2.0), EqBand("band", 1000.0, -3.0, 1.6))
    r1 = RegionPlan("Intro", "intro", 0.0, 20.0, (
        TrackPlan(G_KICK, "Kick", "Kick", -6.0, 0.0, eq),
        TrackPlan(G_BASS, "Bass", "Bass", -2.0, -0.25)))
    r2 = RegionPlan("Verse", "verse", 20.0, 40.0, (
        TrackPlan(G_KICK, "Kick", "Kick", -6.0, 0.0, eq),
        TrackPlan(G_BASS, "Bass", "Bass", 1.5, 0.5)))
    r3 = RegionPlan("Verse", "verse", 45.0, 60.0, (TrackPlan(G_KICK, "Kick", "Kick", -4.0, 0.1),))
    return MixPlan("rock", "models/rock", (r1, r2, r3))


def test_json_round_trip_is_exact_and_stable(tmp_path):
    plan = make_plan()
    text = plan_to_json(plan)
    assert plan_from_json(text) == plan
    assert plan_to_json(plan_from_json(text)) == text
    data = json.loads(text)
    assert data["version"] == 1 and data["genre"] == "rock"
    band = data["regions"][0]["tracks"][0]["eq"][0]
    assert band == {"type": "low_shelf", "freq_hz": 120.0, "gain_db": 2.5, "bw_oct": 2.0}
    assert list(data) == sorted(data)
    path = tmp_path / "p.json"
    save_plan(plan, path)
    assert path.read_text(encoding="utf-8") == text
    assert load_plan(path) == plan


def _edit(mutate) -> str:
    data = json.loads(plan_to_json(make_plan()))
    mutate(data)
    return json.dumps(data)


@pytest.mark.parametrize("mutate, pattern", [
    (lambda d: d.update(version=2), "unsupported plan version 2"),
    (lambda d: d["regions"][1]["tracks"][1].update(gain_db=19.0), r"region 'Verse': gain_db 19.0 dB outside -150 … 18 dB"),
    (lambda d: d["regions"][0]["tracks"][1].update(pan=-1.5), r"track 'Bass': region 'Intro': pan -1.5"),
    (lambda d: d["regions"][0]["tracks"][0].update(gain_db="loud"), r"track 'Kick'.*'gain_db'.*'loud'"),
    (lambda d: d["regions"][0]["tracks"][0]["eq"][0].update(type="tilt"), "type 'tilt' is not one of"),
    (lambda d: d["regions"][0]["tracks"][0]["eq"][1].update(gain_db=30), r"eq band #2 gain_db 30.0 dB"),
    (lambda d: d["regions"][0]["tracks"][0]["eq"][1].update(freq_hz=5), r"freq_hz 5.0 Hz"),
    (lambda d: d["regions"][0]["tracks"][0]["eq"][1].pop("bw_oct"), r"missing field 'bw_oct'"),
    (lambda d: d["regions"][1].update(start_s=19.0), r"region 'Verse'.*overlaps.*'Intro'"),
    (lambda d: d["regions"][2].update(end_s=45.0), r"zero-length"),
    (lambda d: d["regions"][0]["tracks"].append(dict(d["regions"][0]["tracks"][0])), "appears twice"),
    (lambda d: d.pop("genre"), "missing field 'genre'"),
])
def test_validation_names_place_and_value(mutate, pattern):
    with pytest.raises(PlanError, match=pattern) as info:
        plan_from_json(_edit(mutate), file="mix.json")
    assert str(info.value).startswith("mix.json: ")


def test_syntax_error_names_line_and_nan_rejected():
    text = plan_to_json(make_plan()).replace('"genre": "rock"', '"genre": rock')
    with pytest.raises(PlanError, match=r"^p.json:\d+: not valid JSON") as info:
        plan_from_json(text, file="p.json")
    assert info.value.line == next(i for i, ln in enumerate(text.splitlines(), 1) if "genre" in ln)
    with pytest.raises(PlanError, match="NaN"):
        plan_from_json(plan_to_json(make_plan()).replace("-6.0", "NaN", 1))


def test_check_against_project():
    project = make_project()
    plan = make_plan()
    check_plan_matches_project(plan, project)
    bad_guid = replace_region(plan, RegionPlan("Intro", "intro", 0.0, 20.0,
                                               (TrackPlan("{DEAD}", "Ghost", "Kick", 0.0, 0.0),)))
    with pytest.raises(PlanError, match=r"track 'Ghost': region 'Intro': GUID \{DEAD\} is not a track"):
        check_plan_matches_project(bad_guid, project, file="p.json")
    midi = replace_region(plan, RegionPlan("Intro", "intro", 0.0, 20.0,
                                           (TrackPlan(G_MIDI, "Synth", "Keys", 0.0, 0.0),)))
    with pytest.raises(PlanError, match="not an audio track"):
        check_plan_matches_project(midi, project)
    too_long = MixPlan("rock", "", (RegionPlan("Outro", "outro", 50.0, 75.0, ()),))
    with pytest.raises(PlanError, match=r"region 'Outro': region ends at 75.0 s, after the end of the song \(60.0 s\)"):
        check_plan_matches_project(too_long, project)
    overlapping = MixPlan("rock", "", (RegionPlan("A", "verse", 0.0, 30.0, ()),
                                       RegionPlan("B", "chorus", 20.0, 40.0, ())))
    with pytest.raises(PlanError, match="overlaps"):
        check_plan_matches_project(overlapping, project)


def test_envelope_segments():
    plan = make_plan()
    assert plan.envelope_segments(G_BASS) == [(0.0, 20.0, -2.0, -0.25), (20.0, 40.0, 1.5, 0.5)]
    assert plan.envelope_segments(G_KICK.lower())[2] == (45.0, 60.0, -4.0, 0.1)
    assert [s[0] for s in plan.envelope_segments(G_KICK)] == [0.0, 20.0, 45.0]
    assert plan.envelope_segments("{NOT-THERE}") == []
    assert plan.track_guids() == (G_KICK, G_BASS)
    assert section_index_at(plan.regions, 42.0) is None and plan.regions[section_index_at(plan.regions, 20.0)].start_s == 20.0


def test_replace_region_by_bounds_and_missing_region():
    plan = make_plan()
    new = RegionPlan("Verse", "verse", 45.0, 60.0, (TrackPlan(G_KICK, "Kick", "Kick", -1.0, 0.0),))
    out = replace_region(plan, new)
    assert out.regions[2] == new and out.regions[:2] == plan.regions[:2]
    assert plan.regions[2].tracks[0].gain_db == -4.0  # original untouched
    with pytest.raises(PlanError, match="no region of the plan spans 41.0–44.0 s"):
        replace_region(plan, RegionPlan("X", "verse", 41.0, 44.0, ()))


def test_fit_gains_keeps_balance():
    plan = make_plan()
    loud = MixPlan("rock", "", tuple(
        RegionPlan(r.name, r.section, r.start_s, r.end_s,
                   tuple(TrackPlan(t.guid, t.name, t.type, t.gain_db + 10.0, t.pan, t.eq) for t in r.tracks))
        for r in plan.regions))
    fitted = fit_gains_to_range(loud)
    gains = [t.gain_db for r in fitted.regions for t in r.tracks]
    orig = [t.gain_db for r in plan.regions for t in r.tracks]
    assert max(gains) == pytest.approx(MAX_GAIN_DB)
    diffs = {round(g - o, 9) for g, o in zip(gains, orig)}
    assert len(diffs) == 1
    assert fit_gains_to_range(plan) is plan


def test_band_conversion_from_any_record():
    class Setting:
        band_type, freq_hz, gain_db, bw_oct = "high_shelf", 6000, 1, 2

    assert eq_band_from_setting(Setting()) == EqBand("high_shelf", 6000.0, 1.0, 2.0)
    band = EqBand("band", 1000.0, -3.0, 1.6)
    setting = eq_band_to_setting(band)
    assert type(setting).__name__ == "EqBandSetting" and setting.enabled
    assert eq_band_from_setting(setting) == band


def test_every_plan_band_type_is_a_reaeq_type():
    from automix.plan.model import EQ_BAND_TYPES
    from automix.project.reaeq import BAND_TYPES

    assert set(EQ_BAND_TYPES) <= set(BAND_TYPES)


def test_plan_for_a_real_reaper_project():
    corpus = Path(__file__).resolve().parents[2] / "shared" / "rpp-corpus"
    rpp = corpus / "exvertus__reaper-projects__test_track.rpp"
    if not rpp.exists():
        pytest.skip(f"real project corpus not available at {corpus}")
    from automix.project.reader import read_project

    project = read_project(rpp)
    audio = project.audio_tracks
    assert audio and len(project.regions) >= 2
    regions = tuple(
        RegionPlan(r.name, "verse", r.start_s, r.end_s,
                   tuple(TrackPlan(t.guid, t.name, "Other", -3.0 * k, 0.1 * k) for t in audio))
        for k, r in enumerate(project.regions))
    plan = MixPlan("electronic", "", regions)
    check_plan_matches_project(plan_from_json(plan_to_json(plan)), project)
    # a folder / non-audio track of that project is refused by name
    other = next(t for t in project.tracks if not t.has_audio)
    bad = replace_region(plan, RegionPlan(regions[0].name, "intro", regions[0].start_s, regions[0].end_s,
                                          (TrackPlan(other.guid, other.name, "Kick", 0.0, 0.0),)))
    with pytest.raises(PlanError, match=f"track '{other.name}'.*not an audio track"):
        check_plan_matches_project(bad, project, file="plan.json")
