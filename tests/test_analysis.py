"""Analysis: project → per track × section features (block-wise render, feature cache, bad input)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from rpp_factory import FactoryItem, FactoryTrack, write_project

from automix.errors import MediaError, ProjectError
from automix.features.analysis import (
    analyse_project,
    check_project,
    items_signature,
    project_notes,
    project_sections,
)
from automix.features.cache import FeatureCache
from automix.project.reader import read_project

SR = 22050


def _sine(path: Path, amp: float, seconds: float, freq_hz: float = 440.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * SR)) / SR
    sf.write(str(path), amp * np.sin(2 * np.pi * freq_hz * t), SR, subtype="FLOAT")
    return path


def _project(tmp_path: Path, regions=((1, "Verse", 0.0, 2.0), (2, "Chorus", 2.0, 4.0)), **kw) -> Path:
    _sine(tmp_path / "media" / "a.wav", 0.5, 4.0)
    _sine(tmp_path / "media" / "b.wav", 0.1, 2.0, 220.0)
    tracks = [FactoryTrack("Gtr", [FactoryItem(0.0, 4.0, "media/a.wav")]),
              FactoryTrack("Bass", [FactoryItem(2.0, 2.0, "media/b.wav")]),
              FactoryTrack("Folder")]
    return write_project(tmp_path / "song.rpp", tracks, regions=list(regions), sample_rate=SR, **kw)


def test_levels_per_section_match_the_signals(tmp_path):
    project = read_project(_project(tmp_path))
    a = analyse_project(project, use_cache=False)
    assert [t.name for t in a.tracks] == ["Gtr", "Bass"]  # the empty folder track is not audio
    rms = a.feature("rms_db")
    # sine of amplitude A: RMS = A/√2 → 20·log10(0.5/√2) = −9.03 dB, 20·log10(0.1/√2) = −23.01 dB
    assert rms[0, 0] == pytest.approx(-9.03, abs=0.1) and rms[0, 1] == pytest.approx(-9.03, abs=0.1)
    assert rms[1, 0] <= -100.0 and rms[1, 1] == pytest.approx(-23.01, abs=0.2)
    assert a.vectors().shape == (2, 2, 13)
    centroid = a.feature("centroid_hz")
    assert centroid[1, 1] == pytest.approx(220.0, rel=0.15) and centroid[0, 0] == pytest.approx(440.0, rel=0.15)


def test_no_regions_is_one_whole_song_section(tmp_path):
    project = read_project(_project(tmp_path, regions=()))
    sections = project_sections(project)
    assert len(sections) == 1 and sections[0].start_s == 0.0 and sections[0].end_s == pytest.approx(4.0)
    a = analyse_project(project, use_cache=False)
    assert a.feature("rms_db")[1, 0] == pytest.approx(-23.01 - 3.01, abs=0.2)  # bass plays half the song


def test_cache_is_reused_and_invalidated_by_media_changes(tmp_path):
    path = _project(tmp_path)
    project = read_project(path)
    cache = FeatureCache(tmp_path / "cache")
    first = analyse_project(project, cache=cache)
    assert sum(t.from_cache for t in first.tracks) == 0
    again = analyse_project(read_project(path), cache=cache)
    assert sum(t.from_cache for t in again.tracks) == 2 and np.array_equal(again.vectors(), first.vectors(), equal_nan=True)
    # rewrite the bass 6 dB louder (new size/mtime): only that track is analysed again
    media = tmp_path / "media" / "b.wav"
    _sine(media, 0.2, 2.0, 220.0)
    os.utime(media, ns=(media.stat().st_atime_ns, media.stat().st_mtime_ns + 10**9))
    third = analyse_project(read_project(path), cache=cache)
    assert [t.from_cache for t in third.tracks] == [True, False]
    assert third.feature("rms_db")[1, 1] - first.feature("rms_db")[1, 1] == pytest.approx(6.02, abs=0.05)


def test_cache_key_ignores_line_numbers(tmp_path):
    path = _project(tmp_path)
    text = path.read_text()
    shifted = tmp_path / "shifted.rpp"
    shifted.write_text(text.replace("  RIPPLE 0\n", "  RIPPLE 0\n  CURSOR 0\n  ZOOM 10 0 0\n"))
    a, b = read_project(path), read_project(shifted)
    assert a.tracks[0].items[0].line != b.tracks[0].items[0].line
    assert items_signature(a.tracks[0]) == items_signature(b.tracks[0])


def test_missing_media_skips_that_track_and_names_file_and_track(tmp_path):
    path = _project(tmp_path)
    (tmp_path / "media" / "b.wav").unlink()
    project = read_project(path)
    check_project(project)  # the guitar can still be mixed
    a = analyse_project(project, use_cache=False)
    assert [t.name for t in a.tracks] == ["Gtr"]
    note = next(n for n in a.notes if "'Bass'" in n)
    assert "b.wav" in note and "track skipped and left untouched" in note
    (tmp_path / "media" / "a.wav").unlink()
    with pytest.raises(ProjectError) as err:  # nothing left to mix
        check_project(read_project(path))
    msg = str(err.value)
    assert "b.wav" in msg and "a.wav" in msg and "song.rpp" in msg


def test_projects_without_audio_are_refused(tmp_path):
    midi = write_project(tmp_path / "midi.rpp", [FactoryTrack("Piano", [FactoryItem(0.0, 2.0, None, kind="MIDI")])])
    with pytest.raises(ProjectError, match="only MIDI"):
        check_project(read_project(midi))
    empty = write_project(tmp_path / "empty.rpp", [FactoryTrack("Nothing")])
    with pytest.raises(ProjectError, match="no audio tracks"):
        check_project(read_project(empty))


def test_overlapping_covering_and_zero_length_regions_are_mixed_and_said(tmp_path):
    overlap = read_project(_project(tmp_path, regions=((1, "Verse", 0.0, 2.5), (2, "Chorus", 2.0, 4.0))))
    check_project(overlap)
    assert [(s.name, s.start_s, s.end_s) for s in project_sections(overlap)] == [("Verse", 0.0, 2.0),
                                                                                ("Chorus", 2.0, 4.0)]
    assert any("'Verse'" in n and "overlaps region 2 'Chorus'" in n for n in project_notes(overlap))
    covering = read_project(_project(tmp_path, regions=((1, "Song", 0.0, 4.0), (2, "Verse", 0.0, 2.0),
                                                        (3, "Chorus", 2.0, 4.0))))
    assert [s.name for s in project_sections(covering)] == ["Verse", "Chorus"]
    assert any("region 1 'Song' (0–4 s) covers 2 other region(s)" in n for n in project_notes(covering))
    path = _project(tmp_path, regions=((1, "Verse", 0.0, 2.0), (2, "Blip", 3.0, 3.0)))
    lines = path.read_text().split("\n")
    start = next(i for i, line in enumerate(lines) if "MARKER 2 3 Blip" in line)
    end = next(i for i, line in enumerate(lines) if line.strip() == 'MARKER 2 3 "" 1')
    lines[start], lines[end] = lines[end], lines[start]  # as REAPER writes it: start line first
    if start > end:
        path.write_text("\n".join(lines))
    zero = read_project(path)
    check_project(zero)
    assert [s.name for s in project_sections(zero)] == ["Verse"]
    assert any("'Blip'" in n and "zero length: skipped" in n for n in project_notes(zero))


def _many_tracks_project(tmp_path: Path, n: int = 7) -> Path:
    tracks = []
    for k in range(n):  # different lengths and levels: threads finish out of order
        _sine(tmp_path / "media" / f"t{k}.wav", 0.05 * (k + 1), 0.5 + 0.5 * (k % 4), 110.0 * (k + 1))
        tracks.append(FactoryTrack(f"T{k}", [FactoryItem(0.1 * k, 0.5 + 0.5 * (k % 4), f"media/t{k}.wav")]))
    return write_project(tmp_path / "many.rpp", tracks, regions=[(1, "A", 0.0, 1.5), (2, "B", 1.5, 3.0)],
                         sample_rate=SR)


@pytest.mark.parametrize("threads", [2, 3, 8])
def test_tracks_analysed_at_once_give_the_serial_result_in_order(tmp_path, threads):
    project = read_project(_many_tracks_project(tmp_path))
    serial = analyse_project(project, use_cache=False, threads=1)
    parallel = analyse_project(project, use_cache=False, threads=threads)
    assert [t.name for t in parallel.tracks] == [f"T{k}" for k in range(7)]
    np.testing.assert_array_equal(parallel.vectors(), serial.vectors())


def test_an_undecodable_track_is_skipped_and_a_failing_one_stops_the_parallel_analysis(tmp_path, monkeypatch):
    import threading

    import automix.features.analysis as analysis

    path = _many_tracks_project(tmp_path)
    (tmp_path / "media" / "t3.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")  # exists, undecodable
    project = read_project(path)
    before = threading.active_count()
    result = analyse_project(project, use_cache=False, threads=3)
    assert len(result.tracks) == 6 and any("t3.wav unreadable" in n for n in result.notes)
    assert threading.active_count() == before
    (tmp_path / "media" / "t3.wav").unlink()
    real = analysis.analyse_track

    def broken(project, track, *args, **kwargs):
        if track.name == "T4":
            raise MediaError("cannot decode audio at frame 0: lost sync", file=tmp_path / "media" / "t4.wav")
        if track.name == "T5":
            raise RuntimeError("a bug, not a media problem")
        return real(project, track, *args, **kwargs)

    monkeypatch.setattr(analysis, "analyse_track", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        analyse_project(read_project(path), use_cache=False, threads=3)
    assert threading.active_count() == before


def test_a_cold_analysis_writes_and_fsyncs_the_cache_index_once(tmp_path, monkeypatch):
    """7 tracks analysed into an empty cache: 7 entries, one index write and one fsync of it (was 7 of each)."""
    import automix.util.atomic as atomic

    path = _many_tracks_project(tmp_path)
    project = read_project(path)
    cache = FeatureCache(tmp_path / "cache")
    synced, index_writes = [], []
    real_fsync_path, real_replace = atomic._fsync_path, os.replace
    monkeypatch.setattr(atomic, "_fsync_path", lambda p: (synced.append(Path(p)), real_fsync_path(p)))
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: (index_writes.append(b) if Path(b).name == "index.json"
                                                            else None, real_replace(a, b)))
    first = analyse_project(project, cache=cache)
    assert len(index_writes) == 1 and len(synced) == 1 and synced[0].name.startswith(".index.json.")
    entries = cache.read_index()
    assert len(entries) == 7 and len(list(cache.folder.glob("*.npz"))) == 7
    again = analyse_project(read_project(path), cache=cache)
    assert all(t.from_cache for t in again.tracks)
    np.testing.assert_array_equal(again.vectors(), first.vectors())


def test_an_analysis_stopped_by_a_bad_track_keeps_and_indexes_the_tracks_done(tmp_path, monkeypatch):
    import automix.features.analysis as analysis

    path = _many_tracks_project(tmp_path)
    real = analysis.analyse_track

    def broken(project, track, *args, **kwargs):
        if track.name == "T3":
            raise RuntimeError("stopped")
        return real(project, track, *args, **kwargs)

    monkeypatch.setattr(analysis, "analyse_track", broken)
    cache = FeatureCache(tmp_path / "cache")
    with pytest.raises(RuntimeError, match="stopped"):
        analyse_project(read_project(path), cache=cache, threads=1)
    assert len(cache.read_index()) == 3 and len(list(cache.folder.glob("*.npz"))) == 3  # T0, T1, T2
    monkeypatch.undo()
    (tmp_path / "media" / "t3.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")  # exists, undecodable: skipped
    analyse_project(read_project(path), cache=FeatureCache(tmp_path / "cache"), threads=1)
    assert len(cache.read_index()) == 6 and len(list(cache.folder.glob("*.npz"))) == 6


def test_analysis_never_imports_scipy_signal_even_to_resample(tmp_path):
    """``scipy.signal`` costs about 1 s to import: media at another rate are resampled without it."""
    import subprocess
    import sys

    same_rate = _project(tmp_path / "same")
    resampled = _project(tmp_path / "other")
    sf.write(str(tmp_path / "other" / "media" / "b.wav"), 0.1 * np.ones(2 * 16000), 16000)  # 16 kHz source
    code = ("import sys; from automix.features.analysis import analyse_project; "
            "from automix.project.reader import read_project; "
            "a = analyse_project(read_project(sys.argv[1]), use_cache=False); "
            "print(len(a.tracks), round(float(a.feature('rms_db')[1, 1]), 1), 'scipy.signal' in sys.modules)")
    runs = [subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True, check=True)
            for p in (same_rate, resampled)]
    # the 22.05 kHz sine of amplitude 0.1 (-23.0 dB RMS); the 16 kHz constant 0.1 resampled (-20.0 dB)
    assert [r.stdout.split() for r in runs] == [["2", "-23.0", "False"], ["2", "-20.0", "False"]]
