"""Track names → types (messy real names, overrides) and merging/spreading tracks of a type."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from automix.errors import PlanError, ProjectError
from automix.knowledge.targets import (
    merge_by_type,
    power_sum_db,
    spread_type_gain,
    spread_type_loudness,
    spread_type_pan,
)
from automix.knowledge.track_names import name_tokens
from automix.knowledge.track_types import (
    BASIC_TYPE_IDS,
    TRACK_TYPE_IDS,
    classify_project_tracks,
    classify_track,
    merge_type_features,
    parse_track_type,
    strip_type_tag,
    track_side_hint,
    track_type,
    track_type_of,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"


def test_twelve_basic_types_and_the_extra_ones():
    assert len(BASIC_TYPE_IDS) == 12
    assert len(set(TRACK_TYPE_IDS)) == len(TRACK_TYPE_IDS)
    for extra in ("keys", "synth", "strings", "brass_winds", "fx", "other", "drum_kit"):
        assert extra in TRACK_TYPE_IDS and extra not in BASIC_TYPE_IDS
    assert track_type("lead_vox").display_name == "Lead Vox"
    with pytest.raises(ProjectError, match="'tuba'"):
        track_type("tuba")


def test_tokens_split_camel_case_digits_and_punctuation():
    assert name_tokens("01_KickTrigger") == ("01", "kick", "trigger")
    assert name_tokens("16_LeadVoxDT") == ("16", "lead", "vox", "dt")
    assert name_tokens("6.Caesium_Stem_BGVOX HARMONY") == ("6", "caesium", "stem", "bgvox", "harmony")
    assert name_tokens("K & SN") == ("k", "sn")
    assert name_tokens("Бас-гитара 2") == ("бас", "гитара", "2")  # Cyrillic names exist in real projects


@pytest.mark.parametrize("name, expected", [
    ("01_KickTrigger", "kick"), ("16_LeadVoxDT", "lead_vox"), ("OH L", "overhead"),
    ("Gtr DI", "electric_guitar"), ("BV 3", "back_vox"), ("Vox Dbl", "lead_vox"),
    ("K & SN", "drum_kit"), ("SY BASS", "bass"), ("Bass Drum", "kick"), ("Snare Drum", "snare"),
    ("Drum Room", "drum_room"), ("Floor Tom", "tom"), ("Hi-Hat", "hihat"), ("Lead Gtr", "electric_guitar"),
    ("Bass Gtr", "bass"), ("Scratch Vox", "lead_vox"), ("Choir", "back_vox"), ("Rhodes", "keys"),
    ("Pad", "synth"), ("Horns", "brass_winds"), ("Cello", "strings"), ("Riser", "fx"), ("Acoustic", "acoustic_guitar"),
    ("", "other"), ("Track 7", "other"), ("BG A", "other"), ("BG Vox", "back_vox"),
    ("Upright Piano", "keys"), ("Upright Bass", "bass"), ("A.Gtr", "acoustic_guitar"), ("Gtr A", "electric_guitar"),
    ("12 String", "acoustic_guitar"), ("Kick Sub", "kick"), ("Acoustic Bass", "bass"), ("Lead Synth", "synth"),
])
def test_messy_names(name, expected):
    assert track_type_of(name) == expected


CAMBRIDGE = {
    "01_KickTrigger": "kick", "02_Snare": "snare", "04_Tom1": "tom", "05_Tom2": "tom",
    "06_Tambourine": "percussion", "08_ElecGtr1": "electric_guitar", "09_ElecGtr2": "electric_guitar",
    "10_ElecGtr3": "electric_guitar", "11_ElecGtr4": "electric_guitar", "12_AcGtr1": "acoustic_guitar",
    "13_AcGtr2": "acoustic_guitar", "16_LeadVoxDT": "lead_vox", **{f"{17 + i}_BackingVox{i + 1}": "back_vox"
                                                                   for i in range(6)},
}
CAESIUM = {
    "ALT HATS": "hihat", "BGVOX ALT": "back_vox", "BGVOX ECHO": "back_vox", "BGVOX HARMONY": "back_vox",
    "BGVOX HIGH": "back_vox", "BGVOX MAIN_mobile": "back_vox", "BREAK": "drum_kit", "BUILD": "fx",
    "FILL SCRATCH": "fx", "GARAGE BEAT": "drum_kit", "HATS": "hihat", "KICK": "kick",
    "MICROCOSM_EFFECT": "fx", "MINILOGUE_SYNTH_mobile": "synth", "SCRATCH HATS": "hihat", "VOX LEAD": "lead_vox",
}
MUSDB = {"drums": "drum_kit", "bass": "bass", "other": "other", "vocals": "lead_vox", "mixture": "other"}
MEDLEYDB_LABELS = {
    "acoustic guitar": "acoustic_guitar", "flute": "brass_winds", "violin": "strings", "Main System": "other",
    "drum set": "drum_kit", "electric bass": "bass", "distorted electric guitar": "electric_guitar",
    "male singer": "lead_vox",
}


def _audio_dir() -> Path:
    d = SHARED / "audio"
    if not d.is_dir():
        pytest.skip(f"real recordings not available ({d} missing)")
    return d


def test_every_real_file_name_in_shared_audio():
    audio = _audio_dir()
    checked = 0
    for f in sorted(audio.rglob("*")):
        if f.suffix.lower() not in (".wav", ".m4a"):
            continue
        stem = f.stem
        if f.parent.name.startswith("cambridge"):
            expected = CAMBRIDGE[stem]
        elif f.parent.name.startswith("caesium"):
            if "Master" in stem:
                expected = "other"
            else:
                expected = CAESIUM[stem.split("Stem_", 1)[1]]
        elif f.parent.name.startswith("musdb"):
            expected = MUSDB[stem]
        elif f.parent.name.startswith("medleydb") or f.parent.parent.name.startswith("medleydb"):
            expected = "other"  # MedleyDB Raw/Stems/Mix: the file names say nothing, the yaml labels do
        else:
            continue
        assert track_type_of(stem) == expected, f.name
        checked += 1
    assert checked >= 40


def test_medleydb_yaml_instrument_labels():
    audio = _audio_dir()
    labels = set()
    for y in audio.rglob("*_METADATA.yaml"):
        labels |= {m.strip().strip("'\"") for m in re.findall(r"instrument:\s*(.+)", y.read_text())}
    assert labels, "no instrument labels found"
    for label in labels:
        assert track_type_of(label) == MEDLEYDB_LABELS[label], label


CORPUS_EXPECTED = {
    "Kick": "kick", "kick": "kick", "Bass": "bass", "Drums": "drum_kit", "Kick+Snare+Toms": "drum_kit",
    "MT-PowerDrumKit": "drum_kit", "Cymbals": "overhead", "Guitar": "electric_guitar", "guitar": "electric_guitar",
    "Synth": "synth", "ReaSynth": "synth", "Absynth 5": "synth", "Backing": "back_vox", "Lead": "lead_vox",
    "Harmony": "back_vox", "PART DRUMS": "drum_kit", "PART BASS": "bass", "PART GUITAR": "electric_guitar",
    "PART VOCALS": "lead_vox", "PART KEYS": "keys", "HARM1": "back_vox", "FX A": "fx", "Speaker 1": "other",
    "Left": "other", "Right": "other",
}


def _corpus_track_names() -> list[str]:
    corpus = SHARED / "rpp-corpus"
    if not corpus.is_dir():
        pytest.skip(f"REAPER project corpus not available ({corpus} missing)")
    names = []
    for f in sorted(corpus.rglob("*.rpp")):
        in_track = False
        for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
            s = line.strip()
            if s.startswith("<TRACK"):
                in_track = True
            elif in_track and s.startswith("NAME "):
                raw = s[5:].strip()
                if raw[:1] in "\"'`" and raw.endswith(raw[0]) and len(raw) >= 2:
                    raw = raw[1:-1]
                names.append(raw)
                in_track = False
    return names


def test_corpus_track_names():
    names = _corpus_track_names()
    assert len(names) > 100
    seen = set()
    for name in names:
        t = track_type_of(name)  # tricky strings (quotes, <, >) must not break it
        assert t in TRACK_TYPE_IDS
        if name in CORPUS_EXPECTED:
            assert t == CORPUS_EXPECTED[name], name
            seen.add(name)
    assert len(seen) >= 15


def test_override_by_name_tag_and_notes():
    c = classify_track("Gtr DI [type: bass]")
    assert (c.type_id, c.source) == ("bass", "override")
    assert track_type_of("Gtr DI [TYPE=Lead Vox]") == "lead_vox"
    assert track_type_of("Synth 2", notes="recorded at home\ntype: Keys/Piano\n") == "keys"
    assert track_type_of("Weird", notes="Type: brass-winds") == "brass_winds"
    assert strip_type_tag("Gtr DI [type: bass]") == "Gtr DI"
    assert parse_track_type("ELECTRIC GUITAR") == "electric_guitar"
    with pytest.raises(ProjectError) as err:
        classify_track("Gtr DI [type: banjo-ukulele]")
    assert "Gtr DI" in str(err.value) and "banjo-ukulele" in str(err.value)


def test_side_hints():
    assert [track_side_hint(n) for n in ("OH L", "OH R", "Gtr Left", "Room", "L R")] == [-1, 1, -1, 0, 0]


# ------------------------------------------------------------------ merge / spread

def test_merge_sums_energies_per_type():
    energies = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [0.5, 0.5]])
    groups, merged = merge_by_type(energies, ["electric_guitar", "bass", "electric_guitar", "bass"])
    assert groups.type_ids == ("electric_guitar", "bass")
    assert groups.members_of("electric_guitar") == (0, 2) and groups.members_of("kick") == ()
    np.testing.assert_allclose(merged, [[6.0, 8.0], [3.5, 4.5]])
    with pytest.raises(PlanError):
        merge_by_type(energies, ["bass"])


def test_spread_gain_puts_each_track_at_its_share_of_the_type_target():
    levels = np.array([-20.0, -32.0, -26.0])  # arbitrary recording levels of three guitars
    gains = spread_type_gain(3.0, levels)
    after = levels + gains
    np.testing.assert_allclose(after, after[0], atol=1e-9)  # equal shares → equal levels
    assert power_sum_db(after) == pytest.approx(power_sum_db(levels) + 3.0, abs=1e-9)
    assert after[0] == pytest.approx(power_sum_db(levels) + 3.0 - 10 * np.log10(3), abs=1e-9)


def test_spread_loudness_ignores_recording_level_and_respects_shares():
    levels = np.array([-18.0, -30.0])
    gains = spread_type_loudness(-10.0, levels, shares=[2.0, 1.0])
    after = levels + gains
    assert after[0] - after[1] == pytest.approx(10 * np.log10(2.0), abs=1e-9)
    assert power_sum_db(after) == pytest.approx(-10.0, abs=1e-9)
    hotter = spread_type_loudness(-10.0, levels + np.array([6.0, 0.0]), shares=[2.0, 1.0])
    np.testing.assert_allclose(hotter, gains + np.array([-6.0, 0.0]), atol=1e-9)


def test_spread_silent_track_gets_no_gain_and_no_share():
    gains = spread_type_loudness(-12.0, [-20.0, -np.inf, -200.0])
    assert gains[1] == 0.0 and gains[2] == 0.0
    assert -20.0 + gains[0] == pytest.approx(-12.0)
    with pytest.raises(PlanError, match="shares"):
        spread_type_loudness(-12.0, [-20.0, -25.0], shares=[1.0, -1.0])


def test_spread_pan_pairs_left_right_around_the_type_position():
    np.testing.assert_allclose(spread_type_pan(0.3, 1), [0.3])
    np.testing.assert_allclose(spread_type_pan(0.0, 2, width=1.0), [-1.0, 1.0])
    four = spread_type_pan(0.0, 4, width=0.8)
    np.testing.assert_allclose(four, [-0.8, 0.8, -0.4, 0.4])
    for n in range(1, 8):
        for pan in (-0.9, -0.2, 0.0, 0.5, 1.0):
            p = spread_type_pan(pan, n, width=0.7)
            assert np.all(np.abs(p) <= 1.0 + 1e-12)
            assert p.mean() == pytest.approx(pan, abs=1e-9)
    with pytest.raises(PlanError, match="1.5"):
        spread_type_pan(1.5, 2)


def test_spread_pan_follows_left_right_names():
    names = ["OH R", "OH L"]
    p = spread_type_pan(0.0, 2, width=1.0, side_hints=[track_side_hint(n) for n in names])
    np.testing.assert_allclose(p, [1.0, -1.0])


def test_merge_type_features_adds_levels_and_power_weights_the_rest():
    names = ("loudness_lufs", "rms_db", "centroid_hz", "lr_balance_db", "active_fraction")
    vectors = np.array([
        [-14.0, -10.0, 1000.0, 3.0, 0.5],      # guitar 1
        [-24.0, -20.0, 3000.0, -3.0, 0.9],     # guitar 2, 10 dB quieter
        [-18.0, -15.0, np.nan, 0.0, 0.0],      # bass, never active: spectral NaN
    ])
    per_type, present = merge_type_features(vectors, names, ["electric_guitar", "electric_guitar", "bass"],
                                            ["kick", "bass", "electric_guitar"])
    assert list(present) == [False, True, True]
    assert np.all(np.isnan(per_type[0]))
    gtr = per_type[2]
    assert gtr[1] == pytest.approx(10 * np.log10(0.1 + 0.01), abs=1e-9)  # power sum of -10 and -20 dB
    assert gtr[0] == pytest.approx(10 * np.log10(10 ** -1.4 + 10 ** -2.4), abs=1e-9)
    assert gtr[2] == pytest.approx((0.1 * 1000 + 0.01 * 3000) / 0.11, rel=1e-9)
    assert gtr[3] == pytest.approx((0.1 * 3.0 - 0.01 * 3.0) / 0.11, rel=1e-9)  # a balance is averaged
    assert gtr[4] == 0.9
    assert np.isnan(per_type[1, 2]) and per_type[1, 1] == -15.0
    with pytest.raises(ProjectError, match="feature names"):
        merge_type_features(vectors[:, :2], names, ["bass"] * 3, ["bass"])


def _project(names):
    from automix.project.model import Fade, Item, Project, Source, Take, Track

    def audio_item():
        take = Take("t", 1.0, False, 0.0, 0.0, 1.0, True, 0.0, 0, Source("WAVE", "a.wav"))
        return Item(0.0, 1.0, 0.0, False, 1.0, Fade(), Fade(), False, (take,), 0)

    tracks = tuple(
        Track(i, f"{{G{i}}}", n, 1.0, 0.0, False, False, 1 if n == "Drums" else 0, None,
              items=() if n == "Drums" else (audio_item(),), line=10 * i + 1)
        for i, n in enumerate(names))
    return Project(Path("song.rpp"), Path("."), "7.0", 44100, 120.0, tracks, (), ())


def test_classify_project_tracks_skips_folder_buses():
    types = classify_project_tracks(_project(["Drums", "Kick In", "OH L", "OH R", "Gtr DI [type: bass]"]))
    assert [(t.track_index, t.type_id, t.side_hint) for t in types] == [
        (1, "kick", 0), (2, "overhead", -1), (3, "overhead", 1), (4, "bass", 0)]
    with pytest.raises(ProjectError) as err:
        classify_project_tracks(_project(["Gtr [type: kazoo]"]))
    assert "song.rpp:1" in str(err.value) and "'Gtr [type: kazoo]'" in str(err.value)
