"""The project model read from generated and real projects."""

from __future__ import annotations

from pathlib import Path

import pytest
from rpp_factory import (
    FactoryItem,
    FactoryTake,
    FactoryTrack,
    project_text,
    write_project,
    write_wav,
)

from automix import rpp
from automix.errors import ProjectParseError
from automix.project.reader import (
    project_from_document,
    read_project,
    resolve_media_path,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "rpp-corpus"

REGIONS = [(1, "Intro", 0.0, 4.0), (2, "Verse 1", 4.0, 12.5), (3, "Chorus", 12.5, 20.0)]


@pytest.mark.parametrize("marker_format", ["5", "6", "7"])
def test_regions_in_every_marker_format(tmp_path: Path, marker_format: str) -> None:
    path = write_project(tmp_path / "song.rpp", [FactoryTrack("Kick")], regions=REGIONS,
                         markers=[(1, "Drop", 13.0)], marker_format=marker_format)
    project = read_project(path)
    assert [(r.number, r.name, r.start_s, r.end_s) for r in project.regions] == REGIONS
    assert [(m.number, m.name, m.position_s) for m in project.markers] == [(1, "Drop", 13.0)]
    text = path.read_text()
    first_line = text.splitlines().index(next(l for l in text.splitlines() if l.startswith("  MARKER 1 0 ")))
    assert project.regions[0].line == first_line + 1


def test_region_without_end_line_reports_the_line(tmp_path: Path) -> None:
    text = project_text([FactoryTrack("A")], regions=[(4, "Bridge", 1.0, 2.0)]).replace('  MARKER 4 2 "" 1\n', "")
    (tmp_path / "p.rpp").write_text(text)
    with pytest.raises(ProjectParseError, match="region 4") as info:
        read_project(tmp_path / "p.rpp")
    assert info.value.line == text.splitlines().index(next(l for l in text.splitlines() if "Bridge" in l)) + 1


def test_tracks_items_takes_and_sources(tmp_path: Path) -> None:
    write_wav(tmp_path / "Media" / "kick.wav")
    write_wav(tmp_path / "abs" / "gtr.wav")
    absolute = str(tmp_path / "abs" / "gtr.wav")
    tracks = [
        FactoryTrack("Drums", isbus=(1, 1)),
        FactoryTrack("Kick", volume_amp=0.5, pan=-0.3, muted=True,
                     items=[FactoryItem(1.0, 2.0, "Media\\kick.wav", volume_amp=0.8, fade_in_s=0.05)]),
        FactoryTrack("Snare", isbus=(2, -1), soloed=True,
                     items=[FactoryItem(0.0, 1.0, "Media/missing.wav", muted=True)]),
        FactoryTrack("Gtr", items=[
            FactoryItem(2.0, 3.0, absolute, section=(0.5, 1.5)),
            FactoryItem(5.0, 1.0, takes=[FactoryTake("Media/kick.wav", volume_amp=-0.5, pan=0.25),
                                         FactoryTake(absolute, name="t2", volume_amp=0.7, pan=-0.5,
                                                     source_offset_s=0.125, play_rate=1.5)], active=1),
            FactoryItem(7.0, 1.0, takes=[FactoryTake("C:\\Users\\me\\song\\x.flac", kind="FLAC", section=(1, 2),
                                                     reverse=True)]),
        ]),
        FactoryTrack("Synth", items=[FactoryItem(0.0, 4.0, kind="MIDI")]),
    ]
    project = read_project(write_project(tmp_path / "song.rpp", tracks, sample_rate=48000, tempo_bpm=96.5,
                                         notes="my song\ngenre: Indie Rock"))
    assert project.sample_rate == 48000 and project.tempo_bpm == 96.5
    assert project.genre == "Indie Rock" and project.notes == "my song\ngenre: Indie Rock"
    assert project.reaper_version == "7.18/win64"
    drums, kick, snare, gtr, synth = project.tracks
    assert (drums.is_folder, kick.parent_index, snare.parent_index, gtr.parent_index) == (True, 0, 0, None)
    assert (kick.volume_amp, kick.pan, kick.muted, kick.soloed) == (0.5, -0.3, True, False)
    assert snare.soloed and not snare.muted
    item = kick.items[0]
    assert (item.position_s, item.length_s, item.end_s, item.gain_amp) == (1.0, 2.0, 3.0, 0.8)
    assert item.fade_in.length_s == 0.05 and item.fade_in.shape == 1
    src = item.active_take.source
    assert src.kind == "WAVE" and src.exists and src.path == tmp_path / "Media" / "kick.wav"
    assert src.file_text == "Media\\kick.wav"
    missing = snare.items[0].active_take.source
    assert not missing.exists and missing.path == tmp_path / "Media" / "missing.wav"
    assert snare.items[0].muted and not snare.has_audio
    section = gtr.items[0].active_take.source
    assert section.kind == "WAVE" and section.exists and section.path == Path(absolute)
    assert (section.section_start_s, section.section_length_s, section.reversed) == (0.5, 1.5, False)
    multi = gtr.items[1]
    assert len(multi.takes) == 2 and multi.active_take_index == 1
    first, second = multi.takes
    assert first.polarity_inverted and first.gain_amp == 0.5 and first.pan == 0.25
    assert (second.name, second.gain_amp, second.pan, second.source_offset_s, second.play_rate) == \
        ("t2", 0.7, -0.5, 0.125, 1.5)
    win = gtr.items[2].active_take.source
    assert win.kind == "FLAC" and not win.exists and win.reversed and win.file_text.startswith("C:\\")
    assert synth.items[0].active_take.source.kind == "MIDI" and not synth.has_audio
    assert [t.name for t in project.audio_tracks] == ["Kick", "Gtr"]


def test_windows_absolute_path_falls_back_to_file_beside_project(tmp_path: Path) -> None:
    write_wav(tmp_path / "vox.wav")
    path = write_project(tmp_path / "p.rpp", [FactoryTrack("Vox", items=[FactoryItem(0, 1, "D:\\old\\vox.wav")])])
    src = read_project(path).tracks[0].items[0].active_take.source
    assert src.exists and src.path == tmp_path / "vox.wav"


@pytest.mark.parametrize("text, folder, expected", [
    ("a\\b.wav", "/p", "/p/a/b.wav"), ("a/b.wav", "/p", "/p/a/b.wav"), ("/abs/x.wav", "/p", "/abs/x.wav"),
    ("C:\\x\\y.wav", "/p", "C:/x/y.wav"),
])
def test_resolve_media_path(text: str, folder: str, expected: str) -> None:
    assert resolve_media_path(text, Path(folder)).as_posix() == expected


def test_bad_number_names_file_line_and_track(tmp_path: Path) -> None:
    text = project_text([FactoryTrack("Bass", items=[FactoryItem(1.0, 2.0, "b.wav")])])
    text = text.replace("POSITION 1\n", "POSITION one\n")
    (tmp_path / "p.rpp").write_text(text)
    with pytest.raises(ProjectParseError) as info:
        read_project(tmp_path / "p.rpp")
    line = text.splitlines().index("      POSITION one") + 1
    assert info.value.line == line and info.value.track == "Bass" and "'one'" in str(info.value)


def test_tool_written_two_properties_on_one_line() -> None:
    text = project_text([FactoryTrack("T", items=[FactoryItem(7.5, 2.0, "x.wav")])])
    text = text.replace("      POSITION 7.5\n      SNAPOFFS 0\n", "          POSITION 7.5          SNAPOFFS 0.25\n")
    project = project_from_document(rpp.loads(text), None, Path("/nonexistent"))
    item = project.tracks[0].items[0]
    assert (item.position_s, item.snap_offset_s) == (7.5, 0.25)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/rpp-corpus not present (fresh clone)")
def test_real_projects_facts() -> None:
    sonic = read_project(CORPUS / "uselesskcid__EGL314-Project-S.O.N.I.C-Team-C-__MVP_314MAINREAPER_POC_FINAL.rpp")
    assert sonic.sample_rate == 48000 and len(sonic.markers) == 65
    sections = [it.active_take.source for t in sonic.tracks for it in t.items
                if it.active_take and it.active_take.source.section_length_s > 0]
    assert sections and all(s.kind == "WAVE" and s.file_text for s in sections)
    test_track = read_project(CORPUS / "exvertus__reaper-projects__test_track.rpp")
    assert [r.name for r in test_track.regions] == ["Pickup", "A Loop", "A2 Loop", "B Loop", "Fadeout"]
    assert all(r.end_s > r.start_s for r in test_track.regions)
    tricky = read_project(CORPUS / "CharlesHolbrow__rppp__tricky-strings.rpp")
    names = [t.name for t in tricky.tracks]
    assert names[1:4] == ['"', '""', '"""'] and "'''```\"\"\"" in names and "<HELLO world >" in names
    tool = read_project(CORPUS / "edge-cases" / "kpodsiadlo__session_creator__test_TOOLGENERATED.rpp")
    assert [round(i.position_s, 6) for i in tool.tracks[0].items[:3]] == [1.0, 12.221973, 26.757619]
    vst = read_project(CORPUS / "Perlence__rpp__vst.rpp")
    assert len(vst.regions) == 1 and len(vst.markers) == 1
    eq = read_project(CORPUS / "KristjanKruusRIA__rpp-editor__test2.rpp")
    track = eq.tracks[0]
    assert set(track.envelopes) >= {"VOLENV2", "PANENV2"} and track.envelopes["VOLENV2"].points
    temp = read_project(CORPUS / "Ultraschall__ultraschall-lua-api-for-reaper__tempproject.rpp")
    fx = temp.tracks[0].fx
    assert [f.is_reaeq for f in fx].count(True) == 1 and not any(f.is_automix for f in fx)
    assert any(f.kind == "JS" and f.bypassed for f in fx)
