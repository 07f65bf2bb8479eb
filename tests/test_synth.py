"""The demo-song synthesiser: layout, determinism, levels, spectra, bleed, section changes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal

from automix.audio.loudness import integrated_loudness
from automix.demo.synth import (
    REFERENCE_LOUDNESS_LUFS,
    pan_gains,
    render_intended_mix,
    song_layout,
    synthesize_song,
)
from automix.demo.tonal import (
    VOWEL_FORMANTS_HZ,
    Note,
    karplus_strong,
    render_voice_phrase,
)
from automix.errors import AutomixError

SR = 22050


@pytest.fixture(scope="module")
def song():
    return synthesize_song(seed=1, duration_s=20.0, sample_rate=SR)


def _parts(song):
    return {p.name: p for p in song.parts}


def _db(x):
    return 20 * math.log10(x)


def _rms(x):
    return float(np.sqrt(np.mean(np.square(x))))


def _band(x, low_hz, high_hz, sr=SR):
    if low_hz is None:
        sos = signal.butter(4, high_hz, "lowpass", fs=sr, output="sos")
    elif high_hz is None:
        sos = signal.butter(4, low_hz, "highpass", fs=sr, output="sos")
    else:
        sos = signal.butter(4, [low_hz, high_hz], "bandpass", fs=sr, output="sos")
    return signal.sosfilt(sos, x)


def _max_corr(a, b, max_lag=100):
    """Largest |normalised cross-correlation| of a and b delayed by 0..max_lag samples."""
    full = signal.correlate(b, a, mode="full", method="fft")
    zero = a.size - 1  # index of lag 0
    return float(np.max(np.abs(full[zero:zero + max_lag])) / math.sqrt(np.dot(a, a) * np.dot(b, b)))


def _centroid_hz(x, sr=SR):
    spec = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / sr)
    return float(np.sum(freqs * spec) / np.sum(spec))


def test_layout_has_the_six_regions_in_order_and_fills_the_duration():
    for duration in (60.0, 80.0, 90.0, 20.0):
        tempo, sections = song_layout(duration)
        assert [s.name for s in sections] == ["Intro", "Verse 1", "Chorus 1", "Verse 2", "Chorus 2", "Outro"]
        assert [s.kind for s in sections] == ["intro", "verse", "chorus", "verse", "chorus", "outro"]
        assert sections[0].start_s == 0.0 and sections[-1].end_s == pytest.approx(duration, abs=1e-9)
        assert all(a.end_s == b.start_s for a, b in zip(sections, sections[1:]))
        assert 95.0 <= tempo <= 145.0
        bar_s = 240.0 / tempo
        assert all(s.end_s - s.start_s == pytest.approx(s.bars * bar_s) for s in sections)
    assert song_layout(80.0)[0] == pytest.approx(120.0)


@pytest.mark.parametrize("bad", [5.0, 1000.0, float("nan")])
def test_bad_duration_is_refused_with_the_value(bad):
    with pytest.raises(AutomixError, match=f"got {bad!r}$"):
        song_layout(bad)


def test_bad_sample_rate_is_refused():
    with pytest.raises(AutomixError, match="8000"):
        synthesize_song(0, 20.0, 8000)


def test_same_seed_same_song_other_seed_other_song():
    first = synthesize_song(seed=1, duration_s=10.0, sample_rate=16000)
    again = synthesize_song(seed=1, duration_s=10.0, sample_rate=16000)
    other = synthesize_song(seed=2, duration_s=10.0, sample_rate=16000)
    for a, b, c in zip(first.parts, again.parts, other.parts):
        np.testing.assert_array_equal(a.audio, b.audio)
        assert not np.allclose(a.audio, c.audio)


def test_every_part_plays_at_the_reference_level_where_active(song):
    assert song.n_samples == 20 * SR
    for part in song.parts:
        chunks = [part.audio[int(round(s.start_s * SR)):int(round(s.end_s * SR))]
                  for s, on in zip(song.sections, part.active) if on]
        # gated loudness while it plays (BS.1770), whatever its density
        assert integrated_loudness(np.concatenate(chunks), SR) == pytest.approx(REFERENCE_LOUDNESS_LUFS, abs=0.05), \
            part.name
        assert np.all(np.isfinite(part.audio))


def test_parts_change_per_section(song):
    parts = _parts(song)
    intro, verse, chorus, outro = (song.sections[i] for i in (0, 1, 2, 5))
    active = {s.name: {p.name for p in song.parts if p.active[i]} for i, s in enumerate(song.sections)}
    assert len(active["Intro"]) < len(active["Verse 1"]) < len(active["Chorus 1"]) == len(song.parts)
    assert "Lead Vocal" not in active["Intro"] and "Lead Vocal" not in active["Outro"]
    assert "Backing Vocal" in active["Chorus 1"] and "Backing Vocal" not in active["Verse 1"]
    vox = parts["Lead Vocal"].audio
    assert _rms(vox[: int(intro.end_s * SR)]) == 0.0
    assert _db(_rms(vox[int(verse.start_s * SR):int(verse.end_s * SR)])) > -30.0
    gtr = parts["Electric Guitar 1"]
    assert gtr.balance_db[2] - gtr.balance_db[1] >= 3.0  # louder in the chorus than in the verse
    mix = render_intended_mix(song)
    chorus_db = _db(_rms(mix[int(chorus.start_s * SR):int(chorus.end_s * SR)]))
    intro_db = _db(_rms(mix[: int(intro.end_s * SR)]))
    assert chorus_db - intro_db > 3.0
    assert outro.kind == "outro"


def test_spectra_fit_the_instruments(song):
    parts = _parts(song)
    verse = song.sections[1]
    window = slice(int(verse.start_s * SR), int(verse.end_s * SR))
    centroid = {name: _centroid_hz(p.audio[window] if p.audio.ndim == 1 else p.audio[window].mean(axis=1))
                for name, p in parts.items() if p.active[1]}
    assert centroid["Kick"] < 250.0
    assert centroid["Bass"] < 400.0
    assert centroid["Hi-Hat"] > 6000.0
    assert 1500.0 < centroid["Snare"] < 8000.0
    assert 200.0 < centroid["Lead Vocal"] < 2500.0
    assert centroid["Kick"] < centroid["Toms"] < centroid["Snare"] < centroid["Hi-Hat"]
    assert centroid["Electric Guitar 1"] < centroid["Acoustic Guitar"]


def test_bass_plays_the_chord_root(song):
    bass = _parts(song)["Bass"].audio
    bar = song.sections[1]  # verse: first chord E minor, bass on E1 = 41.2 Hz
    x = bass[int(bar.start_s * SR):int((bar.start_s + 2.0) * SR)]
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    freqs = np.fft.rfftfreq(x.size, 1 / SR)
    low = (freqs > 25) & (freqs < 70)
    assert freqs[low][np.argmax(spec[low])] == pytest.approx(41.2, abs=1.0)


def test_overheads_carry_bleed_of_the_whole_kit(song):
    parts = _parts(song)
    oh = parts["Overheads"].audio
    assert oh.shape == (song.n_samples, 2)
    mono = oh.sum(axis=1)
    no_fill = slice(0, int(0.95 * SR))  # first half bar of the intro: kick and hi-hat only
    assert _max_corr(_band(parts["Kick"].audio[no_fill], None, 120), _band(mono[no_fill], None, 120)) > 0.5
    assert _max_corr(_band(parts["Snare"].audio, 1500, 5000), _band(mono, 1500, 5000)) > 0.3
    assert _max_corr(_band(parts["Hi-Hat"].audio, 7000, None), _band(oh[:, 1], 7000, None)) > 0.8
    assert _max_corr(parts["Toms"].audio, mono) > 0.6
    assert _max_corr(parts["Bass"].audio, mono) < 0.05  # bass is not in the drum room
    right = np.sum(_band(oh[:, 1], 7000, None) ** 2)
    left = np.sum(_band(oh[:, 0], 7000, None) ** 2)
    assert 10 * math.log10(right / left) > 2.0  # the hi-hat stands to the right


def test_karplus_strong_pitch():
    sr = 44100
    x = karplus_strong(220.0, 1.0, sr, np.random.default_rng(0))
    ac = np.correlate(x[:8000], x[:8000], mode="full")[7999:]
    lags = np.arange(ac.size)
    search = (lags > sr / 400) & (lags < sr / 100)
    period = lags[search][np.argmax(ac[search])]
    assert sr / period == pytest.approx(220.0, rel=0.01)
    assert _rms(x[-2000:]) < 0.5 * _rms(x[:2000])  # the string decays


def test_voice_formants_follow_the_vowel():
    sr = 22050
    energies = {}
    for vowel in (0, 2):  # "a" (F1 730, F2 1090) and "i" (F1 270, F2 2290)
        x = render_voice_phrase([Note(0.05, 1.0, 45, 1.0, vowel)], int(1.2 * sr), sr, np.random.default_rng(0))
        spec = np.abs(np.fft.rfft(x[int(0.3 * sr):int(1.0 * sr)])) ** 2
        freqs = np.fft.rfftfreq(int(0.7 * sr), 1 / sr)
        energies[vowel] = {name: float(np.sum(spec[(freqs > lo) & (freqs < hi)]))
                           for name, (lo, hi) in {"f1a": (600, 900), "f2i": (2100, 2500)}.items()}
    assert VOWEL_FORMANTS_HZ[0][0] == 730.0
    ratio_a = energies[0]["f2i"] / energies[0]["f1a"]
    ratio_i = energies[2]["f2i"] / energies[2]["f1a"]
    assert 10 * math.log10(ratio_i / ratio_a) > 10.0


def test_pan_law_is_equal_power():
    assert pan_gains(-1.0) == pytest.approx((1.0, 0.0), abs=1e-12)
    assert pan_gains(1.0) == pytest.approx((0.0, 1.0), abs=1e-12)
    for pan in np.linspace(-1, 1, 9):
        left, right = pan_gains(pan)
        assert left ** 2 + right ** 2 == pytest.approx(1.0)
    assert pan_gains(0.0)[0] == pytest.approx(10 ** (-3.0103 / 20), rel=1e-4)


def test_intended_mix_pans_parts(song):
    mix = render_intended_mix(song)
    assert mix.shape == (song.n_samples, 2)
    gtr = _parts(song)["Electric Guitar 1"]
    assert gtr.pan < 0
    verse = song.sections[1]
    hp = _band(mix[int(verse.start_s * SR):int(verse.end_s * SR), 0], 200, 4000)
    hp_r = _band(mix[int(verse.start_s * SR):int(verse.end_s * SR), 1], 200, 4000)
    assert np.sum(hp ** 2) > np.sum(hp_r ** 2)  # guitar 1 (left) dominates the mids of the verse
