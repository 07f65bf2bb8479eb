"""Audio features of each frame (pure numpy; ``sample_rate`` always explicit).

Signals are float arrays shaped ``(n,)`` (mono) or ``(n, channels)``; spectral
and level features use the mono downmix (mean of channels), ``left_right_energy``
the first two channels. Frames are ``frame_s`` long every ``hop_s`` (default:
``hop_s = frame_s``, no overlap); frame i covers samples
``[i·hop, i·hop + frame)``; a trailing partial frame is dropped. The papers
use ~20 ms (KDE) and 1 s with 0.75 s overlap (MLR): both are configurable.

Spectra use a Hann window normalised so that the band energies of a frame sum
to its (windowed) mean square. The 5 sub-bands are :data:`automix.audio.bands.BAND_EDGES_HZ`
(0–120, 120–500, 500–2000, 2000–6000, 6000 Hz–Nyquist).

One function per feature (``frame_rms``, ``spectral_centroid`` …): the
reference definitions, clear and tested. :func:`automix.features.frame_batch.compute_frame_features`
computes them all at once from one FFT per frame, fast enough for whole
sessions, for the streaming per-region aggregates of :mod:`automix.features.region`.
"""

from __future__ import annotations

import numpy as np

from automix.audio.bands import BAND_EDGES_HZ, N_BANDS
from automix.errors import AutomixError

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
    """Boolean ``(5, n_bins)``: which bins fall in each sub-band of :mod:`automix.audio.bands`."""
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
