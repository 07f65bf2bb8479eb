"""Pitched instruments for the demo song: bass, electric and acoustic guitars, voice-like parts.

A part is a list of :class:`Note` events; each renderer turns it into a mono
float64 array of shape ``(n_samples,)`` at ``sample_rate`` Hz. Monophonic
lines are rendered as one continuous oscillator driven by per-sample pitch
and envelope arrays (vectorised, no per-sample Python loops); chords are one
such line per chord voice. Levels are arbitrary: :mod:`automix.demo.synth`
normalises each part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal
from scipy.ndimage import uniform_filter1d

VOWEL_FORMANTS_HZ: tuple[tuple[float, float, float], ...] = (
    (730.0, 1090.0, 2440.0),  # a
    (530.0, 1840.0, 2480.0),  # e
    (270.0, 2290.0, 3010.0),  # i
    (570.0, 840.0, 2410.0),   # o
    (300.0, 870.0, 2240.0),   # u
)
"""First three formant frequencies (Hz) of the vowels a, e, i, o, u (adult male averages)."""

FORMANT_GAINS = (1.0, 0.5, 0.25)
"""Relative amplitude of formants 1, 2, 3."""


@dataclass(frozen=True)
class Note:
    """A note: ``start_s`` and ``duration_s`` in seconds, MIDI ``pitch``, ``velocity`` 0..1, ``vowel`` 0..4."""

    start_s: float
    duration_s: float
    pitch: int
    velocity: float = 1.0
    vowel: int = 0


def midi_to_hz(pitch: float | np.ndarray) -> float | np.ndarray:
    """MIDI note number to frequency in Hz (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((np.asarray(pitch, dtype=float) - 69.0) / 12.0)


def control_arrays(notes: list[Note], n_samples: int, sample_rate: int, attack_s: float,
                   release_s: float, decay_s: float | None = None,
                   sustain: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample frequency (Hz) and amplitude envelope of a monophonic note list.

    The frequency holds the last note's pitch between notes so an oscillator
    stays continuous; the envelope rises over ``attack_s``, falls towards
    ``sustain`` with time constant ``decay_s`` (None = no decay) and releases
    linearly over ``release_s`` after the note ends. Both arrays shape (n_samples,).
    """
    ordered = sorted(notes, key=lambda nt: nt.start_s)
    env = np.zeros(n_samples)
    if not ordered:
        return np.full(n_samples, 100.0), env
    starts = np.array([int(round(nt.start_s * sample_rate)) for nt in ordered])
    pitches_hz = np.asarray(midi_to_hz(np.array([nt.pitch for nt in ordered])), dtype=float)
    which = np.zeros(n_samples, dtype=np.int64)
    inside = starts < n_samples
    which[starts[inside]] = np.arange(len(ordered))[inside]
    freq_hz = pitches_hz[np.maximum.accumulate(which)]
    for note in ordered:
        start = int(round(note.start_s * sample_rate))
        if start >= n_samples:
            continue
        held = max(1, int(round(note.duration_s * sample_rate)))
        rel = max(1, int(round(release_s * sample_rate)))
        end = min(n_samples, start + held + rel)
        t = np.arange(end - start) / sample_rate
        shape = np.minimum(1.0, t / max(attack_s, 1e-4))
        if decay_s is not None:
            shape = shape * (sustain + (1.0 - sustain) * np.exp(-t / decay_s))
        after = t - held / sample_rate
        shape = shape * np.clip(1.0 - after / release_s, 0.0, 1.0)
        env[start:end] = np.maximum(env[start:end], note.velocity * shape)
    return freq_hz, env


def saw_from_freq(freq_hz: np.ndarray, sample_rate: int, phase0: float = 0.0) -> np.ndarray:
    """Naive sawtooth in [-1, 1] following a per-sample frequency array (shape preserved)."""
    cycles = phase0 + np.cumsum(freq_hz) / sample_rate
    return 2.0 * (cycles - np.floor(cycles)) - 1.0


def pulse_from_freq(freq_hz: np.ndarray, sample_rate: int, duty: float) -> np.ndarray:
    """Pulse wave in {-1, +1} with duty cycle ``duty`` following ``freq_hz`` (shape preserved)."""
    cycles = np.cumsum(freq_hz) / sample_rate
    return np.where(cycles - np.floor(cycles) < duty, 1.0, -1.0)


def _band(x: np.ndarray, sample_rate: int, low_hz: float | None, high_hz: float | None, order: int = 2) -> np.ndarray:
    nyquist = sample_rate / 2.0
    if high_hz is not None and high_hz >= 0.95 * nyquist:
        high_hz = None
    if low_hz is not None and high_hz is not None:
        sos = signal.butter(order, [low_hz, high_hz], btype="bandpass", fs=sample_rate, output="sos")
    elif low_hz is not None:
        sos = signal.butter(order, low_hz, btype="highpass", fs=sample_rate, output="sos")
    elif high_hz is not None:
        sos = signal.butter(order, high_hz, btype="lowpass", fs=sample_rate, output="sos")
    else:
        return x
    return signal.sosfilt(sos, x)


def render_bass(notes: list[Note], n_samples: int, sample_rate: int) -> np.ndarray:
    """Electric bass: sawtooth plus sine sub, low-passed at 900 Hz, plucked envelope. Shape (n,)."""
    freq_hz, env = control_arrays(notes, n_samples, sample_rate, 0.004, 0.04, decay_s=0.35, sustain=0.55)
    saw = saw_from_freq(freq_hz, sample_rate)
    sub = np.sin(2.0 * np.pi * np.cumsum(freq_hz) / sample_rate)
    tone = _band(0.6 * saw + 0.8 * sub, sample_rate, 35.0, 900.0, order=2)
    return np.tanh(1.5 * tone * env)


def render_distorted_guitar(chords: list[list[Note]], n_samples: int, sample_rate: int) -> np.ndarray:
    """Rhythm electric guitar: detuned saw power chords, hard clipping, 4.5 kHz cabinet roll-off.

    ``chords`` holds one monophonic note list per chord voice. Shape (n,).
    """
    dry = np.zeros(n_samples)
    for voice_index, voice in enumerate(chords):
        if not voice:
            continue
        freq_hz, env = control_arrays(voice, n_samples, sample_rate, 0.003, 0.05, decay_s=0.6, sustain=0.7)
        detune = 1.0 + 0.003 * (voice_index - 1)
        dry += env * (saw_from_freq(freq_hz * detune, sample_rate) + saw_from_freq(freq_hz / detune, sample_rate, 0.3))
    driven = np.tanh(6.0 * _band(dry, sample_rate, 80.0, None))
    return _band(driven, sample_rate, 90.0, 4500.0, order=4)


def render_clean_guitar(notes: list[Note], n_samples: int, sample_rate: int) -> np.ndarray:
    """Lead electric guitar: bright 30 % pulse, mild drive, 250 Hz–6 kHz band, 140 ms slap delay. Shape (n,)."""
    freq_hz, env = control_arrays(notes, n_samples, sample_rate, 0.002, 0.08, decay_s=0.4, sustain=0.35)
    vibrato = 1.0 + 0.002 * np.sin(2.0 * np.pi * 5.0 * np.arange(n_samples) / sample_rate)
    tone = np.tanh(1.8 * env * pulse_from_freq(freq_hz * vibrato, sample_rate, 0.3))
    tone = _band(tone, sample_rate, 250.0, 6000.0, order=2)
    k = int(0.14 * sample_rate)
    delayed = np.zeros_like(tone)
    delayed[k:] = tone[:-k]
    return tone + 0.3 * delayed


def karplus_strong(freq_hz: float, duration_s: float, sample_rate: int, rng: np.random.Generator,
                   loss: float = 0.996) -> np.ndarray:
    """A plucked string (Karplus–Strong), computed one delay-line period at a time. Shape (n,)."""
    period = max(2, int(round(sample_rate / freq_hz)))
    n = int(duration_s * sample_rate)
    y = np.zeros(n + period + 1)
    burst = np.convolve(rng.uniform(-1.0, 1.0, period), [0.25, 0.5, 0.25], mode="same")
    y[1:period + 1] = burst - burst.mean()
    for start in range(period + 1, n + period + 1, period):
        end = min(start + period, n + period + 1)
        y[start:end] = loss * 0.5 * (y[start - period:end - period] + y[start - period - 1:end - period - 1])
    return y[1:n + 1]


def render_acoustic_guitar(strums: list[tuple[float, list[int], float, bool]], n_samples: int,
                           sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Strummed steel-string guitar from Karplus–Strong strings with a body resonance.

    ``strums`` holds ``(time_s, pitches low→high, velocity, downstroke)``;
    strings follow each other 9 ms apart. Shape (n,).
    """
    cache: dict[int, np.ndarray] = {}
    out = np.zeros(n_samples)
    for time_s, pitches, velocity, down in strums:
        order = pitches if down else pitches[::-1]
        for k, pitch in enumerate(order):
            if pitch not in cache:
                cache[pitch] = karplus_strong(float(midi_to_hz(pitch)), 1.6, sample_rate, rng)
            pluck = cache[pitch]
            start = int(round((time_s + 0.009 * k) * sample_rate))
            if start >= n_samples:
                continue
            end = min(n_samples, start + pluck.size)
            out[start:end] += velocity * (0.8 if k == 0 else 1.0) * pluck[: end - start]
    body_b, body_a = signal.iirpeak(110.0, 3.0, fs=sample_rate)
    return _band(out + 0.8 * signal.lfilter(body_b, body_a, out), sample_rate, 75.0, None)


def render_voice(notes: list[Note], n_samples: int, sample_rate: int, rng: np.random.Generator,
                 formant_scale: float = 1.0, breathiness: float = 0.08) -> np.ndarray:
    """A voice-like part (see :func:`render_voice_phrase`), rendered phrase by phrase.

    Notes separated by more than 0.75 s of rest form separate phrases; each is
    rendered in its own window (plus a 0.3 s tail), silence elsewhere. Shape (n,).
    """
    out = np.zeros(n_samples)
    ordered = sorted(notes, key=lambda nt: nt.start_s)
    phrases: list[list[Note]] = []
    for note in ordered:
        if phrases and note.start_s - max(p.start_s + p.duration_s for p in phrases[-1]) <= 0.75:
            phrases[-1].append(note)
        else:
            phrases.append([note])
    for phrase in phrases:
        start = max(0, int(round(phrase[0].start_s * sample_rate)) - int(0.01 * sample_rate))
        end = min(n_samples, int(round(max(p.start_s + p.duration_s for p in phrase) * sample_rate))
                  + int(0.3 * sample_rate))
        if end <= start:
            continue
        offset_s = start / sample_rate
        local = [Note(p.start_s - offset_s, p.duration_s, p.pitch, p.velocity, p.vowel) for p in phrase]
        out[start:end] += render_voice_phrase(local, end - start, sample_rate, rng, formant_scale, breathiness)
    return out


def render_voice_phrase(notes: list[Note], n_samples: int, sample_rate: int, rng: np.random.Generator,
                        formant_scale: float = 1.0, breathiness: float = 0.08) -> np.ndarray:
    """A voice-like part: sawtooth with vibrato through vowel formants, syllable envelopes, consonants.

    Each note is a syllable sung on its ``vowel`` (index into
    :data:`VOWEL_FORMANTS_HZ`, scaled by ``formant_scale``: ~1.0 male,
    ~1.17 female). Pitch glides between syllables (30 ms), vibrato (5.5 Hz,
    ±0.3 semitone) fades in over each note, and some syllables start with a
    short fricative noise burst. Shape (n,).
    """
    freq_hz, env = control_arrays(notes, n_samples, sample_rate, 0.045, 0.09, decay_s=0.8, sustain=0.8)
    glide_b, glide_a = signal.butter(1, 1.0 / (2 * np.pi * 0.03), fs=sample_rate)
    log_f = signal.lfilter(glide_b, glide_a, np.log(freq_hz) - np.log(freq_hz[0])) + np.log(freq_hz[0])
    t = np.arange(n_samples) / sample_rate
    vib_depth = np.zeros(n_samples)
    consonant_env = np.zeros(n_samples)
    ordered = sorted(notes, key=lambda nt: nt.start_s)
    vowel_at = np.zeros(n_samples, dtype=np.int64)  # each vowel holds until the next syllable starts
    vowel_at[0] = ordered[0].vowel % len(VOWEL_FORMANTS_HZ) if ordered else 0
    for note in ordered:
        start = int(round(note.start_s * sample_rate))
        end = min(n_samples, start + int(round(note.duration_s * sample_rate)))
        if start >= n_samples:
            continue
        local_t = np.arange(end - start) / sample_rate
        vib_depth[start:end] = np.clip((local_t - 0.15) / 0.3, 0.0, 1.0)
        vowel_at[start:] = note.vowel % len(VOWEL_FORMANTS_HZ)
        if rng.uniform() < 0.6:
            burst = min(n_samples - start, int(0.05 * sample_rate))
            consonant_env[start:start + burst] = np.maximum(
                consonant_env[start:start + burst], 0.5 * note.velocity * np.linspace(1.0, 0.0, burst))
    drift = uniform_filter1d(rng.standard_normal(n_samples), int(0.2 * sample_rate))
    drift /= max(float(np.std(drift)), 1e-12)  # slow pitch wander, unit standard deviation
    semitones = 0.3 * vib_depth * np.sin(2 * np.pi * 5.5 * t) + 0.1 * drift
    f0_hz = np.exp(log_f) * 2.0 ** (semitones / 12.0)
    source = saw_from_freq(f0_hz, sample_rate) + breathiness * rng.standard_normal(n_samples)
    weights = np.stack([(vowel_at == v).astype(float) for v in range(len(VOWEL_FORMANTS_HZ))])
    weights = uniform_filter1d(weights, int(0.04 * sample_rate), axis=1)
    voiced = np.zeros(n_samples)
    for vowel_index, formants_hz in enumerate(VOWEL_FORMANTS_HZ):
        if not weights[vowel_index].any():
            continue
        filtered = np.zeros(n_samples)
        for formant_hz, gain in zip(formants_hz, FORMANT_GAINS):
            freq = formant_hz * formant_scale
            if freq >= 0.45 * sample_rate:
                continue
            b, a = signal.iirpeak(freq, freq / 90.0, fs=sample_rate)
            filtered += gain * signal.lfilter(b, a, source)
        voiced += weights[vowel_index] * filtered
    fricative = _band(rng.standard_normal(n_samples), sample_rate, 4000.0, 9000.0, order=2)
    return voiced * env + 0.6 * fricative * consonant_env
