"""Audio features of each frame (pure numpy; ``sample_rate`` always explicit).

Signals are float arrays shaped ``(n,)`` (mono) or ``(n, channels)``; spectral
and level features use the mono downmix (mean of channels), ``left_right_energy``
the first two channels. Frames are ``frame_s`` long every ``hop_s`` (default:
``hop_s = frame_s``, no overlap); frame i covers samples
``[i·hop, i·hop + frame)``; a trailing partial frame is dropped. The papers
use ~20 ms (KDE) and 1 s with 0.75 s overlap (MLR): both are configurable.

Spectra use a Hann window normalised so that the band energies of a frame sum
to its (windowed) mean square. The 5 sub-bands are :data:`automix.bands.BAND_EDGES_HZ`
(0–120, 120–500, 500–2000, 2000–6000, 6000 Hz–Nyquist).

One function per feature (``frame_rms``, ``spectral_centroid`` …) for
clarity and tests; :func:`compute_frame_features` computes them all from one
FFT per frame for the streaming per-region aggregates of :mod:`automix.features`
(this module was split out of it).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy.fft import rfft
from scipy.signal import sosfreqz

from automix.bands import BAND_EDGES_HZ, N_BANDS
from automix.errors import AutomixError
from automix.loudness import k_weighting_sos

SLOPE_MIN_HZ = 50.0
"""Spectral slope is fitted from this frequency to Nyquist."""


def _mono(signal: np.ndarray) -> np.ndarray:
    x = np.asarray(signal, dtype=np.float64)
    if x.ndim == 2:
        return x.mean(axis=1)
    if x.ndim != 1:
        raise AutomixError(f"signal must have shape (n,) or (n, channels), got {x.shape}")
    return x


def frame_lengths(sample_rate: int, frame_s: float, hop_s: float | None) -> tuple[int, int]:
    """``(frame, hop)`` in samples for ``frame_s``/``hop_s`` seconds (``hop_s`` None: = ``frame_s``)."""
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
    f, h = frame_lengths(sample_rate, frame_s, hop_s)
    fr = frames(np.ascontiguousarray(_mono(signal)), f, h)
    return np.sqrt(np.mean(fr * fr, axis=1))


def zero_crossing_rate(signal: np.ndarray, sample_rate: int, frame_s: float = 0.02,
                       hop_s: float | None = None) -> np.ndarray:
    """Fraction of adjacent sample pairs that change sign, per frame, shape ``(n_frames,)``."""
    f, h = frame_lengths(sample_rate, frame_s, hop_s)
    fr = frames(np.ascontiguousarray(_mono(signal)), f, h)
    s = np.signbit(fr)
    return np.mean(s[:, 1:] != s[:, :-1], axis=1) if fr.shape[0] else np.zeros(0)


def power_spectra(signal: np.ndarray, sample_rate: int, frame_s: float = 0.02,
                  hop_s: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Hann-windowed power spectra ``(n_frames, n_bins)`` and bin frequencies ``(n_bins,)`` Hz.

    Normalised so that ``power.sum(axis=1)`` is each frame's windowed mean square.
    """
    f, h = frame_lengths(sample_rate, frame_s, hop_s)
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
    f, h = frame_lengths(sample_rate, frame_s, hop_s)
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
    frequencies.
    """

    window: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    range_idx: np.ndarray
    band_cols: tuple[int, ...]
    slope_counts: np.ndarray
    slope_log2_hz: np.ndarray


@functools.lru_cache(maxsize=16)
def _spectral_plan(sample_rate: int, frame: int) -> _SpectralPlan:
    w = np.hanning(frame + 2)[1:-1]
    freqs = np.fft.rfftfreq(frame, 1.0 / sample_rate)
    scale = np.full(freqs.shape, 2.0)
    scale[0] = 1.0
    if frame % 2 == 0:
        scale[-1] = 1.0
    scale /= frame * np.sum(w * w)
    _, h = sosfreqz(k_weighting_sos(sample_rate), worN=freqs, fs=sample_rate)
    weights = np.stack([freqs, freqs ** 2, np.abs(h) ** 2], axis=1).astype(np.float32)
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
    return _SpectralPlan(
        window=(0.5 * w).astype(np.float32), scale=scale.astype(np.float32), weights=weights,
        range_idx=np.array(idx, dtype=np.intp),
        band_cols=tuple(i for i, r in enumerate(band_ranges) if r is not None),
        slope_counts=np.array([b - a for a, b in slope_ranges], dtype=np.float64),
        slope_log2_hz=np.array(centres),
    )


def _reduceat_pairs(n_frames: int, frame: int, hop: int) -> np.ndarray:
    """``np.add.reduceat`` indices whose even results are the sums over each frame's samples.

    Pairs ``(start, end)`` of every frame; indices may step back (overlapping
    frames): reduceat then yields one element, at an odd position, ignored.
    The last end equals the length used, so it is dropped (the last sum runs to the end).
    """
    starts = np.arange(n_frames, dtype=np.intp) * hop
    return np.stack([starts, starts + frame], axis=1).ravel()[:-1]


def _frame_dots(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot products of two ``(n_frames, m)`` float32 arrays, as float64 ``(n_frames,)``."""
    return np.einsum("ij,ij->i", a, b).astype(np.float64)


def compute_frame_features(signal: np.ndarray, sample_rate: int, frame_s: float = 0.02,
                           hop_s: float | None = None, start_s: float = 0.0) -> FrameFeatures:
    """All per-frame features of ``signal`` (one float32 FFT of the mono downmix per frame).

    Spectral values equal those of the single-feature functions up to float32
    rounding, except ``slope_db_per_oct``, fitted here on third-octave power
    densities (smoother, same units). ``k_energy`` is the K-weighted share of
    the mono frame spectrum times the frame's left+right energy: exact when both
    channels have the same spectral shape, an approximation otherwise (the exact
    time-domain meter is :mod:`automix.loudness`). Works on strided views of
    the input: no copy of the signal but the mono downmix.
    """
    f, h = frame_lengths(sample_rate, frame_s, hop_s)
    x = np.asarray(signal)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise AutomixError(f"signal must have shape (n,) or (n, channels), got {x.shape}")
    if x.dtype != np.float32:
        x = x.astype(np.float32)
    stereo = x.shape[1] > 1
    left = x[:, 0]
    double_mono = np.add(left, x[:, 1]) if stereo else left + left  # 2 × the downmix (the 0.5 is in the window)
    fm = frames(double_mono, f, h)
    n = fm.shape[0]
    used = (n - 1) * h + f if n else 0
    bounds = _reduceat_pairs(n, f, h)
    # frame sums of squares of both channels in one pass (a mono signal's one channel counts for both)
    sq = np.square(x[:used, :2])
    e_lr = np.add.reduceat(sq, bounds, axis=0)[0::2].astype(np.float64) / f if n else np.zeros((0, sq.shape[1]))
    if not stereo:
        e_lr = np.repeat(e_lr, 2, axis=1)
    plan = _spectral_plan(int(sample_rate), f)
    spec = rfft(fm * plan.window, axis=1, overwrite_x=True)
    power = np.abs(spec)
    power *= power
    power *= plan.scale
    n_slope = plan.slope_counts.size
    sums = np.add.reduceat(power, plan.range_idx, axis=1)[:, 0::2].astype(np.float64)
    bands = np.zeros((n, N_BANDS))  # a band above Nyquist (low sample rates) stays empty
    bands[:, list(plan.band_cols)] = sums[:, n_slope:n_slope + len(plan.band_cols)]
    total = bands.sum(axis=1)
    weighted = (power @ plan.weights).astype(np.float64)  # (n, 3): too small for BLAS threading
    safe = np.where(total > 0, total, 1.0)
    centroid = weighted[:, 0] / safe
    spread = np.sqrt(np.maximum(weighted[:, 1] / safe - centroid ** 2, 0.0))
    dens_db = 10.0 * np.log10(sums[:, :n_slope] / plan.slope_counts + 1e-20)
    c = plan.slope_log2_hz - plan.slope_log2_hz.mean() if n_slope else plan.slope_log2_hz
    slope = (dens_db - dens_db.mean(axis=1, keepdims=True)) @ c / np.sum(c * c) if n_slope > 1 else np.zeros(n)
    silent = total <= 0
    for a in (centroid, spread, slope):
        a[silent] = np.nan
    e_mono = _frame_dots(fm, fm) / (4.0 * f)
    sign = np.signbit(double_mono[:used])
    changes = sign[1:] != sign[:-1]  # changes[i]: a crossing between samples i and i + 1
    pair_ends_inside = bounds - np.arange(bounds.size) % 2  # frame j: changes[start_j, start_j + f − 1)
    crossings = np.add.reduceat(changes, pair_ends_inside, dtype=np.int32)[0::2] if n else np.zeros(0)
    zcr = crossings / max(f - 1, 1)
    k_share = weighted[:, 2] / safe
    n_ch_energy = e_lr[:, 0] + e_lr[:, 1] if stereo else e_lr[:, 0]
    return FrameFeatures(
        start_s=start_s + np.arange(n) * h / sample_rate,
        rms=np.sqrt(e_mono), centroid_hz=centroid, spread_hz=spread, slope_db_per_oct=slope,
        zcr=zcr, band_energy=bands, lr_energy=e_lr,
        k_energy=np.where(silent, 0.0, k_share * n_ch_energy),
    )
