"""Audio features per frame and per region (pure numpy; ``sample_rate`` always explicit).

Signals are float arrays shaped ``(n,)`` (mono) or ``(n, channels)``; spectral
and level features use the mono downmix (mean of channels), ``left_right_energy``
the first two channels. Frames are ``frame_s`` long every ``hop_s`` (default:
``hop_s = frame_s``, no overlap); frame i covers samples
``[i·hop, i·hop + frame)``; a trailing partial frame is dropped. The papers
use ~20 ms (KDE) and 1 s with 0.75 s overlap (MLR): both are configurable.

Spectra use a Hann window normalised so that the band energies of a frame sum
to its (windowed) mean square. The 5 sub-bands are :data:`automix.bands.BAND_EDGES_HZ`
(0–120, 120–500, 500–2000, 2000–6000, 6000 Hz–Nyquist).

Per-region aggregates come from :class:`RegionFeatureAccumulator`, which
consumes a track's stem block by block (never the whole song in memory).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from automix.bands import BAND_EDGES_HZ, BAND_NAMES, N_BANDS
from automix.errors import AutomixError
from automix.loudness import LoudnessMeter, gated_loudness_from_hops, HOP_S as LOUDNESS_HOP_S

FLOOR_DB = -120.0
"""Level features (dB, LUFS) are clamped to this floor so silence stays finite."""

ACTIVE_THRESHOLD_DB = -50.0
"""A frame is active when its RMS exceeds this level (dBFS)."""

SLOPE_MIN_HZ = 50.0
"""Spectral slope is fitted from this frequency to Nyquist."""

REGION_FEATURE_NAMES: tuple[str, ...] = (
    "loudness_lufs", "rms_db", "centroid_hz", "slope_db_per_oct", "spread_hz", "zcr",
    *(f"band_db_{n}" for n in BAND_NAMES), "lr_balance_db", "active_fraction",
)
"""Order of :meth:`RegionFeatures.as_vector` (model inputs)."""


def _mono(signal: np.ndarray) -> np.ndarray:
    x = np.asarray(signal, dtype=np.float64)
    if x.ndim == 2:
        return x.mean(axis=1)
    if x.ndim != 1:
        raise AutomixError(f"signal must have shape (n,) or (n, channels), got {x.shape}")
    return x


def _frame_params(sample_rate: int, frame_s: float, hop_s: float | None) -> tuple[int, int]:
    if sample_rate <= 0:
        raise AutomixError(f"sample rate must be positive, got {sample_rate}")
    frame = int(round(frame_s * sample_rate))
    hop = int(round((hop_s if hop_s is not None else frame_s) * sample_rate))
    if frame < 2 or hop < 1:
        raise AutomixError(f"frame {frame_s} s / hop {hop_s} s too short at {sample_rate} Hz")
    return frame, hop


def frames(x: np.ndarray, frame: int, hop: int) -> np.ndarray:
    """View of a 1-D array as ``(n_frames, frame)`` frames every ``hop`` samples."""
    n = 0 if x.shape[0] < frame else 1 + (x.shape[0] - frame) // hop
    return np.lib.stride_tricks.as_strided(x, shape=(n, frame), strides=(x.strides[0] * hop, x.strides[0]),
                                           writeable=False)


def frame_rms(signal: np.ndarray, sample_rate: int, frame_s: float = 0.02,
              hop_s: float | None = None) -> np.ndarray:
    """RMS amplitude of each frame of the mono downmix, shape ``(n_frames,)``."""
    f, h = _frame_params(sample_rate, frame_s, hop_s)
    fr = frames(np.ascontiguousarray(_mono(signal)), f, h)
    return np.sqrt(np.mean(fr * fr, axis=1))


def zero_crossing_rate(signal: np.ndarray, sample_rate: int, frame_s: float = 0.02,
                       hop_s: float | None = None) -> np.ndarray:
    """Fraction of adjacent sample pairs that change sign, per frame, shape ``(n_frames,)``."""
    f, h = _frame_params(sample_rate, frame_s, hop_s)
    fr = frames(np.ascontiguousarray(_mono(signal)), f, h)
    s = np.signbit(fr)
    return np.mean(s[:, 1:] != s[:, :-1], axis=1) if fr.shape[0] else np.zeros(0)


def power_spectra(signal: np.ndarray, sample_rate: int, frame_s: float = 0.02,
                  hop_s: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Hann-windowed power spectra ``(n_frames, n_bins)`` and bin frequencies ``(n_bins,)`` Hz.

    Normalised so that ``power.sum(axis=1)`` is each frame's windowed mean square.
    """
    f, h = _frame_params(sample_rate, frame_s, hop_s)
    fr = frames(np.ascontiguousarray(_mono(signal)), f, h)
    w = np.hanning(f + 2)[1:-1]
    spec = np.fft.rfft(fr * w, axis=1)
    p = (spec.real ** 2 + spec.imag ** 2)
    p[:, 1:] *= 2.0
    if f % 2 == 0:
        p[:, -1] /= 2.0
    p /= f * np.sum(w * w)
    return p, np.fft.rfftfreq(f, 1.0 / sample_rate)


def band_masks(freqs_hz: np.ndarray) -> np.ndarray:
    """Boolean ``(5, n_bins)``: which bins fall in each sub-band of :mod:`automix.bands`."""
    edges = np.array(BAND_EDGES_HZ)
    return np.stack([(freqs_hz >= edges[b]) & (freqs_hz < edges[b + 1]) for b in range(N_BANDS)])


def _spectral_stats(p: np.ndarray, freqs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    total = p.sum(axis=1)
    safe = np.where(total > 0, total, 1.0)
    centroid = (p @ freqs) / safe
    spread = np.sqrt(np.maximum((p @ (freqs ** 2)) / safe - centroid ** 2, 0.0))
    sel = freqs >= SLOPE_MIN_HZ
    logf = np.log2(freqs[sel])
    logf_c = logf - logf.mean()
    db = 10.0 * np.log10(p[:, sel] + 1e-20)
    slope = (db - db.mean(axis=1, keepdims=True)) @ logf_c / np.sum(logf_c ** 2)
    silent = total <= 0
    centroid[silent] = np.nan
    spread[silent] = np.nan
    slope[silent] = np.nan
    return centroid, spread, slope


def spectral_centroid(signal: np.ndarray, sample_rate: int, frame_s: float = 0.02,
                      hop_s: float | None = None) -> np.ndarray:
    """Power-weighted mean frequency (Hz) per frame, ``(n_frames,)``; NaN for silent frames."""
    p, fq = power_spectra(signal, sample_rate, frame_s, hop_s)
    return _spectral_stats(p, fq)[0]


def spectral_spread(signal: np.ndarray, sample_rate: int, frame_s: float = 0.02,
                    hop_s: float | None = None) -> np.ndarray:
    """Power-weighted standard deviation of frequency (Hz) per frame; NaN for silent frames."""
    p, fq = power_spectra(signal, sample_rate, frame_s, hop_s)
    return _spectral_stats(p, fq)[1]


def spectral_slope(signal: np.ndarray, sample_rate: int, frame_s: float = 0.02,
                   hop_s: float | None = None) -> np.ndarray:
    """Least-squares slope of the power spectrum in dB per octave (50 Hz–Nyquist), per frame.

    White noise gives ≈ 0, pink noise ≈ −3 dB/oct. NaN for silent frames.
    """
    p, fq = power_spectra(signal, sample_rate, frame_s, hop_s)
    return _spectral_stats(p, fq)[2]


def band_energies(signal: np.ndarray, sample_rate: int, frame_s: float = 0.02,
                  hop_s: float | None = None) -> np.ndarray:
    """Mean-square energy per sub-band per frame, ``(n_frames, 5)`` (sums to the frame's)."""
    p, fq = power_spectra(signal, sample_rate, frame_s, hop_s)
    return p @ band_masks(fq).T.astype(np.float64)


def left_right_energy(signal: np.ndarray, sample_rate: int, frame_s: float = 0.02,
                      hop_s: float | None = None) -> np.ndarray:
    """Mean square of the left and right channel per frame, ``(n_frames, 2)`` (mono: equal)."""
    x = np.asarray(signal, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    f, h = _frame_params(sample_rate, frame_s, hop_s)
    chans = [x[:, 0], x[:, 1] if x.shape[1] > 1 else x[:, 0]]
    out = [np.mean(frames(np.ascontiguousarray(c), f, h) ** 2, axis=1) for c in chans]
    return np.stack(out, axis=1)


@dataclass(frozen=True)
class FrameFeatures:
    """Per-frame features; every array has ``n_frames`` rows.

    Attributes:
        start_s: frame start times ``(n,)``.
        rms: RMS amplitude of the mono downmix ``(n,)``.
        centroid_hz, spread_hz, slope_db_per_oct, zcr: ``(n,)`` (NaN when silent).
        band_energy: ``(n, 5)`` mean square per sub-band.
        lr_energy: ``(n, 2)`` mean square of left and right.
    """

    start_s: np.ndarray
    rms: np.ndarray
    centroid_hz: np.ndarray
    spread_hz: np.ndarray
    slope_db_per_oct: np.ndarray
    zcr: np.ndarray
    band_energy: np.ndarray
    lr_energy: np.ndarray


def compute_frame_features(signal: np.ndarray, sample_rate: int, frame_s: float = 0.02,
                           hop_s: float | None = None, start_s: float = 0.0) -> FrameFeatures:
    """All per-frame features of ``signal`` (one shared FFT)."""
    f, h = _frame_params(sample_rate, frame_s, hop_s)
    p, fq = power_spectra(signal, sample_rate, frame_s, hop_s)
    centroid, spread, slope = _spectral_stats(p, fq)
    n = p.shape[0]
    return FrameFeatures(
        start_s=start_s + np.arange(n) * h / sample_rate,
        rms=frame_rms(signal, sample_rate, frame_s, hop_s),
        centroid_hz=centroid, spread_hz=spread, slope_db_per_oct=slope,
        zcr=zero_crossing_rate(signal, sample_rate, frame_s, hop_s),
        band_energy=p @ band_masks(fq).T.astype(np.float64),
        lr_energy=left_right_energy(signal, sample_rate, frame_s, hop_s),
    )


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

    Only per-frame feature rows (a few floats per frame) and the loudness
    meter's 100 ms energies are kept, never the audio.
    """

    def __init__(self, sample_rate: int, regions: Sequence[RegionSpan], *, track: str = "",
                 frame_s: float = 0.02, hop_s: float | None = None,
                 active_threshold_db: float = ACTIVE_THRESHOLD_DB) -> None:
        self.sample_rate = int(sample_rate)
        self.regions = tuple(regions)
        self.track = track
        self.frame_s, self.hop_s = frame_s, hop_s
        self._frame, self._hop = _frame_params(sample_rate, frame_s, hop_s)
        self.active_threshold_db = active_threshold_db
        self._buffer = np.zeros((0, 2))
        self._consumed = 0  # samples before the buffer start
        self._rows: list[FrameFeatures] = []
        self._meter: LoudnessMeter | None = None

    def push(self, block: np.ndarray) -> None:
        """Consume the next ``(n, channels)`` or ``(n,)`` block of the stem."""
        x = np.asarray(block, dtype=np.float64)
        if x.ndim == 1:
            x = x[:, None]
        if x.shape[1] == 1:
            x = np.repeat(x, 2, axis=1)
        x = x[:, :2]
        if self._meter is None:
            self._meter = LoudnessMeter(self.sample_rate, 2)
        self._meter.push(x)
        buf = np.concatenate([self._buffer, x]) if self._buffer.size else x
        n_frames = 0 if buf.shape[0] < self._frame else 1 + (buf.shape[0] - self._frame) // self._hop
        if n_frames:
            used = (n_frames - 1) * self._hop + self._frame
            ff = compute_frame_features(buf[:used], self.sample_rate, self.frame_s, self.hop_s,
                                        start_s=self._consumed / self.sample_rate)
            self._rows.append(ff)
            keep_from = n_frames * self._hop
            self._consumed += keep_from
            self._buffer = buf[keep_from:].copy()
        else:
            self._buffer = buf

    def frame_features(self) -> FrameFeatures:
        """All frames consumed so far, concatenated."""
        if not self._rows:
            z = np.zeros(0)
            return FrameFeatures(z, z, z, z, z, z, np.zeros((0, N_BANDS)), np.zeros((0, 2)))
        return FrameFeatures(*(np.concatenate([getattr(r, name) for r in self._rows])
                               for name in FrameFeatures.__dataclass_fields__))

    def finish(self) -> list[RegionFeatures]:
        """Aggregates per region, in the order of ``regions``."""
        ff = self.frame_features()
        centre = ff.start_s + 0.5 * self._frame / self.sample_rate
        hops = self._meter.hop_energies if self._meter is not None else np.zeros(0)
        out = []
        for reg in self.regions:
            sel = (centre >= reg.start_s) & (centre < reg.end_s)
            n = int(sel.sum())
            rms = ff.rms[sel]
            active = rms > 10.0 ** (self.active_threshold_db / 20.0)
            h0 = int(math.ceil(reg.start_s / LOUDNESS_HOP_S - 1e-9))
            h1 = int(math.floor(reg.end_s / LOUDNESS_HOP_S + 1e-9))
            lufs = gated_loudness_from_hops(hops[h0:max(h1, h0)])

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
