"""Per-type levels of one section and how far the planner trusts them.

A section's type settings (:class:`TypeSettings`) give each present track type a level relative to the
mix (dB) and a pan, from a model or the published practice table. The planner does not take a model's
type levels at face value: each type's level is blended with equal loudness of the playing stems
(:func:`blend_type_levels`; the track-level balance of :mod:`automix.models.track_balance` then adds its
own part), with a weight that grows with the evidence the model had for that type
(:func:`model_level_weights`):

``w_t = MODEL_LEVEL_WEIGHT · n_t / (n_t + EVIDENCE_PRIOR_SONGS)``

where ``n_t`` is the number of training songs' worth of rows in which type ``t`` played (the model's
rows with the type present × its songs / its rows). A type a model saw in many songs (kick, snare,
lead vocal in the shipped models, trained on synthesised and practice-balanced songs as well as real
ones) keeps nearly the full weight; a type seen in one or two songs leans on equal loudness and the
track balance; a type the model has no level for (filled in from the practice table) gets weight 0, as
its published level already enters the track balance as a descriptor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from automix.knowledge.targets import normalize_relative_loudness
from automix.models.files import ModelInfo
from automix.models.mix_model import MixModel

MODEL_LEVEL_WEIGHT = 0.75
"""Largest weight (0–1) of the models' type balance against equal loudness and the bank's track-level
balance (:mod:`automix.models.track_balance`): a stem's level is ``w·model + (1 − w)·track balance``
with ``w`` up to this for a type the model has seen in many songs. Below 0.75 the demo's intended rock
balance, which only the type models know, is no longer met within 3 dB."""

EVIDENCE_PRIOR_SONGS = 0.5
"""Songs of evidence at which a type's model level gets half of :data:`MODEL_LEVEL_WEIGHT`
(:func:`model_level_weights`): the largest of 0.5, 1, 2, 4 and 8 with which the demo's intended rock
balance is still met within 3 dB with the shipped models (at 1 their snare misses it by 3.3 dB; the rock
models saw it in about 9 songs). Leave-one-song-out over the 8 real songs of ``automix evaluate --real``
prefers more shrinkage (every larger value tried scores better); with 0.5 it gives automix / equal
loudness 0.98 (one region) and 0.88 (six regions), against 1.01 and 0.92 for one weight of 0.75 for every
type (models/README.md)."""

UNTOLD_GENRE_WEIGHT = 0.0
"""Weight of the models' type levels when the project does not name its genre (the genre guessed from the
instrumentation, or the all-genre models): none, every stem's level comes from equal loudness and the
track-level balance. Leave-one-song-out over the 8 real songs of ``automix evaluate --real`` (genre not
told, 4 trials): automix / equal loudness 1.12 (one region) and 0.93 (six regions) with the guessed genre's
type levels at their evidence weights, 1.11 / 0.92 with those weights times the guess's confidence, 0.98 /
0.87 with none (the two MUSDB songs share one instrumentation, so either is guessed as the other's genre
group, and a guessed electronic song's type levels lose to the track balance in 4 of 5 songs). The guessed
genre's models still set pans, EQ targets and section moves. Naming the genre (notes ``genre: …`` or
``--genre``) brings the genre's type levels in — a personal model of ``automix learn`` included."""

REAL_SONG_LEVEL_WEIGHT = "real_song_level_weight"
"""Figure of a model file (its ``evaluation``, 0…1, 1 when absent) by which its type levels' weight is
multiplied: how far its genre group's type levels earned their place on held-out real songs. Written by
:func:`automix.training.real_eval.set_group_level_weights` from :func:`~automix.training.real_eval.group_level_weights`
(0 for a group whose real songs, each mixed by models trained without it, came out better with the
track-level balance alone; models of ``automix learn`` never carry it)."""

FULL_EVIDENCE = np.inf
"""Evidence of settings whose source does not say how many songs it saw (the practice table, old model
files): the full :data:`MODEL_LEVEL_WEIGHT`."""


@dataclass(frozen=True)
class TypeSettings:
    """Per-type settings of one section, one entry per present type (k of them).

    Attributes:
        type_ids: the types.
        level_db: (k,) level relative to the mix, dB.
        pan: (k,) pan, −1 … +1.
        evidence_songs: (k,) songs of training evidence behind each level (:data:`FULL_EVIDENCE` when
            unknown, 0 for a level the model did not predict); None = full evidence for every type.
        level_weight: the model's :data:`REAL_SONG_LEVEL_WEIGHT` (0–1), a factor on every type's weight.
    """

    type_ids: tuple[str, ...]
    level_db: np.ndarray
    pan: np.ndarray
    evidence_songs: np.ndarray | None = None
    level_weight: float = 1.0


def model_evidence_songs(info: ModelInfo, model: MixModel, type_ids: Sequence[str]) -> np.ndarray:
    """(k,) songs of evidence for each of ``type_ids`` in a fitted model (0 for a type it does not know).

    ``model.type_counts_[t] · n_songs / n_samples``: the rows with the type present, in songs. A model
    file that does not give its song and row counts is trusted fully (:data:`FULL_EVIDENCE`).
    """
    n_songs, n_rows = info.training.n_songs, info.training.n_samples
    if n_songs <= 0 or n_rows <= 0:
        return np.full(len(type_ids), FULL_EVIDENCE)
    counts = np.asarray(model.type_counts_, dtype=float)
    known = {t: i for i, t in enumerate(model.track_types)}
    return np.array([counts[known[t]] * n_songs / n_rows if t in known else 0.0 for t in type_ids])


def model_level_weights(settings: TypeSettings, *, genre_told: bool = True) -> np.ndarray:
    """(k,) weight of each type's level against equal loudness (see the module docstring).

    ``genre_told=False`` (the project does not name its genre): :data:`UNTOLD_GENRE_WEIGHT` for every type.
    """
    if not genre_told:
        return np.full(len(settings.type_ids), UNTOLD_GENRE_WEIGHT)
    n = (np.full(len(settings.type_ids), FULL_EVIDENCE) if settings.evidence_songs is None
         else np.asarray(settings.evidence_songs, dtype=float))
    with np.errstate(invalid="ignore"):
        share = np.where(np.isinf(n), 1.0, n / (n + EVIDENCE_PRIOR_SONGS))
    return MODEL_LEVEL_WEIGHT * float(np.clip(settings.level_weight, 0.0, 1.0)) * np.clip(share, 0.0, 1.0)


def blend_type_levels(settings: TypeSettings, types: Sequence[str], playing: np.ndarray,
                      weight: np.ndarray) -> np.ndarray:
    """Type levels relative to the mix, ``weight·model + (1 − weight)·equal loudness`` per type, (k,) dB.

    Equal loudness of the playing stems gives a type of n playing tracks ``10·log10(n)`` dB. The model's
    levels are first put on that scale (their mean per playing stem equal, each type's tracks taken at
    equal shares), so types blended with different weights stay comparable. A type with no level takes
    equal loudness alone. The result has power sum 0 dB; NaN for types with no playing track.
    """
    n_play = np.array([sum(1 for i, tt in enumerate(types) if tt == t and playing[i]) for t in settings.type_ids])
    with np.errstate(divide="ignore"):
        equal = np.where(n_play > 0, 10.0 * np.log10(np.maximum(n_play, 1)), np.nan)
    model = np.where(n_play > 0, np.asarray(settings.level_db, dtype=float), np.nan)
    known = np.isfinite(model)
    if known.any():
        model = model - float(np.sum(n_play[known] * (model[known] - equal[known])) / n_play[known].sum())
    w = np.broadcast_to(np.asarray(weight, dtype=float), model.shape)
    blended = np.where(known, w * model + (1.0 - w) * equal, equal)
    return normalize_relative_loudness(np.where(n_play > 0, blended, np.nan))
