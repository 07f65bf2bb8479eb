"""The demo song: a deterministic rock arrangement synthesised part by part.

:func:`synthesize_song` lays out Intro, Verse 1, Chorus 1, Verse 2, Chorus 2,
Outro (10 units of bars, about 120 bpm, fitted to the requested duration),
writes the drum, bass, guitar and voice parts (:mod:`automix.demo.drums`,
:mod:`automix.demo.tonal`) and normalises each part so that its gated loudness over the
sections where it plays is :data:`REFERENCE_LOUDNESS_LUFS`. The intended mix — what
an engineer would do with those normalised parts — is known exactly:
``part.balance_db[section]`` is the gain applied to the normalised part in that
section and ``part.pan`` its pan (REAPER's −1 left … +1 right).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from automix.audio.loudness import integrated_loudness_blocks
from automix.audio.panlaw import angle_from_pan
from automix.demo.drums import DrumEvents, render_drums
from automix.demo.tonal import (
    Note,
    render_acoustic_guitar,
    render_bass,
    render_clean_guitar,
    render_distorted_guitar,
    render_voice,
)
from automix.errors import AutomixError

REFERENCE_LOUDNESS_LUFS = -20.0
"""Loudness of every normalised part (BS.1770 gated, LUFS) over the sections where it plays: the level an
engineer balances, heard while the part plays. The parts' intended balances are in these terms (the
practice table's), so a sparse part (tom fills) is meant to sound as loud per hit in an 80 s song as in a
24 s one; normalised by RMS over its sections, silences included, the toms of the 80 s demo were meant
4–5 dB louder per hit than those of the 24 s one, and automix missed them by that much."""

MIX_TRIM_DB = -10.0
"""Common gain of the intended mix (dB), so that it peaks below 0 dBFS (chorus RMS about −24 dBFS)."""

SECTION_PLAN: tuple[tuple[str, str, int], ...] = (
    ("Intro", "intro", 1), ("Verse 1", "verse", 2), ("Chorus 1", "chorus", 2),
    ("Verse 2", "verse", 2), ("Chorus 2", "chorus", 2), ("Outro", "outro", 1),
)
"""(region name, section kind, length in units of bars) of the song, in order."""

MIN_DURATION_S, MAX_DURATION_S = 10.0, 600.0

PART_TABLE: tuple[tuple[str, str, float, float], ...] = (
    ("Kick", "kick", 0.0, 0.0),
    ("Snare", "snare", 0.0, -1.0),
    ("Hi-Hat", "hihat", 0.3, -9.0),
    ("Toms", "tom", -0.15, -6.0),
    ("Overheads", "overhead", 0.0, -6.0),
    ("Bass", "bass", 0.0, -1.0),
    ("Electric Guitar 1", "electric_guitar", -0.6, -4.0),
    ("Electric Guitar 2", "electric_guitar", 0.55, -6.0),
    ("Acoustic Guitar", "acoustic_guitar", 0.25, -7.0),
    ("Lead Vocal", "lead_vox", 0.0, 1.0),
    ("Backing Vocal", "back_vox", -0.35, -6.0),
)
"""(track name, track type id as in :mod:`automix.knowledge.track_types`, intended pan, base balance dB) per part."""

ACTIVE_PARTS: dict[str, frozenset[str]] = {
    "intro": frozenset({"Kick", "Hi-Hat", "Toms", "Overheads", "Bass", "Electric Guitar 2", "Acoustic Guitar"}),
    "verse": frozenset({"Kick", "Snare", "Hi-Hat", "Toms", "Overheads", "Bass", "Electric Guitar 1",
                        "Acoustic Guitar", "Lead Vocal"}),
    "chorus": frozenset(name for name, *_ in PART_TABLE),
    "outro": frozenset({"Kick", "Snare", "Hi-Hat", "Overheads", "Bass", "Electric Guitar 1",
                        "Electric Guitar 2", "Acoustic Guitar"}),
}
"""Which parts play in each section kind (a quiet intro, a full chorus)."""

SECTION_OFFSETS_DB: dict[str, dict[str, float]] = {
    "intro": {"Acoustic Guitar": 3.0, "Electric Guitar 2": 2.0, "Kick": -2.0, "Hi-Hat": -1.0, "Bass": -1.0},
    "verse": {"Electric Guitar 1": -2.5, "Lead Vocal": 1.0, "Acoustic Guitar": 1.0},
    "chorus": {"Electric Guitar 1": 1.5, "Electric Guitar 2": -1.0, "Overheads": 1.0, "Acoustic Guitar": -2.0},
    "outro": {"Acoustic Guitar": 2.0, "Electric Guitar 2": 2.0, "Electric Guitar 1": -1.0},
}
"""Section-wise changes (dB) of the intended balance on top of the base balance."""

PROGRESSIONS: dict[str, tuple[tuple[int, bool], ...]] = {
    "intro": ((4, True), (0, False), (7, False), (2, False)),
    "verse": ((4, True), (4, True), (0, False), (2, False)),
    "chorus": ((0, False), (7, False), (2, False), (4, True)),
    "outro": ((4, True), (0, False), (7, False), (4, True)),
}
"""Chord per bar, cycled: (root pitch class, is minor) in E minor (Em, C, G, D)."""


@dataclass(frozen=True)
class DemoSection:
    """A section of the song: region ``name``, ``kind`` (intro/verse/chorus/outro), bounds in seconds, bars."""

    name: str
    kind: str
    start_s: float
    end_s: float
    bars: int


@dataclass(frozen=True)
class SongPart:
    """One recorded part, normalised to :data:`REFERENCE_LOUDNESS_LUFS` where it plays.

    Attributes:
        name: track name. track_type: the type id (:mod:`automix.knowledge.track_types`).
        pan: intended pan, −1 (left) … +1 (right).
        audio: float64 samples, shape (n_samples,) mono or (n_samples, 2) stereo.
        active: per section, whether the part plays there.
        balance_db: per section, the intended gain (dB) on the normalised part.
    """

    name: str
    track_type: str
    pan: float
    audio: np.ndarray
    active: tuple[bool, ...]
    balance_db: tuple[float, ...]

    @property
    def n_channels(self) -> int:
        """1 for mono, 2 for stereo."""
        return 1 if self.audio.ndim == 1 else self.audio.shape[1]


@dataclass(frozen=True)
class Song:
    """The synthesised demo song: sections and normalised parts at ``sample_rate`` Hz."""

    seed: int
    sample_rate: int
    tempo_bpm: float
    sections: tuple[DemoSection, ...]
    parts: tuple[SongPart, ...]

    @property
    def n_samples(self) -> int:
        """Length of every part in samples."""
        return self.parts[0].audio.shape[0]

    @property
    def duration_s(self) -> float:
        """Song length in seconds."""
        return self.n_samples / self.sample_rate


def song_layout(duration_s: float) -> tuple[float, tuple[DemoSection, ...]]:
    """Tempo (bpm) and sections that fill ``duration_s`` with whole bars near 120 bpm."""
    if not (MIN_DURATION_S <= duration_s <= MAX_DURATION_S) or math.isnan(duration_s):
        raise AutomixError(f"demo duration must be {MIN_DURATION_S:g}–{MAX_DURATION_S:g} s, got {duration_s!r}")
    units = sum(u for *_, u in SECTION_PLAN)
    bars_per_unit = max(1, round(duration_s / (units * 2.0)))
    tempo_bpm = units * bars_per_unit * 4 * 60.0 / duration_s
    bar_s = 4 * 60.0 / tempo_bpm
    sections, bar = [], 0
    for name, kind, unit in SECTION_PLAN:
        bars = unit * bars_per_unit
        sections.append(DemoSection(name, kind, bar * bar_s, (bar + bars) * bar_s, bars))
        bar += bars
    return tempo_bpm, tuple(sections)


def _chord_pitches(root_pc: int, minor: bool, low: int) -> tuple[int, int, int]:
    """Root, third and fifth of a chord with the root in ``[low, low + 12)``."""
    root = low + (root_pc - low) % 12
    return root, root + (3 if minor else 4), root + 7


def _bars(sections: tuple[DemoSection, ...], tempo_bpm: float):
    """Yield (section, bar index in section, bar start s, beat s, root pc, minor) for every bar."""
    beat_s = 60.0 / tempo_bpm
    for section in sections:
        progression = PROGRESSIONS[section.kind]
        for b in range(section.bars):
            root_pc, minor = progression[b % len(progression)]
            yield section, b, section.start_s + 4 * beat_s * b, beat_s, root_pc, minor


def _drum_events(sections, tempo_bpm, rng) -> DrumEvents:
    """Kick, snare, hi-hat, tom-fill and crash onsets of the whole song (patterns per section kind)."""
    ev: dict[str, list] = {k: [] for k in ("k", "kv", "s", "sv", "h", "hv", "ho", "t", "tv", "tp", "c", "cv")}
    kick_steps = {"intro": (0, 8), "verse": (0, 8, 10), "chorus": (0, 6, 8, 10), "outro": (0, 8)}
    snare_steps = {"intro": (), "verse": (4, 12), "chorus": (4, 12), "outro": (8,)}
    hat_steps = {"intro": (0, 4, 8, 12), "verse": tuple(range(0, 16, 2)), "chorus": tuple(range(0, 16, 2)),
                 "outro": (0, 4, 8, 12)}
    for section, b, bar_s, beat_s, _, _ in _bars(sections, tempo_bpm):
        step_s = beat_s / 4
        fill = b == section.bars - 1 and section.kind != "outro"
        if b == 0 and section.kind in ("chorus", "outro", "verse"):
            ev["c"].append(bar_s)
            ev["cv"].append(1.0 if section.kind != "verse" else 0.6)
        for step in range(16):
            t = bar_s + step * step_s + rng.normal(0.0, 0.002)
            in_fill = fill and step >= 8
            if step in kick_steps[section.kind] and not (in_fill and step > 8):
                ev["k"].append(t)
                ev["kv"].append(rng.uniform(0.85, 1.0))
            if in_fill:
                ev["t"].append(t)
                ev["tv"].append(rng.uniform(0.8, 1.0))
                ev["tp"].append(150.0 if step < 12 else 85.0)
                continue
            if step in snare_steps[section.kind]:
                ev["s"].append(t)
                ev["sv"].append(rng.uniform(0.85, 1.0))
            if step in hat_steps[section.kind]:
                ev["h"].append(t)
                accent = 1.0 if step % 4 == 0 else 0.7
                ev["hv"].append(accent * rng.uniform(0.8, 1.0) * (1.1 if section.kind == "chorus" else 0.8))
                ev["ho"].append(section.kind == "chorus" and step % 4 == 2)
    a = lambda key, dtype=float: np.asarray(ev[key], dtype=dtype)  # noqa: E731
    return DrumEvents(a("k"), a("kv"), a("s"), a("sv"), a("h"), a("hv"), a("ho", bool),
                      a("t"), a("tv"), a("tp"), a("c"), a("cv"))


def _tonal_notes(sections, tempo_bpm, rng):
    """Note lists of bass, guitar 1 voices, guitar 2, acoustic strums, lead and backing voice."""
    bass, gtr1, gtr2, strums, lead, backing = [], [[], [], []], [], [], [], []
    lead_pitch = 57
    rhythms = (((0, 1), (1, 1), (2, 0.5), (2.5, 0.5), (3, 1)), ((0, 1.5), (1.5, 0.5), (2, 2)),
               ((0, 0.5), (0.5, 0.5), (1, 1), (2, 1), (3, 0.5), (3.5, 0.5)))
    for section, b, bar_s, beat_s, root_pc, minor in _bars(sections, tempo_bpm):
        kind, active = section.kind, ACTIVE_PARTS[section.kind]
        bass_root = _chord_pitches(root_pc, minor, 28)[0]
        steps = {"intro": ((0, 3.8),), "outro": ((0, 1.9), (2, 1.9)),
                 "verse": tuple((i, 0.9) for i in range(4)), "chorus": tuple((i / 2, 0.45) for i in range(8))}[kind]
        for beat, dur in steps:
            bass.append(Note(bar_s + beat * beat_s, dur * beat_s, bass_root, rng.uniform(0.85, 1.0)))
        if "Electric Guitar 1" in active:
            power = _chord_pitches(root_pc, minor, 40)[0]
            hits = (tuple((i / 2, 0.35, 0.7) for i in range(8)) if kind == "verse"
                    else ((0, 1.9, 1.0), (2, 1.9, 1.0)) if kind == "chorus" else ((0, 3.9, 0.9),))
            for beat, dur, vel in hits:
                vel = vel * rng.uniform(0.88, 1.0)
                for voice, interval in zip(gtr1, (0, 7, 12)):
                    voice.append(Note(bar_s + beat * beat_s, dur * beat_s, power + interval, vel))
        if "Electric Guitar 2" in active:
            r, third, fifth = _chord_pitches(root_pc, minor, 64)
            arp = (r, fifth, r + 12, third + 12, fifth, third, r + 12, fifth)
            step = 0.5 if kind != "chorus" else 0.75
            for i in range(int(4 / step)):
                gtr2.append(Note(bar_s + i * step * beat_s, step * 0.9 * beat_s, arp[i % len(arp)],
                                 rng.uniform(0.75, 1.0)))
        if "Acoustic Guitar" in active:
            root, third, fifth = _chord_pitches(root_pc, minor, 40)
            voicing = [root, root + 7, root + 12, third + 12, root + 19, root + 24]
            pattern = {"intro": ((0, 1), (1, 1), (2, 1), (3, 1)), "outro": ((0, 1),),
                       "verse": ((0, 1), (1, 1), (1.5, 0), (2.5, 0), (3, 1), (3.5, 0)),
                       "chorus": tuple((i / 2, 1 - i % 2) for i in range(8))}[kind]
            for beat, down in pattern:
                strums.append((bar_s + beat * beat_s, voicing, rng.uniform(0.6, 1.0) * (1.0 if down else 0.7),
                               bool(down)))
        if "Lead Vocal" in active and b % 4 != 3:
            tones = sorted({p + 12 * o for p in _chord_pitches(root_pc, minor, 52) for o in (0, 1)})
            low, high = (52, 64) if kind == "verse" else (57, 69)
            candidates = [p for p in tones if low <= p <= high]
            for beat, dur in rhythms[rng.integers(len(rhythms))]:
                target = lead_pitch + int(rng.integers(-3, 4))  # stepwise motion around the last note
                lead_pitch = min(candidates, key=lambda p: abs(p - target))
                lead.append(Note(bar_s + beat * beat_s, dur * beat_s * 0.92, lead_pitch,
                                 rng.uniform(0.8, 1.0), int(rng.integers(5))))
        if "Backing Vocal" in active:
            third = _chord_pitches(root_pc, minor, 62)[1]
            for half in (0, 2):
                backing.append(Note(bar_s + half * beat_s, 1.9 * beat_s, third, 0.9, 3 + (half // 2)))
    return bass, gtr1, gtr2, strums, lead, backing


def _normalise(audio: np.ndarray, sections, active: tuple[bool, ...], sample_rate: int) -> np.ndarray:
    """Scale ``audio`` so its gated loudness over the active sections is :data:`REFERENCE_LOUDNESS_LUFS`."""
    chunks = [audio[int(round(s.start_s * sample_rate)):int(round(s.end_s * sample_rate))]
              for s, on in zip(sections, active) if on]
    lufs = integrated_loudness_blocks(chunks, sample_rate)
    if not math.isfinite(lufs):
        raise AutomixError("demo synthesis produced a silent part")
    return audio * 10.0 ** ((REFERENCE_LOUDNESS_LUFS - lufs) / 20.0)


def synthesize_song(seed: int = 0, duration_s: float = 80.0, sample_rate: int = 44100) -> Song:
    """Synthesise the demo song; identical output for identical arguments.

    Args:
        seed: random seed (humanised timing, velocities, melody, noise).
        duration_s: song length in seconds (10–600; 60–90 is the intended demo).
        sample_rate: Hz, at least 16000.
    """
    if int(sample_rate) < 16000:
        raise AutomixError(f"demo sample rate must be at least 16000 Hz, got {sample_rate!r}")
    sample_rate = int(sample_rate)
    tempo_bpm, sections = song_layout(float(duration_s))
    rng = np.random.default_rng(seed)
    n = int(round(sections[-1].end_s * sample_rate))
    drums = render_drums(_drum_events(sections, tempo_bpm, rng), n, sample_rate, rng)
    bass, gtr1, gtr2, strums, lead, backing = _tonal_notes(sections, tempo_bpm, rng)
    raw = {
        "Kick": drums.kick, "Snare": drums.snare, "Hi-Hat": drums.hihat, "Toms": drums.toms,
        "Overheads": drums.overheads, "Bass": render_bass(bass, n, sample_rate),
        "Electric Guitar 1": render_distorted_guitar(gtr1, n, sample_rate),
        "Electric Guitar 2": render_clean_guitar(gtr2, n, sample_rate),
        "Acoustic Guitar": render_acoustic_guitar(strums, n, sample_rate, rng),
        "Lead Vocal": render_voice(lead, n, sample_rate, rng, formant_scale=1.0),
        "Backing Vocal": render_voice(backing, n, sample_rate, rng, formant_scale=1.17, breathiness=0.15),
    }
    parts = []
    for name, track_type, pan, base_db in PART_TABLE:
        active = tuple(name in ACTIVE_PARTS[s.kind] for s in sections)
        balance = tuple(base_db + SECTION_OFFSETS_DB[s.kind].get(name, 0.0) + MIX_TRIM_DB for s in sections)
        audio = _normalise(raw[name], sections, active, sample_rate)
        parts.append(SongPart(name, track_type, pan, audio, active, balance))
    return Song(seed, sample_rate, tempo_bpm, sections, tuple(parts))


def pan_gains(pan: float) -> tuple[float, float]:
    """Left and right gains of a mono source at REAPER pan ``pan`` (−1…+1).

    L = cos θ, R = sin θ with the papers' pan angle θ (:func:`automix.audio.panlaw.angle_from_pan`):
    equal power, −3 dB at the centre (the track pan law scaled by 1/√2).
    """
    theta = float(angle_from_pan(pan))
    return math.cos(theta), math.sin(theta)


def render_intended_mix(song: Song) -> np.ndarray:
    """The mix the arrangement intends: each part × its section balance, panned. Shape (n_samples, 2).

    Mono parts use :func:`pan_gains`; stereo parts are balanced with the same
    law scaled by √2 so that a centred stereo part passes at unity.
    """
    mix = np.zeros((song.n_samples, 2))
    for part in song.parts:
        gain = np.zeros(song.n_samples)
        for section, db in zip(song.sections, part.balance_db):
            gain[int(round(section.start_s * song.sample_rate)):int(round(section.end_s * song.sample_rate))] = \
                10.0 ** (db / 20.0)
        left, right = pan_gains(part.pan)
        if part.n_channels == 1:
            mix[:, 0] += left * gain * part.audio
            mix[:, 1] += right * gain * part.audio
        else:
            mix[:, 0] += math.sqrt(2) * left * gain * part.audio[:, 0]
            mix[:, 1] += math.sqrt(2) * right * gain * part.audio[:, 1]
    return mix
