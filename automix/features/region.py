"""Per-region audio features of a track, computed while streaming its stem.

:class:`RegionFeatureAccumulator` consumes a track's stem block by block
(never the whole song in memory), keeps only the per-frame feature rows of
:func:`automix.features.frame_batch.compute_frame_features` (frame-level features
moved there) and aggregates them per :class:`RegionSpan` into
:class:`RegionFeatures`, whose :meth:`~RegionFeatures.as_vector` order is
:data:`REGION_FEATURE_NAMES` (the models' inputs).
"""

from __future__ import annotations

import math
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from automix.audio.bands import BAND_NAMES, N_BANDS
from automix.audio.loudness import BLOCK_S as LOUDNESS_BLOCK_S
from automix.audio.loudness import HOP_S as LOUDNESS_HOP_S
from automix.audio.loudness import gated_loudness_from_blocks
from automix.features.frame import frame_lengths
from automix.features.frame_batch import (
    FrameFeatures,
    FrameWorkspace,
    compute_frame_features,
)

FLOOR_DB = -120.0
"""Level features (dB, LUFS) are clamped to this floor so silence stays finite."""

ACTIVE_THRESHOLD_DB = -50.0
"""A frame is active when its RMS exceeds this level (dBFS)."""

REGION_FEATURE_NAMES: tuple[str, ...] = (
    "loudness_lufs", "rms_db", "centroid_hz", "slope_db_per_oct", "spread_hz", "zcr",
    *(f"band_db_{n}" for n in BAND_NAMES), "lr_balance_db", "active_fraction",
)
"""Order of :meth:`RegionFeatures.as_vector` (model inputs)."""

MAX_PENDING_BLOCKS = 2
"""Pushed blocks whose features may still be computing in the background (memory bound)."""


@dataclass(frozen=True)
class RegionSpan:
    """A time span features are aggregated over (a project region or the whole song)."""

    name: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class RegionFeatures:
    """Aggregated features of one track in one region (see :data:`REGION_FEATURE_NAMES`).

    Level values are clamped to :data:`FLOOR_DB`; spectral values are means
    over active frames and NaN when the track is never active in the region.
    """

    track: str
    region: str
    loudness_lufs: float
    rms_db: float
    centroid_hz: float
    slope_db_per_oct: float
    spread_hz: float
    zcr: float
    band_db: tuple[float, ...]
    lr_balance_db: float
    active_fraction: float

    def as_vector(self) -> np.ndarray:
        """The features in :data:`REGION_FEATURE_NAMES` order, shape ``(len(names),)``."""
        return np.array([self.loudness_lufs, self.rms_db, self.centroid_hz, self.slope_db_per_oct,
                         self.spread_hz, self.zcr, *self.band_db, self.lr_balance_db,
                         self.active_fraction], dtype=np.float64)


def _db(power: float) -> float:
    return max(10.0 * math.log10(power), FLOOR_DB) if power > 0 else FLOOR_DB


class RegionFeatureAccumulator:
    """Consumes one track's stem block by block; :meth:`finish` gives per-region features.

    Only per-frame feature rows (a few floats per frame) are kept, never the
    audio. Region loudness is BS.1770 gated loudness computed from the frames'
    K-weighted energies (400 ms blocks = ``round(0.4 / hop_s)`` frames every
    ``round(0.1 / hop_s)`` frames; see :func:`compute_frame_features`): with the
    default 20 ms frames it is typically within 0.1 LU of :func:`automix.audio.loudness.integrated_loudness`
    (up to ~0.25 LU on bass-heavy stems, whose K-weighting below 100 Hz the 50 Hz bins resolve coarsely).

    With ``background=True`` (default) the frame features of each pushed block
    are computed in a worker thread while the caller produces the next block
    (decoding and FFTs release the GIL, so rendering and analysis overlap on
    two cores); at most :data:`MAX_PENDING_BLOCKS` blocks wait, so memory stays
    bounded. Results are identical either way; errors surface at the next
    :meth:`push`, :meth:`frame_features` or :meth:`finish`.
    """

    def __init__(self, sample_rate: int, regions: Sequence[RegionSpan], *, track: str = "",
                 frame_s: float = 0.02, hop_s: float | None = None,
                 active_threshold_db: float = ACTIVE_THRESHOLD_DB, background: bool = True) -> None:
        self.sample_rate = int(sample_rate)
        self.regions = tuple(regions)
        self.track = track
        self.frame_s, self.hop_s = frame_s, hop_s
        self._frame, self._hop = frame_lengths(sample_rate, frame_s, hop_s)
        self.active_threshold_db = active_threshold_db
        self._buffer = np.zeros((0, 2), np.float32)
        self._consumed = 0  # samples before the buffer start
        self._rows: list[FrameFeatures] = []
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="automix-features") if background else None
        self._pending: deque[Future[FrameFeatures]] = deque()
        self._workspace = FrameWorkspace()  # used by one thread at a time: the worker or the caller
        # blocks handed to the worker: one slot per pending block plus the one being filled
        self._slots = [FrameWorkspace() for _ in range(MAX_PENDING_BLOCKS + 1)]
        self._next_slot = 0

    def _collect(self, keep: int) -> None:
        """Move finished background results to the rows until at most ``keep`` are pending."""
        while len(self._pending) > keep:
            self._rows.append(self._pending.popleft().result())

    def push(self, block: np.ndarray, *, copy: bool = True) -> None:
        """Consume the next ``(n, channels)`` or ``(n,)`` block of the stem.

        ``copy=False`` hands the block over: the caller promises not to modify
        it afterwards (blocks of :func:`automix.audio.render.render_track` are new
        arrays), which saves copying it for the background worker.
        """
        x = np.asarray(block, dtype=np.float32)
        if x.ndim == 1:
            x = x[:, None]
        if x.shape[1] == 1:
            x = np.repeat(x, 2, axis=1)
        x = x[:, :2]
        held = self._buffer.shape[0]
        total = held + x.shape[0]
        n_frames = 0 if total < self._frame else 1 + (total - self._frame) // self._hop
        if n_frames:
            if not held and (self._pool is None or not copy):
                buf = x
            else:  # the worker gets its own copy: the caller may reuse its block after push
                buf = self._slots[self._next_slot].get("block", (total, 2), np.float32)
                self._next_slot = (self._next_slot + 1) % len(self._slots)
                buf[:held] = self._buffer
                buf[held:] = x
            used = (n_frames - 1) * self._hop + self._frame
            args = (buf[:used], self.sample_rate, self.frame_s, self.hop_s, self._consumed / self.sample_rate)
            kwargs = {"workspace": self._workspace}
            if self._pool is None:
                self._rows.append(compute_frame_features(*args, **kwargs))
            else:
                self._pending.append(self._pool.submit(compute_frame_features, *args, **kwargs))
                self._collect(MAX_PENDING_BLOCKS)
            keep_from = n_frames * self._hop
            self._consumed += keep_from
            self._buffer = buf[keep_from:].copy()
        else:
            self._buffer = np.concatenate([self._buffer, x])

    def frame_features(self) -> FrameFeatures:
        """All frames consumed so far, concatenated."""
        self._collect(0)
        if not self._rows:
            z = np.zeros(0)
            return FrameFeatures(z, z, z, z, z, z, np.zeros((0, N_BANDS)), np.zeros((0, 2)), z)
        return FrameFeatures(*(np.concatenate([getattr(r, name) for r in self._rows])
                               for name in FrameFeatures.__dataclass_fields__))

    def finish(self) -> list[RegionFeatures]:
        """Aggregates per region, in the order of ``regions`` (ends the worker thread)."""
        ff = self.frame_features()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        frame_end = ff.start_s + self._frame / self.sample_rate
        hop_s = self._hop / self.sample_rate
        per_block = max(int(round(LOUDNESS_BLOCK_S / hop_s)), 1)
        per_step = max(int(round(LOUDNESS_HOP_S / hop_s)), 1)
        out = []
        for reg in self.regions:
            sel = (ff.start_s >= reg.start_s - 1e-9) & (frame_end <= reg.end_s + 1e-9)
            n = int(sel.sum())
            rms = ff.rms[sel]
            active = rms > 10.0 ** (self.active_threshold_db / 20.0)
            lufs = gated_loudness_from_frames(ff.k_energy[sel], per_block, per_step)

            def act_mean(a: np.ndarray) -> float:
                v = a[sel][active]
                v = v[np.isfinite(v)]
                return float(v.mean()) if v.size else math.nan

            bands = ff.band_energy[sel].mean(axis=0) if n else np.zeros(N_BANDS)
            lr = ff.lr_energy[sel].mean(axis=0) if n else np.zeros(2)
            balance = _db(lr[1]) - _db(lr[0]) if lr.min() > 0 else 0.0
            out.append(RegionFeatures(
                track=self.track, region=reg.name,
                loudness_lufs=max(lufs, FLOOR_DB),
                rms_db=_db(float(np.mean(rms ** 2))) if n else FLOOR_DB,
                centroid_hz=act_mean(ff.centroid_hz), slope_db_per_oct=act_mean(ff.slope_db_per_oct),
                spread_hz=act_mean(ff.spread_hz), zcr=act_mean(ff.zcr),
                band_db=tuple(_db(float(b)) for b in bands),
                lr_balance_db=balance,
                active_fraction=float(active.mean()) if n else 0.0,
            ))
        return out


def gated_loudness_from_frames(k_energy: np.ndarray, frames_per_block: int, frames_per_step: int) -> float:
    """BS.1770 gated loudness (LUFS) from per-frame K-weighted energies ``(n,)``."""
    e = np.asarray(k_energy, dtype=np.float64)
    if e.shape[0] < frames_per_block:
        return -math.inf
    csum = np.concatenate([[0.0], np.cumsum(e)])
    starts = np.arange(0, e.shape[0] - frames_per_block + 1, frames_per_step)
    blocks = (csum[starts + frames_per_block] - csum[starts]) / frames_per_block
    return gated_loudness_from_blocks(blocks)
