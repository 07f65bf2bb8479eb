"""Roles within a track type: how a type's loudness is shared among its tracks.

Several tracks of one type rarely sit at equal loudness: a lead line that plays
throughout sits above a fill or an effect that enters now and then. A
track's **prominence** is ``rms_db − loudness_lufs`` in a region: its
ungated RMS over the whole region minus its gated loudness while it plays
(dB). It does not depend on the recording level; it grows with the share
of the region the track plays in and with its low-frequency weight (the
K-weighting lowers the loudness of bass-heavy tracks less than their RMS).

:class:`RoleModel` maps it to power shares: track ``i`` of a type gets weight
``10^(β·(pᵢ − p̄)/10)`` (p̄ the mean over the type's playing tracks; the
exponent limited to ± :data:`MAX_ROLE_DB`), so a track ``Δp`` dB more
prominent than its type mates sits ``β·Δp`` dB above them. β is fitted by
:func:`fit_role_model` on real mixes (within-type level differences against
within-type prominence differences, ridge toward β = 0, i.e. equal shares,
where pairs are few) and saved as JSON (``roles/roles.json`` in a model
folder, no pickle). Without a fitted model the shares are equal.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from automix.errors import ModelError
from automix.features.region import LEVEL_FEATURE, REGION_FEATURE_NAMES
from automix.models.files import read_side_file, side_file_figure
from automix.util.atomic import write_text_atomic

ROLES_FILE = Path("roles") / "roles.json"
"""Where a model folder keeps its role model."""

ROLES_FORMAT_VERSION = 1

ROLE_RIDGE_DB2 = 50.0
"""Ridge on β (in dB² of prominence differences): with few pairs β shrinks toward 0 (equal shares)."""

MAX_ROLE_DB = 9.0
"""Largest level offset (dB) a role gives a track relative to its type mates' mean."""

_RMS = REGION_FEATURE_NAMES.index("rms_db")
_LEVEL = REGION_FEATURE_NAMES.index(LEVEL_FEATURE)


def prominence_db(features: np.ndarray) -> np.ndarray:
    """Prominence (dB) of tracks from region features ``(n, F)`` → ``(n,)``: ungated RMS − gated loudness."""
    f = np.asarray(features, dtype=float)
    return f[..., _RMS] - f[..., _LEVEL]


@dataclass(frozen=True)
class RoleModel:
    """β (dB of level per dB of prominence) and where it came from.

    Attributes:
        beta: level slope; 0 = equal shares.
        n_pairs: (track, region) entries of types with several tracks it was fitted on.
        n_songs: songs they came from.
        loso_mae_db / equal_mae_db: leave-one-song-out mean |within-type level error| (dB) of the
            fitted slope and of equal shares, NaN when not computed.
        description: the data.
    """

    beta: float = 0.0
    n_pairs: int = 0
    n_songs: int = 0
    loso_mae_db: float = math.nan
    equal_mae_db: float = math.nan
    description: str = "no role model: equal shares"

    def offsets_db(self, prominence: Sequence[float]) -> np.ndarray:
        """Level offsets (dB, mean 0 before limiting) of one type's playing tracks, shape (n,)."""
        p = np.asarray(prominence, dtype=float)
        if p.size == 0:
            return p
        p = np.where(np.isfinite(p), p, np.nanmean(p) if np.isfinite(p).any() else 0.0)
        return np.clip(self.beta * (p - p.mean()), -MAX_ROLE_DB, MAX_ROLE_DB)

    def shares(self, features: np.ndarray) -> np.ndarray:
        """Power shares (sum 1) of one type's playing tracks from their region features ``(n, F)``."""
        w = 10.0 ** (self.offsets_db(prominence_db(features)) / 10.0)
        return w / w.sum() if w.size else w


EQUAL_SHARES = RoleModel()
"""The role model used when no folder holds one."""


def within_type_pairs(features: np.ndarray, levels_db: np.ndarray, track_types: Sequence[str],
                      playing: np.ndarray) -> np.ndarray:
    """(prominence − type mean, level − type mean) of every playing track of a type with ≥ 2 playing tracks.

    Args:
        features: (n, S, F) raw features; levels_db: (n, S) levels in the reference mix;
        playing: (n, S) bool.

    Returns:
        shape (m, 2).
    """
    out = []
    prom = prominence_db(features)
    types = list(track_types)
    for k in range(levels_db.shape[1]):
        for t in dict.fromkeys(types):
            idx = [i for i, tt in enumerate(types) if tt == t and playing[i, k]]
            if len(idx) < 2:
                continue
            z, y = prom[idx, k], levels_db[idx, k]
            out += list(zip(z - z.mean(), y - y.mean()))
    return np.array(out, dtype=float).reshape(-1, 2)


def _slope(pairs: np.ndarray) -> float:
    if pairs.size == 0:
        return 0.0
    return float(pairs[:, 0] @ pairs[:, 1] / (pairs[:, 0] @ pairs[:, 0] + ROLE_RIDGE_DB2))


def fit_role_model(pairs_by_song: dict[str, np.ndarray], description: str = "") -> RoleModel:
    """β from the within-type pairs of several songs (:func:`within_type_pairs`), with its leave-one-song-out score."""
    songs = {s: p for s, p in pairs_by_song.items() if p.size}
    if not songs:
        return EQUAL_SHARES
    allp = np.concatenate(list(songs.values()))
    loso, equal = [], []
    if len(songs) >= 2:
        for s, p in songs.items():
            b = _slope(np.concatenate([q for o, q in songs.items() if o != s]))
            loso.append(np.mean(np.abs(p[:, 1] - np.clip(b * p[:, 0], -MAX_ROLE_DB, MAX_ROLE_DB))))
            equal.append(np.mean(np.abs(p[:, 1])))
    return RoleModel(_slope(allp), int(allp.shape[0]), len(songs),
                     float(np.mean(loso)) if loso else math.nan, float(np.mean(equal)) if equal else math.nan,
                     description or f"{len(songs)} songs")


def save_role_model(model: RoleModel, directory: str | Path) -> Path:
    """Write ``roles/roles.json`` into a model folder (atomically)."""
    path = Path(directory) / ROLES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"format_version": ROLES_FORMAT_VERSION, "feature": "rms_db - " + LEVEL_FEATURE, **asdict(model)}
    doc = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in doc.items()}
    write_text_atomic(path, json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return path


def load_role_model(directory: str | Path) -> RoleModel | None:
    """The role model of a model folder, None when it has none.

    Raises:
        ModelError: an unreadable file or a wrong format version (names the file).
    """
    path = Path(directory) / ROLES_FILE
    if not path.is_file():
        return None
    try:
        doc = read_side_file(path, ROLES_FORMAT_VERSION, "role model")
        beta = float(doc["beta"])
        if not math.isfinite(beta):
            raise ModelError(f"role model beta is {doc['beta']!r}", file=path)
        return RoleModel(beta, int(doc.get("n_pairs", 0)), int(doc.get("n_songs", 0)),
                         side_file_figure(doc, "loso_mae_db"), side_file_figure(doc, "equal_mae_db"),
                         str(doc.get("description", "")))
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"unreadable role model: {exc}", file=path) from None
