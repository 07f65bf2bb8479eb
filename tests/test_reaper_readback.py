"""Volume and ReaEQ values written live are read back through REAPER's API and refused when REAPER disagrees."""

from __future__ import annotations

import math

import pytest
from fake_reaper import VERSIONS, FakeReaper, reaper_layout
from fake_reaper_values import FADER_ZERO_DB, NULL_ENVELOPE, VALUE_API, fader_amplitude, fader_raw
from rpp_factory import guid_for
from test_apply import _load, _plan, _text

from automix import rpp
from automix.errors import ReaperError
from automix.plan.apply import apply_plan
from automix.project.edit import automix_eq_fx_index, find_track
from automix.project.reaeq import band_gain_param, gain_envelope_db, gain_envelope_value
from automix.reaper.adapter import ReaperApi
from automix.reaper.readback import (
    READBACK_API,
    ValueCheck,
    ValueMismatchError,
    can_confirm,
    confirm_track_values,
    guard_checks,
    parse_db,
    representative_points,
)
from automix.reaper.session import LiveTrack, run_undoable
from automix.reaper.value_checks import value_checks


@pytest.fixture(params=VERSIONS)
def version(request, monkeypatch) -> str:
    monkeypatch.setattr(FakeReaper, "default_version", request.param)
    return request.param


PLAN = _plan({"Kick": [-3.0, -3.0, -3.0], "Bass": [-6.0, -4.0, -2.0]}, {"Bass": [0.0, -0.5, 0.5]})
"""Kick's EQ stays the same in every region (no ReaEQ envelope); Bass's steps (one envelope per band)."""


@pytest.fixture()
def song(tmp_path):
    """(project file, {track index: its chunk after applying :data:`PLAN`}): 0 Kick, 1 Bass."""
    path = tmp_path / "song.rpp"
    path.write_text(_text(), encoding="utf-8")
    doc, project = _load(_text())
    apply_plan(doc, project, PLAN)
    return path, {k: reaper_layout(rpp.dumps(find_track(doc, guid_for(name)))) for k, name in enumerate(("Kick",
                                                                                                       "Bass"))}


def _write_and_confirm(fake: FakeReaper, chunks: dict[int, str]):
    """Set the tracks' chunks in one undo block, reading each one's values back, as the live action does."""
    api = ReaperApi(fake)

    def body(tx) -> str:
        readings = 0
        for index, text in chunks.items():
            handle = api.track(index)
            tx.set_track_chunk(LiveTrack(index, handle, api.track_chunk(handle, index)), text)
            where = api.describe_track(handle, index)
            readings += confirm_track_values(api, handle, where, guard_checks(value_checks(text)))
        return f"{readings} readings"

    return run_undoable(api, "automix: test", body)


def test_the_formula_inverse_and_db_parsing():
    for db in (-24.0, -6.0, 0.0, 3.5, 24.0):
        assert gain_envelope_db(gain_envelope_value(db)) == pytest.approx(db, abs=1e-12)
    assert gain_envelope_db(0.0) == -math.inf
    assert parse_db("-6.02dB") == -6.02 and parse_db("+3.0") == 3.0 and parse_db("0.00 dB") == 0.0
    assert parse_db("-inf") == -math.inf and parse_db(" -inf dB") == -math.inf and parse_db(".5") == 0.5
    assert parse_db("off") is None and parse_db("") is None
    assert parse_db("\u22123,5 dB") == -3.5 and parse_db("+3,0") == 3.0 and parse_db("3.0 DB") == 3.0
    assert parse_db("\u2212inf dB") == -math.inf and parse_db("-\u221e") == -math.inf
    assert parse_db("50%") is None and parse_db("1.0 kHz") is None and parse_db("-6 dB (vol)") is None


def test_value_checks_list_what_the_formulas_say(song):
    _path, chunks = song
    kick = value_checks(chunks[0])
    assert {c.kind for c in kick} == {"volume", "fx_param"}  # Kick's EQ is constant: read from its parameters
    assert [c.param for c in kick if c.kind == "fx_param"] == [1, 4] and all(c.fx == 0 for c in kick if c.fx >= 0)
    assert [c.expected_db for c in kick if c.kind == "fx_param"] == pytest.approx([-1.5, 0.75], abs=1e-9)
    text = chunks[1]
    every = value_checks(text)
    lines = text.split("\n")
    pt_lines = [lines[c.line - 1].split() for c in every]
    assert all(toks[0] == "PT" and float(toks[1]) == c.time_s and float(toks[2]) == c.value
               for toks, c in zip(pt_lines, every))  # every envelope point, with its line in the chunk text
    checks = guard_checks(every)
    assert len(checks) < len(every)
    assert {c.kind for c in checks} == {"volume", "fx_envelope"}
    track = rpp.loads(text, root_tags=("TRACK",)).root
    fx = automix_eq_fx_index(track)
    assert fx == 1  # the user's JS plug-in comes first in Bass's chain
    envelope = [c for c in checks if c.kind == "fx_envelope"]
    assert {c.param for c in envelope} == {band_gain_param(0), band_gain_param(1)} and {c.fx for c in envelope} == {1}
    low = sorted((c.time_s, c.expected_db) for c in envelope if c.param == band_gain_param(0))
    # Bass's low shelf steps -3, -2, -1 dB: the first point (-3 dB, also the lowest) and the highest (-1 dB)
    assert [db for _t, db in low] == pytest.approx([-3.0, -1.0], abs=1e-9)
    assert all("band 1 gain envelope (FX 2, parameter 1)" in c.what for c in envelope if c.param == 1)
    volume = [c for c in checks if c.kind == "volume"]
    assert volume and all(c.expected_db == pytest.approx(20 * math.log10(c.value)) for c in volume)
    for c in checks + kick:
        assert ValueCheck.from_json(c.to_json()) == c
    assert representative_points([(0, 2.0), (1, 1.0), (2, 3.0), (3, 1.0)]) == [0, 1, 2]
    assert representative_points([(0, 1.0), (5, 1.0)]) == [0] and representative_points([]) == []
    with pytest.raises(ReaperError, match="unknown kind 'pan'"):
        ValueCheck.from_json({**checks[0].to_json(), "kind": "pan"})
    with pytest.raises(ReaperError, match="unreadable value check"):
        ValueCheck.from_json({"kind": "volume"})


def test_the_fake_reads_chunk_values_the_way_reaper_does(song, version):
    path, chunks = song
    index, text = 1, chunks[1]
    fake = FakeReaper(path)
    assert set(VALUE_API) >= set(READBACK_API) and can_confirm(ReaperApi(fake))
    assert fader_raw(1.0) == pytest.approx(FADER_ZERO_DB, rel=1e-12) and fader_raw(2.0) == pytest.approx(1000.0)
    assert fader_amplitude(fader_raw(0.3)) == pytest.approx(0.3, rel=1e-12)
    track = fake.GetTrack(0, index)
    assert fake.GetTrackEnvelopeByName(track, "Volume (Pre-FX)") == NULL_ENVELOPE  # only VOLENV2 is modelled
    assert fake.SetTrackStateChunk(track, text, False)
    env = fake.GetTrackEnvelopeByName(track, "Volume")
    assert env != NULL_ENVELOPE and fake.GetEnvelopeScalingMode(env) == 1
    ok, env_out, k, time_s, raw, shape, _tension, _sel = fake.GetEnvelopePoint(env, 0, 0.0, 0.0, 0, 0.0, False)
    amp = float(rpp.loads(text, root_tags=("TRACK",)).root.find("VOLENV2").find_line("PT").values[1])
    assert ok and env_out == env and k == 0 and time_s == 0.0 and shape == 0
    assert raw == pytest.approx(fader_raw(amp)) and fake.ScaleFromEnvelopeMode(1, raw) == pytest.approx(amp)
    assert fake.Envelope_FormatValue(env, raw, "", 256) == (env, raw, f"{20 * math.log10(amp):+.2f}dB", 256)
    assert fake.GetEnvelopePoint(env, 99, 0.0, 0.0, 0, 0.0, False)[0] is False
    eq = fake.GetFXEnvelope(track, 1, 1, False)
    assert eq != NULL_ENVELOPE and fake.GetEnvelopeScalingMode(eq) == 0
    assert fake.GetFXEnvelope(track, 0, 1, False) == NULL_ENVELOPE  # the JS plug-in has no such envelope
    value = gain_envelope_value(-3.0)
    assert fake.Envelope_FormatValue(eq, value, "", 256)[2] == "-3.0"
    assert fake.TrackFX_FormatParamValue(track, 1, 1, value, "", 256) == (True, track, 1, 1, value, "-3.0", 256)
    assert fake.TrackFX_FormatParamValue(track, 1, 2, 0.5, "", 256)[0] is False  # bandwidth: not modelled
    assert fake.TrackFX_GetFormattedParamValue(track, 0, 1, "", 256)[0] is False  # not a ReaEQ
    with pytest.raises(AssertionError, match="would add an envelope"):
        fake.GetFXEnvelope(track, 1, 7, True)
    fake.delete_track(index)  # a stale track handle: REAPER answers with null pointers and failures
    assert fake.GetTrackEnvelopeByName(track, "Volume") == NULL_ENVELOPE
    assert fake.GetEnvelopePoint(env, 0, 0.0, 0.0, 0, 0.0, False)[0] is False
    fake.missing_functions = frozenset({"Envelope_FormatValue"})
    assert not can_confirm(ReaperApi(fake))
    with pytest.raises(AttributeError):
        fake.Envelope_FormatValue  # noqa: B018


def test_values_reaper_reads_as_the_formulas_say_are_kept(song, version):
    path, chunks = song
    fake = FakeReaper(path)
    outcome = _write_and_confirm(fake, chunks)
    assert outcome.ok, outcome.summary
    checks = guard_checks(value_checks(chunks[0])) + guard_checks(value_checks(chunks[1]))
    envelope_points = sum(c.kind != "fx_param" for c in checks)
    assert outcome.summary == f"{2 * envelope_points + len(checks) - envelope_points} readings"
    assert list(fake.chunks()[:2]) == [chunks[0], chunks[1]] and fake.undo_history == ["automix: test"]
    assert fake.count("TrackFX_FormatParamValue") == sum(c.kind == "fx_envelope" for c in checks) > 0
    assert fake.count("TrackFX_GetFormattedParamValue") == sum(c.kind == "fx_param" for c in checks) == 2


@pytest.mark.parametrize("reaper_reads, where, reading", [
    ("volume points as raw fader values", "track 1 ('Kick'): REAPER reads the volume envelope at 0 s",
     "ScaleFromEnvelopeMode(1, "),
    ("band-gain envelopes as normalised values",
     "track 2 ('Bass'): REAPER reads the ReaEQ 'automix EQ' band 1 gain envelope (FX 2, parameter 1) at 0 s",
     "TrackFX_FormatParamValue '"),
    ("ReaEQ's state gains doubled",
     "track 1 ('Kick'): REAPER reads the ReaEQ 'automix EQ' band 1 gain (FX 1, parameter 1) (value",
     "TrackFX_GetFormattedParamValue '+4.5'"),
])
def test_a_reaper_that_reads_a_value_differently_is_refused_and_nothing_stays(song, version, reaper_reads, where,
                                                                                reading):
    path, chunks = song
    fake = FakeReaper(path)
    if reaper_reads.startswith("volume"):
        fake.volume_chunk_domain = "raw"
    elif reaper_reads.startswith("band-gain"):
        fake.reaeq_gain_domain = "normalised"
    else:
        fake.reaeq_state_gain_scale = 2.0
    outcome = _write_and_confirm(fake, chunks)
    assert not outcome.ok and isinstance(outcome.error, ValueMismatchError)
    message = fake.message_boxes[-1][0]
    assert message.startswith(where) and reading in message
    assert "automix's formula says" in message and "more than 0.1 dB apart" in message
    assert "Nothing was changed." in message and fake.chunks() == fake.original_chunks
    assert fake.undo_history == ["automix: test (failed, nothing changed)"] and fake.ui_refresh_held == 0


def test_a_point_reaper_does_not_hold_is_refused(song, version):
    path, chunks = song
    index, text = 1, chunks[1]
    fake = FakeReaper(path)
    api = ReaperApi(fake)
    handle = api.track(index)
    fake.SetTrackStateChunk(handle, text, False)
    moved = ValueCheck("volume", 0.0, 1.0, point=0, time_s=0.5, what="the volume envelope")
    with pytest.raises(ValueMismatchError, match=r"track 2: REAPER's point 1 of the volume envelope is at 0 s, "
                                                 r"automix wrote one at 0.5 s"):
        confirm_track_values(api, handle, "track 2", [moved])
    missing = ValueCheck("fx_envelope", 0.0, 0.25, fx=1, param=7, point=0, what="the ReaEQ band 3 gain envelope")
    with pytest.raises(ValueMismatchError, match="track 2: REAPER found no envelope for the ReaEQ band 3 gain envelope in the chunk automix set"):
        confirm_track_values(api, handle, "track 2", [missing])
