"""Planner: features + model bank + genre → MixPlan (no audio: analyses are built directly).

Also holds the test model banks the other product tests import (``build_test_bank``):
until the shipped models exist, tests train small KDE models on synthetic data.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from automix.audio.loudness import integrated_loudness
from automix.errors import ModelError, PlanError
from automix.features.analysis import ProjectAnalysis, TrackAnalysis
from automix.features.region import RegionFeatures
from automix.jobs.mix import known_genres, resolve_genre
from automix.knowledge.practice import practice_relative_levels, typical_pan
from automix.knowledge.sections import SongSection
from automix.knowledge.targets import normalize_relative_loudness, power_sum_db
from automix.knowledge.track_types import BASIC_TYPE_IDS
from automix.models.bank import ModelBank
from automix.models.files import TrainingInfo, info_for, save_model
from automix.models.mix_model import (
    MixModel,
    TypeTargets,
    leave_one_group_out,
    type_feature_names,
)
from automix.plan.corrective_eq import corrective_eq
from automix.plan.model import MAX_PLAN_GAIN_DB
from automix.plan.planner import active_matrix, make_plan
from automix.plan.sources import section_sources
from automix.plan.suggest import suggest_region
from automix.plan.type_levels import MODEL_LEVEL_WEIGHT
from automix.project.model import Project, Track

MODEL_FEATURES = ("rms_db", "centroid_hz", "active_fraction")


def _fit_and_save(directory: Path, genre: str, section: str, level: np.ndarray, pan: np.ndarray,
                  present: np.ndarray, rng: np.random.Generator, description: str,
                  songs: np.ndarray | None = None) -> None:
    """Fit and save one model; with ``songs`` (song id per row) its leave-one-song-out error is recorded."""
    rows, n_types = present.shape
    feats = np.stack([rng.normal(-25, 8, (rows, n_types)), rng.uniform(100, 5000, (rows, n_types)),
                      rng.uniform(0.2, 1, (rows, n_types))], axis=2)
    X = np.concatenate([np.where(present[:, :, None], feats, 0).reshape(rows, -1), present.astype(float)], axis=1)
    eq = rng.normal(0, 0.5, level.shape + (5,))
    targets = TypeTargets(level, pan, eq, present)
    model = MixModel(BASIC_TYPE_IDS, "kde", n_components=8, alpha=10.0).fit(X, targets)
    figures = {}
    if songs is not None:
        loo = leave_one_group_out(model, X, targets, [str(s) for s in songs])
        figures["loocv_level_mse_db2"] = float(np.mean((loo.level - level)[present] ** 2))
    info = info_for(model, genre, section, type_feature_names(BASIC_TYPE_IDS, MODEL_FEATURES),
                    TrainingInfo(description, rows, rows), figures)
    save_model(model, info, directory)


def build_test_bank(directory: Path, kind: str = "practice", seed: int = 0, rows: int = 200) -> Path:
    """Train and save a small model bank; returns ``directory``.

    ``kind="practice"``: models for rock × chorus/verse/all, punk × all and all × all trained on the
    published mixing-practice levels (:mod:`automix.knowledge.practice`) of random subsets of types.
    ``kind="house"``: rock × intro/verse/chorus/outro trained on three *other* songs of the demo
    generator (seeds 100+, 12 s) mixed as its engineer intends: each type's level in the mix per
    section (section loudness of the part + its intended gain) relative to the mix, random subsets of
    types — a personal model of that engineer. Inputs are random features, so the models learn
    each type's typical level per section.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    types = BASIC_TYPE_IDS
    if kind == "practice":
        specs = (("rock", "chorus"), ("rock", "verse"), ("rock", "all"), ("punk", "all"), ("all", "all"))
        for n, (genre, section) in enumerate(specs):
            rng = np.random.default_rng([seed, n])
            present = rng.random((rows, len(types))) < 0.7
            present[:, types.index("lead_vox")] = True
            level, pan = np.zeros(present.shape), np.zeros(present.shape)
            for i in range(rows):
                idx = np.flatnonzero(present[i])
                level[i, idx] = practice_relative_levels([types[j] for j in idx], None if genre == "all" else genre) \
                    + rng.normal(0, 0.3, idx.size)
                pan[i, idx] = [typical_pan(types[j])[0] for j in idx]
            _fit_and_save(directory, genre, section, level, pan, present, rng, "practice test model")
        return directory
    from automix.demo.synth import synthesize_song

    songs = [synthesize_song(100 + seed + n, 12.0, 16000) for n in range(3)]  # other songs, same engineer
    for n, section in enumerate(("intro", "verse", "chorus", "outro")):
        rng = np.random.default_rng([seed, 100 + n])
        present, level = np.zeros((rows, len(types)), bool), np.zeros((rows, len(types)))
        for i in range(rows):
            song = songs[i % len(songs)]
            k = next(j for j, sec in enumerate(song.sections) if sec.kind == section)
            sec = song.sections[k]
            a, b = int(round(sec.start_s * song.sample_rate)), int(round(sec.end_s * song.sample_rate))
            by_type: dict[str, list[float]] = {}
            for part in song.parts:
                if part.active[k] and (part.track_type == "lead_vox" or rng.random() > 0.2):
                    x = part.audio[a:b] if part.audio.ndim == 2 else np.stack([part.audio[a:b]] * 2, axis=1)
                    level_db = integrated_loudness(x, song.sample_rate) + part.balance_db[k]  # loudness in the mix
                    by_type.setdefault(part.track_type, []).append(level_db)
            ts = sorted(by_type, key=types.index)
            lv = normalize_relative_loudness(np.array([power_sum_db(np.array(by_type[t])) for t in ts]))
            for t, v in zip(ts, lv):
                present[i, types.index(t)] = True
                level[i, types.index(t)] = v + rng.normal(0, 0.3)
        _fit_and_save(directory, "rock", section, level, np.zeros(level.shape), present, rng, "house test model",
                      songs=np.arange(rows) % len(songs))
    return directory


@pytest.fixture(scope="module")
def bank(tmp_path_factory) -> ModelBank:
    return ModelBank([build_test_bank(tmp_path_factory.mktemp("bank"), "practice")])


# ---------------------------------------------------------------- synthetic analyses

def _features(track: str, region: str, rms_db: float, active: float = 0.9) -> RegionFeatures:
    return RegionFeatures(track=track, region=region, loudness_lufs=rms_db + 1.0, rms_db=rms_db,
                          centroid_hz=1000.0, slope_db_per_oct=-3.0, spread_hz=800.0, zcr=0.05,
                          band_db=(rms_db - 6,) * 5, lr_balance_db=0.0, active_fraction=active)


def make_analysis(levels: dict[str, list[float]], sections=(("Verse", "verse", 0.0, 10.0), ("Chorus", "chorus", 10.0, 20.0)),
                  pans: dict[str, float] | None = None) -> ProjectAnalysis:
    """An analysis of tracks with the given RMS level (dBFS) per section."""
    tracks, analysed = [], []
    for i, (name, per_section) in enumerate(levels.items()):
        guid = "{%08d-0000-0000-0000-000000000000}" % i
        tracks.append(Track(i, guid, name, 1.0, (pans or {}).get(name, 0.0), False, False, 0, None))
        feats = tuple(_features(name, s[0], lv) for s, lv in zip(sections, per_section))
        analysed.append(TrackAnalysis(guid, name, i, feats))
    project = Project(Path("/nonexistent/song.rpp"), Path("/nonexistent"), "7.18", 44100, 120.0, tuple(tracks),
                      (), ())
    secs = tuple(SongSection(kind, name, a, b, k + 1) for k, (name, kind, a, b) in enumerate(sections))
    return ProjectAnalysis(project, secs, tuple(analysed), 44100)


BAND = {"Kick": [-20.0, -20.0], "Snare": [-22.0, -22.0], "Bass": [-30.0, -30.0],
        "Gtr L": [-18.0, -18.0], "Gtr R": [-30.0, -30.0], "Lead Vox": [-26.0, -26.0]}


def _gains(plan, region: int = 0) -> dict[str, float]:
    return {t.name: t.gain_db for t in plan.regions[region].tracks}


# ---------------------------------------------------------------- genre

def test_unknown_genre_lists_the_known_ones(bank):
    with pytest.raises(ModelError) as err:
        resolve_genre("vaporwave", None, bank)
    assert "vaporwave" in str(err.value) and "rock" in str(err.value) and "punk" in str(err.value)


def test_genre_from_notes_and_assumption_message(bank):
    assert resolve_genre("auto", "Rock", bank)[0] == "rock"
    assert resolve_genre("Pop", "rock", bank)[0] == "pop"
    genre, message = resolve_genre("auto", None, bank)
    assert genre is None and "guessed" in message and "genre:" in message
    assert "rock" in known_genres(bank) and "all" not in known_genres(bank)


# ---------------------------------------------------------------- levels

def test_playing_detection_ignores_bleed():
    a = make_analysis({"Snare": [-50.0, -22.0], "Kick": [-20.0, -20.0], "Silent": [-120.0, -120.0]})
    active = active_matrix(a)
    assert active.tolist() == [[False, True, False], [True, True, False]]


def test_gains_do_not_depend_on_recording_level(bank):
    plan_a = make_plan(make_analysis(BAND), bank, "rock").plan
    louder = dict(BAND, Bass=[-18.0, -18.0])  # the bass recorded 12 dB hotter
    plan_b = make_plan(make_analysis(louder), bank, "rock").plan
    ga, gb = _gains(plan_a), _gains(plan_b)
    shift = ga["Kick"] - gb["Kick"]
    for name in BAND:
        expected = ga[name] - shift - (12.0 if name == "Bass" else 0.0)
        assert gb[name] == pytest.approx(expected, abs=0.1), name  # the test models read rms_db: predictions move a little


def test_tracks_of_one_type_share_its_loudness_and_spread_in_stereo(bank):
    plan = make_plan(make_analysis(BAND), bank, "rock").plan
    g = _gains(plan)
    # recorded 12 dB apart, they must land at the same level: gains differ by the 12 dB
    assert g["Gtr R"] - g["Gtr L"] == pytest.approx(12.0, abs=0.02)
    pans = {t.name: t.pan for t in plan.regions[0].tracks}
    assert pans["Gtr L"] < -0.3 and pans["Gtr R"] > 0.3 and pans["Gtr L"] == pytest.approx(-pans["Gtr R"], abs=0.01)
    assert pans["Kick"] == pytest.approx(0.0, abs=0.15)


def test_untold_genre_leaves_levels_to_equal_loudness_and_the_track_balance(bank):
    """Issue 11 item 6: without a genre the (guessed or all-genre) models' type levels get no weight."""
    analysis = make_analysis(BAND)
    heard = {name: lv[0] + 1.0 for name, lv in BAND.items()}  # the stems' loudness (rms + 1 dB)
    untold = make_plan(analysis, bank, None, use_eq=False)
    told = make_plan(analysis, bank, "rock", use_eq=False)
    levels = {p: np.array([heard[n] + g for n, g in _gains(r.plan).items()]) for p, r in
              (("untold", untold), ("told", told))}
    # this bank has no track balance and no role model: untold, every playing stem at one loudness
    assert np.ptp(levels["untold"]) < 0.02
    assert np.ptp(levels["told"]) > 3.0  # the rock models' type levels (kick over bass, …)
    assert untold.plan.genre == "all" and told.plan.genre == "rock"


def test_practice_figures_without_any_model(tmp_path):
    empty = ModelBank([tmp_path])
    analysis = make_analysis(BAND)
    result = make_plan(analysis, empty, "rock")
    assert all(s.startswith("published mixing practice") for s in result.sources)
    g = _gains(result.plan)
    change = corrective_eq(analysis, result.types, result.active).loudness_change_db[0]
    eq_change = {t.name: change[i] for i, t in enumerate(analysis.tracks)}
    rel = dict(zip(("kick", "bass", "lead_vox"), practice_relative_levels(("kick", "bass", "lead_vox"), "rock")))
    # level in the mix = recorded level + gain + the EQ's loudness change; compare kick vs lead vocal
    # as the practice figures say, shrunk toward equal loudness (one track each: 0 dB apart)
    kick_mix = -20.0 + g["Kick"] + eq_change["Kick"]
    vox_mix = -26.0 + g["Lead Vox"] + eq_change["Lead Vox"]
    expected = MODEL_LEVEL_WEIGHT * (rel["kick"] - rel["lead_vox"])
    assert kick_mix - vox_mix == pytest.approx(expected, abs=0.05)
    assert result.plan.model == "published mixing practice"


def test_gains_fit_the_range_envelope_and_fader_reach_and_are_deterministic(bank):
    quiet = {k: [v[0] - 40, v[1] - 40] for k, v in BAND.items()}
    r1 = make_plan(make_analysis(quiet), bank, "rock")
    r2 = make_plan(make_analysis(quiet), bank, "rock")
    assert r1.plan == r2.plan
    gains = [t.gain_db for r in r1.plan.regions for t in r.tracks]
    assert max(gains) <= MAX_PLAN_GAIN_DB + 1e-9 and max(gains) == pytest.approx(MAX_PLAN_GAIN_DB, abs=0.01)


def test_models_chosen_along_the_fallback_chain(bank):
    result = make_plan(make_analysis(BAND), bank, "rock")
    assert "rock__verse" in result.sources[0] and "rock__chorus" in result.sources[1]
    intro = make_analysis(BAND, sections=(("Intro", "intro", 0.0, 10.0), ("Chorus", "chorus", 10.0, 20.0)))
    assert "rock__all" in make_plan(intro, bank, "rock").sources[0]


def test_variants_are_listed_best_first(bank):
    sources = section_sources(bank, "rock", "chorus")
    keys = [Path(s.key).stem if s.choice else s.key for s in sources]
    assert keys == ["rock__chorus", "rock__all", "all__all", "punk__all", "practice"]
    with pytest.raises(PlanError, match="variant 9 does not exist"):
        make_plan(make_analysis(BAND), bank, "rock", variants={1: 9})


def test_silent_stretches_keep_the_tracks_setting(bank):
    levels = dict(BAND, **{"Back Vox": [-120.0, -24.0]})
    plan = make_plan(make_analysis(levels), bank, "rock").plan
    verse, chorus = plan.regions
    assert verse.track(chorus.tracks[-1].guid).gain_db == chorus.tracks[-1].gain_db


def test_no_eq_and_no_pan_options(bank):
    a = make_analysis(BAND, pans={"Bass": -0.25})
    plan = make_plan(a, bank, "rock", use_eq=False, use_pan=False).plan
    for r in plan.regions:
        for t in r.tracks:
            assert t.eq == ()
            assert t.pan == (-0.25 if t.name == "Bass" else 0.0)
    eq_plan = make_plan(a, bank, "rock").plan
    assert all(len(t.eq) == 5 for r in eq_plan.regions for t in r.tracks)


def test_suggest_changes_only_the_playing_tracks_of_one_region(bank):
    levels = dict(BAND, **{"Back Vox": [-120.0, -24.0]})
    a = make_analysis(levels)
    current = make_plan(a, bank, "rock").plan
    region, described = suggest_region(a, bank, "rock", current, 0, 1)
    assert "rock__all" in described
    assert (region.start_s, region.end_s, region.name) == (0.0, 10.0, "Verse")
    old = current.regions[0]
    bv = next(t for t in old.tracks if t.name == "Back Vox")
    assert region.track(bv.guid) == bv  # not playing in the verse: unchanged
    changed = [t.name for t in region.tracks if t != old.track(t.guid)]
    assert changed and "Back Vox" not in changed
    # fitted to the rest of the plan: the playing tracks keep their median gain within a few dB
    diffs = [region.track(t.guid).gain_db - t.gain_db for t in old.tracks if t.name != "Back Vox"]
    assert abs(float(np.median(diffs))) < 3.0
    assert all(math.isfinite(t.gain_db) and t.gain_db <= MAX_PLAN_GAIN_DB for t in region.tracks)


def test_wild_model_levels_are_kept_near_published_practice(tmp_path):
    rng = np.random.default_rng(5)
    rows = 60
    types = BASIC_TYPE_IDS
    present = np.ones((rows, len(types)), bool)
    level = np.tile(practice_relative_levels(types, "rock"), (rows, 1))
    level[:, types.index("bass")] += 25.0  # a model gone wrong: bass 25 dB too loud
    _fit_and_save(tmp_path, "rock", "all", level, np.zeros(level.shape), present, rng, "wild")
    plan = make_plan(make_analysis(BAND), ModelBank([tmp_path]), "rock").plan
    g = _gains(plan)
    rel = dict(zip(("kick", "bass"), practice_relative_levels(("kick", "bass"), "rock")))
    bass_over_kick = (-30.0 + g["Bass"]) - (-20.0 + g["Kick"])
    # limited to the practice difference + MAX_PRACTICE_DEVIATION_DB (8 dB), not 25 dB, then shrunk
    # toward equal loudness (one track each: 0 dB apart)
    assert bass_over_kick == pytest.approx(MODEL_LEVEL_WEIGHT * (rel["bass"] - rel["kick"] + 8.0), abs=0.5)
