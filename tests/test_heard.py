"""The plan is what the listener hears: faders, folders, automation mode, muted tracks (issue 14, items 3 and 4).

Known truth: each track is a sine of its own frequency at a known recorded
level, so the level of each track inside the rendered mix is read off its
DFT bin; the written project is also "played" by hand (envelope × fader ×
folder volume) and compared with the plan.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from rpp_factory import FactoryItem, FactoryTrack, write_project

from automix import rpp
from automix.jobs.mix import MixOptions, run_mix_job
from automix.jobs.preview import render_mix
from automix.plan.heard import MAX_FADER_DB, volume_setting
from automix.plan.model import MAX_GAIN_DB
from automix.project.reader import read_project

SR = 8000
SECONDS = 4.0
# name → (frequency Hz, recorded peak amplitude): frequencies fall on exact DFT bins of 1 s windows
TONES = {"Bass": (110.0, 0.5), "Lead Vox": (440.0, 0.2), "Gtr": (660.0, 0.05), "Kick": (55.0, 0.4)}


def _song(folder: Path, *, faders_db: dict[str, float] | None = None, folder_db: float | None = None,
          automode: int = 0, extra: list[FactoryTrack] | None = None) -> Path:
    """Tones as tracks; ``folder_db`` puts Gtr and Lead Vox in a folder at that volume."""
    faders_db = faders_db or {}
    tracks = []
    t = np.arange(int(SECONDS * SR)) / SR
    (folder / "media").mkdir(parents=True, exist_ok=True)
    for name, (freq, amp) in TONES.items():
        rel = f"media/{name.replace(' ', '_')}.wav"
        sf.write(str(folder / rel), amp * np.sin(2 * np.pi * freq * t), SR, subtype="FLOAT")
        tracks.append(FactoryTrack(name, [FactoryItem(0.0, SECONDS, rel)],
                                   volume_amp=10 ** (faders_db.get(name, 0.0) / 20)))
    if folder_db is not None:
        bus = FactoryTrack("Band bus", volume_amp=10 ** (folder_db / 20), isbus=(1, 1))
        gtr, vox = tracks[2], tracks[1]
        vox.isbus = (2, -1)
        tracks = [tracks[0], tracks[3], bus, gtr, vox]
    tracks += extra or []
    path = write_project(folder / "song.rpp", tracks, sample_rate=SR, notes="genre: rock")
    if automode:
        path.write_text(path.read_text().replace("    PEAKCOL 16576\n", f"    PEAKCOL 16576\n    AUTOMODE {automode}\n"))
    return path


def _heard_db_in_render(mix: np.ndarray) -> dict[str, float]:
    """Each tone's level (dB re its recording) in the middle second of the left channel."""
    mid = mix[int(1.5 * SR): int(2.5 * SR), 0]
    spectrum = np.abs(np.fft.rfft(mid)) * 2 / len(mid)
    return {name: 20 * math.log10(spectrum[int(freq)] / amp) for name, (freq, amp) in TONES.items()}


def _heard_db_in_file(path: Path) -> dict[str, float]:
    """Envelope × fader (trim/read) × folder volume at 2 s, per track, in dB, read from the written project."""
    project = read_project(path)
    out = {}
    for track in project.audio_tracks:
        env = track.envelopes.get("VOLENV2")
        env_amp = float(np.interp(2.0, [p.time_s for p in env.points], [p.value for p in env.points])) if env else 1.0
        fader = track.volume_amp if track.automation_mode == 0 else 1.0
        folders = math.prod(p.volume_amp for p in project.folder_parents(track))
        out[track.name] = 20 * math.log10(env_amp * fader * folders)
    return out


def _mix(path: Path):
    return run_mix_job(path, MixOptions(use_eq=False, use_pan=False, use_cache=False))


def _planned(result) -> dict[str, float]:
    return {t.name: t.gain_db for t in result.plan.regions[0].tracks}


def _balance(levels: dict[str, float]) -> dict[str, float]:
    ref = levels["Lead Vox"]
    return {k: v - ref for k, v in levels.items()}


@pytest.mark.parametrize("case", ["flat", "bass -20 dB", "folder -9 dB", "read mode"])
def test_rendered_balance_matches_the_plan_whatever_the_faders(tmp_path, case):
    kwargs = {"flat": {}, "bass -20 dB": {"faders_db": {"Bass": -20.0}},
              "folder -9 dB": {"folder_db": -9.0, "faders_db": {"Gtr": 4.0}},
              "read mode": {"faders_db": {"Bass": -20.0}, "automode": 1}}[case]
    flat = _mix(_song(tmp_path / "flat"))
    result = _mix(_song(tmp_path / "case", **kwargs))
    planned = _planned(result)
    assert planned == pytest.approx(_planned(flat), abs=0.01)  # the plan does not depend on the faders
    written = _heard_db_in_file(result.output)
    for name in TONES:
        assert written[name] == pytest.approx(planned[name], abs=0.01), (name, written, planned)
    mixed = read_project(result.output)
    heard = _heard_db_in_render(render_mix(mixed, result.plan))
    for name, offset in _balance(heard).items():
        assert offset == pytest.approx(_balance(planned)[name], abs=0.2), (name, heard, planned)
    for name in TONES:
        assert heard[name] == pytest.approx(planned[name], abs=0.2)


def test_fader_beyond_the_envelope_range_is_reset_and_said(tmp_path):
    result = _mix(_song(tmp_path, faders_db={"Bass": -40.0}))
    bass_gain = _planned(result)["Bass"]
    assert bass_gain + 40.0 > MAX_GAIN_DB  # the envelope alone could not compensate
    doc = rpp.load(result.output)
    bass = next(t for t in doc.iter("TRACK") if t.get_values("NAME") == ["Bass"])
    assert float(bass.get_values("VOLPAN")[0]) == 1.0
    notes = " ".join(result.notes)
    assert "track 'Bass': fader -40.0 dB reset to +0.0 dB" in notes
    assert _heard_db_in_file(result.output)["Bass"] == pytest.approx(bass_gain, abs=0.01)
    # the other faders (at 0 dB) were left alone
    for t in doc.iter("TRACK"):
        assert float(t.get_values("VOLPAN")[0]) == 1.0


def test_volume_setting_raises_the_fader_only_as_far_as_needed(tmp_path):
    project = read_project(_song(tmp_path, folder_db=-15.0))
    gtr = next(t for t in project.tracks if t.name == "Gtr")
    setting = volume_setting(project, gtr, [0.0, -3.0])
    assert setting.fader_changed and 20 * math.log10(setting.fader_amp) == pytest.approx(15.0 - MAX_GAIN_DB)
    assert setting.envelope_db == pytest.approx((MAX_GAIN_DB, MAX_GAIN_DB - 3.0))
    assert setting.heard_offset_db == pytest.approx((0.0, 0.0))
    reachable_db = MAX_FADER_DB + MAX_GAIN_DB - 15.0
    deep = volume_setting(project, gtr, [reachable_db + 5.0])
    assert 20 * math.log10(deep.fader_amp) == pytest.approx(MAX_FADER_DB)
    assert deep.heard_offset_db[0] == pytest.approx(5.0) and "plays up to 5.0 dB below" in " ".join(deep.notes)


def _lead_vox_gain(result) -> float:
    return next(t.gain_db for t in result.plan.regions[0].tracks if t.name == "Lead Vox")


@pytest.mark.parametrize("how", ["muted track", "muted folder"])
def test_muted_scratch_vocal_does_not_pull_the_lead_vocal_down(tmp_path, how):
    (tmp_path / "media").mkdir(parents=True, exist_ok=True)
    t = np.arange(int(SECONDS * SR)) / SR
    sf.write(str(tmp_path / "media" / "scratch.wav"), 0.2 * np.sin(2 * np.pi * 440 * t), SR, subtype="FLOAT")
    scratch = FactoryTrack("Lead Vox scratch", [FactoryItem(0.0, SECONDS, "media/scratch.wav")])
    if how == "muted track":
        scratch.muted = True
        extra = [scratch]
    else:
        scratch.isbus = (2, -1)
        extra = [FactoryTrack("Old takes", muted=True, isbus=(1, 1)), scratch]
    without = _mix(_song(tmp_path / "without"))
    with_scratch = _mix(_song(tmp_path, extra=extra))
    assert _lead_vox_gain(with_scratch) == pytest.approx(_lead_vox_gain(without), abs=0.05)
    assert "Lead Vox scratch" not in [t.name for t in with_scratch.plan.regions[0].tracks]
    doc = rpp.load(with_scratch.output)
    track = next(t for t in doc.iter("TRACK") if t.get_values("NAME") == ["Lead Vox scratch"])
    assert track.find("VOLENV2") is None and track.find("PANENV2") is None
    why = "muted" if how == "muted track" else "in muted folder 'Old takes'"
    assert any(f"track 'Lead Vox scratch' is {why}: not analysed nor planned" in n for n in with_scratch.notes), \
        with_scratch.notes


def test_a_stray_solo_is_ignored_and_said(tmp_path):
    path = _song(tmp_path)
    path.write_text(path.read_text().replace("NAME Bass\n    PEAKCOL 16576\n    VOLPAN 1 0 -1 -1 1\n    MUTESOLO 0 0 0",
                                             "NAME Bass\n    PEAKCOL 16576\n    VOLPAN 1 0 -1 -1 1\n    MUTESOLO 0 2 0"))
    assert read_project(path).tracks[0].soloed
    result = _mix(path)
    assert {t.name for t in result.plan.regions[0].tracks} == set(TONES)
    assert any("soloed" in n and "'Bass'" in n and "whole mix" in n for n in result.notes), result.notes
