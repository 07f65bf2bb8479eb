"""Genre names and groups, the fallback chain, bank folders, `automix models`, mixing practice data."""

from __future__ import annotations

import numpy as np
import pytest

from automix.cli import main
from automix.errors import ModelError
from automix.knowledge.genres import (
    GENRE_GROUPS,
    PAPER_GENRES,
    genre_group,
    normalize_genre,
)
from automix.knowledge.practice import (
    GENRE_GROUP_OFFSETS_DB,
    PRACTICE,
    practice_figure,
    practice_relative_levels,
    typical_level_db,
    typical_pan,
)
from automix.knowledge.targets import power_sum_db
from automix.knowledge.track_types import TRACK_TYPE_IDS
from automix.models.bank import ALL, ModelBank, fallback_chain, installed_models_dir
from automix.models.files import TrainingInfo, info_for, save_model
from automix.models.mix_model import (
    MixModel,
    TypeTargets,
    type_feature_matrix,
    type_feature_names,
)

TYPES = ("kick", "bass", "lead_vox")


def _write(folder, genre, section, offset_db=0.0):
    rng = np.random.default_rng(0)
    n = 12
    per_type = rng.normal(size=(n, len(TYPES), 1))
    present = np.ones((n, len(TYPES)), dtype=bool)
    targets = TypeTargets(level=np.full((n, 3), offset_db), pan=np.zeros((n, 3)),
                          eq_db=np.zeros((n, 3, 5)), present=present)
    model = MixModel(TYPES, n_components=2).fit(type_feature_matrix(per_type, present), targets)
    info = info_for(model, genre, section, type_feature_names(TYPES, ("rms_db",)),
                    TrainingInfo("bank test", n_songs=n, n_samples=n))
    return save_model(model, info, folder)


def test_paper_genres_and_groups():
    assert len(GENRE_GROUPS) == 4 and len(PAPER_GENRES) == 15
    assert genre_group("Metal").id == "rock_punk_metal"
    assert genre_group("Singer/Songwriter").id == "pop_singer_songwriter"
    assert genre_group("Alt Rock").id == "alt_rock_blues"
    assert genre_group("Orchestral").id == "acoustic_jazz_country"
    assert genre_group("World/Folk").id == "acoustic_jazz_country"  # MedleyDB's label, automix extension
    assert genre_group("synthwave") is None
    assert normalize_genre("Alternative") == "alt_rock" and normalize_genre(" Hip-Hop ") == "hip_hop"
    with pytest.raises(ModelError, match="empty genre"):
        normalize_genre("  ")


def test_fallback_chain_order():
    assert fallback_chain("Punk", "chorus") == (
        ("punk", "chorus"), ("rock_punk_metal", "chorus"), ("punk", ALL), ("rock_punk_metal", ALL),
        (ALL, "chorus"), (ALL, ALL))
    assert fallback_chain("synthwave", None) == (("synthwave", ALL), (ALL, ALL))
    assert fallback_chain(None, "verse") == ((ALL, "verse"), (ALL, ALL))
    with pytest.raises(ModelError, match="'refrain'"):
        fallback_chain("rock", "refrain")


def test_bank_picks_the_most_specific_model(tmp_path):
    shipped, personal = tmp_path / "shipped", tmp_path / "personal"
    _write(shipped, "rock_punk_metal", "chorus")
    _write(shipped, "all", "all")
    _write(shipped, "pop", "all")
    bank = ModelBank([personal, shipped])
    choice = bank.find("metal", "chorus")
    assert (choice.genre_key, choice.section_key) == ("rock_punk_metal", "chorus")
    assert choice.tried == ("metal×chorus",) and not choice.is_exact
    assert "metal×chorus" in choice.describe()
    assert bank.find("Pop", "verse").genre_key == "pop"
    assert (bank.find("jazz", "intro").genre_key, bank.find("jazz", "intro").section_key) == (ALL, ALL)
    _write(personal, "metal", "chorus", offset_db=-3.0)
    bank = ModelBank([personal, shipped])
    choice = bank.find("metal", "chorus")
    assert choice.is_exact and choice.entry.path.parent == personal
    loaded = bank.load(choice)
    assert bank.load(choice) is loaded
    pred = loaded.model.predict(np.zeros(len(TYPES) + len(TYPES)), [True, True, True])
    np.testing.assert_allclose(pred.level, -3.0, atol=1e-9)


def test_bank_skips_broken_files_and_reports_missing_models(tmp_path):
    good = _write(tmp_path, "rock", "all")
    (tmp_path / "broken.json").write_text("{not json")
    bank = ModelBank([tmp_path, tmp_path / "absent"])
    errors = [e for e in bank.entries() if e.error]
    assert len(bank.entries()) == 2 and len(errors) == 1 and "broken.json" in errors[0].error
    assert bank.find("rock", "verse").entry.path == good
    with pytest.raises(ModelError) as err:
        bank.find("jazz", "verse")
    assert "jazz×verse" in str(err.value) and "all×all" in str(err.value)


def test_models_command_lists_and_checks(tmp_path, capsys):
    _write(tmp_path, "rock", "chorus")
    assert main(["models", "--no-installed", "--models", str(tmp_path), "--genre", "rock",
                 "--section", "chorus"]) == 0
    out = capsys.readouterr().out
    assert "rock × chorus: kde m=2" in out and "bank test" in out and "1 model(s)" in out
    assert "rock__chorus.json" in out
    (tmp_path / "rock__chorus.npz").write_bytes(b"tampered")
    assert main(["models", "--no-installed", "--models", str(tmp_path)]) == 1
    assert "BROKEN" in capsys.readouterr().out
    assert installed_models_dir().name == "models"


# ------------------------------------------------------------------ mixing practice data

def test_practice_covers_every_track_type_with_sources():
    assert {p.type_id for p in PRACTICE} == set(TRACK_TYPE_IDS)
    for p in PRACTICE:
        assert p.level_source and p.pan_source
        assert -1.0 <= p.pan <= 1.0 and 0.0 <= p.spread <= 1.0
    for group, offsets in GENRE_GROUP_OFFSETS_DB.items():
        assert group in {g.id for g in GENRE_GROUPS}
        assert all(t in TRACK_TYPE_IDS for t, _ in offsets)
    with pytest.raises(ModelError):
        practice_figure("theremin")


def test_practice_figures_are_consistent():
    pieces = [typical_level_db(t) for t in ("kick", "snare", "hihat", "tom", "overhead")]
    assert typical_level_db("drum_kit") == pytest.approx(power_sum_db(np.array(pieces)), abs=0.1)
    assert typical_pan("kick") == (0.0, 0.0) and typical_pan("overhead")[1] == 1.0
    assert typical_level_db("electric_guitar", "metal") > typical_level_db("electric_guitar", "pop")
    assert typical_level_db("kick", "jazz") < typical_level_db("kick", "rock")
    rel = practice_relative_levels(["lead_vox", "back_vox", "bass", "kick"], "pop")
    assert power_sum_db(rel) == pytest.approx(0.0, abs=1e-9)
    assert rel[0] == rel.max() and rel[0] - rel[1] == pytest.approx(4.0, abs=1e-9)


def test_bank_lists_a_model_with_an_unknown_section_as_broken(tmp_path):
    path = _write(tmp_path, "rock", "all")
    doc = path.read_text().replace('"section": "all"', '"section": "refrain"')
    path.write_text(doc)
    (entry,) = ModelBank([tmp_path]).entries()
    assert entry.info is None and "'refrain'" in entry.error and "rock__all.json" in entry.error


# ------------------------------------------------------------------ end to end over my modules

E2E_TYPES = ("kick", "snare", "bass", "electric_guitar", "lead_vox", "back_vox")


def _policy(per_type, present, section):
    """Known mixing policy: practice levels (rock) + section + a feature + the other tracks."""
    level = np.full(present.shape, np.nan)
    for i in range(len(present)):
        types = [t for t, p in zip(E2E_TYPES, present[i]) if p]
        base = dict(zip(types, practice_relative_levels(types, "rock")))
        for k, t in enumerate(E2E_TYPES):
            if present[i, k]:
                level[i, k] = (base[t] + (2.0 if section == "chorus" and t == "electric_guitar" else 0.0)
                               + 1.5 * per_type[i, k, 1]                       # brighter → louder
                               - (1.0 if t == "lead_vox" and present[i, 5] else 0.0))  # BVs present
    return level


def test_trained_bank_mixes_a_new_song_end_to_end(tmp_path):
    from automix.knowledge.sections import section_of_name
    from automix.knowledge.targets import (
        gains_from_relative_loudness,
        spread_type_loudness,
    )
    from automix.knowledge.track_types import merge_type_features, track_type_of

    rng = np.random.default_rng(21)
    names = ("rms_db", "brightness")
    for section in ("verse", "chorus"):
        per_type = np.stack([rng.uniform(-40, -10, (40, 6)), rng.normal(size=(40, 6))], axis=2)
        present = rng.random((40, 6)) > 0.3
        present[:, 4] = True
        targets = TypeTargets(_policy(per_type, present, section), np.zeros((40, 6)), np.zeros((40, 6, 5)),
                              present)
        model = MixModel(E2E_TYPES, n_components=6, alpha=0.1).fit(type_feature_matrix(per_type, present), targets)
        save_model(model, info_for(model, "rock_punk_metal", section, type_feature_names(E2E_TYPES, names),
                                   TrainingInfo("policy songs", 40, 40)), tmp_path)

    tracks = ["Kick In", "Snare Top", "Bass DI", "Gtr L", "Gtr R", "Lead Vox"]
    types = [track_type_of(n) for n in tracks]
    assert types == ["kick", "snare", "bass", "electric_guitar", "electric_guitar", "lead_vox"]
    rec_db = np.array([-12.0, -20.0, -15.0, -30.0, -18.0, -24.0])  # arbitrary recording levels
    bright = np.array([0.5, -0.2, 0.0, 1.0, 1.0, -0.5])
    per_type, present = merge_type_features(np.stack([rec_db, bright], axis=1), names, types, E2E_TYPES)
    bank = ModelBank([tmp_path])
    for region in ("Verse 1", "CHORUS x2"):
        section = section_of_name(region)
        choice = bank.find("Metal", section)
        assert (choice.genre_key, choice.section_key) == ("rock_punk_metal", section)
        model = bank.load(choice).model
        pred = model.predict(type_feature_matrix(per_type[None], present[None])[0], present)
        truth = _policy(per_type[None], present[None], section)[0][present]
        assert np.median(np.abs(pred.level - truth)) < 1.0
        # realise the type levels, then spread the guitars' share over their two tracks
        type_gain = gains_from_relative_loudness(pred.level, per_type[present, 0])
        g = pred.index("electric_guitar")
        gtr_target = per_type[present, 0][g] + type_gain[g]
        gtr_gains = spread_type_loudness(gtr_target, rec_db[3:5])
        after = rec_db[3:5] + gtr_gains
        assert after[0] == pytest.approx(after[1], abs=1e-9)  # recording difference (12 dB) removed
        assert power_sum_db(after) == pytest.approx(gtr_target, abs=1e-9)


def test_personal_folder_comes_before_the_shipped_one(tmp_path, monkeypatch):
    from automix.models.bank import (
        default_model_dirs,
        installed_models_dir,
        personal_models_dir,
    )
    monkeypatch.setenv("AUTOMIX_PERSONAL_MODELS", str(tmp_path / "mine"))
    assert personal_models_dir() == tmp_path / "mine"
    assert default_model_dirs() == [tmp_path / "mine", installed_models_dir()]
    monkeypatch.delenv("AUTOMIX_PERSONAL_MODELS")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    if not __import__("sys").platform.startswith(("win", "darwin")):
        assert personal_models_dir() == tmp_path / "data" / "automix" / "models"
