"""Genre groups' type-level weights decided on held-out real songs (automix.training.level_weights)."""

from __future__ import annotations

import math

import numpy as np
from test_planner import BAND, _gains, build_test_bank, make_analysis

from automix.models.bank import ModelBank
from automix.models.files import load_model
from automix.plan.planner import make_plan
from automix.plan.type_levels import REAL_SONG_LEVEL_WEIGHT
from automix.training.level_weights import group_level_weights, set_group_level_weights
from automix.training.real_eval import SongScore


def _score(song: str, told: bool, error_db: float, full_db: float = math.nan) -> SongScore:
    return SongScore(song, 8, 1, error_db, 3.0, 4.0, 6.0, 0, 0, 0, 0.0, "electronic", told, full_db)


GENRES = {"a": "electronic", "b": "electronic", "c": "electronic", "d": "electronic", "r": "rock"}


def test_a_group_whose_songs_do_better_without_its_type_levels_gets_weight_0():
    scores = [_score(s, True, 4.0) for s in "abcd"] + [_score(s, False, 3.0) for s in "abcd"]
    scores += [_score("r", True, 2.0), _score("r", False, 3.0)]
    weights = group_level_weights(scores, GENRES)
    assert weights == {"pop_singer_songwriter": 0.0}  # rock has one song: not decided, keeps its weight
    # the same songs, the type levels helping: weight 1
    better = [_score(s, True, 2.5) for s in "abcd"] + [_score(s, False, 3.0) for s in "abcd"]
    assert group_level_weights(better, GENRES) == {"pop_singer_songwriter": 1.0}


def test_the_decision_leaves_the_scored_song_out_and_reads_the_full_weight_error():
    scores = [_score(s, True, 3.5) for s in "abc"] + [_score(s, False, 3.0) for s in "abc"]
    scores += [_score("d", True, 1.0), _score("d", False, 9.0)]  # d alone would tip the mean the other way
    assert group_level_weights(scores, GENRES) == {"pop_singer_songwriter": 1.0}
    assert group_level_weights(scores, GENRES, exclude="d") == {"pop_singer_songwriter": 0.0}
    assert group_level_weights(scores, GENRES, exclude="a") == {"pop_singer_songwriter": 1.0}
    assert group_level_weights(scores, GENRES, exclude="a", min_songs=4) == {}
    # a told row mixed again with a lower weight is judged by its full-weight error
    renested = [_score(s, True, 2.0, full_db=3.5) for s in "abc"] + [_score(s, False, 3.0) for s in "abc"]
    assert group_level_weights(renested, GENRES) == {"pop_singer_songwriter": 0.0}


def test_a_weight_of_0_in_the_model_files_leaves_the_levels_to_the_track_balance(tmp_path):
    folder = build_test_bank(tmp_path / "bank", "practice")
    analysis = make_analysis(BAND)
    heard = {name: lv[0] + 1.0 for name, lv in BAND.items()}
    before = make_plan(analysis, ModelBank([folder]), "rock", use_eq=False).plan
    written = set_group_level_weights(folder, {"rock_punk_metal": 0.0})
    assert {p.stem for p in written} == {"rock__chorus", "rock__verse", "rock__all", "punk__all"}
    for p in written:  # still a valid model file (its arrays' digest holds), carrying the figure
        assert load_model(p).info.evaluation[REAL_SONG_LEVEL_WEIGHT] == 0.0
    after = make_plan(analysis, ModelBank([folder]), "rock", use_eq=False).plan
    spread = {name: np.ptp([heard[n] + g for n, g in _gains(plan).items()]) for name, plan in
              (("before", before), ("after", after))}
    assert spread["before"] > 3.0 and spread["after"] < 0.02  # no track balance in this bank: equal loudness
    assert load_model(folder / "all__all.json").info.evaluation.get(REAL_SONG_LEVEL_WEIGHT) is None
