"""``automix estimate`` on a generated song folder and on a generated REAPER project."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from audio_factory import make_multitrack
from rpp_factory import FactoryItem, FactoryTrack, write_project

from automix.audio.panlaw import channel_gains_from_gain_pan
from automix.cli import main


def _write_song(folder, sr_stems=22050, sr_mix=44100, seconds=4.0):
    tracks = make_multitrack(sr_stems, seconds, seed=6)
    names = ["kick", "snare", "bass", "guitar"]
    gains = {"kick": -2.0, "snare": -7.0, "bass": 1.0, "guitar": -12.0}
    pans = {"kick": 0.0, "snare": 0.2, "bass": -0.1, "guitar": 0.7}
    folder.mkdir(parents=True, exist_ok=True)
    mix = np.zeros((tracks["kick"].shape[0], 2))
    for n in names:
        sf.write(folder / f"{n}.wav", tracks[n], sr_stems, subtype="FLOAT")
        l, r = channel_gains_from_gain_pan(10 ** (gains[n] / 20), pans[n])
        mix += np.stack([l * tracks[n], r * tracks[n]], 1)
    # the mix file is at another sample rate: upsample exactly in the frequency domain
    n_out = int(mix.shape[0] * sr_mix / sr_stems)
    spec = np.fft.rfft(mix, axis=0)
    up = np.zeros((n_out // 2 + 1, 2), complex)
    up[: spec.shape[0]] = spec
    mix_up = np.fft.irfft(up, n_out, axis=0) * (n_out / mix.shape[0])
    sf.write(folder / "final mix.wav", mix_up, sr_mix, subtype="FLOAT")
    return gains, pans


def test_song_folder_json_and_table(tmp_path, capsys):
    gains, pans = _write_song(tmp_path / "song")
    out = tmp_path / "est.json"
    assert main(["estimate", str(tmp_path / "song"), "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "gain dB" in table and "guitar" in table and "mix resampled from 44100 Hz" in table
    data = json.loads(out.read_text())
    (region,) = data["regions"]
    got = {t["track"]: t for t in region["tracks"]}
    assert set(got) == set(gains)
    for name, g in gains.items():
        assert got[name]["gain_db"] == pytest.approx(g, abs=0.15), name
        assert got[name]["pan"] == pytest.approx(pans[name], abs=0.03), name
        assert len(got[name]["eq_db"]) == 5


def test_song_folder_without_a_recognisable_mix_is_a_clear_error(tmp_path, capsys):
    folder = tmp_path / "stems only"
    folder.mkdir()
    x = np.zeros(1000)
    sf.write(folder / "a.wav", x, 8000)
    sf.write(folder / "b.wav", x, 8000)
    assert main(["estimate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "stems only" in err and "--mix" in err


def test_project_with_regions_and_mix(tmp_path, capsys):
    sr = 22050
    tracks = make_multitrack(sr, 6.0, seed=8)
    media = tmp_path / "media"
    media.mkdir()
    names = ["bass", "guitar", "vocal"]
    for n in names:
        sf.write(media / f"{n}.wav", tracks[n], sr, subtype="FLOAT")
    item_vol = {"bass": 0.5, "guitar": 1.0, "vocal": 2.0}
    ftracks = [FactoryTrack(n, items=[FactoryItem(0.0, 6.0, f"media/{n}.wav", volume_amp=item_vol[n])])
               for n in names]
    ftracks.append(FactoryTrack("Keys MIDI", items=[FactoryItem(0.0, 2.0, None, kind="MIDI")]))
    rpp = write_project(tmp_path / "song.rpp", ftracks, regions=[(1, "Verse", 0.0, 3.0), (2, "Chorus", 3.0, 6.0)],
                        sample_rate=sr)
    truth = {"Verse": {"bass": -3.0, "guitar": -10.0, "vocal": -6.0},
             "Chorus": {"bass": 0.0, "guitar": -4.0, "vocal": -1.0}}
    mix = np.zeros((6 * sr, 2))
    for reg, (a, b) in (("Verse", (0, 3 * sr)), ("Chorus", (3 * sr, 6 * sr))):
        for n in names:
            stem = tracks[n][a:b] * item_vol[n]  # what REAPER plays pre-fader
            mix[a:b] += 10 ** (truth[reg][n] / 20) * stem[:, None]
    sf.write(tmp_path / "mix.wav", mix, sr, subtype="FLOAT")
    out = tmp_path / "est.json"
    assert main(["estimate", str(rpp), "--mix", str(tmp_path / "mix.wav"), "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert any("Keys MIDI" in n and "skipped" in n for n in data["notes"])
    assert [r["region"] for r in data["regions"]] == ["Verse", "Chorus"]
    for region in data["regions"]:
        got = {t["track"]: t for t in region["tracks"]}
        assert "Keys MIDI" not in got
        for n in names:
            if got[n]["confident"]:
                assert got[n]["gain_db"] == pytest.approx(truth[region["region"]][n], abs=0.1), (region, n)
    assert sum(t["confident"] for r in data["regions"] for t in r["tracks"]) >= 5  # vocal starts at 1.5 s


def test_project_without_mix_is_a_clear_error(tmp_path, capsys):
    rpp = write_project(tmp_path / "p.rpp", [FactoryTrack("A")])
    assert main(["estimate", str(rpp)]) == 2
    assert "--mix" in capsys.readouterr().err
