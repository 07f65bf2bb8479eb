"""Writing new REAPER projects: REAPER 7 layout, reproducible GUIDs, regions, errors, re-parsing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from automix.errors import ProjectEditError, ProjectWriteError
from automix.project.writer import (
    ItemSpec,
    ProjectSpec,
    RegionSpec,
    TrackSpec,
    format_number,
    project_text,
    quote_token,
    seeded_guid,
    track_guid,
    write_project,
)

GUID = re.compile(r"^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$")


def _spec(seed: int = 3, **changes) -> ProjectSpec:
    tracks = (
        TrackSpec("Kick", (ItemSpec(0.0, 12.5, "media/kick.wav"),)),
        TrackSpec("Lead Vocal", (ItemSpec(2.0, 4.25, "media/lead vocal.wav", name="Lead take"),
                                 ItemSpec(7.5, 3.0, "media/lead vocal.wav", source_offset_s=5.5))),
        TrackSpec("Empty folder-less", ()),
    )
    regions = (RegionSpec("Intro", 0.0, 4.0), RegionSpec("Verse 1", 4.0, 8.333333333333334),
               RegionSpec("Chorus", 8.333333333333334, 12.5))
    values = dict(tracks=tracks, regions=regions, sample_rate=48000, tempo_bpm=97.5,
                  notes=("genre: rock", "second line"), seed=seed)
    values.update(changes)
    return ProjectSpec(**values)


def test_header_and_project_settings():
    lines = project_text(_spec()).split("\n")
    assert lines[0] == '<REAPER_PROJECT 0.1 "7.18/linux-x86_64" 1735689600'
    assert lines[1:5] == ["  <NOTES 0 2", "    |genre: rock", "    |second line", "  >"]
    assert "  SAMPLERATE 48000 1 0" in lines
    assert "  TEMPO 97.5 4 4" in lines
    assert "  PANLAW 1" in lines and "  PANMODE 3" in lines
    assert lines[-2] == ">" and lines[-1] == ""


def test_same_spec_same_bytes_other_seed_other_guids():
    assert project_text(_spec()) == project_text(_spec())
    a, b = project_text(_spec(seed=3)), project_text(_spec(seed=4))
    guids_a = set(re.findall(r"\{[0-9A-F-]{36}\}", a))
    guids_b = set(re.findall(r"\{[0-9A-F-]{36}\}", b))
    assert guids_a and not guids_a & guids_b


def test_guids_are_well_formed_and_unique():
    text = project_text(_spec())
    guids = re.findall(r"\{[^}]*\}", text)
    assert all(GUID.match(g) for g in guids)
    track_lines = [l for l in text.split("\n") if l.startswith("  <TRACK ")]
    trackids = [l.split()[1] for l in text.split("\n") if l.strip().startswith("TRACKID")]
    assert [l.split()[1] for l in track_lines] == trackids  # <TRACK {g}> and TRACKID agree
    assert trackids[1] == track_guid(3, 1, "Lead Vocal") and trackids[1] != seeded_guid(3, "Lead Vocal")
    others = [g for g in guids if g not in trackids]
    assert len(set(others)) == len(others)


def test_regions_use_the_reaper7_marker_lines_sorted_by_position():
    markers = [l.strip() for l in project_text(_spec()).split("\n") if l.strip().startswith("MARKER")]
    assert len(markers) == 6
    assert re.match(r'^MARKER 1 0 Intro 1 0 1 R \{[0-9A-F-]{36}\} 0$', markers[0])
    assert markers[1] == 'MARKER 1 4 "" 1'
    assert re.match(r'^MARKER 2 4 "Verse 1" 1 0 1 R \{[0-9A-F-]{36}\} 0$', markers[2])
    assert markers[3] == 'MARKER 2 8.333333333333334 "" 1'
    assert markers[4].startswith("MARKER 3 8.333333333333334 Chorus 1 0 1 R ")
    positions = [float(m.split()[2]) for m in markers]
    assert positions == sorted(positions)


def test_items_and_sources():
    text = project_text(_spec())
    assert text.count("    <ITEM") == 3
    assert '        FILE "media/lead vocal.wav"' in text
    assert "        FILE media/kick.wav" in text
    assert "      NAME \"Lead take\"" in text
    assert "      SOFFS 5.5" in text and "      LENGTH 4.25" in text and "      POSITION 7.5" in text
    iids = [int(l.split()[1]) for l in text.split("\n") if l.strip().startswith("IID ")]
    assert iids == [1, 2, 3]


@pytest.mark.parametrize("value, text", [(1.0, "1"), (0.5, "0.5"), (-0.0, "0"), (120, "120"),
                                         (8.333333333333334, "8.333333333333334"), (1e-05, "0.00001")])
def test_format_number(value, text):
    assert format_number(value) == text


def test_format_number_refuses_non_finite():
    with pytest.raises(ProjectEditError, match="nan"):
        format_number(float("nan"))


@pytest.mark.parametrize("value, text", [("Kick", "Kick"), ("Lead Vocal", '"Lead Vocal"'), ("", '""'),
                                         ('say "hi"', "'say \"hi\"'"), ("'q", '"\'q"'),
                                         ("it's \"x\"", "`it's \"x\"`")])
def test_quote_token(value, text):
    assert quote_token(value) == text


def test_quote_token_refuses_all_three_quotes():
    with pytest.raises(ProjectEditError, match="`"):
        quote_token("a\"b'c`d")


def test_bad_region_names_the_region():
    spec = _spec(regions=(RegionSpec("Bridge", 5.0, 5.0),))
    with pytest.raises(ProjectEditError, match=r"region 'Bridge'.*5\.0"):
        project_text(spec)


def test_bad_item_names_the_track():
    spec = _spec(tracks=(TrackSpec("Bass", (ItemSpec(1.0, 0.0, "b.wav"),)),))
    with pytest.raises(ProjectEditError, match=r"track 'Bass'.*0\.0"):
        project_text(spec)


def test_bad_volume_names_the_track():
    with pytest.raises(ProjectEditError, match=r"track 'Gtr'.*5\.0"):
        project_text(_spec(tracks=(TrackSpec("Gtr", (), volume_amp=5.0),)))


def test_notes_line_breaks_are_refused():
    with pytest.raises(ProjectEditError, match="line break"):
        project_text(_spec(notes=("genre: rock\nx",)))


def test_write_project_is_atomic_and_reports_unwritable_targets(tmp_path):
    path = write_project(tmp_path / "sub" / "song.rpp", _spec())
    assert path.read_text(encoding="utf-8") == project_text(_spec())
    assert sorted(p.name for p in path.parent.iterdir()) == ["song.rpp"]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ProjectWriteError, match="file"):
        write_project(blocker / "song.rpp", _spec())


def test_lossless_parser_reads_back_the_same_text():
    rpp = pytest.importorskip("automix.rpp")
    text = project_text(_spec())
    assert rpp.dumps(rpp.loads(text)) == text


def test_project_reader_models_the_written_project(tmp_path):
    reader = pytest.importorskip("automix.project.reader")
    media = tmp_path / "media"
    media.mkdir()
    (media / "kick.wav").write_bytes(b"")
    path = write_project(tmp_path / "song.rpp", _spec())
    project = reader.read_project(path)
    assert project.sample_rate == 48000 and project.tempo_bpm == pytest.approx(97.5)
    assert project.genre == "rock"
    assert project.reaper_version == "7.18/linux-x86_64"
    assert [t.name for t in project.tracks] == ["Kick", "Lead Vocal", "Empty folder-less"]
    assert [t.guid for t in project.tracks] == [track_guid(3, i, t.name) for i, t in enumerate(_spec().tracks)]
    assert [(r.name, r.start_s, r.end_s) for r in project.regions] == [
        ("Intro", 0.0, 4.0), ("Verse 1", 4.0, pytest.approx(8.333333333333334)),
        ("Chorus", pytest.approx(8.333333333333334), 12.5)]
    kick_item = project.tracks[0].items[0]
    assert kick_item.position_s == 0.0 and kick_item.length_s == 12.5
    assert kick_item.active_take.source.kind == "WAVE" and kick_item.active_take.source.exists
    vox = project.tracks[1].items
    assert [it.position_s for it in vox] == [2.0, 7.5]
    assert vox[1].active_take.source_offset_s == 5.5
    assert not vox[0].active_take.source.exists
    assert Path(vox[0].active_take.source.path).name == "lead vocal.wav"
