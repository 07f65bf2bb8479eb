"""What every frame feature starts from: a block cut into frames, and their power spectra.

A block is float32 ``(n,)`` (mono) or ``(n, channels)`` (the first two
channels are left and right). Frames are ``frame`` samples long every
``hop`` samples; frame i covers samples ``[i·hop, i·hop + frame)``; a
trailing partial frame is dropped.

:func:`frame_signal` gives a :class:`FramedSignal` (the frames, the mono
downmix, the energy of each channel per frame); :func:`frame_spectrum`
gives a :class:`FrameSpectrum`: one float32 Hann-windowed FFT of the mono
downmix per sounding frame (all-zero frames get none), scaled so that the
power of a frame sums to its windowed mean square, with the sums over the
bin ranges the features use. The feature definitions in
:mod:`automix.features.frame` accept either, so one spectrum serves all of
them. Per-(rate, frame) constants are computed once (:func:`spectral_plan`)
and block-sized temporaries can live in a :class:`FrameWorkspace`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from automix.audio.bands import BAND_EDGES_HZ, N_BANDS
from automix.audio.fft import rfft_rows
from automix.audio.loudness import k_weighting_power
from automix.errors import AutomixError

SLOPE_MIN_HZ = 50.0
"""The spectral slope is fitted on third-octave bands from this frequency up to Nyquist."""


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
    """Read-only view of a 1-D array as ``(n_frames, frame)`` frames every ``hop`` samples."""
    n = 0 if x.shape[0] < frame else 1 + (x.shape[0] - frame) // hop
    return np.lib.stride_tricks.as_strided(x, shape=(n, frame), strides=(x.strides[0] * hop, x.strides[0]),
                                           writeable=False)


def band_masks(freqs_hz: np.ndarray) -> np.ndarray:
    """Boolean ``(5, n_bins)``: which bins fall in each sub-band of :data:`automix.audio.bands.BAND_EDGES_HZ`."""
    edges = np.array(BAND_EDGES_HZ)
    return np.stack([(freqs_hz >= edges[b]) & (freqs_hz < edges[b + 1]) for b in range(N_BANDS)])


class FrameWorkspace:
    """Scratch arrays reused by successive framings of blocks.

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


# ---------------------------------------------------------------- frames

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


@dataclass(frozen=True)
class FramedSignal:
    """A block cut into frames.

    Attributes:
        sample_rate: Hz.
        frame, hop: frame length and hop in samples.
        n_frames: number of whole frames.
        channels: 1 (mono input) or 2 (left and right; further channels are ignored).
        double_mono: float32 ``(used,)``: left + right (mono: the channel twice),
            i.e. twice the mono downmix, over the ``used`` samples the frames cover.
        frame_bounds / pair_bounds: ``np.add.reduceat`` indices for sums over each
            frame's samples / its ``frame − 1`` adjacent-sample pairs.
        lr_energy: float64 ``(n_frames, 2)``: mean square of the left and right
            channel per frame (mono: the channel's, twice).
    """

    sample_rate: int
    frame: int
    hop: int
    n_frames: int
    channels: int
    double_mono: np.ndarray
    frame_bounds: np.ndarray
    pair_bounds: np.ndarray
    lr_energy: np.ndarray

    def mono_frames(self) -> np.ndarray:
        """Read-only float32 ``(n_frames, frame)`` view of :attr:`double_mono` (twice the downmix)."""
        return frames(self.double_mono, self.frame, self.hop)


def frame_signal(y: np.ndarray, *, sample_rate: int, frame_s: float = 0.02, hop_s: float | None = None,
                 workspace: FrameWorkspace | None = None) -> FramedSignal:
    """Cut ``y`` (``(n,)`` or ``(n, channels)``) into frames; arrays live in ``workspace`` when given."""
    f, h = frame_lengths(sample_rate, frame_s, hop_s)
    ws = workspace if workspace is not None else FrameWorkspace()
    x = np.asarray(y)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise AutomixError(f"signal must have shape (n,) or (n, channels), got {x.shape}")
    if x.dtype != np.float32:
        x = x.astype(np.float32)
    n = 0 if x.shape[0] < f else 1 + (x.shape[0] - f) // h
    used = (n - 1) * h + f if n else 0
    bounds, inside = _frame_bounds(n, f, h) if n else (np.zeros(0, np.intp), np.zeros(0, np.intp))
    if n:
        sq = np.square(x[:used, :2], out=ws.get("square", (used, min(x.shape[1], 2)), np.float32))
        e = np.add.reduceat(sq, bounds, axis=0)[0::2].astype(np.float64) / f
        lr = e if x.shape[1] > 1 else np.repeat(e, 2, axis=1)
    else:
        lr = np.zeros((0, 2))
    double_mono = np.add(x[:used, 0], x[:used, 1] if x.shape[1] > 1 else x[:used, 0],
                         out=ws.get("mono", (used,), np.float32))
    return FramedSignal(int(sample_rate), f, h, n, min(x.shape[1], 2), double_mono, bounds, inside, lr)


# ---------------------------------------------------------------- spectra

@dataclass(frozen=True)
class SpectralPlan:
    """Constants per (sample rate, frame length) for :func:`frame_spectrum`.

    ``window`` is the float32 Hann window times 0.5 (it is applied to the
    double mono downmix); ``scale`` ``(n_bins,)`` makes power sums mean
    squares; ``weights`` ``(n_bins, 3)`` float32 columns f (Hz), f² and the
    K-weighting power gain |H(f)|²; ``range_idx`` are ``np.add.reduceat``
    indices whose even results are first the ``len(slope_counts)``
    third-octave bands from :data:`SLOPE_MIN_HZ`, then the sub-bands in
    ``band_cols`` (sub-bands above Nyquist are absent); ``slope_counts``
    their bin counts; ``slope_log2_hz`` their log2 centre frequencies;
    ``slope_weights`` map mean-removed band levels (dB) to the least-squares
    slope in dB per octave.
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
def spectral_plan(sample_rate: int, frame: int) -> SpectralPlan:
    """The (cached) :class:`SpectralPlan` of ``frame``-sample frames at ``sample_rate`` Hz."""
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
    return SpectralPlan(
        window=(0.5 * w).astype(np.float32), scale=scale.astype(np.float32), weights=weights,
        range_idx=np.array(idx, dtype=np.intp),
        band_cols=tuple(i for i, r in enumerate(band_ranges) if r is not None),
        slope_counts=np.array([b - a for a, b in slope_ranges], dtype=np.float64),
        slope_log2_hz=log2_hz, slope_weights=slope_weights,
    )


@dataclass(frozen=True)
class FrameSpectrum:
    """Power spectra of the sounding frames of a :class:`FramedSignal`.

    Attributes:
        framed: the frames.
        plan: the :class:`SpectralPlan` of the frame length and rate.
        sounding: int ``(m,)``: the frames with a non-zero sample (the others have no spectrum).
        power: float32 ``(m, n_bins)``: mean-square power per bin of the mono downmix.
        range_sums: float64 ``(m, n_slope + n_bands)``: power summed over the
            third-octave slope bands, then over the sub-bands below Nyquist.
        weighted: float64 ``(m, 3)``: Σ f·P, Σ f²·P and Σ |H_K(f)|²·P per frame.
    """

    framed: FramedSignal
    plan: SpectralPlan
    sounding: np.ndarray
    power: np.ndarray
    range_sums: np.ndarray
    weighted: np.ndarray

    @functools.cached_property
    def band_energy(self) -> np.ndarray:
        """float64 ``(n_frames, 5)``: mean square per sub-band; 0 for silent frames and bands above Nyquist."""
        n_slope = self.plan.slope_counts.size
        bands = np.zeros((self.framed.n_frames, N_BANDS))
        bands[np.ix_(self.sounding, self.plan.band_cols)] = \
            self.range_sums[:, n_slope:n_slope + len(self.plan.band_cols)]
        return bands

    @functools.cached_property
    def silent(self) -> np.ndarray:
        """bool ``(n_frames,)``: frames whose spectrum holds no power (no spectral shape)."""
        return self.band_energy.sum(axis=1) <= 0

    @functools.cached_property
    def safe_total(self) -> np.ndarray:
        """float64 ``(m,)``: total power of each sounding frame (1 where it is 0, to divide by)."""
        total = self.band_energy[self.sounding].sum(axis=1)
        return np.where(total > 0, total, 1.0)


def frame_spectrum(framed: FramedSignal, *, workspace: FrameWorkspace | None = None) -> FrameSpectrum:
    """Power spectra of ``framed``'s sounding frames; temporaries live in ``workspace`` when given."""
    ws = workspace if workspace is not None else FrameWorkspace()
    plan = spectral_plan(framed.sample_rate, framed.frame)
    e_lr = framed.lr_energy
    sounding = np.flatnonzero(e_lr[:, 0] + e_lr[:, 1] > 0)
    m, f = sounding.size, framed.frame
    fm = framed.mono_frames()
    windowed = ws.get("windowed", (m, f), np.float32)
    if m < framed.n_frames:
        np.take(fm, sounding, axis=0, out=windowed)
    np.multiply(fm if m == framed.n_frames else windowed, plan.window, out=windowed)
    spec = rfft_rows(windowed)
    power = np.abs(spec, out=ws.get("power", spec.shape, np.float32))
    power *= power
    power *= plan.scale
    range_sums = np.add.reduceat(power, plan.range_idx, axis=1)[:, 0::2].astype(np.float64) if m \
        else np.zeros((0, plan.slope_counts.size + len(plan.band_cols)))
    weighted = (power @ plan.weights).astype(np.float64)  # (m, 3): too small for BLAS threading
    return FrameSpectrum(framed, plan, sounding, power, range_sums, weighted)
