"""The shipped models in models/: loadable without pickle, complete, small, and better than equal loudness."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from automix.knowledge.genres import GENRE_GROUPS
from automix.models.bank import ModelBank, installed_models_dir
from automix.models.files import load_model
from automix.training.balance_restore import (
    REAL_EXCERPTS,
    excerpt_reference,
    restore_balance,
)

MODELS = installed_models_dir()
SHARED_AUDIO = Path(__file__).resolve().parents[2] / "shared" / "audio"
pytestmark = pytest.mark.skipif(not any(MODELS.glob("*.json")),
                                reason="models/ is empty: run recipes/build_shipped_models.py")


def test_every_model_loads_without_pickle():
    # eq/: the EQ target table; roles/, genres/, balance/: the role slope, genre profiles and track balance
    # (their own loaders)
    files = sorted(p for p in MODELS.rglob("*.json") if p.parent.name not in ("eq", "roles", "genres", "balance"))
    assert len(files) >= 17
    for path in files:
        loaded = load_model(path)  # checks the SHA-256 and loads with allow_pickle=False
        assert loaded.model.estimators_ and loaded.info.training.n_songs > 0
        with np.load(path.with_suffix(".npz"), allow_pickle=False) as data:
            assert all(data[k].dtype.kind == "f" for k in data.files)


@pytest.mark.parametrize("group", [g.id for g in GENRE_GROUPS])
@pytest.mark.parametrize("section", ["intro", "verse", "chorus"])
def test_a_model_for_each_group_and_section(group, section):
    bank = ModelBank([MODELS])
    choice = bank.find(group, section)
    assert (choice.genre_key, choice.section_key) == (group, section)
    member = next(g for g in GENRE_GROUPS if g.id == group).genres[0]
    assert bank.find(member, section).genre_key == group  # a genre of the group falls back to its group
    assert bank.load(choice).info.method == "kde"


def test_models_folder_is_small_and_documented():
    size = sum(p.stat().st_size for p in MODELS.rglob("*") if p.is_file())
    assert size < 2_700_000
    readme = (MODELS / "README.md").read_text(encoding="utf-8")
    assert "What they were trained on" in readme and "equal loudness" in readme
    for path in MODELS.glob("*.json"):
        assert path.stem in readme


@pytest.mark.skipif(not SHARED_AUDIO.is_dir(), reason="../shared/audio not present")
@pytest.mark.parametrize("folder", [e[0] for e in REAL_EXCERPTS])
def test_shipped_models_restore_a_real_balance_better_than_equal_loudness(folder):
    if not (SHARED_AUDIO / folder).is_dir():
        pytest.skip(f"{folder} not in ../shared/audio")
    feats, types, genre = excerpt_reference(SHARED_AUDIO, folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = restore_balance(folder, feats, types, genre, ModelBank([MODELS]),
                            baseline_bank=ModelBank([MODELS / "baselines" / "mlr"]), n_trials=10, seed=1)
    assert r.n_scored >= 3
    # mean |per-stem level error| in dB, stems re-gained ±12 dB: better than equal loudness, or within 0.5 dB
    # of the real balance where that balance is itself equal loudness (Falcon 69: 0.23 dB)
    assert r.model_db < max(r.equal_loudness_db, 0.5)
    assert r.model_db < 1.0


def test_the_shipped_track_balance_beat_equal_loudness_on_held_out_songs():
    balance = ModelBank([MODELS]).track_balance_model()  # recipes/build_track_balance.py
    assert balance.n_songs >= 3 and 0.0 < balance.ridge < float("inf")
    assert balance.loso_error_db < balance.equal_error_db


def test_a_track_recorded_30_db_quieter_moves_no_other_track(tmp_path):
    """The shipped models never read a recording level: only that track's gain makes up for it."""
    from dataclasses import replace

    from automix.cli import main
    from automix.features.analysis import analyse_project
    from automix.features.region import RegionFeatures
    from automix.plan.planner import make_plan
    from automix.project.reader import read_project
    from automix.training.balance_restore import shift_levels

    assert main(["-q", "demo", str(tmp_path), "--duration", "16"]) == 0
    analysis = analyse_project(read_project(tmp_path / "demo.rpp"))
    quiet = next(i for i, t in enumerate(analysis.tracks) if t.name == "Overheads")
    track = analysis.tracks[quiet]
    shifted = shift_levels(np.stack([f.as_vector() for f in track.features]), np.full(len(track.features), -30.0))
    features = tuple(RegionFeatures.from_vector(f.track, f.region, v) for f, v in zip(track.features, shifted))
    quieter = replace(analysis, tracks=tuple(replace(t, features=features) if i == quiet else t
                                             for i, t in enumerate(analysis.tracks)))
    bank = ModelBank([MODELS])
    before, after = (np.array([[t.gain_db for t in r.tracks] for r in make_plan(a, bank, "rock").plan.regions])
                     for a in (analysis, quieter))
    moved = after - before
    assert np.allclose(moved[:, quiet], 30.0, atol=0.05)
    others = np.delete(moved, quiet, axis=1)
    assert np.abs(others).max() < 0.05, others


def test_the_whole_song_recorded_20_db_quieter_gets_20_db_more_everywhere(tmp_path):
    """Analysed again from quieter media, every track's gain rises by the same 20 dB (the activity threshold is
    relative to each track's loudest frame; only BS.1770's absolute gate still sees the level)."""
    import soundfile as sf

    from automix.cli import main
    from automix.features.analysis import analyse_project
    from automix.plan.model import MAX_PLAN_GAIN_DB
    from automix.plan.planner import make_plan
    from automix.project.reader import read_project

    assert main(["-q", "demo", str(tmp_path), "--duration", "16"]) == 0
    bank = ModelBank([MODELS])

    def gains() -> np.ndarray:
        plan = make_plan(analyse_project(read_project(tmp_path / "demo.rpp")), bank, "rock").plan
        return np.array([[t.gain_db for t in r.tracks] for r in plan.regions])

    before = gains()
    for media in sorted((tmp_path / "media").glob("*.wav")):
        audio, rate = sf.read(media)
        sf.write(media, audio * 10 ** (-20 / 20), rate, subtype="FLOAT")
    after = gains()
    reachable = after < MAX_PLAN_GAIN_DB - 0.01  # a track needing more than the plan's reach is clipped there
    assert reachable.mean() > 0.8
    moved = (after - before)[reachable]
    assert np.abs(moved - 20.0).max() < 0.3, moved
