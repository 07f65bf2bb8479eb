"""Leave-one-song-out evaluation of the planner on real songs (``automix evaluate --real``).

For every real song (:mod:`automix.training.real_songs`) a model bank is
trained on the *other* songs (:func:`fold_samples` → :func:`automix.training.fit.train_models`),
the song's stems are re-gained at random (seeded, ± :data:`MAX_REGAIN_DB`),
and the product's planner (:func:`automix.plan.planner.make_plan`) mixes it as
one region (the whole song) and as six equal regions labelled
intro/verse/chorus/verse/chorus/outro. Scores, per song and layout:

* balance error: per region, each playing stem's loudness in the mix
  relative to the mean of the playing stems, mean absolute difference from
  the reference mix (dB), averaged over the regions and the trials — for
  automix, equal loudness of the stems, the published practice table
  (:mod:`automix.knowledge.practice`) and no mixing (the re-gained stems as they are);
* unwarranted jumps: adjacent regions where a stem playing in both moves
  its gain ≥ :data:`JUMP_DB` more than the median stem while the reference
  mix's faders do not;
* pan moves: tracks whose pan differs between adjacent regions;
* EQ bands at the limit: share of planned EQ band gains at ± the planner's maximum.

A stem plays in a region of the reference when its loudness is above
:data:`~automix.training.samples.SILENT_LEVEL_DB` and within
:data:`~automix.training.samples.ACTIVE_WITHIN_DB` of its loudest region.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from automix.features.analysis import ProjectAnalysis, TrackAnalysis
from automix.features.region import REGION_FEATURE_NAMES, RegionFeatures
from automix.knowledge.genres import genre_group, normalize_genre
from automix.knowledge.practice import practice_relative_levels
from automix.knowledge.sections import WHOLE_SONG_NAME, SongSection
from automix.models.bank import ModelBank
from automix.models.genre_guess import (
    GenreProfiles,
    fit_profiles,
    save_profiles,
    song_profile,
)
from automix.models.roles import (
    RoleModel,
    fit_role_model,
    save_role_model,
    within_type_pairs,
)
from automix.models.track_balance import (
    TrackBalanceModel,
    balance_region,
    fit_track_balance,
    save_track_balance,
)
from automix.plan.corrective_eq import MAX_EQ_DB, corrective_eq
from automix.plan.planner import make_plan
from automix.project.model import Project, Track
from automix.training.balance_restore import balance_error_db, shift_levels
from automix.training.fit import SMALL_MODEL_EXCLUDED_FEATURES, train_models
from automix.training.level_weights import group_level_weights, set_group_level_weights
from automix.training.real_songs import SECTION_LAYOUT, RealSong, SongData, song_data
from automix.training.samples import (
    LEVEL_FEATURE,
    SectionSample,
    playing_matrix,
    section_sample,
)

MAX_REGAIN_DB = 12.0
"""Stems are re-gained uniformly within ± this (dB) before automix mixes them."""

JUMP_DB = 3.0
"""A gain change between adjacent regions at least this large (beyond the median stem's) is a jump."""

N_TRIALS = 4
"""Random re-gains per song and layout."""

N_AUGMENT = 8
"""Re-gained copies of each training row (teaches the models that recording levels are arbitrary)."""

LAYOUTS: tuple[int, ...] = (1, 6)
"""Regions per song in the evaluation: the whole song, and six equal parts."""

TRAIN_KWARGS: dict = {"method": "kde", "n_components": 16, "alpha": 30.0, "evaluate": False,
                      "exclude_features": SMALL_MODEL_EXCLUDED_FEATURES}
"""Model parameters of the per-fold banks (those of the shipped-models recipe)."""


@dataclass(frozen=True)
class SongScore:
    """Scores of one song in one layout (see the module docstring); errors in dB."""

    song: str
    n_stems: int
    n_regions: int
    automix_db: float
    equal_db: float
    practice_db: float
    unmixed_db: float
    jumps: int
    jump_pairs: int
    pan_moves: int
    eq_at_limit: float
    genre: str = ""
    """The genre the song was mixed with (``song``'s own, or what automix guessed when not told)."""
    told_genre: bool = True
    full_weight_db: float = math.nan
    """Told genre: the balance error with the group's type levels at full weight, when the row was mixed
    with a weight decided on the other songs (:mod:`automix.training.level_weights`) that differs."""


def layout_spans(data: SongData, n_regions: int) -> list[int]:
    """Indices into ``data.spans`` of the layout with ``n_regions`` regions."""
    start = 0
    for n in LAYOUTS:
        if n == n_regions:
            return list(range(start, start + n))
        start += n
    raise ValueError(f"no layout with {n_regions} regions (layouts: {LAYOUTS})")


def section_labels(n_regions: int) -> list[str]:
    """Section id of each region of a layout (``other`` for the whole song)."""
    return ["other"] if n_regions == 1 else [SECTION_LAYOUT[k % len(SECTION_LAYOUT)] for k in range(n_regions)]


def reference_levels(data: SongData) -> np.ndarray:
    """(n_stems, n_spans) loudness of each stem in the reference mix."""
    return data.features[:, :, REGION_FEATURE_NAMES.index(LEVEL_FEATURE)] + data.reference_gain_db[:, None]


# ---------------------------------------------------------------- training rows

def song_samples(data: SongData, rng: np.random.Generator, n_augment: int = N_AUGMENT) -> list[SectionSample]:
    """Training rows of a song: every span of every layout, plus ``n_augment`` re-gained copies of each."""
    song = data.song
    types = song.track_types
    playing = playing_matrix(reference_levels(data))
    out: list[SectionSample] = []
    for n in LAYOUTS:
        for k, label in zip(layout_spans(data, n), section_labels(n)):
            for copy in range(n_augment + 1):
                g = np.zeros(len(types)) if copy == 0 else rng.uniform(-MAX_REGAIN_DB, MAX_REGAIN_DB, len(types))
                s = section_sample(song_id=song.name, genre=song.genre, section=label, region=data.spans[k][0],
                                   source=str(song.folder), track_types=types,
                                   features=shift_levels(data.features[:, k], g),
                                   gain_db=data.reference_gain_db - g, pan=np.zeros(len(types)),
                                   eq_db=np.zeros((len(types), 5)), playing=playing[:, k])
                if s is not None:
                    out.append(s)
    return out


def fold_samples(datas: Sequence[SongData], held_out: str, seed: int = 0,
                 n_augment: int = N_AUGMENT) -> list[SectionSample]:
    """Training rows of every song but ``held_out`` (each song's rows seeded by its position)."""
    rows: list[SectionSample] = []
    for i, d in enumerate(datas):
        if d.song.name != held_out:
            rows += song_samples(d, np.random.default_rng([seed, i]), n_augment)
    return rows


# ---------------------------------------------------------------- planning a song

def song_analysis(data: SongData, spans: Sequence[int], features: np.ndarray) -> ProjectAnalysis:
    """A :class:`ProjectAnalysis` of ``data``'s stems over ``spans`` with the given (n, S, F) features."""
    names = [n for _, n in data.song.stems]
    tracks, analysed = [], []
    labels = section_labels(len(spans))
    for i, name in enumerate(names):
        guid = "{%08X-0000-4000-8000-000000000000}" % i
        tracks.append(Track(i, guid, name, 1.0, 0.0, False, False, 0, None))
        analysed.append(TrackAnalysis(guid, name, i, tuple(
            RegionFeatures.from_vector(name, data.spans[k][0], features[i, j]) for j, k in enumerate(spans))))
    project = Project(None, data.song.folder, "", 48000, 120.0, tuple(tracks), (), ())
    if len(spans) == 1:
        sections = (SongSection("other", WHOLE_SONG_NAME, 0.0, data.duration_s, None),)
    else:
        sections = tuple(SongSection(lab, data.spans[k][0], data.spans[k][1], data.spans[k][2], j + 1)
                         for j, (k, lab) in enumerate(zip(spans, labels)))
    return ProjectAnalysis(project, sections, tuple(analysed), 48000)


def _mean_region_error(levels: np.ndarray, reference: np.ndarray, playing: np.ndarray) -> float:
    errs = [balance_error_db(levels[play, k], reference[play, k])
            for k in range(reference.shape[1]) if (play := playing[:, k]).sum() >= 2]
    return float(np.mean(errs)) if errs else math.nan


def practice_levels(types: Sequence[str], playing: np.ndarray, genre: str | None) -> np.ndarray:
    """(n, S) stem levels relative to the mix by the practice table (types split equally), NaN where silent."""
    out = np.full(playing.shape, np.nan)
    for k in range(playing.shape[1]):
        idx = np.flatnonzero(playing[:, k])
        present = sorted({types[i] for i in idx})
        if not present:
            continue
        rel = dict(zip(present, practice_relative_levels(present, genre)))
        for i in idx:
            n_type = sum(1 for j in idx if types[j] == types[i])
            out[i, k] = rel[types[i]] - 10.0 * math.log10(n_type)
    return out


def count_jumps(gains: np.ndarray, reference_gains: np.ndarray, playing: np.ndarray) -> tuple[int, int]:
    """(jumps the reference does not make, stem × adjacent-region pairs checked).

    ``gains`` and ``reference_gains`` are (S, n) dB; ``playing`` (n, S).
    """
    jumps = pairs = 0
    for k in range(gains.shape[0] - 1):
        both = playing[:, k] & playing[:, k + 1]
        if both.sum() < 2:
            continue
        d = gains[k + 1, both] - gains[k, both]
        r = reference_gains[k + 1, both] - reference_gains[k, both]
        d, r = d - np.median(d), r - np.median(r)
        jumps += int(np.sum((np.abs(d) >= JUMP_DB) & (np.abs(r) < JUMP_DB)))
        pairs += int(both.sum())
    return jumps, pairs


def score_song(data: SongData, bank: ModelBank, n_regions: int, *, genre: str | None = "song",
               n_trials: int = N_TRIALS, seed: int = 0) -> SongScore:
    """Scores of one song mixed by ``bank`` (``genre="song"``: the song's own genre; None: unknown)."""
    spans = layout_spans(data, n_regions)
    types = data.song.track_types
    ref = reference_levels(data)[:, spans]
    playing = playing_matrix(ref)
    use_genre = data.song.genre if genre == "song" else genre
    lvl = REGION_FEATURE_NAMES.index(LEVEL_FEATURE)
    rng = np.random.default_rng([seed, n_regions])
    auto, unmixed, jumps, pairs, pan_moves, at_limit, bands = [], [], 0, 0, 0, 0, 0
    for _ in range(n_trials):
        g = rng.uniform(-MAX_REGAIN_DB, MAX_REGAIN_DB, len(types))
        feats = np.stack([shift_levels(data.features[:, k], g) for k in spans], axis=1)
        analysis = song_analysis(data, spans, feats)
        result = make_plan(analysis, bank, use_genre)
        plan, used_genre = result.plan, result.plan.genre
        eq_change = corrective_eq(analysis, result.types, result.active).loudness_change_db  # (S, n)
        gains = np.array([[t.gain_db for t in r.tracks] for r in plan.regions])  # (S, n)
        pans = np.array([[t.pan for t in r.tracks] for r in plan.regions])
        eq = np.array([[b.gain_db for t in r.tracks for b in t.eq] for r in plan.regions])
        levels = feats[:, :, lvl] + gains.T + eq_change.T  # the EQ's loudness change is heard
        auto.append(_mean_region_error(levels, ref, playing))
        unmixed.append(_mean_region_error(feats[:, :, lvl], ref, playing))
        j, p = count_jumps(gains, np.tile(data.reference_gain_db, (len(spans), 1)), playing)
        jumps, pairs = jumps + j, pairs + p
        pan_moves += int(np.sum(np.abs(np.diff(pans, axis=0)) > 1e-3))
        at_limit += int(np.sum(np.abs(eq) >= MAX_EQ_DB - 0.05))
        bands += eq.size
    equal = _mean_region_error(np.zeros(ref.shape), ref, playing)
    practice = _mean_region_error(practice_levels(types, playing, use_genre), ref, playing)
    return SongScore(data.song.name, len(types), n_regions, float(np.mean(auto)), equal, practice,
                     float(np.mean(unmixed)), jumps, pairs, pan_moves, at_limit / bands if bands else 0.0,
                     used_genre, use_genre is not None)


# ---------------------------------------------------------------- the whole run

BankBuilder = Callable[[str, Path], ModelBank]
"""``(held-out song name, empty folder) → model bank`` trained without that song."""


def role_model_of(datas: Sequence[SongData], held_out: str | None = None) -> RoleModel:
    """The role model (shares within a type) fitted on every song but ``held_out``."""
    pairs = {}
    for d in datas:
        if d.song.name != held_out:
            ref = reference_levels(d)
            pairs[d.song.name] = within_type_pairs(d.features, ref, d.song.track_types, playing_matrix(ref))
    return fit_role_model(pairs, f"within-type levels of {len(pairs)} real songs")


def track_balance_of(datas: Sequence[SongData], held_out: str | None = None) -> TrackBalanceModel:
    """The track balance model (:mod:`automix.models.track_balance`) fitted on every song but ``held_out``.

    Rows: every span of every layout where at least two stems play in the reference mix.
    """
    songs = {}
    for d in datas:
        if d.song.name == held_out:
            continue
        ref = reference_levels(d)
        play = playing_matrix(ref)
        types = d.song.track_types
        songs[d.song.name] = [balance_region(d.features[idx, k], ref[idx, k], [types[i] for i in idx], d.song.genre)
                              for k in range(ref.shape[1]) if (idx := np.flatnonzero(play[:, k])).size >= 2]
    return fit_track_balance(songs, f"per-stem balance of {len(songs)} real songs")


def genre_profiles_of(datas: Sequence[SongData], held_out: str | None = None) -> GenreProfiles:
    """Genre-group profiles (:mod:`automix.models.genre_guess`) of every song but ``held_out``."""
    profiles, groups, genres = [], [], []
    for d in datas:
        grp = genre_group(d.song.genre)
        if d.song.name != held_out and grp is not None:
            profiles.append(song_profile(d.song.track_types, reference_levels(d)[:, 0]))
            groups.append(grp.id)
            genres.append(normalize_genre(d.song.genre))
    return fit_profiles(profiles, groups, genres)


def default_bank(samples: Sequence[SectionSample], folder: Path, roles: RoleModel | None = None,
                 profiles: GenreProfiles | None = None, balance: TrackBalanceModel | None = None) -> ModelBank:
    """Train models on ``samples`` with :data:`TRAIN_KWARGS` into ``folder`` (and save ``roles``, ``profiles``,
    ``balance``)."""
    train_models(samples, folder, description="leave-one-song-out fold", **TRAIN_KWARGS)
    if roles is not None:
        save_role_model(roles, folder)
    if balance is not None:
        save_track_balance(balance, folder)
    if profiles is not None:
        save_profiles(profiles, folder)
    return ModelBank([folder])


def evaluate_real(songs: Sequence[RealSong], *, cache_dir: str | Path | None = None, n_trials: int = N_TRIALS,
                  seed: int = 0, genres: Sequence[str | None] = ("song",), bank_builder: BankBuilder | None = None,
                  n_augment: int = N_AUGMENT, progress: Callable[[str], None] | None = None) -> list[SongScore]:
    """Leave-one-song-out scores of every song in every layout of :data:`LAYOUTS`, once per ``genres`` entry.

    ``genres``: ``"song"`` mixes each song with its own genre, None as a project that does not
    say (automix guesses it from the audio). ``bank_builder`` trains the models of each fold
    (default: :func:`default_bank` on the other songs' rows, :func:`fold_samples`, each row with
    ``n_augment`` re-gained copies).
    """
    datas = []
    for s in songs:
        if progress:
            progress(f"reading {s.name} ({len(s.stems)} stems)")
        datas.append(song_data(s, LAYOUTS, cache_dir=cache_dir))
    if bank_builder is None:
        def bank_builder(held_out: str, folder: Path) -> ModelBank:
            return default_bank(fold_samples(datas, held_out, seed, n_augment), folder,
                                role_model_of(datas, held_out),
                                genre_profiles_of(datas, held_out), track_balance_of(datas, held_out))
    scores: list[SongScore] = []
    with tempfile.TemporaryDirectory(prefix="automix-folds-") as tmp:
        folders = {}
        for i, d in enumerate(datas):
            if progress:
                progress(f"training without {d.song.name}, then mixing it")
            folders[d.song.name] = Path(tmp) / f"fold-{i}"
            folders[d.song.name].mkdir()
            bank = bank_builder(d.song.name, folders[d.song.name])
            for g in genres:
                for n in LAYOUTS:
                    scores.append(score_song(d, bank, n, genre=g, n_trials=n_trials, seed=seed))
        if "song" in genres and None in genres:
            scores = _with_nested_level_weights(datas, scores, folders, n_trials, seed)
    return scores


def _with_nested_level_weights(datas: Sequence[SongData], scores: list[SongScore], folders: dict[str, Path],
                               n_trials: int, seed: int) -> list[SongScore]:
    """The told-genre rows mixed again where the group weights decided on the *other* songs
    (:func:`automix.training.level_weights.group_level_weights`) lower the song's type levels."""
    genres = {d.song.name: d.song.genre for d in datas}
    out = list(scores)
    for d in datas:
        grp = genre_group(d.song.genre)
        weights = group_level_weights(scores, genres, exclude=d.song.name)
        if grp is None or weights.get(grp.id, 1.0) == 1.0:
            continue
        set_group_level_weights(folders[d.song.name], weights)
        bank = ModelBank([folders[d.song.name]])
        for i, s in enumerate(out):
            if s.song == d.song.name and s.told_genre:
                again = score_song(d, bank, s.n_regions, genre="song", n_trials=n_trials, seed=seed)
                out[i] = replace(again, full_weight_db=s.automix_db)
    return out


def scores_markdown(scores: Sequence[SongScore]) -> str:
    """Per-song tables (genre told, then genre guessed when present), averages and automix / equal loudness."""
    parts = []
    for told in (True, False):
        sel = [s for s in scores if s.told_genre == told]
        if sel:
            parts.append(("### Genre as the song's metadata says\n\n" if told else
                          "### Genre not told (levels from the track balance; pans, EQ and section moves from "
                          "the models of the genre guessed from the audio, else the all-genre models)\n\n")
                         + _scores_table(sel))
    return "\n\n".join(parts)


def _scores_table(scores: Sequence[SongScore]) -> str:
    lines = ["| song | stems | regions | genre used | automix | equal loudness | practice table | no mixing | "
             "jumps ≥ 3 dB (of pairs) | pan moves | EQ bands at limit |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in scores:
        lines.append(f"| {s.song} | {s.n_stems} | {s.n_regions} | {s.genre} | {s.automix_db:.2f} | {s.equal_db:.2f} | "
                     f"{s.practice_db:.2f} | {s.unmixed_db:.2f} | {s.jumps} ({s.jump_pairs}) | {s.pan_moves} | "
                     f"{100 * s.eq_at_limit:.1f} % |")
    lines.append("")
    for n in sorted({s.n_regions for s in scores}):
        sel = [s for s in scores if s.n_regions == n]
        a, e, p, u = (float(np.mean([getattr(s, f) for s in sel]))
                      for f in ("automix_db", "equal_db", "practice_db", "unmixed_db"))
        worse = sum(s.automix_db > s.equal_db for s in sel)
        lines.append(f"* {n} region(s), {len(sel)} songs: automix {a:.2f} dB, equal loudness {e:.2f}, practice "
                     f"table {p:.2f}, no mixing {u:.2f}; automix / equal loudness = {a / e:.2f}; songs worse than "
                     f"equal loudness: {worse}; unwarranted jumps {sum(s.jumps for s in sel)}; pan moves "
                     f"{sum(s.pan_moves for s in sel)}")
    return "\n".join(lines)
