"""Drum-kit synthesis for the demo song: one-shot hits, their placement, close mics and overheads.

Everything is vectorised numpy/scipy and deterministic given a
``numpy.random.Generator``. Signals are float64 arrays at ``sample_rate`` Hz;
mono signals have shape ``(n_samples,)``, the stereo overheads
``(n_samples, 2)``. Levels are arbitrary here: :mod:`automix.demo.synth`
normalises every part afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

N_VARIANTS = 4
"""How many slightly different renderings of each hit are alternated (no machine-gun effect)."""


def _decay(n_samples: int, sample_rate: int, decay_s: float) -> np.ndarray:
    """Exponential envelope falling by 60 dB (factor 1000) over ``decay_s`` seconds."""
    t = np.arange(n_samples) / sample_rate
    return np.exp(-t * np.log(1000.0) / decay_s)


def _filtered_noise(rng: np.random.Generator, n_samples: int, sample_rate: int,
                    low_hz: float | None, high_hz: float | None) -> np.ndarray:
    """White noise band-limited by 4th-order Butterworth filters (either edge may be None)."""
    noise = rng.standard_normal(n_samples)
    nyquist = sample_rate / 2.0
    if low_hz is not None and high_hz is not None and high_hz < nyquist * 0.95:
        sos = signal.butter(4, [low_hz, high_hz], btype="bandpass", fs=sample_rate, output="sos")
    elif low_hz is not None:
        sos = signal.butter(4, low_hz, btype="highpass", fs=sample_rate, output="sos")
    elif high_hz is not None:
        sos = signal.butter(4, min(high_hz, nyquist * 0.95), btype="lowpass", fs=sample_rate, output="sos")
    else:
        return noise
    return signal.sosfilt(sos, noise)


def _swept_sine(n_samples: int, sample_rate: int, start_hz: float, end_hz: float, sweep_s: float) -> np.ndarray:
    """Sine whose frequency glides exponentially from ``start_hz`` towards ``end_hz``."""
    t = np.arange(n_samples) / sample_rate
    freq_hz = end_hz + (start_hz - end_hz) * np.exp(-t / sweep_s)
    phase = 2.0 * np.pi * np.cumsum(freq_hz) / sample_rate
    return np.sin(phase)


def kick_hit(sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """A kick drum: 150→50 Hz swept sine (0.35 s decay) plus a short beater click. Shape (n,)."""
    n = int(0.5 * sample_rate)
    body = _swept_sine(n, sample_rate, 150.0 * rng.uniform(0.97, 1.03), 50.0, 0.03) * _decay(n, sample_rate, 0.35)
    click = _filtered_noise(rng, n, sample_rate, 1000.0, 5000.0) * _decay(n, sample_rate, 0.012)
    return body + 0.25 * click


def snare_hit(sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """A snare: 190 Hz shell tone plus band-passed wire noise (1.5–9 kHz). Shape (n,)."""
    n = int(0.35 * sample_rate)
    shell = _swept_sine(n, sample_rate, 240.0, 185.0, 0.02) * _decay(n, sample_rate, 0.12)
    wires = _filtered_noise(rng, n, sample_rate, 1500.0, 9000.0) * _decay(n, sample_rate, 0.22)
    return 0.6 * shell + 0.9 * wires


def hihat_hit(sample_rate: int, rng: np.random.Generator, open_hat: bool) -> np.ndarray:
    """A hi-hat: noise high-passed at 7 kHz with metallic partials; open hats ring 0.45 s. Shape (n,)."""
    decay_s = 0.45 if open_hat else 0.06
    n = int((decay_s + 0.05) * sample_rate)
    noise = _filtered_noise(rng, n, sample_rate, 7000.0, None)
    t = np.arange(n) / sample_rate
    partials = sum(np.sin(2 * np.pi * f * t) for f in (7350.0, 8470.0, 10210.0) if f < sample_rate / 2.2)
    return (noise + 0.3 * partials) * _decay(n, sample_rate, decay_s)


def tom_hit(sample_rate: int, rng: np.random.Generator, pitch_hz: float) -> np.ndarray:
    """A tom: swept sine settling at ``pitch_hz`` (0.6 s decay) with a little stick noise. Shape (n,)."""
    n = int(0.7 * sample_rate)
    body = _swept_sine(n, sample_rate, pitch_hz * 1.5, pitch_hz, 0.04) * _decay(n, sample_rate, 0.6)
    stick = _filtered_noise(rng, n, sample_rate, 800.0, 4000.0) * _decay(n, sample_rate, 0.03)
    return body + 0.2 * stick


def crash_hit(sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """A crash cymbal: noise high-passed at 3 kHz ringing 1.8 s. Shape (n,)."""
    n = int(2.0 * sample_rate)
    return _filtered_noise(rng, n, sample_rate, 3000.0, None) * _decay(n, sample_rate, 1.8)


def place_hits(n_samples: int, sample_rate: int, onsets_s: np.ndarray, velocities: np.ndarray,
               variants: list[np.ndarray]) -> np.ndarray:
    """Sum one-shot ``variants`` (cycled) at ``onsets_s`` scaled by ``velocities``; shape (n_samples,)."""
    out = np.zeros(n_samples)
    for i, (onset_s, velocity) in enumerate(zip(onsets_s, velocities)):
        start = int(round(onset_s * sample_rate))
        if start >= n_samples or start < 0:
            continue
        hit = variants[i % len(variants)]
        end = min(n_samples, start + hit.size)
        out[start:end] += velocity * hit[: end - start]
    return out


def _delay(x: np.ndarray, delay_s: float, sample_rate: int) -> np.ndarray:
    """``x`` delayed by a whole number of samples (zero-filled), same shape."""
    k = int(round(delay_s * sample_rate))
    if k <= 0:
        return x.copy()
    out = np.zeros_like(x)
    out[k:] = x[:-k]
    return out


def _room_ir(sample_rate: int, rng: np.random.Generator, decay_s: float = 0.35,
             level_db: float = -12.0) -> np.ndarray:
    """A diffuse room impulse response (decaying low-passed noise, no direct sound) of energy ``level_db``."""
    n = int(decay_s * sample_rate)
    ir = _filtered_noise(rng, n, sample_rate, None, 6000.0) * _decay(n, sample_rate, decay_s)
    return ir * (10.0 ** (level_db / 20.0) / np.sqrt(np.sum(ir * ir)))


@dataclass(frozen=True)
class DrumEvents:
    """Onsets (s) and velocities (0..1.2) of every drum voice in the song; arrays of shape (k,)."""

    kick_s: np.ndarray
    kick_vel: np.ndarray
    snare_s: np.ndarray
    snare_vel: np.ndarray
    hat_s: np.ndarray
    hat_vel: np.ndarray
    hat_open: np.ndarray
    tom_s: np.ndarray
    tom_vel: np.ndarray
    tom_pitch_hz: np.ndarray
    crash_s: np.ndarray
    crash_vel: np.ndarray


@dataclass(frozen=True)
class DrumStems:
    """Close-mic recordings (n,) with realistic bleed, and the stereo overhead pair (n, 2)."""

    kick: np.ndarray
    snare: np.ndarray
    hihat: np.ndarray
    toms: np.ndarray
    overheads: np.ndarray


def render_drums(events: DrumEvents, n_samples: int, sample_rate: int, rng: np.random.Generator) -> DrumStems:
    """Render every drum voice once, then mix the close mics (with bleed) and the overheads.

    The overheads hear the whole kit from above (kick weak, cymbals strong,
    hi-hat to the right, floor tom to the left), 1–3 ms later than the close
    mics, plus a short room reverb; the close mics carry 20–30 dB of bleed.
    """
    kick = place_hits(n_samples, sample_rate, events.kick_s, events.kick_vel,
                      [kick_hit(sample_rate, rng) for _ in range(N_VARIANTS)])
    snare = place_hits(n_samples, sample_rate, events.snare_s, events.snare_vel,
                       [snare_hit(sample_rate, rng) for _ in range(N_VARIANTS)])
    closed = [hihat_hit(sample_rate, rng, False) for _ in range(N_VARIANTS)]
    opened = [hihat_hit(sample_rate, rng, True) for _ in range(N_VARIANTS)]
    hat_closed = place_hits(n_samples, sample_rate, events.hat_s[~events.hat_open],
                            events.hat_vel[~events.hat_open], closed)
    hat_opened = place_hits(n_samples, sample_rate, events.hat_s[events.hat_open],
                            events.hat_vel[events.hat_open], opened)
    hihat = hat_closed + hat_opened
    tom_hi = np.zeros(n_samples)
    tom_lo = np.zeros(n_samples)
    for pitch_hz in np.unique(events.tom_pitch_hz):
        sel = events.tom_pitch_hz == pitch_hz
        rendered = place_hits(n_samples, sample_rate, events.tom_s[sel], events.tom_vel[sel],
                              [tom_hit(sample_rate, rng, float(pitch_hz)) for _ in range(2)])
        if pitch_hz >= 100.0:
            tom_hi += rendered
        else:
            tom_lo += rendered
    toms = tom_hi + tom_lo
    crash = place_hits(n_samples, sample_rate, events.crash_s, events.crash_vel, [crash_hit(sample_rate, rng)])

    db = lambda level_db: 10.0 ** (level_db / 20.0)  # noqa: E731
    close_kick = kick + db(-30) * snare
    close_snare = snare + db(-18) * hihat + db(-24) * kick + db(-26) * crash
    close_hat = hihat + db(-12) * snare + db(-20) * crash
    close_toms = toms + db(-20) * snare + db(-22) * crash + db(-26) * kick

    left = (db(-14) * kick + db(-6) * snare + db(-9) * hihat + 0.9 * tom_lo + 0.5 * tom_hi + 0.45 * crash)
    right = (db(-14) * kick + db(-6) * snare + 1.0 * hihat + 0.5 * tom_lo + 0.8 * tom_hi + 0.35 * crash)
    left = _delay(left, 0.002, sample_rate)
    right = _delay(right, 0.0027, sample_rate)
    ir_left = _room_ir(sample_rate, rng)
    ir_right = _room_ir(sample_rate, rng)
    dry_mono = kick + snare + hihat + toms + crash
    left = left + signal.oaconvolve(dry_mono, ir_left)[:n_samples]
    right = right + signal.oaconvolve(dry_mono, ir_right)[:n_samples]
    overheads = np.stack([left, right], axis=1)
    return DrumStems(kick=close_kick, snare=close_snare, hihat=close_hat, toms=close_toms, overheads=overheads)
