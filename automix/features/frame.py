"""Audio features of each frame: one definition of each (pure numpy; ``sample_rate`` always explicit).

Every feature is a keyword-only function, in librosa's style: give it a
signal ``y`` (float ``(n,)`` mono or ``(n, channels)``) with ``sample_rate``,
``frame_s`` and ``hop_s`` (default ``hop_s = frame_s``, no overlap), or the
frames / spectrum already computed from it (``framed=`` a
:class:`~automix.features.framing.FramedSignal`, ``S=`` a
:class:`~automix.features.framing.FrameSpectrum`), which is how
:func:`compute_frame_features` computes all of them from one FFT per frame.
Each returns one value per frame: ``(n_frames,)`` or ``(n_frames, k)``.
The papers use ~20 ms frames (KDE) and 1 s frames with 0.75 s overlap (MLR):
both are configurable.

Spectral and level features use the mono downmix (mean of left and right),
computed in float32; ``left_right_energy`` the first two channels. Spectra
are Hann-windowed and scaled so that a frame's power sums to its windowed
mean square; the 5 sub-bands are :data:`automix.audio.bands.BAND_EDGES_HZ`
(0–120, 120–500, 500–2000, 2000–6000, 6000 Hz–Nyquist). Spectral values are
NaN for frames without power (silence).

:class:`FrameFeatures` (all features of a block, in :data:`FRAME_FEATURE_NAMES`
order) is what the streaming per-region aggregates of
:mod:`automix.features.region` run on.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from automix.audio.bands import N_BANDS
from automix.features.framing import (
    FramedSignal,
    FrameSpectrum,
    FrameWorkspace,
    frame_signal,
    frame_spectrum,
)


def _framed(y: np.ndarray | None, sample_rate: int | None, frame_s: float, hop_s: float | None,
            framed: FramedSignal | None) -> FramedSignal:
    if framed is not None:
        return framed
    if y is None or sample_rate is None:
        raise TypeError("give y= and sample_rate=, or the frames already computed")
    return frame_signal(y, sample_rate=sample_rate, frame_s=frame_s, hop_s=hop_s)


def _spectrum(y: np.ndarray | None, sample_rate: int | None, frame_s: float, hop_s: float | None,
              S: FrameSpectrum | None) -> FrameSpectrum:
    return S if S is not None else frame_spectrum(_framed(y, sample_rate, frame_s, hop_s, None))


def _per_frame(S: FrameSpectrum, sounding_values: np.ndarray) -> np.ndarray:
    """``(n_frames,)`` from values of the sounding frames; NaN elsewhere and where the spectrum is silent."""
    out = np.full(S.framed.n_frames, np.nan)
    out[S.sounding] = sounding_values
    out[S.silent] = np.nan
    return out


# ---------------------------------------------------------------- time domain

def frame_rms(*, y: np.ndarray | None = None, sample_rate: int | None = None, frame_s: float = 0.02,
              hop_s: float | None = None, framed: FramedSignal | None = None) -> np.ndarray:
    """RMS amplitude of each frame of the mono downmix, ``(n_frames,)``."""
    fr = _framed(y, sample_rate, frame_s, hop_s, framed)
    fm = fr.mono_frames()
    return np.sqrt(np.einsum("ij,ij->i", fm, fm).astype(np.float64) / (4.0 * fr.frame))


def zero_crossing_rate(*, y: np.ndarray | None = None, sample_rate: int | None = None, frame_s: float = 0.02,
                       hop_s: float | None = None, framed: FramedSignal | None = None,
                       workspace: FrameWorkspace | None = None) -> np.ndarray:
    """Fraction of the adjacent sample pairs of each frame whose signs differ (mono downmix), ``(n_frames,)``."""
    fr = _framed(y, sample_rate, frame_s, hop_s, framed)
    if fr.n_frames == 0:
        return np.zeros(0)
    ws = workspace if workspace is not None else FrameWorkspace()
    used = fr.double_mono.shape[0]
    sign = np.signbit(fr.double_mono, out=ws.get("sign", (used,), np.bool_))
    changes = np.not_equal(sign[1:], sign[:-1], out=ws.get("changes", (used - 1,), np.bool_))
    return np.add.reduceat(changes, fr.pair_bounds, dtype=np.int32)[0::2] / max(fr.frame - 1, 1)


def left_right_energy(*, y: np.ndarray | None = None, sample_rate: int | None = None, frame_s: float = 0.02,
                      hop_s: float | None = None, framed: FramedSignal | None = None) -> np.ndarray:
    """Mean square of the left and right channel per frame, ``(n_frames, 2)`` (mono: equal)."""
    return _framed(y, sample_rate, frame_s, hop_s, framed).lr_energy


# ---------------------------------------------------------------- spectral

def band_energies(*, y: np.ndarray | None = None, sample_rate: int | None = None, frame_s: float = 0.02,
                  hop_s: float | None = None, S: FrameSpectrum | None = None) -> np.ndarray:
    """Mean square per sub-band per frame, ``(n_frames, 5)`` (sums to the frame's; 0 above Nyquist)."""
    return _spectrum(y, sample_rate, frame_s, hop_s, S).band_energy


def spectral_centroid(*, y: np.ndarray | None = None, sample_rate: int | None = None, frame_s: float = 0.02,
                      hop_s: float | None = None, S: FrameSpectrum | None = None) -> np.ndarray:
    """Power-weighted mean frequency (Hz) per frame, ``(n_frames,)``."""
    S = _spectrum(y, sample_rate, frame_s, hop_s, S)
    return _per_frame(S, S.weighted[:, 0] / S.safe_total)


def spectral_spread(*, y: np.ndarray | None = None, sample_rate: int | None = None, frame_s: float = 0.02,
                    hop_s: float | None = None, S: FrameSpectrum | None = None) -> np.ndarray:
    """Power-weighted standard deviation of frequency (Hz) per frame, ``(n_frames,)``."""
    S = _spectrum(y, sample_rate, frame_s, hop_s, S)
    centroid = S.weighted[:, 0] / S.safe_total
    return _per_frame(S, np.sqrt(np.maximum(S.weighted[:, 1] / S.safe_total - centroid ** 2, 0.0)))


def spectral_slope(*, y: np.ndarray | None = None, sample_rate: int | None = None, frame_s: float = 0.02,
                   hop_s: float | None = None, S: FrameSpectrum | None = None) -> np.ndarray:
    """Least-squares slope (dB per octave) of the power density against log2 frequency, per frame.

    The density is each third-octave band's mean power per bin, from
    :data:`~automix.features.framing.SLOPE_MIN_HZ` up to Nyquist, placed at
    the band's centre frequency. White noise gives ≈ 0, pink noise ≈ −3.01 dB/oct.
    ``(n_frames,)``; 0 when fewer than two bands fit below Nyquist.
    """
    S = _spectrum(y, sample_rate, frame_s, hop_s, S)
    n_slope = S.plan.slope_counts.size
    if n_slope > 1:
        dens_db = 10.0 * np.log10(S.range_sums[:, :n_slope] / S.plan.slope_counts + 1e-20)
        return _per_frame(S, (dens_db - dens_db.mean(axis=1, keepdims=True)) @ S.plan.slope_weights)
    return _per_frame(S, np.zeros(S.sounding.size))


def k_weighted_energy(*, y: np.ndarray | None = None, sample_rate: int | None = None, frame_s: float = 0.02,
                      hop_s: float | None = None, S: FrameSpectrum | None = None) -> np.ndarray:
    """BS.1770 channel-summed K-weighted mean square per frame, ``(n_frames,)``, from the frame spectrum.

    The K-weighted share of the mono spectrum's power times the frame's
    left + right energy (a mono signal counts once): exact when both channels
    have the same spectral shape, an approximation otherwise. Region loudness
    (:mod:`automix.features.region`) gates these energies as BS.1770 gates its
    blocks; the time-domain meter is :mod:`automix.audio.loudness`.
    """
    S = _spectrum(y, sample_rate, frame_s, hop_s, S)
    e_lr = S.framed.lr_energy
    channel_energy = e_lr[:, 0] + e_lr[:, 1] if S.framed.channels > 1 else e_lr[:, 0]
    k_share = np.full(S.framed.n_frames, np.nan)
    k_share[S.sounding] = S.weighted[:, 2] / S.safe_total
    return np.where(S.silent, 0.0, k_share * channel_energy)


# ---------------------------------------------------------------- all at once

@dataclass(frozen=True)
class FrameFeatures:
    """All features of a block's frames; every array has ``n_frames`` rows.

    Attributes:
        start_s: frame start times ``(n,)`` in seconds.
        rms: :func:`frame_rms` ``(n,)``.
        centroid_hz, spread_hz, slope_db_per_oct: :func:`spectral_centroid`,
            :func:`spectral_spread`, :func:`spectral_slope` ``(n,)`` (NaN when silent).
        zcr: :func:`zero_crossing_rate` ``(n,)``.
        band_energy: :func:`band_energies` ``(n, 5)``.
        lr_energy: :func:`left_right_energy` ``(n, 2)``.
        k_energy: :func:`k_weighted_energy` ``(n,)``.
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

    @classmethod
    def empty(cls) -> FrameFeatures:
        """No frames."""
        z = np.zeros(0)
        return cls(z, z, z, z, z, z, np.zeros((0, N_BANDS)), np.zeros((0, 2)), z)

    @classmethod
    def concatenate(cls, parts: list[FrameFeatures]) -> FrameFeatures:
        """The frames of ``parts`` one after the other."""
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, name) for p in parts]) for name in FRAME_FEATURE_NAMES))


FRAME_FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in fields(FrameFeatures))
"""The fields of :class:`FrameFeatures`, in order."""


def compute_frame_features(y: np.ndarray, *, sample_rate: int, frame_s: float = 0.02, hop_s: float | None = None,
                           start_s: float = 0.0, workspace: FrameWorkspace | None = None) -> FrameFeatures:
    """Every feature of ``y``'s frames from one framing and one FFT per sounding frame.

    Frames whose samples are all zero get no FFT (spectral values NaN,
    energies 0); frame i starts at ``start_s + i·hop`` seconds. Temporaries
    live in ``workspace`` when one is given (see :class:`~automix.features.framing.FrameWorkspace`).
    """
    ws = workspace if workspace is not None else FrameWorkspace()
    framed = frame_signal(y, sample_rate=sample_rate, frame_s=frame_s, hop_s=hop_s, workspace=ws)
    if framed.n_frames == 0:
        return FrameFeatures.empty()
    S = frame_spectrum(framed, workspace=ws)
    return FrameFeatures(
        start_s=start_s + np.arange(framed.n_frames) * framed.hop / sample_rate,
        rms=frame_rms(framed=framed), centroid_hz=spectral_centroid(S=S), spread_hz=spectral_spread(S=S),
        slope_db_per_oct=spectral_slope(S=S), zcr=zero_crossing_rate(framed=framed, workspace=ws),
        band_energy=band_energies(S=S), lr_energy=left_right_energy(framed=framed),
        k_energy=k_weighted_energy(S=S),
    )
