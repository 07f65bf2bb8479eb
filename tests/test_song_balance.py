"""Issue 11 defects 1–3 with known truth: level while playing, a static song balance, one pan per song."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_planner import _fit_and_save, build_test_bank, make_analysis

from automix.features.region import (
    LEVEL_FEATURE,
    REGION_FEATURE_NAMES,
    RegionFeatureAccumulator,
    RegionSpan,
)
from automix.knowledge.track_types import BASIC_TYPE_IDS
from automix.models.bank import ModelBank
from automix.plan.balance import shrink_deviation, song_balance
from automix.plan.planner import make_plan

RATE = 16000


@pytest.fixture(scope="module")
def bank(tmp_path_factory) -> ModelBank:
    return ModelBank([build_test_bank(tmp_path_factory.mktemp("bank"), "practice")])


def _level(stem: np.ndarray) -> float:
    acc = RegionFeatureAccumulator(RATE, [RegionSpan("Verse", 0.0, stem.shape[0] / RATE)], background=False)
    acc.push(stem)
    return float(acc.finish()[0].as_vector()[REGION_FEATURE_NAMES.index(LEVEL_FEATURE)])


# ---------------------------------------------------------------- defect 1: level while playing

def test_a_stem_silent_half_the_region_has_the_level_it_plays_at():
    rng = np.random.default_rng(0)
    full = rng.normal(0, 0.05, 10 * RATE)
    half = full.copy()
    half[5 * RATE:] = rng.normal(0, 1e-5, 5 * RATE)  # a noise floor 74 dB down, not digital silence
    assert _level(half) == pytest.approx(_level(full), abs=0.5)


def test_a_stem_silent_half_the_region_lands_at_the_same_level_in_the_mix(bank):
    rng = np.random.default_rng(1)
    kick = rng.normal(0, 0.1, 10 * RATE)
    vox = np.sin(2 * np.pi * 300 * np.arange(10 * RATE) / RATE) * 0.05
    gap = vox.copy()
    gap[: 5 * RATE] = 0.0
    placed = []
    for lead in (vox, gap):
        levels = {"Kick": [_level(kick)], "Lead Vox": [_level(lead)]}
        plan = make_plan(make_analysis(levels, sections=(("Verse", "verse", 0.0, 10.0),)), bank, "rock").plan
        g = {t.name: t.gain_db for t in plan.regions[0].tracks}
        placed.append(levels["Lead Vox"][0] + g["Lead Vox"] - (levels["Kick"][0] + g["Kick"]))
    assert placed[1] == pytest.approx(placed[0], abs=0.5)


# ---------------------------------------------------------------- defect 2: static balance, shrunk moves

def test_shrinkage_drops_moves_within_the_noise_and_keeps_confident_ones():
    d = np.array([0.0, 1.0, -2.9, 5.0, -8.0, np.nan])
    out = shrink_deviation(d, 3.0)
    assert out[:3].tolist() == [0.0, 0.0, 0.0]
    assert out[3] == pytest.approx(5.0 * (1 - 9 / 25)) and out[4] == pytest.approx(-8.0 * (1 - 9 / 64))
    assert np.isnan(out[5])


def test_song_balance_is_the_length_weighted_gain_plus_the_models_shrunk_moves():
    gains = np.array([[0.0, -3.0, np.nan], [2.0, -3.0, 1.0], [2.0, 7.0, np.nan]])
    levels = np.array([[-20.0, -20.0, np.nan], [-22.0, -20.0, -30.0], [-22.0, -20.0, np.nan]])
    out = song_balance(gains, levels, [10.0, 10.0, 20.0], [np.nan, np.nan, 1.0], [np.inf] * 3)
    # track 0: the model wants -20 dB everywhere (gain + level): static 1.5, no move
    assert out[:, 0] == pytest.approx([1.5, 1.5, 1.5])
    # track 1: wants -23, -23, -13 (mean -18): static 2.0, moves -5/-5/+5 shrunk with σ = 3
    # (section 2's σ = 1 is raised to the 3 dB floor): ±5·(1-9/25)
    assert out[:, 1] == pytest.approx([2 - 3.2, 2 - 3.2, 2 + 3.2])
    assert out[:, 2] == pytest.approx([1.0, 1.0, 1.0])  # plays once: that gain everywhere


def test_moves_automix_chooses_by_itself_never_make_a_3_db_jump():
    gains = np.array([[-3.0], [-3.0], [7.0]])
    levels = np.full((3, 1), -20.0)
    out = song_balance(gains, levels, [10.0, 10.0, 20.0], [3.0, 3.0, 3.0])
    assert np.abs(np.diff(out[:, 0])).max() < 3.0
    chosen = song_balance(gains, levels, [10.0, 10.0, 20.0], [3.0, 3.0, 3.0], [np.inf, np.inf, np.inf])
    assert chosen[2, 0] - chosen[1, 0] == pytest.approx(6.4)  # the user's chosen variant keeps its move


def test_the_arrangements_own_level_change_is_never_compensated():
    # the part is 5 dB louder in the chorus and the model wants the same heard level in both:
    # an engineer leaves the fader where it is, so does automix
    out = song_balance(np.array([[0.0], [-5.0]]), np.array([[-30.0], [-25.0]]), [10.0, 10.0], [0.5, 0.5])
    assert out[:, 0] == pytest.approx([-2.5, -2.5])


def test_a_stem_louder_in_the_chorus_keeps_one_fader_setting(bank):
    # the synth plays 5 dB louder in the chorus (the arrangement): a static fader keeps that
    levels = {"Kick": [-20.0, -20.0], "Bass": [-24.0, -24.0], "Synth": [-30.0, -25.0], "Lead Vox": [-22.0, -22.0]}
    plan = make_plan(make_analysis(levels), bank, "rock").plan
    for name in levels:
        g = [r.track(next(t.guid for t in r.tracks if t.name == name)).gain_db for r in plan.regions]
        assert abs(g[1] - g[0]) < 0.01, (name, g)


# ---------------------------------------------------------------- defect 3: one pan per track per song

@pytest.fixture(scope="module")
def panning_bank(tmp_path_factory) -> ModelBank:
    """rock × verse puts the guitars' and backing vocals' centre left (−0.4), rock × chorus right (+0.4)."""
    folder = tmp_path_factory.mktemp("panning")
    types = BASIC_TYPE_IDS
    for n, (section, centre) in enumerate((("verse", -0.4), ("chorus", 0.4))):
        rng = np.random.default_rng(n)
        present = rng.random((120, len(types))) < 0.7
        level = np.where(present, -10.0, 0.0)
        pan = np.zeros(present.shape)
        for t in ("electric_guitar", "back_vox", "hihat"):
            pan[:, types.index(t)] = centre
        _fit_and_save(Path(folder), "rock", section, level, pan, present, rng, "panning test model")
    return ModelBank([folder])


def test_pans_are_one_per_song_and_pairs_stay_mirrored(panning_bank):
    levels = {"Kick": [-20.0, -20.0], "Snare": [-22.0, -22.0], "Bass": [-24.0, -24.0],
              "Gtr 1": [-20.0, -20.0], "Gtr 2": [-21.0, -60.0],  # the second guitar drops out of the chorus
              "BV 1": [-30.0, -28.0], "BV 2": [-30.0, -28.0], "Hi-Hat": [-30.0, -30.0], "Lead Vox": [-22.0, -22.0]}
    plan = make_plan(make_analysis(levels), panning_bank, "rock").plan
    pans = {name: [next(t.pan for t in r.tracks if t.name == name) for r in plan.regions] for name in levels}
    for name, p in pans.items():
        assert p[0] == p[1], (name, p)  # no pan moves between sections
    for a, b in (("Gtr 1", "Gtr 2"), ("BV 1", "BV 2")):
        assert pans[a][0] == pytest.approx(-pans[b][0]) and abs(pans[a][0]) >= 0.3  # mirrored, apart
    for name in ("Kick", "Snare", "Bass", "Lead Vox"):
        assert pans[name] == [0.0, 0.0]
    assert -0.4 <= pans["Hi-Hat"][0] <= 0.4  # a single track: the song-level mean of its type's position


def test_section_pans_only_on_request_and_users_own_centre_pans_kept(panning_bank):
    levels = {"Kick": [-20.0, -20.0], "Hi-Hat": [-30.0, -30.0], "Lead Vox": [-22.0, -22.0]}
    analysis = make_analysis(levels, pans={"Kick": -0.25})
    moving = make_plan(analysis, panning_bank, "rock", section_pans=True).plan
    hat = [next(t.pan for t in r.tracks if t.name == "Hi-Hat") for r in moving.regions]
    assert hat[0] < hat[1] - 0.3  # the section models disagree: on request, each section has its own
    fixed = make_plan(analysis, panning_bank, "rock").plan
    assert [next(t.pan for t in r.tracks if t.name == "Kick") for r in fixed.regions] == [-0.25, -0.25]
