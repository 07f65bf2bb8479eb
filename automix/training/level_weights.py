"""How far a genre group's type levels are trusted, decided on held-out real songs.

The planner blends each type's model level with equal loudness and the track-level balance
(:mod:`automix.plan.type_levels`). Whether a genre group's models earn that place is measured, not
assumed: every real song of the group is mixed by models trained without it twice, once with its
genre named (the group's type levels at their evidence weights) and once without (levels from the
track-level balance alone), and :func:`group_level_weights` compares the two mean balance errors over
the group's songs (both layouts). A group whose songs came out better without its type levels gets
weight 0, written into its model files as the :data:`~automix.plan.type_levels.REAL_SONG_LEVEL_WEIGHT`
figure (:func:`set_group_level_weights`); a group with fewer than :data:`MIN_GROUP_SONGS` real songs
keeps weight 1 (its published-practice and synthesised rows are the prior where real data is thin).

The held-out scores that report a weight must not have chosen it: ``automix evaluate --real`` mixes
each song with the weights decided on the *other* songs (``exclude``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from automix.knowledge.genres import genre_group
from automix.models.files import read_model_info, set_model_figures
from automix.plan.type_levels import REAL_SONG_LEVEL_WEIGHT

MIN_GROUP_SONGS = 3
"""Fewest real songs of a genre group (besides a held-out one) on which its weight is decided."""


class ScoredSong(Protocol):
    """What :func:`group_level_weights` reads of a score (:class:`automix.training.real_eval.SongScore`)."""

    song: str
    genre: str
    told_genre: bool
    automix_db: float
    full_weight_db: float


def group_level_weights(scores: Sequence[ScoredSong], song_genres: dict[str, str], *,
                        exclude: str | None = None, min_songs: int = MIN_GROUP_SONGS) -> dict[str, float]:
    """Weight (0 or 1) of each genre group's type levels, from held-out scores.

    Args:
        scores: per song and layout, genre told and not told (the told rows' ``full_weight_db`` is the
            error with the type levels at full weight; NaN = ``automix_db`` is).
        song_genres: song name → its genre id (its group is the group being judged).
        exclude: a song left out of the decision (the one being scored with it).
        min_songs: fewest songs of a group to decide on; smaller groups are not in the result.

    Returns:
        group id → 0.0 (the track balance alone did better) or 1.0, for the groups decided.
    """
    by_group: dict[str, dict[str, list[float]]] = {}
    for s in scores:
        grp = genre_group(song_genres.get(s.song, "")) if s.song != exclude else None
        if grp is None:
            continue
        told = s.full_weight_db if s.told_genre and np.isfinite(s.full_weight_db) else s.automix_db
        by_group.setdefault(grp.id, {"told": [], "untold": [], "songs": []})
        by_group[grp.id]["told" if s.told_genre else "untold"].append(told)
        by_group[grp.id]["songs"].append(s.song)
    out = {}
    for gid, d in by_group.items():
        if len(set(d["songs"])) >= min_songs and d["told"] and d["untold"]:
            out[gid] = 0.0 if float(np.mean(d["untold"])) < float(np.mean(d["told"])) else 1.0
    return out


def set_group_level_weights(folder: str | Path, weights: dict[str, float]) -> list[Path]:
    """Write each group's weight into the model files of ``folder`` whose genre is in that group.

    Returns the files written. ModelError names an unreadable model file.
    """
    written = []
    for path in sorted(Path(folder).glob("*.json")):
        info = read_model_info(path)
        grp = genre_group(info.genre) if info.genre != "all" else None
        if grp is not None and grp.id in weights:
            set_model_figures(path, {REAL_SONG_LEVEL_WEIGHT: weights[grp.id]})
            written.append(path)
    return written
