"""Issue 11 defect 6: without a genre in the project, the genre group is chosen from the instrumentation."""

from __future__ import annotations

import numpy as np
import pytest
from test_planner import build_test_bank, make_analysis

from automix.errors import ModelError
from automix.models.bank import ModelBank
from automix.models.genre_guess import (
    FAMILIES,
    MIN_CONFIDENCE,
    PROFILES_FILE,
    fit_profiles,
    guess_genre,
    load_profiles,
    save_profiles,
    song_profile,
)
from automix.plan.planner import make_plan

ELECTRONIC = ["kick", "hihat", "drum_kit", "synth", "synth", "fx", "fx", "fx", "back_vox", "lead_vox"]
ROCK = ["kick", "snare", "overhead", "bass", "electric_guitar", "electric_guitar", "lead_vox"]


def _profiles():
    songs = [ELECTRONIC, ELECTRONIC[:-2] + ["fx"], ROCK, ROCK + ["back_vox"]]
    profiles = [song_profile(t, np.full(len(t), -20.0)) for t in songs]
    return fit_profiles(profiles, ["pop_singer_songwriter"] * 2 + ["rock_punk_metal"] * 2,
                        ["electronic", "electronic", "rock", "rock"])


def test_profile_counts_playing_tracks_per_family():
    p = song_profile(["kick", "snare", "bass", "synth"], [-20.0, -20.0, -np.inf, -30.0])
    assert p.shape == (len(FAMILIES),)
    assert p[FAMILIES.index("drums")] == pytest.approx(2 / 3) and p[FAMILIES.index("bass")] == 0.0


def test_electronic_instrumentation_is_recognised_and_ambiguity_is_not_used():
    profiles = _profiles()
    g = guess_genre(song_profile(ELECTRONIC[1:], np.full(9, -20.0)), profiles)
    assert g.group == "pop_singer_songwriter" and g.genre == "electronic" and g.confidence > 0.9 and g.used
    halfway = (profiles.centroids["pop_singer_songwriter"] + profiles.centroids["rock_punk_metal"]) / 2
    g = guess_genre(halfway, profiles)
    assert g.confidence == pytest.approx(0.5) and not g.used and MIN_CONFIDENCE > 0.5
    assert "all-genre models" in g.describe()


def test_planner_mixes_with_the_guessed_genre_and_says_so(tmp_path):
    folder = build_test_bank(tmp_path / "bank", "practice")
    save_profiles(fit_profiles([song_profile(ROCK, np.full(7, -20.0)), song_profile(ELECTRONIC, np.full(10, -20.0))],
                               ["rock_punk_metal", "pop_singer_songwriter"], ["rock", "electronic"]), folder)
    levels = {"Kick": [-20.0, -20.0], "Snare": [-22.0, -22.0], "OH": [-30.0, -30.0], "Bass": [-24.0, -24.0],
              "Gtr 1": [-20.0, -20.0], "Gtr 2": [-21.0, -21.0], "Lead Vox": [-22.0, -22.0]}
    result = make_plan(make_analysis(levels), ModelBank([folder]), None)
    assert result.plan.genre == "rock" and "rock" in result.genre_note and "sure" in result.genre_note
    assert all("rock" in s for s in result.sources)
    told = make_plan(make_analysis(levels), ModelBank([folder]), "punk")
    assert told.genre_note == "" and told.plan.genre == "punk"


def test_bad_profiles_file_is_named(tmp_path):
    save_profiles(_profiles(), tmp_path)
    assert set(load_profiles(tmp_path).centroids) == {"pop_singer_songwriter", "rock_punk_metal"}
    (tmp_path / PROFILES_FILE).write_text('{"format_version": 1, "families": ["drums"], "groups": {}}')
    with pytest.raises(ModelError, match="profiles.json"):
        load_profiles(tmp_path)
