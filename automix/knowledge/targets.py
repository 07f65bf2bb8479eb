"""Mixing targets: what a model predicts for each track type, and conversions.

Two formulations of a track's level in a mix:

* ``"alpha"`` — the KDE paper's raw gain weight: mix ≈ Σₖ αₖ·stemₖ, αₖ a
  linear amplitude factor. It depends on how loud stem k was *recorded*: the
  same mix of a stem recorded 6 dB hotter has α halved.
* ``"relative_loudness_db"`` — the level of the track *as heard in the mix*
  relative to the mix, ``rₖ = 20·log10 αₖ + Lₖ − L_mix`` (Lₖ the stem's
  level, L_mix the mix level, both dB on one scale: RMS dB or LUFS). It does
  not depend on the recording level, so songs recorded differently teach the
  model the same thing. It is the default (:data:`DEFAULT_TARGET_KIND`).

Pan follows the KDE paper's law ``L = cos(p)·x, R = sin(p)·x``,
p ∈ [0, π/2]; automix pans are REAPER's −1 (left) … +1 (right), mapped
linearly in angle (p = π/4 is centre), the same mapping as
:func:`automix.audio.panlaw.gain_pan_from_channel_gains` (the one place that
converts channel gains to pan). EQ targets are per-band gains in dB
relative to the track's broadband gain.

Several tracks of one type are merged into the type's basic track by summing
energies (:func:`merge_by_type`); a type's prediction goes back to its tracks
with :func:`spread_type_gain` / :func:`spread_type_loudness` (each track lands
at its share of the type's target loudness, whatever its recording level) and
:func:`spread_type_pan` (tracks spread around the type's position, pairs
left/right).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from automix.errors import PlanError

TARGET_KINDS: tuple[str, ...] = ("alpha", "relative_loudness_db")
DEFAULT_TARGET_KIND = "relative_loudness_db"
"""Default target: independent of recording levels (see module docstring)."""

ALPHA_FLOOR = 1e-6
"""Smallest α converted to dB (−120 dB); α <= 0 means the track is silent in the mix."""


def check_target_kind(kind: str) -> str:
    """``kind`` if it is one of :data:`TARGET_KINDS`, else PlanError."""
    if kind not in TARGET_KINDS:
        raise PlanError(f"unknown target kind {kind!r} (known: {', '.join(TARGET_KINDS)})")
    return kind


def alpha_to_gain_db(alpha: np.ndarray | float) -> np.ndarray:
    """Linear gain weight α → gain in dB (α below :data:`ALPHA_FLOOR` clamps to −120 dB)."""
    a = np.abs(np.asarray(alpha, dtype=float))
    return 20.0 * np.log10(np.maximum(a, ALPHA_FLOOR))


def gain_db_to_alpha(gain_db: np.ndarray | float) -> np.ndarray:
    """Gain in dB → linear gain weight α."""
    return 10.0 ** (np.asarray(gain_db, dtype=float) / 20.0)


def relative_loudness_from_alpha(alpha: np.ndarray | float, stem_level_db: np.ndarray | float,
                                 mix_level_db: float) -> np.ndarray:
    """Track level in the mix relative to the mix, dB: ``20·log10 α + L_stem − L_mix``."""
    return alpha_to_gain_db(alpha) + np.asarray(stem_level_db, dtype=float) - mix_level_db


def alpha_from_relative_loudness(relative_db: np.ndarray | float, stem_level_db: np.ndarray | float,
                                 mix_level_db: float) -> np.ndarray:
    """Inverse of :func:`relative_loudness_from_alpha`."""
    return gain_db_to_alpha(gain_db_from_relative_loudness(relative_db, stem_level_db, mix_level_db))


def gain_db_from_relative_loudness(relative_db: np.ndarray | float, stem_level_db: np.ndarray | float,
                                   mix_level_db: float) -> np.ndarray:
    """Gain (dB) that puts a stem of level ``stem_level_db`` at ``relative_db`` below a mix of ``mix_level_db``."""
    return np.asarray(relative_db, dtype=float) + mix_level_db - np.asarray(stem_level_db, dtype=float)


def normalize_relative_loudness(relative_db: np.ndarray) -> np.ndarray:
    """Shift predicted relative levels so their power sum is 0 dB (the mix).

    For uncorrelated tracks the levels relative to the mix satisfy
    Σ 10^(rₖ/10) = 1; a model's prediction need not. Only level differences
    matter to the balance, so a common shift fixes it. NaN entries (absent
    types) are ignored and stay NaN. Shape unchanged.
    """
    r = np.asarray(relative_db, dtype=float)
    present = np.isfinite(r)
    if not present.any():
        return r.copy()
    return r - power_sum_db(r[present])


def gains_from_relative_loudness(relative_db: Sequence[float], stem_level_db: Sequence[float],
                                 mix_level_db: float | None = None) -> np.ndarray:
    """Gains (dB) realising predicted relative levels for a set of stems.

    Args:
        relative_db: target level of each stem relative to the mix, shape (n,).
        stem_level_db: current level of each stem, shape (n,).
        mix_level_db: the level the mix should have; default: the power sum
            of the stems as they are (the mix keeps its overall level).

    Returns:
        gain in dB per stem, shape (n,); 0 for silent stems.
    """
    r = normalize_relative_loudness(np.asarray(relative_db, dtype=float))
    levels = np.asarray(stem_level_db, dtype=float)
    if r.shape != levels.shape:
        raise PlanError(f"{r.size} relative levels for {levels.size} stems")
    if mix_level_db is None:
        mix_level_db = power_sum_db(levels)
    audible = np.isfinite(levels) & (levels > SILENT_DB) & np.isfinite(r)
    gains = np.zeros(levels.shape)
    gains[audible] = r[audible] + mix_level_db - levels[audible]
    return gains


def eq_db_from_band_alphas(band_alpha: np.ndarray, alpha: np.ndarray | float) -> np.ndarray:
    """Per-band EQ gains (dB) from per-band gain weights and the broadband one.

    Args:
        band_alpha: α estimated on each sub-band, shape (..., 5).
        alpha: broadband α, shape (...) broadcastable against ``band_alpha[..., 0]``.

    Returns:
        dB per band, shape (..., 5): how much the band is raised relative to the track.
    """
    return alpha_to_gain_db(band_alpha) - alpha_to_gain_db(np.asarray(alpha, dtype=float))[..., None]


@dataclass(frozen=True)
class LevelTargets:
    """Both target formulations for one song section, per track type.

    Attributes:
        alpha: raw gain weights, shape (n_types,), NaN where a type is absent.
        relative_db: level relative to the mix (dB), shape (n_types,), NaN where absent.
    """

    alpha: np.ndarray
    relative_db: np.ndarray

    def get(self, kind: str) -> np.ndarray:
        """The targets of ``kind`` (one of :data:`TARGET_KINDS`)."""
        check_target_kind(kind)
        return self.alpha if kind == "alpha" else self.relative_db


def level_targets(alpha: np.ndarray, stem_level_db: np.ndarray, mix_level_db: float) -> LevelTargets:
    """Both formulations from estimated α and the stems' and mix's levels (NaN = absent type)."""
    a = np.asarray(alpha, dtype=float)
    rel = np.where(np.isfinite(a), relative_loudness_from_alpha(np.nan_to_num(a), stem_level_db,
                                                                mix_level_db), np.nan)
    return LevelTargets(alpha=a, relative_db=rel)


# ---------------------------------------------------------------- merge / spread

SILENT_DB = -120.0
"""Tracks whose loudness is below this (or not finite) count as silent."""


@dataclass(frozen=True)
class TypeGroups:
    """Tracks grouped by type.

    Attributes:
        type_ids: the distinct types, in order of first appearance.
        members: for each type, the indices of its tracks (ascending).
    """

    type_ids: tuple[str, ...]
    members: tuple[tuple[int, ...], ...]

    def members_of(self, type_id: str) -> tuple[int, ...]:
        """Track indices of ``type_id`` (empty when the type is absent)."""
        for t, m in zip(self.type_ids, self.members):
            if t == type_id:
                return m
        return ()


def group_by_type(track_type_ids: Sequence[str]) -> TypeGroups:
    """Group track indices by their type id (first-appearance order)."""
    order: list[str] = []
    members: dict[str, list[int]] = {}
    for i, t in enumerate(track_type_ids):
        if t not in members:
            order.append(t)
            members[t] = []
        members[t].append(i)
    return TypeGroups(tuple(order), tuple(tuple(members[t]) for t in order))


def merge_by_type(values: np.ndarray, track_type_ids: Sequence[str]) -> tuple[TypeGroups, np.ndarray]:
    """Merge tracks of one type into the type's basic track by summing.

    Args:
        values: shape ``(n_tracks, ...)``, an *additive* per-track quantity
            (signal power / energy per frame or per band, or the signals).
        track_type_ids: type id of each track, length ``n_tracks``.

    Returns:
        the grouping and an array of shape ``(n_types, ...)``, row ``k`` the
        sum over the tracks of ``groups.type_ids[k]``.
    """
    values = np.asarray(values, dtype=float)
    if values.shape[0] != len(track_type_ids):
        raise PlanError(
            f"merge_by_type: {values.shape[0]} value rows for {len(track_type_ids)} track types")
    groups = group_by_type(track_type_ids)
    merged = np.stack([values[list(m)].sum(axis=0) for m in groups.members]) if groups.members \
        else np.zeros((0,) + values.shape[1:])
    return groups, merged


def power_sum_db(levels_db: np.ndarray) -> float:
    """Level in dB of the sum of uncorrelated signals with these levels (silent ones ignored)."""
    levels = np.asarray(levels_db, dtype=float)
    active = levels[np.isfinite(levels) & (levels > SILENT_DB)]
    if active.size == 0:
        return -np.inf
    top = active.max()
    return float(top + 10.0 * np.log10(np.sum(10.0 ** ((active - top) / 10.0))))


def _shares(n: int, active: np.ndarray, shares: Sequence[float] | None) -> np.ndarray:
    if shares is None:
        w = np.ones(n)
    else:
        w = np.asarray(shares, dtype=float)
        if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise PlanError(f"type shares must be {n} finite values >= 0, got {list(w.ravel())}")
    w = np.where(active, w, 0.0)
    total = w.sum()
    if total <= 0:
        raise PlanError(f"type shares of the audible tracks sum to {total}, need > 0")
    return w / total


def spread_type_loudness(type_target_db: float, track_loudness_db: Sequence[float],
                         shares: Sequence[float] | None = None) -> np.ndarray:
    """Gains that put a type's tracks at their shares of the type's target loudness.

    Track ``i`` lands at ``type_target_db + 10·log10(share_i)``, so the power
    sum of the type's tracks is ``type_target_db`` and the tracks' recording
    levels no longer matter. Silent tracks get 0 dB and no share.

    Args:
        type_target_db: the loudness the whole type should have (dB, same
            scale as ``track_loudness_db``).
        track_loudness_db: current loudness of each track of the type, shape (n,).
        shares: relative power shares (default equal), shape (n,), >= 0.

    Returns:
        gain in dB per track, shape (n,).
    """
    levels = np.asarray(track_loudness_db, dtype=float).reshape(-1)
    active = np.isfinite(levels) & (levels > SILENT_DB)
    gains = np.zeros(levels.shape)
    if not active.any():
        return gains
    w = _shares(levels.size, active, shares)
    gains[active] = type_target_db + 10.0 * np.log10(w[active]) - levels[active]
    return gains


def spread_type_gain(type_gain_db: float, track_loudness_db: Sequence[float],
                     shares: Sequence[float] | None = None) -> np.ndarray:
    """Spread one gain predicted for a type's merged track back to its tracks.

    The type's target loudness is the merged track's loudness (power sum of
    the tracks) plus ``type_gain_db``; each track then lands at its share of
    it (see :func:`spread_type_loudness`), instead of every track getting
    ``type_gain_db`` and keeping its arbitrary recording level.

    Returns:
        gain in dB per track, shape (n,).
    """
    target_db = power_sum_db(np.asarray(track_loudness_db, dtype=float)) + type_gain_db
    if not np.isfinite(target_db):
        return np.zeros(np.asarray(track_loudness_db).reshape(-1).shape)
    return spread_type_loudness(target_db, track_loudness_db, shares)


def spread_type_pan(type_pan: float, n_tracks: int, width: float = 0.6,
                    side_hints: Sequence[int] | None = None) -> np.ndarray:
    """Pan positions for ``n_tracks`` tracks of one type around the type's pan.

    Tracks pair up left/right (track 0 left, track 1 right, 2 left, …): the
    first pair at ``type_pan ± width``, later pairs closer in, and an odd
    last track at ``type_pan``. The width shrinks so every position stays in
    [−1, 1]; the mean of the positions is ``type_pan``. ``side_hints``
    (−1 left, +1 right, 0 none; see :func:`track_side_hint`) puts ``OH L`` on
    a left slot and ``OH R`` on a right one.

    Args:
        type_pan: the type's position, −1 (left) … +1 (right).
        n_tracks: number of tracks of the type (>= 1).
        width: pan offset of the outer pair (0 … 1).

    Returns:
        pan per track, shape (n_tracks,).
    """
    if n_tracks < 1:
        raise PlanError(f"spread_type_pan needs at least one track, got {n_tracks}")
    if not (np.isfinite(type_pan) and -1.0 <= type_pan <= 1.0):
        raise PlanError(f"type pan must be in [-1, 1], got {type_pan}")
    if not (0.0 <= width <= 1.0):
        raise PlanError(f"pan spread width must be in [0, 1], got {width}")
    w = min(width, 1.0 - abs(type_pan))
    n_pairs = n_tracks // 2
    slots: list[float] = []
    for p in range(n_pairs):
        offset = w * (1.0 - p / n_pairs)
        slots += [-offset, offset]
    if n_tracks % 2:
        slots.append(0.0)
    offsets = np.array(slots)
    if side_hints is not None:
        hints = list(side_hints)
        if len(hints) != n_tracks:
            raise PlanError(f"{len(hints)} side hints for {n_tracks} tracks")
        free = list(range(n_tracks))
        assigned = np.zeros(n_tracks)
        placed = [False] * n_tracks
        for side in (-1, 1):
            for i, h in enumerate(hints):
                if h == side:
                    slot = next((s for s in free if np.sign(offsets[s]) == side), None)
                    if slot is not None:
                        assigned[i] = offsets[slot]
                        free.remove(slot)
                        placed[i] = True
        for i in range(n_tracks):
            if not placed[i]:
                assigned[i] = offsets[free.pop(0)]
        offsets = assigned
    return np.clip(type_pan + offsets, -1.0, 1.0)
