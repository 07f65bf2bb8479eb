"""All per-frame features of a block in one pass: the fast path of :mod:`automix.features.frame`.

:func:`compute_frame_features` gives, for every frame of a block, the values
the reference functions of :mod:`automix.features.frame` define (same frame
grid, bands and units), from one float32 FFT of the mono downmix per frame.
It is what the streaming per-region aggregates of :mod:`automix.features.region`
run on every rendered block, so its cost sets the analysis speed:
per-(rate, frame) constants are computed once (:class:`_SpectralPlan`),
block-sized temporaries are reused through a :class:`FrameWorkspace`, and
all-zero frames skip the FFT.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from automix.audio.bands import N_BANDS
from automix.audio.loudness import k_weighting_power
from automix.errors import AutomixError
from automix.features.frame import SLOPE_MIN_HZ, band_masks, frame_lengths, frames


@dataclass(frozen=True)
class FrameFeatures:
    """Per-frame features; every array has ``n_frames`` rows.

    Attributes:
        start_s: frame start times ``(n,)``.
        rms: RMS amplitude of the mono downmix ``(n,)``.
        centroid_hz, spread_hz, slope_db_per_oct, zcr: ``(n,)`` (NaN when silent).
        band_energy: ``(n, 5)`` mean square per sub-band (mono downmix).
        lr_energy: ``(n, 2)`` mean square of left and right.
        k_energy: ``(n,)`` BS.1770 channel-summed K-weighted mean square, estimated
            from the frame spectrum (see :func:`compute_frame_features`).
    """

    start_s: np.ndarray
    rms: np.ndarray
    centroid_hz: np.ndarray
    spread_hz: np.ndarray
    slope_db_per_oct: np.ndarray
    zcr: np.ndarray
    band_energy: np.ndarray
    lr_energy: np.ndarray
    k_energy: np.ndarray


@dataclass(frozen=True)
class _SpectralPlan:
    """Precomputed per (sample rate, frame length): window, weights and bin ranges.

    ``window`` is the float32 Hann window times 0.5 (the mono downmix is formed
    as L + R); ``scale`` ``(n_bins,)`` makes power sums mean squares;
    ``weights`` ``(n_bins, 3)`` float32 columns f, f², K-weighting |H(f)|²;
    ``range_idx`` are ``np.add.reduceat`` indices whose even results are first
    the ``len(slope_counts)`` third-octave bands from :data:`SLOPE_MIN_HZ`,
    then the sub-bands in ``band_cols`` (bands above Nyquist are absent);
    ``slope_counts`` their bin counts; ``slope_log2_hz`` their log2 centre
    frequencies; ``slope_weights`` map mean-removed band levels (dB) to the
    least-squares slope in dB per octave.
    """

    window: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    range_idx: np.ndarray
    band_cols: tuple[int, ...]
    slope_counts: np.ndarray
    slope_log2_hz: np.ndarray
    slope_weights: np.ndarray


@functools.lru_cache(maxsize=16)
def _spectral_plan(sample_rate: int, frame: int) -> _SpectralPlan:
    w = np.hanning(frame + 2)[1:-1]
    freqs = np.fft.rfftfreq(frame, 1.0 / sample_rate)
    scale = np.full(freqs.shape, 2.0)
    scale[0] = 1.0
    if frame % 2 == 0:
        scale[-1] = 1.0
    scale /= frame * np.sum(w * w)
    weights = np.stack([freqs, freqs ** 2, k_weighting_power(freqs, sample_rate)], axis=1).astype(np.float32)
    band_ranges = []
    for m in band_masks(freqs):
        nz = np.flatnonzero(m)
        band_ranges.append((int(nz[0]), int(nz[-1]) + 1) if nz.size else None)
    slope_ranges, centres = [], []
    lo = SLOPE_MIN_HZ
    while lo * 2 ** (1 / 3) <= sample_rate / 2:  # below Nyquist: never ends at the last bin
        hi = lo * 2 ** (1 / 3)
        nz = np.flatnonzero((freqs >= lo) & (freqs < hi))
        if nz.size:
            slope_ranges.append((int(nz[0]), int(nz[-1]) + 1))
            centres.append(math.log2(math.sqrt(lo * hi)))
        lo = hi
    idx = [i for r in slope_ranges + [r for r in band_ranges if r is not None] for i in r]
    if idx[-1] >= freqs.shape[0]:  # only the last band can reach Nyquist: its sum runs to the end
        idx.pop()
    log2_hz = np.array(centres)
    centred = log2_hz - log2_hz.mean() if log2_hz.size > 1 else np.zeros(log2_hz.size)
    slope_weights = centred / np.sum(centred ** 2) if log2_hz.size > 1 else centred
    return _SpectralPlan(
        window=(0.5 * w).astype(np.float32), scale=scale.astype(np.float32), weights=weights,
        range_idx=np.array(idx, dtype=np.intp),
        band_cols=tuple(i for i, r in enumerate(band_ranges) if r is not None),
        slope_counts=np.array([b - a for a, b in slope_ranges], dtype=np.float64),
        slope_log2_hz=log2_hz, slope_weights=slope_weights,
    )


@functools.lru_cache(maxsize=64)
def _frame_bounds(n_frames: int, frame: int, hop: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.add.reduceat`` indices for per-frame sums (shared, read-only arrays).

    First: pairs ``(start, end)`` of every frame, whose even results are the
    sums over each frame's samples; indices may step back (overlapping frames):
    reduceat then yields one element, at an odd position, ignored. The last end
    equals the length used, so it is dropped (the last sum runs to the end).
    Second: the same pairs with each end one less, for sums over the
    ``frame − 1`` adjacent-sample pairs of each frame (zero crossings).
    """
    starts = np.arange(n_frames, dtype=np.intp) * hop
    pairs = np.stack([starts, starts + frame], axis=1).ravel()[:-1]
    inside = pairs - np.arange(pairs.size) % 2
    pairs.flags.writeable = False
    inside.flags.writeable = False
    return pairs, inside


def _rfft(frames_2d: np.ndarray) -> np.ndarray:
    """Real FFT of each row, overwriting the input (scipy.fft is imported at first use:
    commands that read cached features never load it)."""
    from scipy.fft import rfft

    return rfft(frames_2d, axis=1, overwrite_x=True)


def _frame_dots(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot products of two ``(n_frames, m)`` float32 arrays, as float64 ``(n_frames,)``."""
    return np.einsum("ij,ij->i", a, b).astype(np.float64)


class FrameWorkspace:
    """Scratch arrays reused by successive :func:`compute_frame_features` calls.

    A 4 s stereo block at 44.1 kHz is 1.4 MB; temporaries of that size are
    typically fresh pages from the operating system on every call, and their
    first touch (page faults) is costly: reusing them made the feature pass
    on rendered blocks about 30 % faster. One workspace per thread: the arrays
    are overwritten by the next call.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: type) -> np.ndarray:
        """An uninitialised C-contiguous array of ``shape`` (grown, never shrunk)."""
        size = math.prod(shape)
        a = self._arrays.get(name)
        if a is None or a.size < size or a.dtype != np.dtype(dtype):
            a = np.empty(size, dtype)
            self._arrays[name] = a
        return a[:size].reshape(shape)


def _frame_energies(x: np.ndarray, used: int, bounds: np.ndarray, frame: int,
                    ws: FrameWorkspace) -> np.ndarray:
    """Mean square of the left and right channel per frame, float64 ``(n_frames, 2)``."""
    sq = np.square(x[:used, :2], out=ws.get("square", (used, min(x.shape[1], 2)), np.float32))
    e = np.add.reduceat(sq, bounds, axis=0)[0::2].astype(np.float64) / frame
    return e if x.shape[1] > 1 else np.repeat(e, 2, axis=1)


def _zero_crossings(double_mono: np.ndarray, inside: np.ndarray, ws: FrameWorkspace) -> np.ndarray:
    """Sign changes between adjacent samples of each frame, int32 ``(n_frames,)``."""
    used = double_mono.shape[0]
    sign = np.signbit(double_mono, out=ws.get("sign", (used,), np.bool_))
    changes = np.not_equal(sign[1:], sign[:-1], out=ws.get("changes", (used - 1,), np.bool_))
    return np.add.reduceat(changes, inside, dtype=np.int32)[0::2]


def compute_frame_features(signal: np.ndarray, sample_rate: int, frame_s: float = 0.02,
                           hop_s: float | None = None, start_s: float = 0.0, *,
                           workspace: FrameWorkspace | None = None) -> FrameFeatures:
    """All per-frame features of ``signal`` (one float32 FFT of the mono downmix per sounding frame).

    Spectral values equal those of the single-feature functions up to float32
    rounding, except ``slope_db_per_oct``, fitted here on third-octave power
    densities (smoother, same units). ``k_energy`` is the K-weighted share of
    the mono frame spectrum times the frame's left+right energy: exact when both
    channels have the same spectral shape, an approximation otherwise (the exact
    time-domain meter is :mod:`automix.audio.loudness`). Frames whose samples are all
    zero get no FFT (their spectral values are NaN, energies 0). Temporaries
    live in ``workspace`` when one is given (see :class:`FrameWorkspace`).
    """
    f, h = frame_lengths(sample_rate, frame_s, hop_s)
    ws = workspace if workspace is not None else FrameWorkspace()
    x = np.asarray(signal)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise AutomixError(f"signal must have shape (n,) or (n, channels), got {x.shape}")
    if x.dtype != np.float32:
        x = x.astype(np.float32)
    n = 0 if x.shape[0] < f else 1 + (x.shape[0] - f) // h
    if n == 0:
        z = np.zeros(0)
        return FrameFeatures(z, z, z, z, z, z, np.zeros((0, N_BANDS)), np.zeros((0, 2)), z)
    used = (n - 1) * h + f
    bounds, inside = _frame_bounds(n, f, h)
    e_lr = _frame_energies(x, used, bounds, f, ws)
    # 2 × the mono downmix (the 0.5 is in the window)
    double_mono = np.add(x[:used, 0], x[:used, 1] if x.shape[1] > 1 else x[:used, 0],
                         out=ws.get("mono", (used,), np.float32))
    fm = frames(double_mono, f, h)
    plan = _spectral_plan(int(sample_rate), f)
    sounding = np.flatnonzero(e_lr[:, 0] + e_lr[:, 1] > 0)
    m = sounding.size
    windowed = ws.get("windowed", (m, f), np.float32)
    if m < n:
        np.take(fm, sounding, axis=0, out=windowed)
    np.multiply(fm if m == n else windowed, plan.window, out=windowed)
    spec = _rfft(windowed)
    power = np.abs(spec, out=ws.get("power", spec.shape, np.float32))
    power *= power
    power *= plan.scale
    n_slope = plan.slope_counts.size
    sums = np.add.reduceat(power, plan.range_idx, axis=1)[:, 0::2].astype(np.float64)
    weighted = (power @ plan.weights).astype(np.float64)  # (m, 3): too small for BLAS threading
    bands = np.zeros((n, N_BANDS))  # a band above Nyquist (low sample rates) stays empty
    bands[np.ix_(sounding, plan.band_cols)] = sums[:, n_slope:n_slope + len(plan.band_cols)]
    total = bands[sounding].sum(axis=1)
    safe = np.where(total > 0, total, 1.0)
    centroid, spread, slope, k_share = (np.full(n, np.nan) for _ in range(4))
    centroid[sounding] = weighted[:, 0] / safe
    spread[sounding] = np.sqrt(np.maximum(weighted[:, 1] / safe - centroid[sounding] ** 2, 0.0))
    if n_slope > 1:
        dens_db = 10.0 * np.log10(sums[:, :n_slope] / plan.slope_counts + 1e-20)
        slope[sounding] = (dens_db - dens_db.mean(axis=1, keepdims=True)) @ plan.slope_weights
    else:
        slope[sounding] = 0.0
    k_share[sounding] = weighted[:, 2] / safe
    silent = bands.sum(axis=1) <= 0
    for a in (centroid, spread, slope):
        a[silent] = np.nan
    channel_energy = e_lr[:, 0] + e_lr[:, 1] if x.shape[1] > 1 else e_lr[:, 0]  # BS.1770: mono counts once
    return FrameFeatures(
        start_s=start_s + np.arange(n) * h / sample_rate,
        rms=np.sqrt(_frame_dots(fm, fm) / (4.0 * f)), centroid_hz=centroid, spread_hz=spread,
        slope_db_per_oct=slope, zcr=_zero_crossings(double_mono, inside, ws) / max(f - 1, 1),
        band_energy=bands, lr_energy=e_lr,
        k_energy=np.where(silent, 0.0, k_share * channel_energy),
    )
