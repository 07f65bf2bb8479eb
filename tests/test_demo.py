"""The demo project: files, 24-bit media, uneven recording levels, the truth file, CLI, re-parsing."""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pytest
import soundfile as sf

from automix import cli
from automix.demo.project import (
    MAX_RECORDING_OFFSET_DB,
    NOISE_FLOOR_DBFS,
    PEAK_LIMIT_DBFS,
    DemoTruth,
    balance_errors_db,
    load_truth,
    pan_errors,
    plan_values,
    write_demo,
)
from automix.errors import AutomixError

SR = 16000
DURATION_S = 12.0
TRACKS = ["Kick", "Snare", "Hi-Hat", "Toms", "Overheads", "Bass", "Electric Guitar 1", "Electric Guitar 2",
          "Acoustic Guitar", "Lead Vocal", "Backing Vocal"]
REGIONS = ["Intro", "Verse 1", "Chorus 1", "Verse 2", "Chorus 2", "Outro"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return write_demo(tmp_path_factory.mktemp("demo"), seed=5, duration_s=DURATION_S, sample_rate=SR)


def _digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_writes_project_media_and_truth(demo):
    folder = demo.project_path.parent
    assert demo.project_path.name == "demo.rpp" and demo.truth_path.name == "demo_truth.json"
    assert len(demo.media_paths) == len(TRACKS)
    assert all(p.parent == folder / "media" and p.suffix == ".wav" for p in demo.media_paths)
    assert [t.name for t in demo.truth.tracks] == TRACKS
    assert [r.name for r in demo.truth.regions] == REGIONS
    assert demo.truth.genre == "rock" and demo.truth.sample_rate == SR
    assert "    |genre: rock" in demo.project_path.read_text(encoding="utf-8").split("\n")


def test_media_is_24_bit_and_does_not_clip(demo):
    for path, track in zip(demo.media_paths, demo.truth.tracks):
        info = sf.info(str(path))
        assert info.subtype == "PCM_24" and info.samplerate == SR
        assert info.frames == int(DURATION_S * SR)
        assert info.channels == (2 if track.name == "Overheads" else 1) == track.channels
        audio, _ = sf.read(str(path))
        assert 20 * math.log10(np.max(np.abs(audio))) <= PEAK_LIMIT_DBFS + 0.01


def test_recording_levels_are_deliberately_uneven(demo):
    offsets = np.array([t.recording_offset_db for t in demo.truth.tracks])
    assert np.all(np.abs(offsets) <= MAX_RECORDING_OFFSET_DB + 1e-9)
    assert offsets.max() - offsets.min() >= 20.0
    assert np.max(np.abs(offsets)) >= 12.0
    # Leaving every fader at 0 dB is far from the intended balance …
    unmixed = balance_errors_db(demo.truth, {(r.name, e.name): 0.0 for r in demo.truth.regions for e in r.tracks})
    assert max(abs(v) for v in unmixed.values()) >= 10.0
    # … the truth's gains hit it exactly, and one track off by 3 dB shows up as about 3 dB.
    exact = {(r.name, e.name): e.gain_db for r in demo.truth.regions for e in r.tracks}
    assert max(abs(v) for v in balance_errors_db(demo.truth, exact).values()) < 1e-9
    nudged = {**exact, ("Chorus 1", "Bass"): exact[("Chorus 1", "Bass")] + 3.0}
    assert balance_errors_db(demo.truth, nudged)[("Chorus 1", "Bass")] == pytest.approx(3.0, abs=0.5)


def test_a_plan_equal_to_the_truth_scores_zero(demo):
    plan = pytest.importorskip("automix.plan.model")
    regions = tuple(plan.RegionPlan(r.name, r.section, r.start_s, r.end_s, tuple(
        plan.TrackPlan(e.guid, e.name, e.type, e.gain_db - 20.0, e.pan) for e in r.tracks))
        for r in demo.truth.regions)
    mix_plan = plan.MixPlan(genre="rock", model="truth", regions=regions)
    errors = balance_errors_db(demo.truth, plan_values(mix_plan, "gain_db"))
    assert max(abs(v) for v in errors.values()) < 1e-9  # a common offset is not an error
    pans = pan_errors(demo.truth, plan_values(mix_plan, "pan"))
    assert max(abs(v) for v in pans.values()) == 0.0
    off = {**plan_values(mix_plan, "pan"), ("Verse 1", "Bass"): 0.5}
    assert pan_errors(demo.truth, off)[("Verse 1", "Bass")] == 0.5
    with pytest.raises(AutomixError, match="track 'Kick'"):
        pan_errors(demo.truth, {})


def test_balance_errors_need_every_active_track(demo):
    with pytest.raises(AutomixError, match="region 'Intro'"):
        balance_errors_db(demo.truth, {})


def test_truth_gains_turn_the_recordings_into_the_intended_levels(demo):
    """Recorded RMS in a region + truth gain = the intended mix level stated in the truth (±0.05 dB)."""
    audio = {t.name: sf.read(str(p))[0] for t, p in zip(demo.truth.tracks, demo.media_paths)}
    for region in demo.truth.regions:
        window = slice(int(round(region.start_s * SR)), int(round(region.end_s * SR)))
        for entry in region.tracks:
            if not entry.active and entry.mix_level_dbfs is not None:
                continue
            rms = float(np.sqrt(np.mean(np.square(audio[entry.name][window]))))
            if entry.mix_level_dbfs is None:  # the part is silent here: only the preamp noise is recorded
                assert 20 * math.log10(rms) == pytest.approx(NOISE_FLOOR_DBFS, abs=0.5)
                continue
            assert 20 * math.log10(rms) + entry.gain_db == pytest.approx(entry.mix_level_dbfs, abs=0.05), \
                (region.name, entry.name)


def test_intended_balance_changes_per_section(demo):
    by_region = {r.name: {e.name: e for e in r.tracks} for r in demo.truth.regions}
    gtr_verse = by_region["Verse 1"]["Electric Guitar 1"].gain_db
    gtr_chorus = by_region["Chorus 1"]["Electric Guitar 1"].gain_db
    assert gtr_chorus - gtr_verse == pytest.approx(4.0, abs=1e-3)
    assert not by_region["Intro"]["Lead Vocal"].active and by_region["Verse 1"]["Lead Vocal"].active
    assert by_region["Intro"]["Lead Vocal"].mix_level_dbfs is None  # silent, not -inf in JSON
    pans = {e.name: e.pan for e in demo.truth.regions[0].tracks}
    assert pans["Electric Guitar 1"] < 0 < pans["Electric Guitar 2"] and pans["Kick"] == 0.0


def test_truth_file_round_trips_and_rejects_bad_versions(demo, tmp_path):
    text = demo.truth_path.read_text(encoding="utf-8")
    loaded = load_truth(demo.truth_path)
    assert loaded.to_json() == text
    assert [t.guid for t in loaded.tracks] == [t.guid for t in demo.truth.tracks]
    data = json.loads(text)
    data["version"] = 99
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(AutomixError, match=r"bad\.json.*99"):
        load_truth(bad)
    bad.write_text("{not json")
    with pytest.raises(AutomixError, match=r"bad\.json: malformed"):
        load_truth(bad)
    assert isinstance(DemoTruth.from_json(text), DemoTruth)


def test_byte_reproducible(tmp_path):
    a = write_demo(tmp_path / "a", seed=9, duration_s=10.0, sample_rate=SR)
    b = write_demo(tmp_path / "b", seed=9, duration_s=10.0, sample_rate=SR)
    assert _digest(a.project_path.parent) == _digest(b.project_path.parent)
    assert len(_digest(a.project_path.parent)) == 2 + len(TRACKS)


def test_project_parses_into_the_expected_tracks_and_regions(demo):
    reader = pytest.importorskip("automix.project.reader")
    project = reader.read_project(demo.project_path)
    assert project.genre == "rock" and project.sample_rate == SR
    assert project.tempo_bpm == pytest.approx(demo.truth.tempo_bpm)
    assert [t.name for t in project.audio_tracks] == TRACKS
    assert [t.guid for t in project.tracks] == [t.guid for t in demo.truth.tracks]
    assert [(r.name, r.start_s, r.end_s) for r in project.regions] == [
        (r.name, pytest.approx(r.start_s), pytest.approx(r.end_s)) for r in demo.truth.regions]
    for track in project.tracks:
        (item,) = track.items
        assert item.position_s == 0.0 and item.length_s == pytest.approx(DURATION_S)
        assert item.active_take.source.exists and item.active_take.source.kind == "WAVE"
        assert track.volume_amp == 1.0 and track.pan == 0.0  # unmixed


def test_cli_demo_writes_and_reports(tmp_path, capsys):
    assert cli.main(["demo", str(tmp_path / "d"), "--seed", "2", "--duration", "10", "--sample-rate", "16000"]) == 0
    out = capsys.readouterr().out
    assert "demo.rpp" in out and "11 tracks, 6 regions" in out and "±15 dB" in out
    assert (tmp_path / "d" / "demo_truth.json").is_file()


def test_cli_demo_bad_input_exits_non_zero_with_the_value(tmp_path, capsys):
    assert cli.main(["demo", str(tmp_path / "x"), "--duration", "3"]) == 2
    assert "3.0" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert cli.main(["demo", str(blocker), "--duration", "10", "--sample-rate", "16000"]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert blocker.read_text() == "x"
