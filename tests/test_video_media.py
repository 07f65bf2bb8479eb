"""Items REAPER writes as ``<SOURCE VIDEO`` (.mp4/.mov/.m4a): their audio stream is read and mixed."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_factory import make_multitrack
from fake_reaper import VERSIONS, FakeReaper
from rpp_factory import FactoryItem, FactoryTrack, write_project
from test_planner import build_test_bank

from automix.audio.io import has_audio_stream, read_audio
from automix.audio.render import RenderReport, render_track_full
from automix.jobs.mix import MixOptions, run_mix_job
from automix.project.reader import read_project

av = pytest.importorskip("av", reason="PyAV (the m4a extra) decodes video containers")

SR = 48000


def write_clip(path: Path, audio: np.ndarray | None, sample_rate: int = SR, seconds: float = 1.0) -> Path:
    """A small video file (32×32 MPEG-4 Part 2 at 10 fps) with ``audio`` ``(n, channels)`` as AAC, or none."""
    channels = 0 if audio is None else audio.shape[1]
    with av.open(str(path), "w") as out:
        video = out.add_stream("mpeg4", rate=10)
        video.width = video.height = 32
        video.pix_fmt = "yuv420p"
        if audio is not None:
            stream = out.add_stream("aac", rate=sample_rate)
            stream.layout = "mono" if channels == 1 else "stereo"
        for i in range(max(1, int(seconds * 10))):
            frame = av.VideoFrame.from_ndarray(np.full((32, 32, 3), 8 * i % 256, np.uint8), format="rgb24")
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if audio is not None:
            size = stream.codec_context.frame_size or 1024
            planar = np.ascontiguousarray(audio.T, dtype=np.float32)
            for start in range(0, planar.shape[1], size):
                frame = av.AudioFrame.from_ndarray(planar[:, start:start + size], format="fltp",
                                                   layout=stream.layout.name)
                frame.sample_rate, frame.pts, frame.time_base = sample_rate, start, Fraction(1, sample_rate)
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
    return path


def _burst(seconds: float = 2.0, at_s: float = 0.5, length_s: float = 0.25, amp: float = 0.5) -> np.ndarray:
    x = np.zeros(int(seconds * SR), np.float32)
    i = int(at_s * SR)
    n = int(length_s * SR)
    x[i:i + n] = amp * np.sin(2 * np.pi * 1000.0 * np.arange(n) / SR)
    return x[:, None]


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".m4a"])
def test_video_items_render_their_audio_stream(tmp_path, suffix):
    clip = write_clip(tmp_path / f"take{suffix}", _burst(), seconds=2.0)
    silent = write_clip(tmp_path / "camera.mp4", None, seconds=2.0)
    assert has_audio_stream(clip) and not has_audio_stream(silent)
    song = write_project(tmp_path / "song.rpp", [
        FactoryTrack("Vox", items=[FactoryItem(1.0, 2.0, clip.name, kind="VIDEO")]),
        FactoryTrack("Camera", items=[FactoryItem(0.0, 2.0, silent.name, kind="VIDEO")]),
    ], regions=[(1, "Verse", 0.0, 3.0)], sample_rate=SR)
    assert song.read_text().count("<SOURCE VIDEO") == 2
    project = read_project(song)
    vox, camera = project.tracks
    assert vox.items[0].active_take.source.kind == "VIDEO" and vox.items[0].active_take.source.is_audio
    assert [t.name for t in project.audio_tracks][:1] == ["Vox"]
    report = RenderReport()
    stem = render_track_full(project, vox, report=report, end_s=3.0)
    loud = np.flatnonzero(np.abs(stem[:, 0]) > 0.1)
    assert abs(loud[0] / SR - 1.5) < 0.001 and abs((loud[-1] + 1) / SR - 1.75) < 0.001  # item at 1 s + 0.5 s
    rms = np.sqrt(np.mean(stem[loud[0]:loud[-1] + 1] ** 2, axis=0))
    assert np.allclose(20 * np.log10(rms / (0.5 / np.sqrt(2))), 0.0, atol=0.2)  # centred mono: unity both sides
    render_track_full(project, camera, report=report, end_s=3.0)
    assert any("video without an audio stream (camera.mp4)" in str(note) for note in report.skipped)


def test_a_video_without_audio_read_directly_is_one_error(tmp_path):
    from automix.errors import MediaError
    silent = write_clip(tmp_path / "camera.mov", None)
    with pytest.raises(MediaError, match=r"camera\.mov: no audio stream in file"):
        read_audio(silent)


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    return build_test_bank(tmp_path_factory.mktemp("models"), "practice")


def test_a_project_with_video_items_mixes_like_the_same_audio_as_wav(tmp_path, models):
    seconds = 6.0
    stems = make_multitrack(SR, seconds, seed=3)
    names = {"kick": "Kick", "snare": "Snare", "bass": "Bass", "guitar": "Gtr", "vocal": "Lead Vox"}
    plans = {}
    for variant in ("wav", "video"):
        folder = tmp_path / variant
        folder.mkdir()
        tracks = []
        for key, name in names.items():
            audio = np.clip(stems[key], -1, 1).astype(np.float32)[:, None]
            if variant == "video" and key in ("guitar", "vocal"):
                file, kind = f"{key}.{'mp4' if key == 'guitar' else 'mov'}", "VIDEO"
                write_clip(folder / file, audio, seconds=seconds)
            else:
                file, kind = f"{key}.wav", "WAVE"
                sf.write(str(folder / file), audio, SR, subtype="FLOAT")
            tracks.append(FactoryTrack(name, [FactoryItem(0.0, seconds, file, kind=kind)]))
        song = write_project(folder / "song.rpp", tracks, regions=[(1, "Verse", 0.0, 3.0), (2, "Chorus", 3.0, 6.0)],
                             sample_rate=SR, notes="genre: rock")
        result = run_mix_job(song, MixOptions(models_dir=models))
        assert result.ok
        plans[variant] = result.plan
    for wav_region, video_region in zip(plans["wav"].regions, plans["video"].regions):
        assert [t.name for t in video_region.tracks] == [t.name for t in wav_region.tracks] == list(names.values())
        for wav_track, video_track in zip(wav_region.tracks, video_region.tracks):
            assert abs(video_track.gain_db - wav_track.gain_db) < 0.5, video_track.name  # AAC is lossy


@pytest.mark.parametrize("version", VERSIONS)
def test_live_auto_mix_of_video_items_equals_the_headless_one(tmp_path, models, version, monkeypatch):
    from test_reaper_actions import _assert_live_equals_headless
    monkeypatch.setattr(FakeReaper, "default_version", version)
    seconds = 6.0
    stems = make_multitrack(SR, seconds, seed=5)
    tracks = []
    for key, name, suffix in (("kick", "Kick", ".wav"), ("bass", "Bass", ".m4a"), ("vocal", "Lead Vox", ".mp4")):
        audio = np.clip(stems[key], -1, 1).astype(np.float32)[:, None]
        if suffix == ".wav":
            sf.write(str(tmp_path / f"{key}.wav"), audio, SR, subtype="FLOAT")
        else:
            write_clip(tmp_path / f"{key}{suffix}", audio, seconds=seconds)
        tracks.append(FactoryTrack(name, [FactoryItem(0.0, seconds, f"{key}{suffix}",
                                                      kind="WAVE" if suffix == ".wav" else "VIDEO")]))
    song = write_project(tmp_path / "song.rpp", tracks, regions=[(1, "Verse", 0.0, 3.0), (2, "Chorus", 3.0, 6.0)],
                         sample_rate=SR, notes="genre: rock")
    fake = _assert_live_equals_headless(song, models, tmp_path / "headless.rpp")
    assert fake.app_version.startswith(version + "/")
    for text in fake.chunks():  # the two video items' tracks are mixed too
        assert text.count("<VOLENV2") == 1 and text.count("<PANENV2") == 1
