"""Features + model bank + genre → a :class:`~automix.plan.model.MixPlan`.

For each song section:

1. Every audio track gets a type from its name (:func:`automix.knowledge.track_types.classify_track`,
   user override tags honoured). A track *plays* in a section when its level
   is within :data:`ACTIVE_WITHIN_DB` of its loudest section and above
   :data:`SILENT_LEVEL_DB`; quieter stretches are bleed or silence.
2. The features of the playing tracks of each type are merged into the
   type's basic track (:func:`automix.knowledge.track_types.merge_type_features`) and
   the section's model — the first one on the bank's fallback chain
   genre×section → group×section → genre → group → all — predicts a level
   relative to the mix and a pan per type. Types the model
   does not know take the published typical level (:mod:`automix.knowledge.practice`)
   shifted onto the model's scale, and no model level strays more than
   :data:`MAX_PRACTICE_DEVIATION_DB` from it; with no model at all the practice figures are used.
3. The type's target loudness is spread over its playing tracks (each at its
   share, whatever its recording level: :func:`automix.knowledge.targets.spread_type_loudness`),
   blended with equal loudness and the track-level balance between types, the more so the fewer songs
   the model saw the type in and the less its genre group's type levels earned on held-out real songs
   (:mod:`automix.plan.type_levels`); inside a type only the role shares differ. When the project does
   not name its genre, the levels are equal loudness plus the track-level balance alone (the guessed
   genre's models set pans, EQ and section moves).
   Gains are relative to the recorded level: the stem's gated loudness while
   it plays in the section (:data:`~automix.features.region.LEVEL_FEATURE`),
   the scale the training targets are measured on (:mod:`automix.training.samples`).
4. Overall level: the fullest section's mix sits at :data:`MIX_LEVEL_DB`;
   every other section is shifted so the tracks it shares with that section
   keep, in median, their gain.
5. EQ: one corrective EQ per track for the song, from the track's own
   spectrum toward its type's learned target shape, its effect on the
   track's loudness folded into the gains (:func:`automix.plan.corrective_eq.apply_corrective_eq`;
   the models' EQ outputs are never computed).
6. One balance for the song (:func:`automix.plan.balance.song_balance`): each
   track's length-weighted gain over the sections where it plays, plus the
   model's own section moves (never the arrangement's level changes) shrunk
   toward zero by the section model's leave-one-song-out error. Tracks not playing in a section keep their song
   gain. One pan per track for the song (:func:`automix.plan.pans.song_pans`;
   per-section pans only with ``section_pans=True``). Finally
   :func:`fit_plan_level`.

Variants (``automix suggest --variant N``): variant 0 is the plan's choice;
then the other models found along the fallback chain, then the first model
of each other genre of the group, then the published practice figures —
deterministic, see :func:`section_sources`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from automix.audio.bands import EQ_BAND_LAYOUT
from automix.errors import ModelError, PlanError
from automix.features.analysis import ProjectAnalysis
from automix.features.region import LEVEL_FEATURE, REGION_FEATURE_NAMES
from automix.knowledge.practice import practice_relative_levels, typical_pan
from automix.knowledge.targets import (
    alpha_to_gain_db,
    normalize_relative_loudness,
    spread_type_loudness,
    spread_type_pan,
)
from automix.knowledge.track_types import (
    classify_track,
    merge_type_features,
    track_side_hint,
)
from automix.models.bank import ALL, ModelBank
from automix.models.genre_guess import GenreGuess, guess_genre, song_profile
from automix.models.inputs import MODEL_FEATURE_NAMES, with_shape_features
from automix.models.roles import EQUAL_SHARES, RoleModel
from automix.models.track_balance import EQUAL_LOUDNESS, TrackBalanceModel
from automix.plan.balance import (
    MAX_SECTION_MOVE_DB,
    limit_section_moves,
    median_offset,
    song_balance,
)
from automix.plan.corrective_eq import MAX_EQ_DB, apply_corrective_eq
from automix.plan.level import expected_mix_level_db, fit_to_gain_range
from automix.plan.model import (
    EqBand,
    MixPlan,
    RegionPlan,
    TrackPlan,
)
from automix.plan.pans import MAX_PAN_SPREAD, song_pans
from automix.plan.sources import SectionSource, section_noise_db, section_sources
from automix.plan.type_levels import (
    REAL_SONG_LEVEL_WEIGHT,
    TypeSettings,
    blend_type_levels,
    model_evidence_songs,
    model_level_weights,
)

ACTIVE_WITHIN_DB = 12.0
"""A track plays in a section when its level is at most this far below its loudest section."""

SILENT_LEVEL_DB = -80.0
"""Below this level (dBFS) a track is silent in a section."""

MIX_LEVEL_DB = -23.0
"""Loudness (LUFS, power sum of the tracks' gated loudness) aimed at for the planned mix in its fullest
section (EBU R128's programme level; headroom for drum peaks). A track recorded so quietly that it needs more than
the +18 dB the envelope and fader reach is clipped there alone (:func:`~automix.plan.level.fit_to_gain_range`), never the
whole mix."""

MAX_PRACTICE_DEVIATION_DB = 8.0
"""A model's level for a type is kept within ± this of the published typical level (on the model's
scale): a safety net against wild predictions of models trained on few songs."""


@dataclass(frozen=True)
class PlanResult:
    """A plan and how it was made: ``sources`` per region, ``active`` (n_regions, n_tracks), ``types`` per track.

    ``genre_note`` says which genre was guessed from the audio and how sure (empty when the genre was given).
    """

    plan: MixPlan
    sources: tuple[str, ...]
    active: np.ndarray
    types: tuple[str, ...]
    genre_note: str = ""


# ---------------------------------------------------------------- per section

def track_types(analysis: ProjectAnalysis) -> tuple[str, ...]:
    """The type id of each analysed track (name rules and override tags)."""
    return tuple(classify_track(t.name).type_id for t in analysis.tracks)


def active_matrix(analysis: ProjectAnalysis) -> np.ndarray:
    """(n_sections, n_tracks) bool: where each track plays (see the module docstring)."""
    level = analysis.feature(LEVEL_FEATURE).T  # (n_sections, n_tracks)
    if level.size == 0:
        return np.zeros(level.shape, dtype=bool)
    loudest = level.max(axis=0, keepdims=True)
    return (level > SILENT_LEVEL_DB) & (level >= loudest - ACTIVE_WITHIN_DB)


def _practice_settings(types: Sequence[str], genre: str | None) -> TypeSettings:
    level = practice_relative_levels(types, genre)
    pans = np.array([typical_pan(t)[0] for t in types], dtype=float)
    return TypeSettings(tuple(types), level, pans)


def _model_settings(source: SectionSource, bank: ModelBank, analysis: ProjectAnalysis, k: int,
                    types: Sequence[str], playing: np.ndarray) -> TypeSettings:
    loaded = bank.load(source.choice)
    info, model = loaded.info, loaded.model
    present_types = sorted(set(types[i] for i in np.flatnonzero(playing)), key=list(types).index)
    vectors = analysis.vectors()[:, k, :]
    rows = np.flatnonzero(playing)
    merged, present = merge_type_features(vectors[rows], REGION_FEATURE_NAMES, [types[i] for i in rows],
                                          model.track_types)
    model_feats = with_shape_features(merged)
    x = np.zeros(len(info.feature_names))
    for j, name in enumerate(info.feature_names):
        type_id, _, feat = name.partition(":")
        if type_id not in model.track_types:
            raise ModelError(f"model input {name!r} names a track type the model does not list", file=loaded.path)
        t = model.track_types.index(type_id)
        if feat == "present":
            x[j] = float(present[t])
        elif feat in MODEL_FEATURE_NAMES:
            v = model_feats[t, MODEL_FEATURE_NAMES.index(feat)]
            x[j] = float(v) if present[t] and math.isfinite(v) else 0.0
        else:
            raise ModelError(f"model input {name!r}: automix does not compute feature {feat!r}", file=loaded.path)
    pred = model.predict(x, present, eq=False)  # the planner's EQ is the corrective EQ
    level = np.asarray(pred.level, dtype=float)
    if pred.target_kind == "alpha":
        level = alpha_to_gain_db(level) + merged[present, REGION_FEATURE_NAMES.index(LEVEL_FEATURE)]
    level = normalize_relative_loudness(level)
    practice = _practice_settings(present_types, source.genre)
    known = {t: i for i, t in enumerate(pred.track_types)}
    shared = [(level[known[t]] - practice.level_db[j]) for j, t in enumerate(present_types) if t in known]
    offset = float(np.median(shared)) if shared else 0.0
    for j, t in enumerate(present_types):  # guard against wild predictions of models trained on few songs
        if t in known:
            lo = practice.level_db[j] + offset - MAX_PRACTICE_DEVIATION_DB
            level[known[t]] = float(np.clip(level[known[t]], lo, lo + 2 * MAX_PRACTICE_DEVIATION_DB))
    rows_of = [(level[known[t]], pred.pan[known[t]]) if t in known else (practice.level_db[j] + offset,
               practice.pan[j]) for j, t in enumerate(present_types)]
    lv, pn = (np.array([r[c] for r in rows_of], dtype=float) for c in range(2))
    evidence = model_evidence_songs(info, model, [t if t in known else "" for t in present_types])
    weight = info.evaluation.get(REAL_SONG_LEVEL_WEIGHT, 1.0)
    return TypeSettings(tuple(present_types), lv, pn, evidence, weight if math.isfinite(weight) else 1.0)


def type_settings(source: SectionSource, bank: ModelBank, analysis: ProjectAnalysis, k: int,
                  types: Sequence[str], playing: np.ndarray) -> TypeSettings:
    """Per-type settings of section ``k`` for the types with a playing track."""
    present_types = sorted(set(types[i] for i in np.flatnonzero(playing)), key=list(types).index)
    if source.choice is None or not present_types:
        return _practice_settings(present_types, source.genre)
    return _model_settings(source, bank, analysis, k, types, playing)


def _eq_bands(gains_db: np.ndarray) -> tuple[EqBand, ...]:
    return tuple(EqBand(kind, float(freq), round(float(np.clip(g, -MAX_EQ_DB, MAX_EQ_DB)), 2), float(bw))
                 for (kind, freq, bw), g in zip(EQ_BAND_LAYOUT, gains_db))


def section_tracks(analysis: ProjectAnalysis, k: int, types: Sequence[str], playing: np.ndarray,
                   settings: TypeSettings, mix_level_db: float, roles: RoleModel = EQUAL_SHARES,
                   balance: TrackBalanceModel = EQUAL_LOUDNESS, genre: str | None = None,
                   genre_told: bool = True) -> dict[int, tuple[float, float]]:
    """(gain dB, pan) per track index for section ``k``.

    Playing tracks get gains (against their :data:`LEVEL_FEATURE` in the section) putting each at its share
    (``roles``) of its type's blended loudness (:func:`~automix.plan.type_levels.blend_type_levels`, weight
    ``w`` per type from :func:`~automix.plan.type_levels.model_level_weights`) plus ``1 − w`` times the
    track-level ``balance`` between types (its mean over the type's playing tracks: inside a type only the
    roles differ); every track of a present type gets the type's pan. ``genre_told=False``: the
    project does not name its genre, the type levels get no weight
    (:data:`~automix.plan.type_levels.UNTOLD_GENRE_WEIGHT`).
    """
    vectors = analysis.vectors()[:, k, :]
    levels_db = vectors[:, REGION_FEATURE_NAMES.index(LEVEL_FEATURE)]
    weight = model_level_weights(settings, genre_told=genre_told)
    rel = blend_type_levels(settings, types, playing, weight)
    weight_of = dict(zip(settings.type_ids, weight))
    rows = np.flatnonzero(playing)
    track_rel = dict(zip(rows, balance.between_type_levels_db(vectors[rows], [types[i] for i in rows], genre)))
    out: dict[int, tuple[float, float]] = {}
    for j, t in enumerate(settings.type_ids):
        members = [i for i, tt in enumerate(types) if tt == t]
        play = [i for i in members if playing[i]]
        gains = spread_type_loudness(mix_level_db + float(rel[j]), levels_db[play],
                                     roles.shares(vectors[play])) if play else []
        _pan, spread = typical_pan(t)
        hints = [track_side_hint(analysis.tracks[i].name) for i in members]
        pans = spread_type_pan(float(np.clip(settings.pan[j], -1, 1)), len(members),
                               width=min(spread, MAX_PAN_SPREAD), side_hints=hints)
        gain_of = dict(zip(play, gains))
        for i, p in zip(members, pans):
            out[i] = (float(gain_of[i]) + (1.0 - weight_of[t]) * track_rel[i] if i in gain_of else math.nan,
                      float(p))
    return out


# ---------------------------------------------------------------- whole plan

def _anchor_index(active: np.ndarray, analysis: ProjectAnalysis) -> int:
    lengths = [s.length_s for s in analysis.sections]
    return max(range(len(lengths)), key=lambda k: (int(active[k].sum()), lengths[k], -k))


def make_plan(analysis: ProjectAnalysis, bank: ModelBank, genre: str | None, *, use_eq: bool = True,
              use_pan: bool = True, variants: Mapping[int, int] | None = None,
              mix_level_db: float = MIX_LEVEL_DB, section_pans: bool = False) -> PlanResult:
    """The mix plan of an analysed project (see the module docstring).

    Args:
        analysis: features of every audio track per section.
        bank: the model bank.
        genre: genre id; None when the project does not name one (guessed from the instrumentation for
            pans, EQ and section moves, else the all-genre models; levels from the track balance).
        use_eq: False = flat EQ in the plan.
        use_pan: False = every track keeps its fader pan.
        variants: section index → variant number (default 0 everywhere).
        section_pans: True = each section keeps its own model's pans (default: one pan per track
            for the song, :func:`automix.plan.pans.song_pans`).

    Raises:
        PlanError: a variant number that does not exist for its section.
    """
    variants = dict(variants or {})
    types = track_types(analysis)
    active = active_matrix(analysis)
    genre_note = ""
    genre_told = genre is not None
    if genre is None:
        guess = guess_song_genre(analysis, bank, types, active)
        if guess is not None:
            genre_note = guess.describe()
            genre = guess.genre if guess.used else None
    n_sec, n_tr = active.shape
    raw: list[dict[int, tuple[float, float]]] = []
    noise: list[float] = []
    roles, balance = bank.role_model(), bank.track_balance_model()
    type_pan_sum: dict[str, list[float]] = {}
    described: list[str] = []
    used: set[str] = set()
    for k, sec in enumerate(analysis.sections):
        sources = section_sources(bank, genre, sec.section)
        v = variants.get(k, 0)
        if not 0 <= v < len(sources):
            raise PlanError(f"variant {v} does not exist: {len(sources)} variants (0–{len(sources) - 1}): "
                            + "; ".join(f"{i}: {s.describe()}" for i, s in enumerate(sources)), region=sec.name)
        settings = type_settings(sources[v], bank, analysis, k, types, active[k])
        raw.append(section_tracks(analysis, k, types, active[k], settings, mix_level_db, roles, balance,
                                  sources[v].genre, genre_told))
        noise.append(section_noise_db(sources[v]))
        for t, p in zip(settings.type_ids, settings.pan):
            acc = type_pan_sum.setdefault(t, [0.0, 0.0])
            acc[0] += float(p) * sec.length_s
            acc[1] += sec.length_s
        described.append(sources[v].describe())
        if sources[v].choice is not None:
            used.add(sources[v].choice.entry.path.stem)
    anchor = _anchor_index(active, analysis)
    ref = {i: g for i, (g, _p) in raw[anchor].items() if math.isfinite(g)}
    gains = np.full((n_sec, n_tr), np.nan)
    pans = np.full((n_sec, n_tr), np.nan)
    for k in range(n_sec):
        sec_gains = {i: g for i, (g, _p) in raw[k].items() if math.isfinite(g)}
        offset = 0.0 if k == anchor else median_offset(ref, sec_gains)
        for i, (g, p) in raw[k].items():
            gains[k, i] = g + offset
            pans[k, i] = p
    levels = analysis.feature(LEVEL_FEATURE).T  # (n_sec, n_tr) dB
    chosen = [math.inf if variants.get(k, 0) else MAX_SECTION_MOVE_DB for k in range(n_sec)]
    gains = song_balance(gains, levels, [s.length_s for s in analysis.sections], noise, chosen)
    _fill_missing(gains, pans, analysis)
    fader_pans = [analysis.project.track_by_guid(t.guid).pan for t in analysis.tracks]
    if not section_pans:
        type_pans = {t: s / w for t, (s, w) in type_pan_sum.items() if w > 0}
        pans[:] = song_pans(types, [t.name for t in analysis.tracks], fader_pans, type_pans)[None, :]
    if not use_pan:
        pans[:] = [[analysis.project.track_by_guid(t.guid).pan for t in analysis.tracks]] * n_sec
    eqs, gains = apply_corrective_eq(analysis, types, active, gains) if use_eq else (None, gains)
    gains = limit_section_moves(gains, [s.length_s for s in analysis.sections], active, chosen)
    regions = []
    for k, sec in enumerate(analysis.sections):
        tracks = tuple(TrackPlan(t.guid, t.name, types[i], round(float(gains[k, i]), 2),
                                 round(float(np.clip(pans[k, i], -1, 1)), 3) + 0.0,
                                 _eq_bands(eqs[k, i]) if use_eq else ())
                       for i, t in enumerate(analysis.tracks))
        regions.append(RegionPlan(sec.name, sec.section, float(sec.start_s), float(sec.end_s), tracks))
    plan = MixPlan(genre=genre or ALL, model=", ".join(sorted(used)) or "published mixing practice",
                   regions=tuple(regions))
    return PlanResult(fit_plan_level(plan, analysis), tuple(described), active, types, genre_note)


def guess_song_genre(analysis: ProjectAnalysis, bank: ModelBank, types: Sequence[str],
                     active: np.ndarray) -> GenreGuess | None:
    """The genre group nearest to the song's instrumentation (None without genre profiles in the bank).

    A track's level over the song: the length-weighted power mean of its level where it plays.
    """
    profiles = bank.genre_profiles()
    if profiles is None or not analysis.tracks:
        return None
    level = analysis.feature(LEVEL_FEATURE)  # (n_tracks, n_sections)
    w = np.array([s.length_s for s in analysis.sections])[None, :] * active.T
    with np.errstate(divide="ignore", invalid="ignore"):
        song = 10.0 * np.log10(np.sum(w * 10.0 ** (level / 10.0), axis=1) / w.sum(axis=1))
    return guess_genre(song_profile(types, song), profiles)


def fit_plan_level(plan: MixPlan, analysis: ProjectAnalysis) -> MixPlan:
    """The plan inside the gain range envelope and fader reach (only the tracks over it are clipped), with notes
    saying so and giving the mix's expected level (:mod:`automix.plan.level`)."""
    plan, notes = fit_to_gain_range(plan)
    levels = expected_mix_level_db(plan, [t.guid for t in analysis.tracks], analysis.feature(LEVEL_FEATURE))
    finite = [(lv, r.name) for lv, r in zip(levels, plan.regions) if math.isfinite(lv)]
    if finite:
        loudest, where = max(finite)
        notes += (f"expected mix level: {loudest:.1f} LUFS (power sum of the tracks' gated loudness) in its "
                  f"loudest region ({where!r}); automix aims at {MIX_LEVEL_DB:g} in the fullest section",)
    return replace(plan, notes=plan.notes + notes)


def _fill_missing(gains: np.ndarray, pans: np.ndarray, analysis: ProjectAnalysis) -> None:
    """Tracks not playing in a section keep their median setting over the sections where they play."""
    n_sec, n_tr = gains.shape
    for i in range(n_tr):
        fader_pan = analysis.project.track_by_guid(analysis.tracks[i].guid).pan
        for arr, default in ((gains, None), (pans, fader_pan)):
            col = arr[:, i]
            ok = np.isfinite(col)
            if ok.all():
                continue
            if ok.any():
                col[~ok] = float(np.median(col[ok]))
            elif default is not None:
                col[:] = default
            else:  # never playing: sit at the section's median gain (neutral)
                for k in range(n_sec):
                    others = gains[k][np.isfinite(gains[k])]
                    col[k] = float(np.median(others)) if others.size else 0.0
