"""Genre from the audio when the project does not say: the nearest genre group by instrumentation.

A song's **profile** is the share of its playing tracks in each instrument
family (:data:`FAMILIES`, from the track types), shape ``(len(FAMILIES),)``;
it does not depend on how loud anything was recorded. :class:`GenreProfiles`
holds the mean profile of each genre group's training songs (saved as JSON,
``genres/profiles.json`` in a model folder, no pickle);
:func:`guess_genre` scores a song against them (``exp(−d²/τ)`` normalised,
d the Euclidean distance, τ = :data:`TEMPERATURE`) and returns the group,
its genre id and how sure it is. Below :data:`MIN_CONFIDENCE` the guess is
not used: the all-genre models mix the song, and automix says so.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from automix.errors import ModelError
from automix.knowledge.track_types import track_type
from automix.models.files import read_side_file
from automix.util.atomic import write_text_atomic

FAMILIES: tuple[str, ...] = ("drums", "bass", "guitars", "vocals", "keys", "orchestral", "fx", "other")
"""Instrument families of :mod:`automix.knowledge.track_types`."""

PROFILES_FILE = Path("genres") / "profiles.json"
PROFILES_FORMAT_VERSION = 1

TEMPERATURE = 0.05
"""τ of the group scores (squared profile distance)."""

MIN_CONFIDENCE = 0.6
"""A guess less sure than this is not used (the all-genre models mix the song)."""


def song_profile(track_types: Sequence[str], levels_db: Sequence[float]) -> np.ndarray:
    """Share of the playing tracks per family, shape ``(len(FAMILIES),)`` (all 0 when none plays).

    ``levels_db``: each track's loudness over the song (non-finite or ≤ −120 = silent, left out).
    """
    lv = np.asarray(levels_db, dtype=float)
    fam = [track_type(t).family for t, p in zip(track_types, np.isfinite(lv) & (lv > -120.0)) if p]
    counts = np.array([fam.count(F) for F in FAMILIES], dtype=float)
    return counts / counts.sum() if counts.sum() else counts


@dataclass(frozen=True)
class GenreGuess:
    """A guessed genre group: ``group`` id, ``genre`` id to mix with, ``confidence`` 0…1, per-group ``scores``."""

    group: str
    genre: str
    confidence: float
    scores: Mapping[str, float]

    @property
    def used(self) -> bool:
        """True when sure enough to mix with it (:data:`MIN_CONFIDENCE`)."""
        return self.confidence >= MIN_CONFIDENCE

    def describe(self) -> str:
        """One sentence for the user."""
        verdict = ("its models set pans, EQ and section moves" if self.used
                   else f"below {MIN_CONFIDENCE:.0%}: the all-genre models set pans, EQ and section moves")
        return (f"genre guessed from the instruments: {self.genre} ({self.confidence:.0%} sure; {verdict}; the "
                f"levels are equal loudness plus the track-level balance — name the genre to use its levels)")


@dataclass(frozen=True)
class GenreProfiles:
    """Mean profile per genre group (``centroids``), the genre id each group mixes with, and song counts."""

    centroids: Mapping[str, np.ndarray]
    genres: Mapping[str, str]
    n_songs: Mapping[str, int]


def fit_profiles(profiles: Sequence[np.ndarray], groups: Sequence[str], genres: Sequence[str]) -> GenreProfiles:
    """Group centroids from song profiles; each group mixes with its most frequent genre."""
    cents, gen, counts = {}, {}, {}
    for g in dict.fromkeys(groups):
        idx = [i for i, x in enumerate(groups) if x == g]
        cents[g] = np.mean([profiles[i] for i in idx], axis=0)
        names = [genres[i] for i in idx]
        gen[g] = max(dict.fromkeys(names), key=names.count)
        counts[g] = len(idx)
    return GenreProfiles(cents, gen, counts)


def guess_genre(profile: np.ndarray, profiles: GenreProfiles) -> GenreGuess | None:
    """The nearest group and how sure (None when there are no profiles)."""
    if not profiles.centroids:
        return None
    d2 = {g: float(np.sum((np.asarray(profile) - c) ** 2)) for g, c in profiles.centroids.items()}
    best = min(d2.values())
    w = {g: math.exp(-(v - best) / TEMPERATURE) for g, v in d2.items()}
    total = sum(w.values())
    scores = {g: v / total for g, v in w.items()}
    top = max(scores, key=scores.get)
    return GenreGuess(top, profiles.genres[top], scores[top], scores)


def save_profiles(profiles: GenreProfiles, directory: str | Path) -> Path:
    """Write ``genres/profiles.json`` into a model folder (atomically)."""
    path = Path(directory) / PROFILES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"format_version": PROFILES_FORMAT_VERSION, "families": list(FAMILIES),
           "groups": {g: {"centroid": [round(float(v), 6) for v in c], "genre": profiles.genres[g],
                          "n_songs": int(profiles.n_songs[g])} for g, c in profiles.centroids.items()}}
    write_text_atomic(path, json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return path


def load_profiles(directory: str | Path) -> GenreProfiles | None:
    """The genre profiles of a model folder, None when it has none (ModelError names a bad file)."""
    path = Path(directory) / PROFILES_FILE
    if not path.is_file():
        return None
    try:
        doc = read_side_file(path, PROFILES_FORMAT_VERSION, "genre profiles")
        if doc.get("families") != list(FAMILIES):
            raise ModelError(f"genre profiles of families {doc.get('families')!r}, automix reads {list(FAMILIES)}",
                             file=path)
        cents, gen, counts = {}, {}, {}
        for g, e in doc["groups"].items():
            c = np.array(e["centroid"], dtype=float)
            if c.shape != (len(FAMILIES),) or not np.all(np.isfinite(c)):
                raise ModelError(f"genre group {g!r}: centroid of {c.size} values", file=path)
            cents[g], gen[g], counts[g] = c, str(e["genre"]), int(e["n_songs"])
        return GenreProfiles(cents, gen, counts)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ModelError(f"unreadable genre profiles: {exc}", file=path) from None
