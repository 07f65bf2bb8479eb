"""Track-level balance: each playing stem's loudness relative to the mean of the playing stems.

A real mix's balance, measured per region on the stems' gated loudness (dB),
is predicted from a few per-track **descriptors** that do not depend on the
recording level (:data:`DESCRIPTOR_NAMES`, :func:`track_descriptors`):

* ``prominence_db``: ungated RMS − gated loudness in the region (how
  continuously and how full the track plays; see :mod:`automix.models.roles`);
* ``practice_level_db``: the published typical level of the track's type
  relative to the lead vocal (:func:`automix.knowledge.practice.typical_level_db`).

Descriptors are centred over the region's playing stems and the prediction is
``x·coef`` (dB, mean 0 over those stems): a linear ridge regression shrunk
toward ``coef = 0``, which is equal loudness of the playing stems.
:func:`fit_track_balance` fits it on real songs with every song weighing the
same (each region of a song alike, each stem of a region alike) and chooses
the ridge strength λ from :data:`RIDGE_GRID` by leave-one-song-out over the
training songs (mean balance error, dB, the measure of ``automix evaluate
--real``). Saved as JSON (``balance/track_balance.json`` in a model folder,
no pickle). Without a fitted model every stem sits at equal loudness.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from automix.errors import ModelError
from automix.features.region import REGION_FEATURE_NAMES
from automix.knowledge.practice import typical_level_db
from automix.models.files import read_side_file, side_file_figure
from automix.models.roles import prominence_db
from automix.util.atomic import write_text_atomic

BALANCE_FILE = Path("balance") / "track_balance.json"
"""Where a model folder keeps its track balance model."""

BALANCE_FORMAT_VERSION = 1

DESCRIPTOR_NAMES: tuple[str, ...] = ("prominence_db", "practice_level_db")
"""Columns of :func:`track_descriptors`."""

RIDGE_GRID: tuple[float, ...] = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, math.inf)
"""Candidate ridge strengths λ (dB² per unit of song weight; every song weighs 1); ``inf`` is equal
loudness, chosen when no slope beats it on held-out songs."""

def track_descriptors(features: np.ndarray, track_types: Sequence[str], genre: str | None = None) -> np.ndarray:
    """Descriptors (n, len(:data:`DESCRIPTOR_NAMES`)) of ``n`` tracks from their region features ``(n, F)``.

    A non-finite prominence (a silent track) counts as the mean of the others' (0 when none).
    """
    f = np.asarray(features, dtype=float).reshape(len(track_types), len(REGION_FEATURE_NAMES))
    prom = prominence_db(f)
    ok = np.isfinite(prom)
    prom = np.where(ok, prom, prom[ok].mean() if ok.any() else 0.0)
    practice = np.array([typical_level_db(t, genre) for t in track_types], dtype=float)
    return np.stack([prom, practice], axis=1)


@dataclass(frozen=True)
class BalanceRegion:
    """One region of a real mix as a training row: centred descriptors ``x`` (m, D) and levels ``y`` (m,) dB.

    ``y`` is each playing stem's loudness in the mix minus the mean over the region's playing stems.
    """

    x: np.ndarray
    y: np.ndarray


def balance_region(features: np.ndarray, levels_db: np.ndarray, track_types: Sequence[str],
                   genre: str | None = None) -> BalanceRegion:
    """A :class:`BalanceRegion` from the playing stems' features (m, F) and their loudness in the mix (m,) dB."""
    x = track_descriptors(features, track_types, genre)
    y = np.asarray(levels_db, dtype=float)
    return BalanceRegion(x - x.mean(axis=0), y - y.mean())


@dataclass(frozen=True)
class TrackBalanceModel:
    """``coef`` (D,) dB per descriptor unit, the ridge λ chosen, and how it scored.

    Attributes:
        coef: one slope per :data:`DESCRIPTOR_NAMES` entry; all 0 = equal loudness.
        ridge: the λ used.
        n_songs / n_regions: the training data.
        loso_error_db / equal_error_db: leave-one-song-out mean balance error (dB) of the
            model at ``ridge`` and of equal loudness on the training songs, NaN when not computed.
        description: the data.
    """

    coef: tuple[float, ...] = (0.0,) * len(DESCRIPTOR_NAMES)
    ridge: float = math.inf
    n_songs: int = 0
    n_regions: int = 0
    loso_error_db: float = math.nan
    equal_error_db: float = math.nan
    description: str = "no track balance model: equal loudness"
    descriptor_names: tuple[str, ...] = field(default=DESCRIPTOR_NAMES)

    def relative_levels_db(self, features: np.ndarray, track_types: Sequence[str],
                           genre: str | None = None) -> np.ndarray:
        """Levels (n,) dB of ``n`` playing tracks relative to their mean (mean 0), from features ``(n, F)``."""
        if len(track_types) == 0:
            return np.zeros(0)
        x = track_descriptors(features, track_types, genre)
        return (x - x.mean(axis=0)) @ np.asarray(self.coef, dtype=float)


    def between_type_levels_db(self, features: np.ndarray, track_types: Sequence[str],
                               genre: str | None = None) -> np.ndarray:
        """:meth:`relative_levels_db` averaged over each type's tracks, shape (n,) dB.

        The planner takes the balance *between* types from here and leaves the shares *within* a type to
        the role model (:mod:`automix.models.roles`): both read prominence, and adding this model's
        within-type differences to the roles' counted prominence twice inside a type (this model's slope plus
        the roles' β, where real mixes show about β alone: 0.29 + 0.51 dB per dB when measured on 8 songs).
        """
        levels = self.relative_levels_db(features, track_types, genre)
        types = list(track_types)
        return np.array([levels[[j for j, u in enumerate(types) if u == t]].mean() for t in types])


EQUAL_LOUDNESS = TrackBalanceModel()
"""The track balance used when no model folder holds one."""


def _weighted(songs: Sequence[Sequence[BalanceRegion]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs, ys, ws = [], [], []
    for regions in songs:
        for r in regions:
            xs.append(r.x)
            ys.append(r.y)
            ws.append(np.full(len(r.y), 1.0 / (len(r.y) * len(regions))))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)


def ridge_coef(songs: Sequence[Sequence[BalanceRegion]], ridge: float) -> np.ndarray:
    """Ridge slopes (D,) on the regions of several songs, each song weighing 1 (``ridge=inf``: all 0).

    D is the regions' descriptor count (:data:`DESCRIPTOR_NAMES` for the shipped model); no region: D of it.
    """
    songs = [s for s in songs if s]
    if not songs:
        return np.zeros(len(DESCRIPTOR_NAMES))
    x, y, w = _weighted(songs)
    if math.isinf(ridge):
        return np.zeros(x.shape[1])
    a = x.T @ (x * w[:, None]) + ridge * np.eye(x.shape[1])
    return np.linalg.solve(a, x.T @ (w * y))


def mean_balance_error_db(regions: Sequence[BalanceRegion], coef: np.ndarray) -> float:
    """Mean over regions of the mean |predicted − real| level (dB, common offset removed)."""
    errs = []
    for r in regions:
        d = r.x @ coef - r.y
        errs.append(float(np.mean(np.abs(d - d.mean()))))
    return float(np.mean(errs)) if errs else math.nan


def loso_error_db(songs: Mapping[str, Sequence[BalanceRegion]], ridge: float) -> float:
    """Leave-one-song-out mean balance error (dB) at ridge strength ``ridge`` (mean over songs)."""
    errs = [mean_balance_error_db(regions, ridge_coef([r for o, r in songs.items() if o != s], ridge))
            for s, regions in songs.items() if regions]
    return float(np.mean(errs)) if errs else math.nan


def fit_track_balance(songs: Mapping[str, Sequence[BalanceRegion]], description: str = "",
                      grid: Sequence[float] = RIDGE_GRID) -> TrackBalanceModel:
    """The model of several songs' regions, λ chosen from ``grid`` by leave-one-song-out (needs ≥ 3 songs).

    With fewer than three songs no λ can be chosen on held-out songs: the result is equal loudness.
    """
    songs = {s: list(r) for s, r in songs.items() if r}
    if len(songs) < 3:
        return EQUAL_LOUDNESS
    scores = [(loso_error_db(songs, lam), lam) for lam in grid]
    best_err, best = min(scores)
    equal = float(np.mean([mean_balance_error_db(r, np.zeros(len(DESCRIPTOR_NAMES))) for r in songs.values()]))
    coef = ridge_coef(list(songs.values()), best)
    return TrackBalanceModel(tuple(float(c) for c in coef), float(best), len(songs),
                             sum(len(r) for r in songs.values()), best_err, equal,
                             description or f"{len(songs)} songs")


def save_track_balance(model: TrackBalanceModel, directory: str | Path) -> Path:
    """Write ``balance/track_balance.json`` into a model folder (atomically)."""
    path = Path(directory) / BALANCE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"format_version": BALANCE_FORMAT_VERSION, "coef": list(model.coef),
           "descriptor_names": list(model.descriptor_names), "ridge": model.ridge, "n_songs": model.n_songs,
           "n_regions": model.n_regions, "loso_error_db": model.loso_error_db,
           "equal_error_db": model.equal_error_db, "description": model.description}
    doc = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in doc.items()}
    write_text_atomic(path, json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return path


def load_track_balance(directory: str | Path) -> TrackBalanceModel | None:
    """The track balance model of a model folder, None when it has none.

    Raises:
        ModelError: an unreadable file, a wrong format version or other descriptors than
            :data:`DESCRIPTOR_NAMES` (names the file and the bad value).
    """
    path = Path(directory) / BALANCE_FILE
    if not path.is_file():
        return None
    try:
        doc = read_side_file(path, BALANCE_FORMAT_VERSION, "track balance")
        names = tuple(doc["descriptor_names"])
        if names != DESCRIPTOR_NAMES:
            raise ModelError(f"track balance descriptors {list(names)!r}, automix computes "
                             f"{list(DESCRIPTOR_NAMES)!r}", file=path)
        coef = tuple(float(c) for c in doc["coef"])
        if len(coef) != len(names) or not all(math.isfinite(c) for c in coef):
            raise ModelError(f"track balance coef {doc['coef']!r} is not {len(names)} finite numbers", file=path)
        return TrackBalanceModel(coef, side_file_figure(doc, "ridge"), int(doc.get("n_songs", 0)),
                                 int(doc.get("n_regions", 0)), side_file_figure(doc, "loso_error_db"),
                                 side_file_figure(doc, "equal_error_db"), str(doc.get("description", "")), names)
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"unreadable track balance model: {exc}", file=path) from None
