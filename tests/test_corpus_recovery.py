"""The generated corpus: exact ground truth read back, and leave-one-out recovery of the mixing policy."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from automix.knowledge.track_types import TRACK_TYPE_IDS
from automix.models.bank import ModelBank
from automix.training.corpus import build_corpus, policy_eq_db, policy_levels_db
from automix.training.evaluation import loocv_errors
from automix.training.project_truth import samples_from_project

SHARED_AUDIO = Path(__file__).resolve().parents[2] / "shared" / "audio"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    projects = build_corpus(folder, n_projects=12, n_synth_songs=2, synth_duration_s=12.0, sample_rate=16000,
                            genres=("rock",), seed=5)
    samples = [s for p in projects for s in samples_from_project(p.path)]
    return projects, samples


def test_corpus_projects_are_finished_mixes(corpus):
    projects, samples = corpus
    assert len(projects) == 12 and len({s.song_id for s in samples}) == 12
    text = projects[0].path.read_text(encoding="utf-8")
    assert "<VOLENV2" in text and "<PANENV2" in text and "automix EQ" in text and "genre: rock" in text
    assert {s.section for s in samples} == {"intro", "verse", "chorus"}


def test_exact_ground_truth_matches_the_policy(corpus):
    _, samples = corpus
    level_err, eq_err = [], []
    for s in samples:
        types = [TRACK_TYPE_IDS[k] for k in np.flatnonzero(s.present)]
        policy = policy_levels_db(types, s.genre, s.section)  # without the song's engineer deviation
        level_err += list(s.level_rel_db[s.present] - policy)
        eq_err += [np.abs(s.eq_db[TRACK_TYPE_IDS.index(t)] - policy_eq_db(t, s.genre)).max() for t in types]
    # the only differences: the per-song deviation (sd 0.4 dB) and envelope ramps at region edges
    assert np.median(np.abs(level_err)) < 0.6
    assert np.max(eq_err) < 0.35  # ReaEQ bands read back and projected onto the 5 bands


def test_leave_one_out_recovers_gains_and_kde_beats_mlr(corpus):
    _, samples = corpus
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        kde = loocv_errors(samples, "kde", 8).summary()
        mlr = loocv_errors(samples, "mlr").summary()
    assert kde["median_abs_db"] <= 1.0
    assert kde["mae_db"] < mlr["mae_db"]
    assert kde["alpha_mse"] < mlr["alpha_mse"]


def test_learn_builds_a_usable_personal_bank(corpus, tmp_path):
    from automix.training.fit import learn_from_projects

    projects, _ = corpus
    summary = learn_from_projects([p.path for p in projects[:6]], tmp_path)
    assert "6 project(s)" in summary
    bank = ModelBank([tmp_path])
    choice = bank.find("rock", "chorus")
    assert choice.is_exact and bank.load(choice).info.training.n_songs == 6
    again = learn_from_projects([projects[0].path, projects[6].path], tmp_path)
    assert "7 project(s) in total" in again  # project 0 replaced, project 6 added


@pytest.mark.skipif(not SHARED_AUDIO.is_dir(), reason="../shared/audio not present")
def test_corpus_from_real_raw_tracks_types_and_sections(tmp_path):
    projects = build_corpus(tmp_path, n_projects=1, n_synth_songs=0, shared_audio=SHARED_AUDIO, genres=("rock",))
    assert projects[0].pool == "cambridge"
    rows = samples_from_project(projects[0].path)
    assert [r.section for r in rows] == ["intro", "verse", "chorus"]
    present = {TRACK_TYPE_IDS[k] for r in rows for k in np.flatnonzero(r.present)}
    assert {"kick", "snare", "lead_vox"} <= present
    assert present <= {"kick", "snare", "tom", "percussion", "electric_guitar", "acoustic_guitar", "lead_vox",
                       "back_vox"}


def test_a_project_without_genre_is_refused_with_its_name(corpus, tmp_path):
    from automix.cli import main

    projects, _ = corpus
    text = projects[0].path.read_text(encoding="utf-8").replace("|genre: rock", "|no genre here")
    bare = projects[0].path.with_name("no-genre.rpp")
    bare.write_text(text, encoding="utf-8")
    try:
        assert main(["learn", str(bare), "--out", str(tmp_path / "m")]) == 2
        assert main(["learn", str(bare), "--out", str(tmp_path / "m"), "--genre", "Punk"]) == 0
        assert ModelBank([tmp_path / "m"]).find("punk", "verse").is_exact
    finally:
        bare.unlink()
