"""Per-region audio features of a track, computed while streaming its stem.

:class:`RegionFeatureAccumulator` consumes a track's stem block by block
(never the whole song in memory), keeps only the per-frame features of each block
(:func:`automix.features.frame.compute_frame_features`) and aggregates them per
:class:`RegionSpan` into :class:`RegionFeatures` (:func:`region_features`).
:data:`REGION_FEATURE_NAMES` is the one place that orders them: the fields of
:class:`RegionFeatures` (one per band for ``band_db``), the vectors of
:meth:`~RegionFeatures.as_vector` and the models' inputs.
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
from automix.audio.loudness import gated_loudness_from_frames
from automix.features.frame import FrameFeatures, compute_frame_features
from automix.features.framing import FrameWorkspace, frame_lengths

FLOOR_DB = -120.0
"""Level features (dB, LUFS) are clamped to this floor so silence stays finite."""

ACTIVE_RANGE_DB = 40.0
"""A frame is active when its RMS is at most this far below the track's loudest frame (dB): relative, like
BS.1770's relative gate, so that a track recorded 20 dB quieter keeps the same active frames, spectral means
and active fraction (with a fixed −50 dBFS threshold, the demo recorded 20 dB quieter moved its snare's centroid
by 4.9 kHz and its active fraction by 0.38, and with them the tracks' planned levels by up to 1.1 dB)."""

ACTIVE_FLOOR_DB = -100.0
"""…and above this level (dBFS): digital silence and dither are never active, however quiet the track."""

REGION_FEATURE_NAMES: tuple[str, ...] = (
    "loudness_lufs", "rms_db", "centroid_hz", "slope_db_per_oct", "spread_hz", "zcr",
    *(f"band_db_{n}" for n in BAND_NAMES), "lr_balance_db", "active_fraction",
)
"""Order of :meth:`RegionFeatures.as_vector` (model inputs); ``band_db_<band>`` are the entries of ``band_db``."""

LEVEL_FEATURE = "loudness_lufs"
"""A track's level in a region: its BS.1770 gated loudness (LUFS) over the 400 ms blocks where it plays
(absolute gate −70 LUFS, relative gate −10 LU), so silences in the region do not lower it. Planner gains,
training targets and the real-song scores are all measured on it."""

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

    Level values are clamped to :data:`FLOOR_DB`; spectral values are means over active frames
    (:func:`active_threshold`) and NaN when the track is never active in the region.
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
        return np.array([self.band_db[BAND_NAMES.index(name[len(_BAND_PREFIX):])]
                         if name.startswith(_BAND_PREFIX) else getattr(self, name)
                         for name in REGION_FEATURE_NAMES], dtype=np.float64)

    @classmethod
    def from_vector(cls, track: str, region: str, vector: np.ndarray) -> RegionFeatures:
        """The inverse of :meth:`as_vector`."""
        values = dict(zip(REGION_FEATURE_NAMES, (float(v) for v in vector)))
        bands = tuple(values.pop(_BAND_PREFIX + b) for b in BAND_NAMES)
        return cls(track=track, region=region, band_db=bands, **values)


_BAND_PREFIX = "band_db_"


def _db(power: float) -> float:
    return max(10.0 * math.log10(power), FLOOR_DB) if power > 0 else FLOOR_DB


class RegionFeatureAccumulator:
    """Consumes one track's stem block by block; :meth:`finish` gives per-region features.

    Only per-frame feature rows (a few floats per frame) are kept, never the
    audio. Region loudness is BS.1770 gated loudness computed from the frames'
    K-weighted energies (400 ms blocks = ``round(0.4 / hop_s)`` frames every
    ``round(0.1 / hop_s)`` frames; see :func:`automix.features.frame.k_weighted_energy`): with the
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
                 active_range_db: float = ACTIVE_RANGE_DB, background: bool = True) -> None:
        self.sample_rate = int(sample_rate)
        self.regions = tuple(regions)
        self.track = track
        self.frame_s, self.hop_s = frame_s, hop_s
        self._frame, self._hop = frame_lengths(sample_rate, frame_s, hop_s)
        self.active_range_db = active_range_db
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
            kwargs = {"sample_rate": self.sample_rate, "frame_s": self.frame_s, "hop_s": self.hop_s,
                      "start_s": self._consumed / self.sample_rate, "workspace": self._workspace}
            if self._pool is None:
                self._rows.append(compute_frame_features(buf[:used], **kwargs))
            else:
                self._pending.append(self._pool.submit(compute_frame_features, buf[:used], **kwargs))
                self._collect(MAX_PENDING_BLOCKS)
            keep_from = n_frames * self._hop
            self._consumed += keep_from
            self._buffer = buf[keep_from:].copy()
        else:
            self._buffer = np.concatenate([self._buffer, x])

    def frame_features(self) -> FrameFeatures:
        """All frames consumed so far, concatenated."""
        self._collect(0)
        return FrameFeatures.concatenate(self._rows)

    def finish(self) -> list[RegionFeatures]:
        """Aggregates per region, in the order of ``regions`` (ends the worker thread)."""
        ff = self.frame_features()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        frame_s, hop_s = self._frame / self.sample_rate, self._hop / self.sample_rate
        threshold = active_threshold(ff.rms, self.active_range_db)
        return [region_features(ff, reg, track=self.track, frame_s=frame_s, hop_s=hop_s,
                                active_rms=threshold) for reg in self.regions]


def active_threshold(frame_rms: np.ndarray, range_db: float = ACTIVE_RANGE_DB) -> float:
    """Linear RMS above which a frame of a track is active: :data:`ACTIVE_RANGE_DB` below the track's loudest
    frame (``frame_rms``: every frame of the track, linear), never below :data:`ACTIVE_FLOOR_DB`."""
    loudest = float(np.max(frame_rms)) if np.size(frame_rms) else 0.0
    return max(loudest * 10.0 ** (-range_db / 20.0), 10.0 ** (ACTIVE_FLOOR_DB / 20.0))


def region_features(ff: FrameFeatures, span: RegionSpan, *, track: str, frame_s: float, hop_s: float,
                    active_rms: float) -> RegionFeatures:
    """Aggregate the frames lying wholly inside ``span`` (frames ``frame_s`` long every ``hop_s`` seconds).

    Levels are over all the span's frames (loudness gated as BS.1770 gates
    400 ms blocks every 100 ms, from ``round(0.4 / hop_s)`` frames every
    ``round(0.1 / hop_s)``); spectral values and the zero-crossing rate are
    means over the active frames: RMS above ``active_rms`` (linear; :func:`active_threshold` of the whole
    track's frames).
    """
    frame_end = ff.start_s + frame_s
    sel = (ff.start_s >= span.start_s - 1e-9) & (frame_end <= span.end_s + 1e-9)
    n = int(sel.sum())
    rms = ff.rms[sel]
    active = rms > active_rms
    per_block = max(int(round(LOUDNESS_BLOCK_S / hop_s)), 1)
    per_step = max(int(round(LOUDNESS_HOP_S / hop_s)), 1)
    lufs = gated_loudness_from_frames(ff.k_energy[sel], per_block, per_step)

    def active_mean(a: np.ndarray) -> float:
        v = a[sel][active]
        v = v[np.isfinite(v)]
        return float(v.mean()) if v.size else math.nan

    bands = ff.band_energy[sel].mean(axis=0) if n else np.zeros(N_BANDS)
    lr = ff.lr_energy[sel].mean(axis=0) if n else np.zeros(2)
    return RegionFeatures(
        track=track, region=span.name,
        loudness_lufs=max(lufs, FLOOR_DB),
        rms_db=_db(float(np.mean(rms ** 2))) if n else FLOOR_DB,
        centroid_hz=active_mean(ff.centroid_hz), slope_db_per_oct=active_mean(ff.slope_db_per_oct),
        spread_hz=active_mean(ff.spread_hz), zcr=active_mean(ff.zcr),
        band_db=tuple(_db(float(b)) for b in bands),
        lr_balance_db=_db(lr[1]) - _db(lr[0]) if lr.min() > 0 else 0.0,
        active_fraction=float(active.mean()) if n else 0.0,
    )
