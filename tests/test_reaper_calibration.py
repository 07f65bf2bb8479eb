"""Live mode calibrates volume and ReaEQ gain values against REAPER's own formatting, then reads them back."""

from __future__ import annotations

import math
import re

import pytest
from fake_reaper import VERSIONS, FakeReaper, run_action
from fake_reaper_params import FIRST_VERSION
from test_reaper_readback import song  # noqa: F401  (fixture: Kick with constant EQ, Bass with EQ envelopes)

from automix.demo.project import write_demo
from automix.reaper.actions import AUTO_MIX_TITLE, auto_mix_project
from automix.reaper.adapter import ReaperApi
from automix.reaper.calibration import CALIBRATION_API, CalibrationError, Calibrator
from automix.reaper.checked_write import CheckedWriter
from automix.reaper.readback import TOLERANCE_DB, ValueCheck, parse_db
from automix.reaper.session import LiveTrack, run_undoable
from automix.reaper.value_checks import value_checks
from automix.reaper.value_map import GRID_STEP_DB, STOP_DB, VOLUME_FORMULA, ValueMap

MAPPINGS = {
    "the formulas": {},
    "volume points as raw fader values": {"volume_chunk_domain": "raw"},
    "band gains as normalised values": {"reaeq_gain_domain": "normalised"},
    "ReaEQ's state gains doubled": {"reaeq_state_gain_scale": 2.0},
    "a comma-decimal locale": {"format_style": "locale"},
}
"""How the fake REAPER reads the numbers automix writes (``fake_reaper_values``)."""


@pytest.fixture(params=VERSIONS)
def version(request, monkeypatch) -> str:
    monkeypatch.setattr(FakeReaper, "default_version", request.param)
    return request.param


def _fake(path, **reads) -> FakeReaper:
    fake = FakeReaper(path)
    for name, value in reads.items():
        setattr(fake, name, value)
    return fake


def _write(fake: FakeReaper, chunks: dict[int, str]):
    """Write the chunks as the live action does (one undo block, CheckedWriter); (outcome, writer)."""
    api = ReaperApi(fake)
    checks = {index: tuple(value_checks(text)) for index, text in chunks.items()}
    writer = CheckedWriter(api, checks)

    def body(tx) -> str:
        for index, text in chunks.items():
            handle = api.track(index)
            writer.write(tx, LiveTrack(index, handle, api.track_chunk(handle, index)), text)
        return "written"

    return run_undoable(api, "automix: test", body), writer


def _reading_db(fake: FakeReaper, index: int, check: ValueCheck) -> float | None:
    """What REAPER reads, now, for the value ``check`` describes (through the fake's formatting)."""
    track = fake.GetTrack(0, index)
    if check.kind == "fx_param":
        return parse_db(fake.TrackFX_GetFormattedParamValue(track, check.fx, check.param, "", 256)[4])
    env = fake.GetTrackEnvelopeByName(track, "Volume") if check.kind == "volume" else \
        fake.GetFXEnvelope(track, check.fx, check.param, False)
    ok, *_rest, time_s, raw, _shape, _tension, _sel = fake.GetEnvelopePoint(env, check.point, 0.0, 0.0, 0, 0.0,
                                                                             False)
    assert ok and time_s == pytest.approx(check.time_s)
    return parse_db(fake.Envelope_FormatValue(env, raw, "", 256)[2])


def _assert_every_value_reads_as_wanted(fake: FakeReaper, wanted: dict[int, str]) -> int:
    """Every envelope point and band gain of every track reads within 0.1 dB of the wanted dB; their number."""
    count = 0
    for index, text in wanted.items():
        for check in value_checks(text):
            reading = _reading_db(fake, index, check)
            assert reading is not None, check
            if math.isinf(check.expected_db):
                assert reading == check.expected_db, check
            else:
                assert abs(reading - check.expected_db) <= TOLERANCE_DB, (check, reading)
            count += 1
    return count


@pytest.mark.parametrize("mapping", list(MAPPINGS))
def test_every_value_is_written_as_reaper_reads_it(song, version, mapping):  # noqa: F811
    path, chunks = song
    fake = _fake(path, **MAPPINGS[mapping])
    outcome, writer = _write(fake, chunks)
    assert outcome.ok, outcome.summary
    assert writer.mode == "calibrate" and fake.undo_history == ["automix: test"]
    assert _assert_every_value_reads_as_wanted(fake, chunks) > 20
    notes = " ".join(writer.notes())
    if mapping in ("the formulas", "a comma-decimal locale"):  # REAPER agrees: the chunks stay the headless ones
        assert list(fake.chunks()[:2]) == [chunks[0], chunks[1]] and writer.calibrator.corrected == 0
        assert notes == "" and fake.count("TrackFX_SetParam") == 0
    else:
        assert writer.calibrator.corrected > 0 and "differently from automix's formula" in notes
    if mapping == "ReaEQ's state gains doubled":  # Kick's two constant bands were set through the API
        assert fake.count("TrackFX_SetParam") == 2 and list(fake.chunks()[1:2]) == [chunks[1]]
    if mapping == "band gains as normalised values":  # only Bass's band-gain envelope points changed
        assert "reaeq gain" in notes and fake.chunks()[1] != chunks[1]


@pytest.mark.parametrize("reads, message", [
    ({"reaeq_gain_domain": "reversed"}, r"REAPER's formatting is not monotonic \(TrackFX_FormatParamValue\)"),
    ({"format_style": "words"}, r"REAPER formats the value [0-9.e-]+ as '(quiet|loud)' \(Envelope_FormatValue\), "
                                r"which automix cannot read as decibels"),
    ({"format_style": "fx words"}, r"REAPER formats the value [0-9.e-]+ as '(quiet|loud)' "
                                   r"\(TrackFX_FormatParamValue\), which automix cannot read as decibels"),
])
def test_a_mapping_that_cannot_be_calibrated_is_refused_and_nothing_stays(song, version, reads, message):  # noqa: F811
    path, chunks = song
    fake = _fake(path, **reads)
    outcome, _writer = _write(fake, chunks)
    assert not outcome.ok and isinstance(outcome.error, CalibrationError)
    text = fake.message_boxes[-1][0]
    assert re.search(message, text), text
    if "reaeq_gain_domain" in reads or reads.get("format_style") == "fx words":  # names track, FX and parameter
        assert text.startswith("track 1 ('Kick'): the ReaEQ 'automix EQ' band 1 gain (FX 1, parameter 1): ")
    else:
        assert text.startswith("track 1 ('Kick'): the volume envelope: ")
    assert "Nothing was changed." in text and fake.chunks() == fake.original_chunks
    assert fake.undo_history == ["automix: test (failed, nothing changed)"] and fake.ui_refresh_held == 0


def test_a_reaper_that_can_read_back_but_not_set_parameters_checks_the_formulas(song, version):  # noqa: F811
    path, chunks = song
    fake = _fake(path)
    fake.missing_functions = frozenset({"TrackFX_SetParam"})
    outcome, writer = _write(fake, chunks)
    assert outcome.ok and writer.mode == "confirm" and writer.readings > 0
    assert writer.notes() == ["automix: this REAPER's API lacks TrackFX_SetParam: the volume and EQ values written "
                              "follow automix's formulas, read back but not calibrated"]
    fake = _fake(path, reaeq_state_gain_scale=2.0)
    fake.missing_functions = frozenset({"TrackFX_SetParam"})
    outcome, _writer = _write(fake, chunks)  # without calibration, a misread gain is refused, as before
    assert not outcome.ok and "more than 0.1 dB apart" in outcome.summary and fake.chunks() == fake.original_chunks


def test_a_reaper_that_formats_nothing_gets_the_formulas_with_a_note(song, version):  # noqa: F811
    path, chunks = song
    fake = _fake(path, format_style="empty")
    outcome, writer = _write(fake, chunks)
    assert outcome.ok, outcome.summary
    assert list(fake.chunks()[:2]) == [chunks[0], chunks[1]]
    notes = writer.notes()
    assert "automix: REAPER's Envelope_FormatValue gives no text for the volume envelope: the volume values " \
           "written follow automix's formula, unconfirmed against REAPER" in notes
    assert any("TrackFX_FormatParamValue gives no text" in n and "reaeq gain values" in n for n in notes)


def test_reaper_versions_offer_the_formatting_functions_from_their_first_version(song):  # noqa: F811
    path, _chunks = song
    assert {name: FIRST_VERSION[name] for name in CALIBRATION_API if name in FIRST_VERSION} == {
        "GetEnvelopeScalingMode": (5, 0), "ScaleToEnvelopeMode": (5, 0), "GetEnvelopePoint": (5, 0),
        "Envelope_FormatValue": (5, 0), "TrackFX_FormatParamValue": (4, 0),
        "TrackFX_GetFormattedParamValue": (4, 0), "TrackFX_SetParam": (4, 0)}
    for version in VERSIONS:
        api = ReaperApi(FakeReaper(path, version=version))
        assert Calibrator.available(api) and CheckedWriter(api, {}).mode == "calibrate"
    old = FakeReaper(path, version="4.78")
    with pytest.raises(AttributeError, match="REAPER 4.78/.* has no function Envelope_FormatValue"):
        old.Envelope_FormatValue  # noqa: B018
    assert old.TrackFX_FormatParamValue is not None
    writer = CheckedWriter(ReaperApi(old), {0: (ValueCheck("volume", 0.0, 1.0, point=0),)})
    assert writer.mode == "unconfirmed" and writer.notes() == [
        "automix: this REAPER's API lacks GetEnvelopeScalingMode, ScaleFromEnvelopeMode, GetEnvelopePoint, "
        "Envelope_FormatValue, ScaleToEnvelopeMode: the volume and EQ values written are not confirmed against "
        "REAPER (they follow the same formulas as headless mode)"]


def test_a_value_map_equal_to_the_formula_reproduces_it_and_interpolates_otherwise():
    exact = ValueMap(VOLUME_FORMULA, [(-6.0, 10 ** (-6 / 20)), (0.0, 1.0)], is_formula=True)
    assert exact.value_for(-3.3) == pytest.approx(10 ** (-3.3 / 20), rel=1e-12) and exact.keeps(0.5, -6.02)
    assert exact.value_for(-math.inf) == 0.0
    # a REAPER reading amplitude a as 2·20·log10(a) dB: the value for d dB is 10^(d/40)
    samples = [(d, 10 ** (d / 40)) for d in (-12.0, -9.0, -6.0, -3.0, 0.0)]
    doubled = ValueMap(VOLUME_FORMULA, samples, is_formula=False)
    for d in (-10.5, -4.2, -0.1):
        assert 40 * math.log10(doubled.value_for(d)) == pytest.approx(d, abs=STOP_DB)
    assert not doubled.keeps(10 ** (-6 / 20), -6.0) and doubled.keeps(10 ** (-6 / 40), -6.0)
    assert GRID_STEP_DB == 3.0


@pytest.fixture(scope="module")
def demo_and_headless(tmp_path_factory):
    """(demo project, models, {track index: headless chunk}): what the live auto-mix must make REAPER read."""
    from test_reaper_actions import _headless_chunks, _write_model
    bank = tmp_path_factory.mktemp("models")
    _write_model(bank, "all", "all", [0, -3, -2, -8, 2], [0, 0.1, 0, -0.5, 0])
    demo = write_demo(tmp_path_factory.mktemp("demo"), duration_s=14.0, sample_rate=22050).project_path
    headless, _plan = _headless_chunks(demo, bank, demo.parent / "headless.rpp")
    return demo, bank, dict(enumerate(headless))


@pytest.mark.parametrize("mapping", ["volume points as raw fader values", "ReaEQ's state gains doubled"])
def test_an_auto_mix_reaper_reads_differently_is_written_as_it_reads_it(demo_and_headless, version, mapping):
    demo, bank, headless = demo_and_headless
    fake = _fake(demo, **MAPPINGS[mapping])
    outcome = run_action(auto_mix_project, fake, models_dir=bank)
    assert outcome.ok, outcome.summary
    assert fake.undo_history == [AUTO_MIX_TITLE] and fake.message_boxes == []
    console = "".join(fake.console)
    assert "differently from automix's formula" in console and "calibration calls" in console
    assert _assert_every_value_reads_as_wanted(fake, headless) > 100
    calls = [int(m) for m in re.findall(r"\((\d+) calibration calls\)", console)]
    assert len(calls) == 1 and calls[0] < 150  # a few dozen per kind of value, not one per point


def _repeated(path, copies: int):
    """The project at ``path`` with its tracks repeated ``copies`` times (written beside it)."""
    from automix import rpp
    text = path.read_text(encoding="utf-8")
    start, end = text.index("\n  <TRACK"), text.rindex("\n>")
    tracks = [rpp.dumps(t) for t in rpp.load(path).root.findall("TRACK")]
    out = path.with_name(f"repeated-{copies}.rpp")
    out.write_text(text[:start + 1] + "".join(tracks * copies) + text[end + 1:], encoding="utf-8")
    return out


@pytest.mark.parametrize("mapping", ["the formulas", "volume points as raw fader values",
                                     "band gains as normalised values"])
def test_calibration_calls_do_not_grow_with_the_number_of_tracks(song, version, mapping):  # noqa: F811
    path, chunks = song
    runs = {}
    for copies in (1, 6):
        wanted = {k: chunks[k % 2] for k in range(2 * copies)}
        fake = _fake(_repeated(path, copies), **MAPPINGS[mapping])
        outcome, writer = _write(fake, wanted)
        assert outcome.ok, outcome.summary
        assert _assert_every_value_reads_as_wanted(fake, wanted) > 0
        runs[copies] = writer
    assert runs[6].calibrator.calls == runs[1].calibrator.calls > 0
    assert runs[6].calibrator.corrected == 6 * runs[1].calibrator.corrected
    assert runs[6].readings == 6 * runs[1].readings


def test_running_the_auto_mix_twice_on_a_misreading_reaper_replaces_never_stacks(demo_and_headless, version):
    demo, bank, headless = demo_and_headless
    fake = _fake(demo, volume_chunk_domain="raw", reaeq_state_gain_scale=2.0)
    assert run_action(auto_mix_project, fake, models_dir=bank).ok
    first = fake.chunks()
    outcome = run_action(auto_mix_project, fake, models_dir=bank)
    assert outcome.ok, outcome.summary
    assert fake.chunks() == first and fake.undo_history == [AUTO_MIX_TITLE] * 2
    for text in fake.chunks():
        assert text.count("<VOLENV2") == 1 and text.count("<PANENV2") == 1 and text.count("automix EQ") <= 1
    assert _assert_every_value_reads_as_wanted(fake, headless) > 100
