"""Small synthesized multitrack signals for the audio-engine tests (no external files).

Every track is mono float64 ``(n,)`` at the requested sample rate, built from
seeded noise and oscillators so tests are reproducible. ``make_multitrack``
adds bleed the way close microphones pick it up: an attenuated, slightly
delayed copy of the snare in the hi-hat and kick tracks, and of the kick in
the bass track.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfilt


def _bursts(n: int, sample_rate: int, times_s: np.ndarray, burst: np.ndarray) -> np.ndarray:
    out = np.zeros(n)
    for t in times_s:
        i = int(t * sample_rate)
        m = min(burst.shape[0], n - i)
        if m > 0:
            out[i:i + m] += burst[:m]
    return out


def _decay(sample_rate: int, length_s: float, tau_s: float) -> np.ndarray:
    t = np.arange(int(length_s * sample_rate)) / sample_rate
    return np.exp(-t / tau_s)


def kick(n: int, sample_rate: int, rng: np.random.Generator, bpm: float = 120.0) -> np.ndarray:
    """Pitch-dropping sine thumps on every beat plus a click (energy mostly < 200 Hz)."""
    t = np.arange(int(0.3 * sample_rate)) / sample_rate
    freq = 50.0 + 90.0 * np.exp(-t / 0.03)
    body = np.sin(2 * np.pi * np.cumsum(freq) / sample_rate) * np.exp(-t / 0.12)
    click = rng.standard_normal(t.shape[0]) * np.exp(-t / 0.002) * 0.3
    return 0.6 * _bursts(n, sample_rate, np.arange(0, n / sample_rate, 60.0 / bpm), body + click)


def snare(n: int, sample_rate: int, rng: np.random.Generator, bpm: float = 120.0) -> np.ndarray:
    """Noise bursts (band-passed 200 Hz–8 kHz) with a 190 Hz tone on beats 2 and 4."""
    length = int(0.25 * sample_rate)
    t = np.arange(length) / sample_rate
    sos = butter(2, [200.0, min(8000.0, 0.45 * sample_rate)], "bandpass", fs=sample_rate, output="sos")
    noise = sosfilt(sos, rng.standard_normal(length)) * np.exp(-t / 0.06)
    tone = 0.5 * np.sin(2 * np.pi * 190 * t) * np.exp(-t / 0.04)
    beat = 60.0 / bpm
    return 0.5 * _bursts(n, sample_rate, np.arange(beat, n / sample_rate, 2 * beat), noise + tone)


def hihat(n: int, sample_rate: int, rng: np.random.Generator, bpm: float = 120.0) -> np.ndarray:
    """High-passed (> 5 kHz) noise ticks on every eighth note."""
    length = int(0.08 * sample_rate)
    sos = butter(4, 5000.0, "highpass", fs=sample_rate, output="sos")
    tick = sosfilt(sos, rng.standard_normal(length)) * _decay(sample_rate, 0.08, 0.015)[:length]
    return 0.3 * _bursts(n, sample_rate, np.arange(0, n / sample_rate, 30.0 / bpm), tick)


def _notes(n: int, sample_rate: int, freqs_hz: list[float], note_s: float, harmonics: int,
           rolloff: float, vibrato_hz: float = 0.0) -> np.ndarray:
    t = np.arange(n) / sample_rate
    idx = np.minimum((t / note_s).astype(int) % len(freqs_hz), len(freqs_hz) - 1)
    f0 = np.asarray(freqs_hz)[idx] * (1.0 + 0.01 * np.sin(2 * np.pi * vibrato_hz * t))
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    out = np.zeros(n)
    for h in range(1, harmonics + 1):
        ok = f0 * h < 0.45 * sample_rate
        out += ok * np.sin(h * phase) * rolloff ** (h - 1)
    env = np.minimum(1.0, ((t % note_s) / 0.01)) * np.exp(-(t % note_s) / (2 * note_s))
    return out * env


def bass(n: int, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Low harmonic notes (41–98 Hz fundamentals)."""
    return 0.3 * _notes(n, sample_rate, [41.2, 55.0, 73.4, 98.0], 0.5, 12, 0.7)


def guitar(n: int, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Bright harmonic chords-ish notes (196–392 Hz) with a little noise."""
    x = _notes(n, sample_rate, [196.0, 246.9, 293.7, 392.0], 0.25, 30, 0.85)
    return 0.15 * x + 0.003 * rng.standard_normal(n)


def vocal(n: int, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """A vibrato melody (220–440 Hz) plus breath noise, silent in the first quarter."""
    x = 0.2 * _notes(n, sample_rate, [220.0, 261.6, 329.6, 440.0, 392.0], 0.6, 25, 0.8, vibrato_hz=5.0)
    sos = butter(2, [2000.0, min(9000.0, 0.45 * sample_rate)], "bandpass", fs=sample_rate, output="sos")
    x += 0.01 * sosfilt(sos, rng.standard_normal(n))
    x[: n // 4] = 0.0
    return x


def make_multitrack(sample_rate: int = 22050, duration_s: float = 8.0, seed: int = 0,
                    bleed: bool = True) -> dict[str, np.ndarray]:
    """Seven mono tracks ``{name: (n,) float64}`` of one short song, with optional bleed."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * sample_rate)
    tracks = {
        "kick": kick(n, sample_rate, rng),
        "snare": snare(n, sample_rate, rng),
        "hihat": hihat(n, sample_rate, rng),
        "bass": bass(n, sample_rate, rng),
        "guitar": guitar(n, sample_rate, rng),
        "vocal": vocal(n, sample_rate, rng),
        "pad": 0.05 * sosfilt(butter(2, [300.0, 3000.0], "bandpass", fs=sample_rate, output="sos"),
                              rng.standard_normal(n)),
    }
    if bleed:
        tracks["hihat"] = tracks["hihat"] + 0.25 * _delay(tracks["snare"], 13)
        tracks["kick"] = tracks["kick"] + 0.1 * _delay(tracks["snare"], 29)
        tracks["bass"] = tracks["bass"] + 0.05 * _delay(tracks["kick"], 7)
    return tracks


def _delay(x: np.ndarray, samples: int) -> np.ndarray:
    out = np.zeros_like(x)
    out[samples:] = x[: x.shape[0] - samples]
    return out
