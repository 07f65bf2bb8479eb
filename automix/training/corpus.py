"""A generated evaluation corpus: finished REAPER projects mixed by a known policy.

Each project takes a set of *raw* tracks — the real raw/stem recordings in
``../shared/audio`` (Cambridge-MT raw tracks, MedleyDB raw tracks, MUSDB
stems) or the parts of a synthesised song (:func:`automix.demo.synth.synthesize_song`)
— at random recording levels (item volume, ±:data:`RECORDING_SPREAD_DB`),
a genre and three regions (Intro, Verse, Chorus), and mixes them with
:func:`policy_levels_db`, a known function of the genre, the section **and
the other tracks** (the lead vocal rides up when electric guitars play, the
bass steps back when a kick carries the low end, backing vocals rise in the
chorus …) plus a small per-song "engineer" deviation. The mix is written the
way a REAPER user leaves a finished project: a fader per track (random
near the track's median gain) with a ``VOLENV2`` holding the rest of the gain per region, a
``PANENV2`` and one ReaEQ with the policy's per-band EQ (written through
:func:`automix.plan.apply.apply_plan`). ``automix learn`` reads them back as
exact ground truth.

Nothing of ``../shared`` is copied: projects point at the shared audio by
absolute path; synthesised parts are written as WAV into the corpus folder.
Build it in a temporary or cache folder, never in the repository.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from automix.audio.bands import EQ_BAND_LAYOUT, N_BANDS
from automix.errors import AutomixError
from automix.knowledge.genres import genre_group
from automix.knowledge.practice import typical_level_db, typical_pan
from automix.knowledge.targets import (
    normalize_relative_loudness,
    spread_type_loudness,
    spread_type_pan,
)
from automix.knowledge.track_types import classify_track, track_side_hint
from automix.util.atomic import atomic_path, write_text_atomic

CORPUS_GENRES: tuple[str, ...] = ("rock", "indie", "pop", "acoustic")
"""One genre of each of the KDE paper's four groups, cycled over the projects."""

SECTIONS: tuple[tuple[str, str, float], ...] = (("Intro", "intro", 0.25), ("Verse 1", "verse", 0.35),
                                               ("Chorus 1", "chorus", 0.40))
"""(region name, section id, share of the project length)."""

MIX_LEVEL_DB = -20.0
"""RMS level (dBFS) the policy gives the mix of every section."""

RECORDING_LEVEL_DB = -20.0
RECORDING_SPREAD_DB = 10.0
"""Raw tracks are recorded (item volume) at RECORDING_LEVEL_DB ± RECORDING_SPREAD_DB dBFS (uniform)."""

ENGINEER_SD_DB = 0.4
"""Standard deviation (dB) of the per-song, per-type deviation from the policy."""

SECTION_POLICY_DB: dict[str, dict[str, float]] = {
    "intro": {"lead_vox": -2.0, "acoustic_guitar": 2.5, "keys": 2.0, "electric_guitar": 1.0, "kick": -2.0,
              "snare": -2.0, "drum_kit": -2.0},
    "verse": {"lead_vox": 1.5, "electric_guitar": -1.5, "back_vox": -2.0},
    "chorus": {"back_vox": 2.5, "electric_guitar": 1.5, "overhead": 1.0, "snare": 1.0, "drum_kit": 1.0},
}
"""Section-dependent level changes of the policy (dB on top of the published practice)."""

EQ_POLICY_DB: dict[str, tuple[float, ...]] = {
    "kick": (3.0, -3.0, -2.0, 2.0, 0.0), "snare": (-2.0, 1.0, 0.0, 2.0, 1.0),
    "bass": (2.0, 0.0, -1.0, 1.0, -2.0), "electric_guitar": (-3.0, -1.0, 1.0, 1.5, -1.0),
    "acoustic_guitar": (-4.0, -1.0, 0.0, 1.0, 2.0), "lead_vox": (-4.0, -1.0, 1.0, 2.5, 1.5),
    "back_vox": (-5.0, -2.0, 0.0, 1.5, 2.0), "overhead": (-4.0, -1.0, 0.0, 0.0, 2.0),
    "drum_kit": (1.0, -1.5, -1.0, 1.0, 1.0),
}
"""Per-type EQ of the policy (dB per sub-band); the genre group adds a tilt (:func:`policy_eq_db`)."""

GROUP_EQ_TILT_DB: dict[str, float] = {"rock_punk_metal": 1.0, "alt_rock_blues": 0.5, "pop_singer_songwriter": 1.5,
                                      "acoustic_jazz_country": -1.0}
"""High-band boost (dB, spread linearly over the bands) per genre group."""


def policy_levels_db(type_ids: Sequence[str], genre: str, section: str,
                     deviation_db: dict[str, float] | None = None) -> np.ndarray:
    """The policy's level of each present type relative to the mix, dB, shape (len(type_ids),).

    Published practice (:func:`automix.knowledge.practice.typical_level_db`,
    genre-adjusted) + the section's changes + interactions with the other
    types present + ``deviation_db`` (the song's engineer), normalised so the
    power sum is the mix (0 dB).
    """
    present = set(type_ids)
    levels = []
    for t in type_ids:
        lv = typical_level_db(t, genre) + SECTION_POLICY_DB.get(section, {}).get(t, 0.0)
        if t == "lead_vox" and "electric_guitar" in present:
            lv += 3.0  # dense guitars: the vocal rides up
        if t == "back_vox" and "lead_vox" not in present:
            lv += 3.0  # backing vocals carry the melody alone
        if t == "bass" and ("kick" in present or "drum_kit" in present):
            lv -= 1.5  # the kick carries the low end
        if t in ("acoustic_guitar", "keys") and "electric_guitar" not in present:
            lv += 2.0  # sparse arrangement: the accompaniment comes forward
        lv += (deviation_db or {}).get(t, 0.0)
        levels.append(lv)
    return normalize_relative_loudness(np.array(levels, dtype=float))


def policy_eq_db(type_id: str, genre: str) -> np.ndarray:
    """The policy's EQ (dB per sub-band, shape (5,)) of a type in a genre."""
    base = np.array(EQ_POLICY_DB.get(type_id, (0.0,) * N_BANDS), dtype=float)
    grp = genre_group(genre)
    tilt = GROUP_EQ_TILT_DB.get(grp.id, 0.0) if grp else 0.0
    return base + tilt * np.linspace(-0.5, 1.0, N_BANDS)


@dataclass(frozen=True)
class RawTrack:
    """A raw recording a corpus project can use: ``path``, track ``name``, its length in seconds,
    ``rms_db`` its RMS level (dBFS) where it is louder than −60 dBFS."""

    path: Path
    name: str
    duration_s: float
    rms_db: float = -20.0


@dataclass(frozen=True)
class TrackPool:
    """Raw tracks of one song; ``required`` names always used, the rest drawn at random."""

    name: str
    tracks: tuple[RawTrack, ...]
    required: tuple[str, ...] = ()


def _active_rms_db(audio: np.ndarray, sample_rate: int) -> float:
    x = np.asarray(audio, dtype=float)
    x = x.mean(axis=1) if x.ndim == 2 else x
    n = max(int(0.05 * sample_rate), 1)
    frames = x[: len(x) // n * n].reshape(-1, n)
    power = np.mean(frames ** 2, axis=1)
    on = power > 1e-6
    return float(10.0 * np.log10(np.mean(power[on]))) if on.any() else -120.0


def _raw(path: Path, name: str) -> RawTrack:
    audio, rate = sf.read(str(path), dtype="float32", always_2d=False)
    return RawTrack(path, name, audio.shape[0] / rate, _active_rms_db(audio, rate))


def shared_pools(shared_audio: str | Path) -> list[TrackPool]:
    """Track pools from ``../shared/audio`` (those present); names as a user would write them."""
    root = Path(shared_audio)
    pools = []
    cam = root / "cambridge-actions-south-of-the-water-raw"
    if cam.is_dir():
        files = sorted(cam.glob("*.wav"))
        pools.append(TrackPool("cambridge", tuple(_raw(f, f.stem) for f in files),
                               ("01_KickTrigger", "02_Snare", "16_LeadVoxDT")))
    med = root / "medleydb-phoenix-scotchmorris-excerpt" / "Raw"
    names = {"Raw1": "Acoustic Guitar", "Raw2": "Flute", "Raw3": "Violin", "Raw4": "Main System A",
             "Raw4_2": "Main System B"}
    if med.is_dir():
        pools.append(TrackPool("medleydb", tuple(_raw(med / f"{k}.wav", v) for k, v in names.items()
                                                 if (med / f"{k}.wav").is_file()), ("Acoustic Guitar",)))
    for d in sorted(root.glob("musdb7s-*")):
        stems = [_raw(d / f"{s}.wav", s.capitalize()) for s in ("drums", "bass", "other", "vocals")
                 if (d / f"{s}.wav").is_file()]
        if stems:
            pools.append(TrackPool(d.name, tuple(stems), ("Drums", "Vocals")))
    return pools


def synth_pool(folder: Path, seed: int, duration_s: float, sample_rate: int) -> TrackPool:
    """Synthesise a song and write its parts as WAV files into ``folder``."""
    from automix.demo.synth import synthesize_song

    song = synthesize_song(seed, duration_s, sample_rate)
    folder.mkdir(parents=True, exist_ok=True)
    tracks = []
    for k, part in enumerate(song.parts):
        path = folder / f"{k + 1:02d}-{part.name.lower().replace(' ', '-')}.wav"
        if not path.is_file():
            with atomic_path(path, suffix=".wav") as tmp:
                sf.write(str(tmp), part.audio * 10.0 ** (-6.0 / 20.0), sample_rate, subtype="PCM_24", format="WAV")
        tracks.append(RawTrack(path, part.name, song.duration_s, _active_rms_db(part.audio, sample_rate) - 6.0))
    return TrackPool(f"synth-{seed}", tuple(tracks), ("Kick", "Lead Vocal"))


@dataclass(frozen=True)
class CorpusProject:
    """A generated project: its ``path``, ``genre``, the ``pool`` it came from."""

    path: Path
    genre: str
    pool: str


def _write_raw_project(path: Path, pool: TrackPool, chosen: list[RawTrack], genre: str, seed: int,
                       rng: np.random.Generator, sample_rate: int):
    from automix.project.writer import (
        ItemSpec,
        ProjectSpec,
        RegionSpec,
        TrackSpec,
        write_project,
    )

    length = min(t.duration_s for t in chosen)
    specs = []
    for t in chosen:
        rec_db = RECORDING_LEVEL_DB - t.rms_db + float(rng.uniform(-RECORDING_SPREAD_DB, RECORDING_SPREAD_DB))
        rec_db = min(rec_db, 24.0)
        item = ItemSpec(0.0, length, str(t.path.resolve()), name=t.path.name, gain_amp=10.0 ** (rec_db / 20.0))
        specs.append(TrackSpec(t.name, (item,), n_channels=2))
    regions, start = [], 0.0
    for name, _sec, share in SECTIONS:
        end = length if name == SECTIONS[-1][0] else round(start + share * length, 3)
        regions.append(RegionSpec(name, start, end))
        start = end
    notes = (f"genre: {genre}", f"automix generated corpus: pool {pool.name}, seed {seed}")
    spec = ProjectSpec(tuple(specs), tuple(regions), sample_rate, 120.0, notes, seed)
    return write_project(path, spec)


def mix_project(path: Path, genre: str, rng: np.random.Generator) -> None:
    """Mix a written raw project by the policy: envelopes, pans and ReaEQ, saved in place."""
    from automix.features.analysis import analyse_project
    from automix.plan.apply import apply_plan
    from automix.plan.model import MAX_GAIN_DB, EqBand, MixPlan, RegionPlan, TrackPlan
    from automix.project.edit import find_track, set_track_volume_pan
    from automix.project.reader import read_project
    from automix.rpp import dumps, load
    from automix.training.samples import LEVEL_FEATURE, playing_matrix

    project = read_project(path)
    analysis = analyse_project(project)
    tracks = [project.tracks[t.index] for t in analysis.tracks]
    types = [classify_track(t.name).type_id for t in tracks]
    levels = analysis.feature(LEVEL_FEATURE)  # (n_tracks, n_sections)
    playing = playing_matrix(levels)
    deviation = {t: float(rng.normal(0.0, ENGINEER_SD_DB)) for t in sorted(set(types))}
    gains = np.full(levels.shape, -30.0)
    for k, sec in enumerate(analysis.sections):
        present = sorted({types[i] for i in range(len(tracks)) if playing[i, k]}, key=types.index)
        rel = policy_levels_db(present, genre, sec.section, deviation)
        for t, r in zip(present, rel):
            members = [i for i in range(len(tracks)) if types[i] == t and playing[i, k]]
            gains[members, k] = spread_type_loudness(MIX_LEVEL_DB + float(r), levels[members, k])
    faders = np.array([float(np.median(g[p])) if p.any() else 0.0 for g, p in zip(gains, playing)])
    faders = np.clip(faders + rng.uniform(-2.0, 2.0, len(tracks)), -40.0, 11.9)
    env = np.clip(gains - faders[:, None], -60.0, MAX_GAIN_DB)
    pans = np.zeros(len(tracks))
    for t in sorted(set(types)):
        members = [i for i in range(len(tracks)) if types[i] == t]
        pan, spread = typical_pan(t)
        pans[members] = spread_type_pan(pan, len(members), spread,
                                        [track_side_hint(tracks[i].name) for i in members])
    regions = []
    for k, sec in enumerate(analysis.sections):
        plans = tuple(TrackPlan(tr.guid, tr.name, types[i], round(float(env[i, k]), 3), round(float(pans[i]), 3),
                                tuple(EqBand(kind, f, round(float(g), 2), bw) for (kind, f, bw), g in
                                      zip(EQ_BAND_LAYOUT, policy_eq_db(types[i], genre))))
                      for i, tr in enumerate(tracks))
        regions.append(RegionPlan(sec.name, sec.section, sec.start_s, sec.end_s, plans))
    doc = load(path)
    for tr, f in zip(tracks, faders):
        set_track_volume_pan(find_track(doc, tr.guid), volume_amp=10.0 ** (float(f) / 20.0))
    apply_plan(doc, project, MixPlan(genre, "automix corpus policy", tuple(regions)))
    write_text_atomic(path, dumps(doc))


def build_corpus(out_dir: str | Path, *, n_projects: int = 40, seed: int = 0,
                 shared_audio: str | Path | None = None, n_synth_songs: int = 4,
                 synth_duration_s: float = 16.0, sample_rate: int = 22050,
                 genres: Sequence[str] = CORPUS_GENRES) -> list[CorpusProject]:
    """Generate ``n_projects`` finished projects in ``out_dir`` (deterministic for a seed).

    Projects cycle over the pools: the shared recordings (when ``shared_audio``
    is given and present) and ``n_synth_songs`` synthesised songs; each draws
    a random subset of its pool's tracks (the ``required`` ones always), a
    genre from ``genres`` (cycled), recording levels and faders.
    Existing projects with the same name are rebuilt.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pools = shared_pools(shared_audio) if shared_audio is not None and Path(shared_audio).is_dir() else []
    for s in range(n_synth_songs):
        pools.append(synth_pool(out / "media" / f"synth-{seed}-{s}", 1000 * seed + s, synth_duration_s,
                                sample_rate))
    if not pools:
        raise AutomixError("no track pools: give shared audio or n_synth_songs > 0")
    projects = []
    for p in range(n_projects):
        pool = pools[p % len(pools)]
        genre = genres[(p // len(pools) + p) % len(genres)]
        rng = np.random.default_rng([seed, p])
        required = [t for t in pool.tracks if t.name in pool.required]
        optional = [t for t in pool.tracks if t.name not in pool.required]
        keep = max(1, int(round(len(optional) * rng.uniform(0.4, 1.0)))) if optional else 0
        picked = sorted(rng.choice(len(optional), size=keep, replace=False).tolist()) if keep else []
        chosen = required + [optional[i] for i in picked]
        chosen.sort(key=lambda t: pool.tracks.index(t))
        rate = int(sf.info(str(chosen[0].path)).samplerate)
        path = out / f"{p:03d}-{pool.name}-{genre}.rpp"
        _write_raw_project(path, pool, chosen, genre, seed, rng, rate)
        mix_project(path, genre, rng)
        projects.append(CorpusProject(path, genre, pool.name))
    return projects
