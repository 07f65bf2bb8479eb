"""The live backend on a fake REAPER: reading the open project, all-or-nothing writes, one undo block."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fake_reaper import (
    MAX_STRBUF,
    VERSIONS,
    FakeConnectionError,
    FakeReaper,
    reaper_layout,
    version_tuple,
)
from rpp_factory import FactoryItem, FactoryTrack, write_project, write_wav

from automix import rpp
from automix.errors import ReaperError
from automix.project.edit import parse_track_chunk, set_track_volume_pan
from automix.project.reader import read_project
from automix.reaper import adapter as reaper_live
from automix.reaper.adapter import ReaperApi
from automix.reaper.live_project import (
    changed_tracks,
    chunk_text_for_reaper,
    live_project_from_snapshot,
    live_project_text,
)
from automix.reaper.markers import read_markers
from automix.reaper.session import LiveTrack, run_undoable
from automix.reaper.snapshot import snapshot_from_json, snapshot_to_json, take_snapshot


def read_live_project(api):
    """The live project as the worker rebuilds it: snapshot inside REAPER → JSON → model."""
    snapshot, handles = take_snapshot(api)
    live = live_project_from_snapshot(snapshot_from_json(snapshot_to_json(snapshot)))
    live.handles = handles
    return live

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "rpp-corpus"
CORPUS_FILES = [
    "exvertus__reaper-projects__test_track.rpp",  # 6.x regions, FLAC items
    "Perlence__rpp__vst.rpp",  # 5.x region + markers, project notes
    "uselesskcid__EGL314-Project-S.O.N.I.C-Team-C-__314MAINREAPER_POC_FINAL.rpp",  # 7.x markers, 52 tracks
    "GriffinSauce__reaper-project-parser__with-external-files.rpp",  # CRLF, 19 tracks
    "CharlesHolbrow__rppp__tricky-strings.rpp",  # names with every quote character
    "ChrisPrunotto__ReaperResources__Film Template.rpp",  # 120 tracks, whitespace-only lines
]


@pytest.fixture(autouse=True, params=VERSIONS)
def version(request, monkeypatch) -> str:
    """Every test here runs against REAPER 6.x, 7.x before 7.62, and 7.62+ (the fake's default version)."""
    monkeypatch.setattr(FakeReaper, "default_version", request.param)
    return request.param


def _without_lines(value):
    """A dataclass tree as plain data, minus ``line`` fields (they count lines of different texts)."""
    if dataclasses.is_dataclass(value):
        return {f.name: _without_lines(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name != "line"}
    if isinstance(value, dict):
        return {k: _without_lines(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_lines(v) for v in value]
    return value


def _interleaved_project(tmp_path: Path, newline: str = "\n", marker_format: str = "7") -> Path:
    """Regions and markers that interleave and share numbers; notes with a genre line; 3 tracks."""
    for name in ("kick", "bass"):
        write_wav(tmp_path / "media" / f"{name}.wav", seconds=0.2)
    tracks = [FactoryTrack("Kick", [FactoryItem(0.0, 0.2, "media/kick.wav")], volume_amp=0.5, pan=-0.25),
              FactoryTrack("Bass 'DI' \"x\"", [FactoryItem(0.5, 0.2, "media\\bass.wav")]),
              FactoryTrack("Empty", [])]
    return write_project(tmp_path / "song.rpp", tracks,
                         regions=[(1, "Verse", 0.0, 8.0), (3, "Chorus 1", 8.0, 16.5), (2, "", 16.5, 20.0)],
                         markers=[(1, "hit", 4.0), (2, "Chorus 1", 8.0), (7, "end", 19.0)],
                         marker_format=marker_format, notes="genre: rock\nsecond line  ", newline=newline)


# ---------------------------------------------------------------- import

def test_importing_automix_touches_neither_reapy_nor_reaper():
    code = ("import sys, automix, automix.reaper.adapter, automix.reaper.session, automix.reaper.actions, "
            "automix.reaper.worker\n"
            "print(sorted(k for k in sys.modules if k.startswith(('reapy', 'reaper_python'))))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]" and done.stderr == ""


def test_connect_without_reaper_is_a_clear_error():
    pytest.importorskip("reapy")
    with pytest.raises(ReaperError, match="REAPER is not running"):
        reaper_live.connect()


# ---------------------------------------------------------------- the adapter

INTERLEAVED = [(1, True, 0.0, 8.0, "Verse"), (1, False, 4.0, 4.0, "hit"), (3, True, 8.0, 16.5, "Chorus 1"),
               (2, False, 8.0, 8.0, "Chorus 1"), (2, True, 16.5, 20.0, ""), (7, False, 19.0, 19.0, "end")]


@pytest.mark.parametrize("route", ["inside REAPER", "no function table"])
def test_markers_and_regions_keep_their_names_on_every_reaper(tmp_path, version, route):
    fake = FakeReaper(_interleaved_project(tmp_path, marker_format="5"), version=version)
    fake.native_table = route == "inside REAPER"
    api = ReaperApi(fake)
    found = read_markers(api, fake.project_path)
    assert [(m.number, m.is_region, m.start_s, m.end_s, m.name) for m in found] == INTERLEAVED
    assert [m.enum_index for m in found] == list(range(6))
    if version_tuple(version) >= (7, 62):  # one enumeration, no EnumProjectMarkers3
        assert fake.count("GetNumRegionsOrMarkers") == 1 and fake.count("EnumProjectMarkers3") == 0
        assert fake.count("GetSetRegionOrMarkerInfo_String") == 6
    else:
        assert fake.count("EnumProjectMarkers3") == 7  # six entries, then the 0 that ends the enumeration
        assert fake.count("EnumProjectMarkers3 (native)") == (6 if route == "inside REAPER" else 0)


def test_before_762_without_names_a_region_is_never_left_unnamed(tmp_path, version):
    if version_tuple(version) >= (7, 62):
        pytest.skip("REAPER 7.62 and later report region names (GetSetRegionOrMarkerInfo_String)")
    fake = FakeReaper(_interleaved_project(tmp_path), version=version)
    fake.native_table = False  # e.g. reapy's distant API: no function table
    api = ReaperApi(fake)
    with pytest.raises(ReaperError, match=rf"REAPER {re.escape(version)}/\S* does not give region names.*never saved, "
                                          r"so region 1 at 0 s has no name"):
        read_markers(api, None)
    fake._markers[2].start_s = 9.0  # moved since the last save: the file cannot name it
    with pytest.raises(ReaperError, match=r"song.rpp: .*region 3 at 9 s is not in the saved project: save"):
        read_markers(api, fake.project_path)


def test_region_names_come_back_in_full_utf8(tmp_path):
    path = write_project(tmp_path / "u.rpp", [FactoryTrack("Gtr", [])],
                         regions=[(1, "Refrain Ü — 副歌", 0.0, 4.0)], marker_format="7")
    fake = FakeReaper(path)
    (marker,) = read_markers(ReaperApi(fake), None)
    assert marker.name == "Refrain Ü — 副歌"
    assert fake.count("EnumProjectMarkers3 (native)") == (0 if version_tuple(fake.app_version) >= (7, 62) else 1)


def test_project_facts_follow_reapers_return_conventions(tmp_path, version):
    path = _interleaved_project(tmp_path)
    fake = FakeReaper(path, cursor_s=9.5, time_selection=(2.0, 3.5))
    api = ReaperApi(fake)
    assert api.project_file() == path.resolve()
    assert api.sample_rate_hz() == 44100 and api.tempo_bpm() == 120.0
    assert api.app_version() == f"{version}/win64"  # the platform comes from the project header
    assert api.notes() == "genre: rock\nsecond line  "
    assert api.cursor_s() == 9.5
    sel = api.time_selection()
    assert (sel.start_s, sel.end_s, sel.is_empty) == (2.0, 3.5, False)
    assert api.track_count() == 3
    assert api.track_chunk(api.track(1)).startswith("<TRACK {")
    with pytest.raises(ReaperError, match="no track 4"):
        api.track(3)
    api.set_ext_state("automix", "k", "v1")
    assert api.ext_state("automix", "k") == "v1" and api.ext_state("automix", "other") == ""


def _big_chunk(n_bytes: int, tail: str = "") -> str:
    """A track chunk of ``n_bytes`` UTF-8 bytes (envelope points) ending with ``tail`` before the closing lines."""
    head, end = "<TRACK {0D0A}\n  NAME \"Big Ü\"\n  <VOLENV2\n", "  >\n>\n"
    room = n_bytes - len((head + end + tail).encode("utf-8"))
    point = "    PT 1.5 1 0\n"
    body = point * (room // len(point))
    body += " " * (room - len(body))
    return head + body + tail + end


def test_a_chunk_of_4_mib_or_more_is_reported_after_one_call(tmp_path, version):
    fake = FakeReaper(_interleaved_project(tmp_path), version=version)
    fake._tracks[0][1] = _big_chunk(6 * MAX_STRBUF // 4)  # 6 MiB: never ask for more than 4 MiB
    api = ReaperApi(fake)
    with pytest.raises(ReaperError, match=r"the state chunk of track 1 \('Big Ü'\): 4 MiB or more, more than REAPER's "
                                          r"Python bindings can return; .*save the project and mix the file with "
                                          r"'automix mix'"):
        api.track_chunk(api.track(0), 0)
    assert [args[2] for name, args in fake.calls if name == "GetTrackStateChunk"] == [MAX_STRBUF]


def test_chunk_length_is_compared_in_utf8_bytes(tmp_path, version):
    fake = FakeReaper(_interleaved_project(tmp_path), version=version)
    api = ReaperApi(fake)
    # under 4 MiB in characters, over it in bytes: REAPER cuts it, and that is "too large", never a short chunk
    wide = _big_chunk(MAX_STRBUF + 100_000, tail="    |" + "Ü" * 150_000 + "\n")
    assert len(wide) < MAX_STRBUF - 1 <= len(wide.encode("utf-8"))
    fake._tracks[0][1] = wide
    with pytest.raises(ReaperError, match=": 4 MiB or more"):
        api.track_chunk(api.track(0), 0)
    # cut inside a two-byte character: the bindings' strict decode fails; still "too large", no UnicodeDecodeError
    ascii_part = "<TRACK\n  NAME x\n  |" + "a" * (MAX_STRBUF - 2 - len("<TRACK\n  NAME x\n  |"))
    fake._tracks[0][1] = ascii_part + "Ü\n>\n"
    with pytest.raises(ReaperError, match=r": 4 MiB or more \(REAPER cut it inside a character\)"):
        api.track_chunk(api.track(0), 0)
    # 3 MiB of multi-byte text fits: returned whole
    fits = _big_chunk(3 * MAX_STRBUF // 4, tail="    |" + "Ü" * 1000 + "\n")
    fake._tracks[0][1] = fits
    assert api.track_chunk(api.track(0), 0) == fits
    assert {args[2] for name, args in fake.calls if name == "GetTrackStateChunk"} == {MAX_STRBUF}


def test_notes_of_4_mib_or_more_are_reported_after_one_call(tmp_path):
    fake = FakeReaper(_interleaved_project(tmp_path))
    fake.notes = "genre: rock\n" + "Ü" * (MAX_STRBUF // 2)  # 2 Mi characters, 4 MiB + 12 bytes
    with pytest.raises(ReaperError, match=r"^the project notes: 4 MiB or more"):
        ReaperApi(fake).notes()
    assert [args[3] for name, args in fake.calls if name == "GetSetProjectNotes"] == [MAX_STRBUF]
    fake.notes = "genre: rock\n" + "Ü" * 1000
    assert ReaperApi(fake).notes() == fake.notes


def test_api_failures_become_reaper_errors(tmp_path):
    fake = FakeReaper(_interleaved_project(tmp_path))
    api = ReaperApi(fake)
    with pytest.raises(ReaperError, match="GetMediaSourceFileName is not available"):
        api.call("GetMediaSourceFileName", None, "", 10)
    fake.fail_at("CountTracks", 1, mode="raise")
    with pytest.raises(ReaperError, match="REAPER call CountTracks failed: FakeConnectionError"):
        api.track_count()
    with pytest.raises(ReaperError, match="refused the new state chunk"):
        api.set_track_chunk(api.track(0), "<ITEM\n>\n")  # not a track chunk: REAPER says False
    assert fake.chunks() == fake.original_chunks


# ---------------------------------------------------------------- reading = the .rpp reader

@pytest.mark.parametrize("newline,marker_format", [("\n", "7"), ("\r\n", "5"), ("\n", "6")])
def test_live_model_equals_the_file_model_on_generated_projects(tmp_path, newline, marker_format):
    path = _interleaved_project(tmp_path, newline, marker_format)
    fake = FakeReaper(path)
    live = read_live_project(ReaperApi(fake))
    headless = read_project(path.resolve())
    assert live.project.reaper_version == fake.app_version  # the running REAPER's, not the file's
    assert _without_lines(dataclasses.replace(live.project, reaper_version=headless.reaper_version)) == \
        _without_lines(headless)
    assert live.project.genre == "rock" and len(live.project.regions) == 3 and len(live.project.markers) == 3
    assert live.project.tracks[1].items[0].takes[0].source.exists  # media resolved against the project folder


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_live_model_equals_the_file_model_on_real_projects(name):
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"real projects not available ({path} missing: ../shared is not beside the checkout)")
    fake = FakeReaper(path)
    live = read_live_project(ReaperApi(fake))
    headless = read_project(path.resolve())
    assert live.project.reaper_version == fake.app_version  # the running REAPER's, not the file's
    assert _without_lines(dataclasses.replace(live.project, reaper_version=headless.reaper_version)) == \
        _without_lines(headless)
    assert len(live.snapshot.track_chunks) == len(headless.tracks) > 0


def test_live_project_text_is_a_project_the_reader_accepts():
    text = live_project_text(app_version="7.18/linux-x86_64", sample_rate_hz=48000, tempo_bpm=97.5,
                             notes="genre: jazz", markers=(), track_chunks=["<TRACK {A}\nNAME x\n>"])
    doc = rpp.loads(text)
    assert doc.root.args[1] == "7.18/linux-x86_64" and doc.root.get_values("SAMPLERATE")[0] == "48000"
    assert [c.args[0] for c in doc.root.findall("TRACK")] == ["{A}"]


def test_chunk_layout_matches_reapers():
    text = "  <TRACK {A}\r\n    NAME x\r\n    <FXCHAIN\r\n      |note  \r\n    >\r\n  >\r\n"
    laid = chunk_text_for_reaper(text)
    assert laid == "<TRACK {A}\n  NAME x\n  <FXCHAIN\n    |note  \n  >\n>\n"
    assert chunk_text_for_reaper(laid) == laid == reaper_layout(text)


# ---------------------------------------------------------------- writing: all or nothing, one undo block

def _quieten_every_track(live, tx) -> str:
    for chunk in live.track_chunks():
        set_track_volume_pan(chunk, volume_amp=0.25)
    changes = changed_tracks(live)
    for index, text in changes.items():
        tx.set_track_chunk(LiveTrack(index, live.handles.handles[index], live.snapshot.track_chunks[index]), text)
    return f"{len(changes)} tracks"


@pytest.mark.parametrize("mode", ["return_false", "raise"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_a_failure_at_the_kth_set_leaves_every_chunk_unchanged(tmp_path, k, mode):
    fake = FakeReaper(_interleaved_project(tmp_path))
    api = ReaperApi(fake)
    fake.fail_at("SetTrackStateChunk", k, mode)
    outcome = run_undoable(api, "automix: test", lambda tx: _quieten_every_track(read_live_project(api), tx))
    assert not outcome.ok and isinstance(outcome.error, ReaperError)
    assert fake.chunks() == fake.original_chunks
    assert fake.count("Undo_BeginBlock2") == 1 and fake.count("Undo_EndBlock2") == 1 and fake.undo_depth == 0
    assert fake.undo_history == ["automix: test (failed, nothing changed)"]
    assert len(fake.message_boxes) == 1
    message, title, kind = fake.message_boxes[0]
    assert "SetTrackStateChunk" in message or "refused" in message
    assert "Nothing was changed." in message and title == "automix: test" and kind == 0
    assert fake.ui_refresh_held == 0 and fake.count("PreventUIRefresh") == 2
    names = [name for name, _ in fake.calls]
    last_set = max(i for i, name in enumerate(names) if name == "SetTrackStateChunk")
    assert names.index("PreventUIRefresh") < names.index("SetTrackStateChunk")  # held before the first write …
    assert names[last_set + 1:].count("PreventUIRefresh") == 1  # … released after the rollback's last write
    assert names[last_set:].index("TrackList_AdjustWindows") < names[last_set:].index("UpdateArrange")
    assert [args for name, args in fake.calls if name == "TrackList_AdjustWindows"] == [(False,)]
    sets = [args for name, args in fake.calls if name == "SetTrackStateChunk"]
    assert len(sets) == 2 * k  # k tries (the k-th fails), then the same k tracks set back, newest first
    assert [text for _track, text, _undo in sets[k:]] == list(reversed(fake.original_chunks[:k]))


def test_success_writes_each_changed_track_once_in_one_undo_block(tmp_path):
    fake = FakeReaper(_interleaved_project(tmp_path))
    api = ReaperApi(fake)
    outcome = run_undoable(api, "automix: test", lambda tx: _quieten_every_track(read_live_project(api), tx))
    assert outcome.ok and outcome.summary == "3 tracks"
    assert fake.undo_history == ["automix: test"] and fake.message_boxes == []
    names = [name for name, _ in fake.calls]
    assert [args for name, args in fake.calls if name == "PreventUIRefresh"] == [(1,), (-1,)]
    writes = [i for i, name in enumerate(names) if name == "SetTrackStateChunk"]
    assert names.index("PreventUIRefresh") < writes[0] < writes[-1] < len(names) - 1 - names[::-1].index(
        "PreventUIRefresh") < names.index("TrackList_AdjustWindows") < names.index("UpdateArrange") < \
        names.index("Undo_EndBlock2")
    assert fake.count("SetTrackStateChunk") == 3
    for before, after in zip(fake.original_chunks, fake.chunks()):
        assert parse_track_chunk(after).get_values("VOLPAN")[0] == "0.25"
        assert [l for l in after.splitlines() if not l.strip().startswith("VOLPAN")] == \
               [l for l in before.splitlines() if not l.strip().startswith("VOLPAN")]


def test_an_unexpected_exception_is_shown_and_undone(tmp_path):
    fake = FakeReaper(_interleaved_project(tmp_path))
    api = ReaperApi(fake)

    def body(tx):
        _quieten_every_track(read_live_project(api), tx)
        raise ZeroDivisionError("boom")

    outcome = run_undoable(api, "automix: test", body)
    assert not outcome.ok and "internal error (ZeroDivisionError): boom" in outcome.summary
    assert fake.chunks() == fake.original_chunks and fake.undo_depth == 0
    assert any("Traceback" in line for line in fake.console)
    assert "boom" in fake.message_boxes[0][0]


def _redrawn_after_last_write(fake: FakeReaper) -> bool:
    names = [name for name, _ in fake.calls]
    last_set = max(i for i, name in enumerate(names) if name == "SetTrackStateChunk")
    tail = names[last_set:]
    return "TrackList_AdjustWindows" in tail and tail.index("TrackList_AdjustWindows") < tail.index("UpdateArrange")


def test_a_script_stopped_mid_write_takes_the_writes_back_and_releases_the_ui(tmp_path):
    fake = FakeReaper(_interleaved_project(tmp_path))
    api = ReaperApi(fake)

    def body(tx):
        _quieten_every_track(read_live_project(api), tx)
        raise KeyboardInterrupt  # REAPER stops the script (not an Exception: nothing may swallow it)

    with pytest.raises(KeyboardInterrupt):
        run_undoable(api, "automix: test", body)
    assert fake.chunks() == fake.original_chunks and fake.ui_refresh_held == 0 and fake.undo_depth == 0
    assert fake.undo_history == ["automix: test (stopped, nothing changed)"] and _redrawn_after_last_write(fake)
    assert [args for name, args in fake.calls if name == "PreventUIRefresh"] == [(1,), (-1,)]


def test_a_failure_closing_the_undo_block_takes_every_write_back(tmp_path):
    fake = FakeReaper(_interleaved_project(tmp_path))
    api = ReaperApi(fake)
    fake.fail_at("Undo_EndBlock2", 1, mode="raise")
    outcome = run_undoable(api, "automix: test", lambda tx: _quieten_every_track(read_live_project(api), tx))
    assert not outcome.ok and "REAPER call Undo_EndBlock2 failed" in outcome.summary
    assert fake.chunks() == fake.original_chunks and fake.count("Undo_EndBlock2") == 1  # never closed twice
    assert fake.ui_refresh_held == 0 and _redrawn_after_last_write(fake)
    assert "Nothing was changed." in fake.message_boxes[-1][0]


def test_ext_state_writes_are_undone_with_the_chunks(tmp_path):
    fake = FakeReaper(_interleaved_project(tmp_path))
    api = ReaperApi(fake)
    api.set_ext_state("automix", "plan", "old")
    fake.fail_at("SetTrackStateChunk", 2)

    def body(tx):
        tx.set_ext_state("automix", "plan", "new")
        return _quieten_every_track(read_live_project(api), tx)

    assert not run_undoable(api, "automix: test", body).ok
    assert api.ext_state("automix", "plan") == "old" and fake.chunks() == fake.original_chunks


def test_a_failed_restore_is_reported(tmp_path):
    fake = FakeReaper(_interleaved_project(tmp_path))
    api = ReaperApi(fake)
    fake.fail_at("SetTrackStateChunk", 3)  # the third track fails …
    fake.fail_at("SetTrackStateChunk", 5)  # … and so does restoring the second (calls: 1 2 3 | 4=#3 5=#2 6=#1)
    outcome = run_undoable(api, "automix: test", lambda tx: _quieten_every_track(read_live_project(api), tx))
    assert not outcome.ok
    message = fake.message_boxes[0][0]
    assert "COULD NOT set back: track 2 (" in message and "Undo" in message
    assert fake.chunks()[0] == fake.original_chunks[0] and fake.chunks()[2] == fake.original_chunks[2]
    assert fake.undo_depth == 0


def test_fake_connection_error_is_not_an_automix_error():
    assert not issubclass(FakeConnectionError, ReaperError)


def test_inside_reaper_the_actions_use_reapers_own_python_module(tmp_path, monkeypatch):
    import types
    fake = FakeReaper(_interleaved_project(tmp_path))
    module = types.ModuleType("reaper_python")
    for name in ("CountTracks", "GetTrack", "GetTrackStateChunk", "EnumProjects", "EnumProjectMarkers3",
                 "GetAppVersion"):
        setattr(module, "RPR_" + name, getattr(fake, name))
    module._ft = fake._ft  # REAPER's function table: region names through ctypes
    monkeypatch.setitem(sys.modules, "reaper_python", module)
    api = reaper_live.connect()
    assert api.track_count() == 3 and api.project_file() == fake.project_path
    assert api.track_chunk(api.track(2)) == fake.chunks()[2]
    assert [m.name for m in read_markers(api, None)] == [m[4] for m in INTERLEAVED]
    with pytest.raises(ReaperError, match="ShowConsoleMsg is not available"):
        api.console("x")
    monkeypatch.setitem(sys.modules, "reaper_python", None)
    monkeypatch.setitem(sys.modules, "reapy", None)
    with pytest.raises(ReaperError, match="neither REAPER's reaper_python module nor reapy"):
        reaper_live.connect()


def test_the_fake_validates_handles_and_accepts_chunks_as_leniently_as_reaper(tmp_path):
    fake = FakeReaper(_interleaved_project(tmp_path))
    api = ReaperApi(fake)
    first, last = api.track(0), api.track(2)
    fake.delete_track(0)  # the user deleted track 1: its handle is stale, the others keep theirs
    with pytest.raises(ReaperError, match=r"REAPER could not return the state chunk of track 1"):
        api.track_chunk(first, 0)
    assert api.track_chunk(last, 1) == fake.chunks()[1] and api.track(1) == last
    with pytest.raises(ReaperError, match="refused the new state chunk"):
        api.set_track_chunk(first, fake.original_chunks[0])
    # any indentation, CRLF line ends, no final line end: REAPER takes it and returns its own layout
    sloppy = "\t<TRACK {X}\r\n        NAME \"Empty\"\r\n  <FXCHAIN\r\nSHOW 0\r\n   >\r\n>"
    api.set_track_chunk(last, sloppy)
    assert api.track_chunk(last, 1) == '<TRACK {X}\n  NAME "Empty"\n  <FXCHAIN\n    SHOW 0\n  >\n>\n'
