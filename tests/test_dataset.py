"""Training samples: exact ground truth from project records, merging by type, song-folder checks."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from automix.audio.bands import EQ_BAND_LAYOUT
from automix.audio.eq import eq_response_db
from automix.errors import AutomixError, MediaError
from automix.features.region import REGION_FEATURE_NAMES
from automix.knowledge.track_types import TRACK_TYPE_IDS
from automix.plan.model import EqBand
from automix.project.model import Envelope, EnvelopePoint, Track
from automix.training.dataset import read_song_folder
from automix.training.project_truth import (
    envelope_values,
    eq_band_db_from_response,
    track_eq_db,
    track_gain_db,
    track_pan,
)
from automix.training.samples import EQ_FIT_FREQS_HZ, section_sample


def _track(volume_amp=1.0, pan=0.0, envelopes=None) -> Track:
    return Track(index=0, guid="{A}", name="Bass", volume_amp=volume_amp, pan=pan, muted=False, soloed=False,
                 folder_depth_change=0, parent_index=None, envelopes=envelopes or {})


def test_envelope_values_linear_and_square():
    env = Envelope("VOLENV2", True, (EnvelopePoint(0.0, 1.0, 0), EnvelopePoint(2.0, 3.0, 1), EnvelopePoint(4.0, 0.5)))
    v = envelope_values(env, np.array([-1.0, 1.0, 3.0, 9.0]))
    assert v == pytest.approx([1.0, 2.0, 3.0, 0.5])  # before first, linear, square hold, after last


def test_gain_is_fader_plus_time_weighted_envelope_mean_in_db():
    # fader −6.02 dB; envelope ×2 (+6.02 dB) for the first half of the section, ×1 for the second half
    env = Envelope("VOLENV2", True, (EnvelopePoint(0.0, 2.0, 1), EnvelopePoint(5.0, 1.0, 1)))
    track = _track(volume_amp=0.5, envelopes={"VOLENV2": env})
    assert track_gain_db(track, 0.0, 10.0) == pytest.approx(-6.0206 + 3.0103, abs=0.02)
    assert track_gain_db(track, 5.0, 10.0) == pytest.approx(-6.0206, abs=1e-6)
    inactive = _track(volume_amp=0.5, envelopes={"VOLENV2": Envelope("VOLENV2", False, env.points)})
    assert track_gain_db(inactive, 0.0, 10.0) == pytest.approx(-6.0206, abs=1e-3)


def test_pan_envelope_sign_is_inverted_in_the_file():
    env = Envelope("PANENV2", True, (EnvelopePoint(0.0, 0.5, 1),))  # +0.5 in the file = 50 % left
    assert track_pan(_track(envelopes={"PANENV2": env}), 0.0, 4.0) == pytest.approx(-0.5)
    assert track_pan(_track(pan=0.3), 0.0, 4.0) == pytest.approx(0.3)


def test_reaeq_response_projects_back_onto_the_automix_bands():
    gains = np.array([3.0, -2.0, 0.0, 1.5, 4.0])
    bands = [EqBand(kind, f, g, bw) for (kind, f, bw), g in zip(EQ_BAND_LAYOUT, gains)]
    recovered = eq_band_db_from_response(eq_response_db(bands, EQ_FIT_FREQS_HZ, 44100), 44100)
    assert recovered == pytest.approx(gains, abs=0.3)


def _features(levels_db):
    f = np.zeros((len(levels_db), len(REGION_FEATURE_NAMES)))
    f[:, REGION_FEATURE_NAMES.index("rms_db")] = levels_db
    f[:, REGION_FEATURE_NAMES.index("loudness_lufs")] = levels_db  # the level targets are measured on
    f[:, REGION_FEATURE_NAMES.index("centroid_hz")] = 1000.0
    return f


def test_section_sample_merges_tracks_of_a_type_by_power():
    # two guitars at −20 dBFS (gain 0) and a vocal at −30 dBFS raised by +10 dB
    s = section_sample(song_id="s", genre="rock", section="verse", region="V", source="t",
                       track_types=["electric_guitar", "electric_guitar", "lead_vox"],
                       features=_features([-20.0, -20.0, -30.0]), gain_db=np.array([0.0, 0.0, 10.0]),
                       pan=np.array([-1.0, 1.0, 0.0]), eq_db=np.zeros((3, 5)), playing=np.array([True, True, True]))
    g, v = TRACK_TYPE_IDS.index("electric_guitar"), TRACK_TYPE_IDS.index("lead_vox")
    assert s.present[g] and s.present[v] and s.present.sum() == 2
    mix = 10 * math.log10(3 * 10 ** (-2.0))  # three tracks at −20 dBFS after gains
    assert s.mix_level_db == pytest.approx(mix, abs=1e-9)
    assert s.level_rel_db[g] == pytest.approx(10 * math.log10(2 / 3), abs=1e-9)
    assert s.level_rel_db[v] == pytest.approx(10 * math.log10(1 / 3), abs=1e-9)
    assert s.alpha[g] == pytest.approx(1.0) and s.alpha[v] == pytest.approx(10 ** 0.5)
    assert s.pan[g] == pytest.approx(0.0, abs=1e-12)
    assert s.type_features[g, REGION_FEATURE_NAMES.index("rms_db")] == pytest.approx(-20 + 10 * math.log10(2))
    assert np.isnan(s.type_features[TRACK_TYPE_IDS.index("kick")]).all()


def test_section_sample_ignores_tracks_that_do_not_play():
    s = section_sample(song_id="s", genre="rock", section="verse", region="V", source="t",
                       track_types=["bass", "kick"], features=_features([-20.0, -20.0]), gain_db=np.zeros(2),
                       pan=np.zeros(2), eq_db=np.zeros((2, 5)), playing=np.array([True, False]))
    assert s.present.sum() == 1 and s.level_rel_db[TRACK_TYPE_IDS.index("bass")] == pytest.approx(0.0)
    assert section_sample(song_id="s", genre="rock", section="verse", region="V", source="t",
                          track_types=["bass"], features=_features([-20.0]), gain_db=np.zeros(1),
                          pan=np.zeros(1), eq_db=np.zeros((1, 5)), playing=np.array([False])) is None


def test_song_folder_errors_name_the_file_and_value(tmp_path):
    with pytest.raises(AutomixError, match="no automix-song.json"):
        read_song_folder(tmp_path)
    meta = tmp_path / "automix-song.json"
    meta.write_text(json.dumps({"format": "automix-song", "genre": "", "mix": "m.wav", "tracks": []}))
    with pytest.raises(AutomixError, match="needs a genre, got ''") as exc:
        read_song_folder(tmp_path)
    assert str(meta) in str(exc.value)
    meta.write_text(json.dumps({"format": "automix-song", "genre": "rock", "mix": "missing.wav", "tracks": []}))
    with pytest.raises(MediaError, match="'missing.wav' not found"):
        read_song_folder(tmp_path)


def test_song_folder_ground_truth_by_estimation(tmp_path):
    import soundfile as sf

    from automix.training.dataset import samples_from_song_folder

    sr = 16000
    rng = np.random.default_rng(3)
    t = np.arange(4 * sr) / sr
    bass = 0.1 * np.sin(2 * np.pi * 80 * t) * (1 + 0.3 * np.sin(2 * np.pi * 0.7 * t))
    noise = 0.05 * rng.standard_normal(t.size)
    sf.write(tmp_path / "bass.wav", bass, sr)
    sf.write(tmp_path / "shaker.wav", noise, sr)
    mix = 10 ** (6 / 20) * bass + 10 ** (-3 / 20) * noise  # bass +6 dB, shaker −3 dB
    sf.write(tmp_path / "mix.wav", np.stack([mix, mix], axis=1) / np.sqrt(2) * np.sqrt(2), sr)
    (tmp_path / "automix-song.json").write_text(json.dumps({
        "format": "automix-song", "version": 1, "genre": "pop", "mix": "mix.wav",
        "tracks": [{"file": "bass.wav", "name": "Bass"}, {"file": "shaker.wav", "name": "Shaker", "type": "percussion"}]}))
    rows = samples_from_song_folder(tmp_path)
    assert len(rows) == 1 and rows[0].section == "other" and rows[0].genre == "pop"
    b, p = TRACK_TYPE_IDS.index("bass"), TRACK_TYPE_IDS.index("percussion")
    gain_b = 20 * math.log10(rows[0].alpha[b])
    gain_p = 20 * math.log10(rows[0].alpha[p])
    assert gain_b - gain_p == pytest.approx(9.0, abs=0.5)


RPP_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "rpp-corpus"


@pytest.mark.skipif(not RPP_CORPUS.is_dir(), reason="../shared/rpp-corpus not present")
def test_user_reaeq_is_read_and_bypassed_reaeq_ignored():
    from automix.project.reader import read_project
    from automix.rpp import load

    user = RPP_CORPUS / "uselesskcid__EGL314-Project-S.O.N.I.C-Team-C-__314MAINREAPER_POC_FINAL.rpp"
    bypassed = RPP_CORPUS / "Ultraschall__ultraschall-portable__StudioLink.rpp"
    for path, expect_flat in ((user, False), (bypassed, True)):
        project, doc = read_project(path), load(path)
        track = next(t for t in project.tracks if any(fx.is_reaeq for fx in t.fx))
        eq = track_eq_db(doc, track, 44100)
        assert eq.shape == (5,) and np.all(np.isfinite(eq))
        assert (np.abs(eq).max() < 1e-9) == expect_flat
