"""Build the shipped models in ``models/`` (deterministic; run from the repository root).

    python3 recipes/build_shipped_models.py [--shared ../shared/audio] [--out models] [--seed 0]
                                            [--extra-real ~/.cache/automix-lmms]

What the models are trained on (all of it is written into ``models/README.md``):

1. **Real mixes, re-recorded.** The MUSDB18 7-second previews (``musdb7s-*``:
   wet stems drums/bass/other/vocals whose balance is an engineer's, ground
   truth estimated against ``mixture.wav``) and the MedleyDB excerpt
   (``Stems/`` vs ``Mix.wav``, ground truth by the estimation engine). Each
   is re-recorded :data:`N_AUGMENT` times on the audio
   (:mod:`automix.training.augment`): every stem re-gained (±12 dB) and, with
   probability 1/2, given a random spectral deviation (±6 dB per band); the
   targets are the engineer's settings corrected for both (gain − re-gain,
   EQ − deviation), so the model learns the balance whatever the recording
   level and the EQ that undoes a coloured recording. No section labels:
   their rows are used for every section of their genre group.
2. **Published mixing practice** (:mod:`automix.knowledge.practice`): the
   Cambridge-MT raw tracks (no mix exists) balanced at the practice levels
   of each genre group, with random recording levels.
2b. **CC0 producer sessions** (``caesium-cc0``, ``evr-cc0-*``): every stem of
   five electronic songs, whose sum at unity is the producer's mix; whole
   song and six equal parts, each re-gained :data:`N_SESSION_REGAINS` times.
2c. **More real songs** (``--extra-real DIR``, e.g. the LMMS demo songs of
   ``recipes/render_lmms_stems.py``): the track balance, the roles and the
   genre profiles learn from them, the genre × section models do not; they are
   scored held out with the rest. Held out on the 8 real songs of ../shared
   (genre named, one / six regions) the shipped models scored 0.89× / 0.83×
   equal loudness from ../shared alone, 0.85× / 0.78× with the 9 LMMS songs in
   those genre-independent parts (the LMMS songs themselves 0.85× / 0.83×);
   training the type models on them as well had made the 8 songs worse
   (1.07× / 0.93×).
3. **Synthesised songs** (:data:`SYNTH_SONGS`, never the demo's seed 0):
   their intended section-by-section balance (the only section-dependent
   data), taken as the rock group's policy and shifted by the other groups'
   practice offsets relative to rock; used as separate parts and bounced to
   four MUSDB-style stems, clean and as :data:`N_SYNTH_EQ_COPIES`
   re-recordings (level, noise floor, spectral deviations) — where the EQ is
   learnt.

Models: KDE (m = :data:`N_COMPONENTS`, ridge :data:`RIDGE`, relative-loudness
target, level-independent ``shape_db_*`` inputs) for each of the KDE paper's
four genre groups × intro / verse / chorus / all sections, and ``all × all``;
MLR baselines (group × all, all × all) in ``models/baselines/mlr``. Then the
evaluation: leave-one-song-out on the training rows, the real-song check of
``automix evaluate --real`` with each song's models retrained *without* it
(held out), and the known-truth EQ check (:func:`eq_check`), reported in
``models/README.md``.
``--quick`` skips the evaluation (to try a change in ~4 min).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from automix.features.region import REGION_FEATURE_NAMES  # noqa: E402
from automix.knowledge.genres import GENRE_GROUPS  # noqa: E402
from automix.knowledge.practice import practice_relative_levels  # noqa: E402
from automix.knowledge.targets import spread_type_loudness  # noqa: E402
from automix.knowledge.track_types import TRACK_TYPE_IDS, classify_track  # noqa: E402
from automix.models.bank import ModelBank  # noqa: E402
from automix.training.augment import StemTruth, augmented_copies, copy_samples  # noqa: E402
from automix.training.balance_restore import REAL_EXCERPTS  # noqa: E402
from automix.training.dataset import (  # noqa: E402
    estimated_stem_truth,
    samples_from_stems,
    song_features,
)
from automix.training.fit import SMALL_MODEL_EXCLUDED_FEATURES, train_models  # noqa: E402
from automix.training.level_weights import group_level_weights, set_group_level_weights  # noqa: E402
from automix.models.genre_guess import save_profiles  # noqa: E402
from automix.models.inputs import MODEL_FEATURE_NAMES  # noqa: E402
from automix.models.roles import save_role_model  # noqa: E402
from automix.models.track_balance import DESCRIPTOR_NAMES, save_track_balance  # noqa: E402
from automix.training.real_eval import (  # noqa: E402
    LAYOUTS,
    evaluate_real,
    genre_profiles_of,
    role_model_of,
    scores_markdown,
    song_samples,
    track_balance_of,
)
from automix.training.real_songs import discover_real_songs, song_data  # noqa: E402
from automix.training.samples import SectionSample, playing_matrix, section_sample  # noqa: E402

RIDGE = 30.0
N_COMPONENTS = 16
"""KDE components: all the outputs of a group (≤ 16 track types). EQ deviations of different tracks are
independent, so cutting the outputs to m = 8 directions would drop half the tracks' EQ."""
N_AUGMENT = 12
"""Re-recordings of each real excerpt: every stem re-gained (±12 dB) and, with probability 1/2, given a
spectral deviation (±6 dB per band) whose undo is the EQ target (automix/training/augment.py)."""
N_SYNTH_EQ_COPIES = 16
"""Re-recordings of each synthesised song (parts and bounced stems): level ±15 dB, noise floor, deviations."""
N_STEM_REGAINS = 3
"""Feature-level re-gains (±12 dB) of each synthesised song's bounced 4-stem rows."""
SYNTH_SONGS = ((100, 20.0), (101, 20.0), (102, 20.0), (103, 30.0), (104, 45.0))
"""(seed, duration s) of the synthesised training songs (the demo is seed 0: never trained on)."""
N_SYNTH_SONGS = len(SYNTH_SONGS)
SYNTH_RATE = 44100
NOISE_FLOOR_DBFS = -78.0
"""White noise floor of the synthesised re-recordings (a recording's preamp noise, as in the demo)."""
SYNTH_POLICY_GROUP = "rock_punk_metal"
"""The synthesiser's section balance is taken as this group's engineer policy, and the synthesised songs
train this group only (and the all-genre model). Shifting them by the practice offsets into the other
groups invents mixes no engineer made: held out on the 8 real songs (genre told) that cost 3.56 / 3.35 dB
(one / six regions) against 3.10 / 3.08 dB without them; the other groups learn from their real songs and
the practice-balanced Cambridge-MT rows."""
SECTIONS = ("intro", "verse", "chorus")
GROUP_GENRE = {"rock_punk_metal": "rock", "alt_rock_blues": "alt_rock", "pop_singer_songwriter": "pop",
               "acoustic_jazz_country": "acoustic"}
MLR_INPUTS = ("rms_db", "centroid_hz")
"""The MLR baselines keep the MLR paper's inputs (RMS level and spectral centroid per type, + presence); this also
keeps models/ under 2.5 MB."""

REAL_SONGS = REAL_EXCERPTS

N_SESSION_REGAINS = 8
"""Feature-level re-gains (±12 dB) of each row of the CC0 producer sessions."""

HELD_OUT_TRIALS = 4
"""Random re-gains per song in the held-out real-song evaluation written into models/README.md."""


def _read(path: Path) -> tuple[np.ndarray, int]:
    from automix.audio.io import read_audio
    return read_audio(path)


def augment(samples: list[SectionSample], rng: np.random.Generator, n: int) -> list[SectionSample]:
    """``n`` copies of each song's rows with every type re-gained at random (±12 dB); targets unchanged."""
    out = []
    lvl = [j for j, f in enumerate(REGION_FEATURE_NAMES) if f in ("loudness_lufs", "rms_db") or f.startswith("band_db")]
    for _ in range(n):
        g = rng.uniform(-12.0, 12.0, len(TRACK_TYPE_IDS))
        for s in samples:
            f = s.type_features.copy()
            f[:, lvl] += g[:, None]
            out.append(replace(s, type_features=f, alpha=s.alpha * 10.0 ** (-g / 20.0)))
    return out


def real_song_samples(shared: Path, rng: np.random.Generator) -> dict[str, list[SectionSample]]:
    """Rows of each real excerpt (estimated truth) + :data:`N_AUGMENT` re-recorded copies, by song folder name."""
    out = {}
    for folder, genre, mix_name, stems in REAL_SONGS:
        d = shared / folder
        if not d.is_dir():
            continue
        mix, sr = _read(d / mix_name)
        audio = [_read(d / f)[0] for f, _ in stems]
        names = [n for _, n in stems]
        types = [classify_track(n).type_id for n in names]
        source = f"../shared/audio/{folder}"
        rows = samples_from_stems(song_id=folder, genre=genre, source=source, names=names,
                                  track_types=types, stems=audio, mix=mix, sample_rate=sr)
        n = min([a.shape[0] for a in audio] + [mix.shape[0]])
        audio = [a[:n] for a in audio]
        spans = [("(whole song)", 0.0, n / sr)]
        gains, pans, eqs = estimated_stem_truth(names, audio, mix[:n], sr, spans)
        truth = StemTruth(gains, pans, eqs)
        copies = augmented_copies(audio, sr, spans, rng, N_AUGMENT, max_regain_db=12.0)
        out[folder] = rows + [s for c in copies for s in copy_samples(
            c, truth, song_id=folder, genre=genre, source=source + " (re-recorded)",
            sections=[("(whole song)", "other")], track_types=types)]
    return out


def session_samples(shared: Path, rng: np.random.Generator) -> dict[str, list[SectionSample]]:
    """Rows of the CC0 producer sessions (stems at unity = the producer's mix), by folder name.

    Whole song (section ``other``) and six equal parts (intro/verse/chorus/verse/chorus/outro), each
    with :data:`N_SESSION_REGAINS` re-gained copies (automix/training/real_eval.py ``song_samples``).
    """
    out: dict[str, list[SectionSample]] = {}
    if not shared.is_dir():
        return out
    for song in discover_real_songs(shared):
        if song.reference == "unity" and not song.name.startswith("musdb7s-"):
            out[song.name] = song_samples(song_data(song, LAYOUTS), rng, N_SESSION_REGAINS)
    return out


def practice_samples(shared: Path, rng: np.random.Generator) -> list[SectionSample]:
    """Cambridge raw tracks balanced at the published practice levels of each genre group."""
    d = shared / "cambridge-actions-south-of-the-water-raw"
    if not d.is_dir():
        return []
    files = sorted(d.glob("*.wav"))
    audio = [_read(f)[0] for f in files]
    sr = _read(files[0])[1]
    n = min(len(a) for a in audio)
    spans = [("Intro", 0.0, 0.25 * n / sr), ("Verse", 0.25 * n / sr, 0.6 * n / sr), ("Chorus", 0.6 * n / sr, n / sr)]
    feats = song_features([a[:n] for a in audio], sr, spans)
    types = [classify_track(f.stem).type_id for f in files]
    rms = feats[:, :, REGION_FEATURE_NAMES.index("rms_db")]
    playing = playing_matrix(rms)
    out = []
    for grp in GENRE_GROUPS:
        genre = GROUP_GENRE[grp.id]
        for k, (name, _a, _b) in enumerate(spans):
            present = sorted({types[i] for i in range(len(files)) if playing[i, k]}, key=types.index)
            rel = practice_relative_levels(present, genre)
            gains = np.full(len(files), np.nan)
            for t, r in zip(present, rel):
                m = [i for i in range(len(files)) if types[i] == t and playing[i, k]]
                gains[m] = spread_type_loudness(-20.0 + r, rms[m, k])
            s = section_sample(song_id=f"cambridge-practice-{grp.id}", genre=genre, section=name.lower(),
                               region=name, source="cambridge raw tracks + mixing_practice", track_types=types,
                               features=feats[:, k], gain_db=gains, pan=np.zeros(len(files)),
                               eq_db=np.zeros((len(files), 5)), playing=playing[:, k])
            if s is not None:
                out.append(s)
    return out + augment(out, rng, 3)


STEM_OF_TYPE = {"kick": "Drums", "snare": "Drums", "hihat": "Drums", "tom": "Drums", "overhead": "Drums",
                "bass": "Bass", "electric_guitar": "Other", "acoustic_guitar": "Other", "lead_vox": "Vocals",
                "back_vox": "Vocals"}
"""How synthesised parts are bounced to MUSDB-style stems (drums, bass, other, vocals)."""


def synth_samples(rng: np.random.Generator) -> list[SectionSample]:
    """Synthesised songs at their intended balance (:data:`SYNTH_POLICY_GROUP` only), + re-recorded copies.

    Each song is used as its separate parts and bounced to four
    wet stems (:data:`STEM_OF_TYPE`, each at 0 dB in the mix) like the MUSDB
    stems; both also as :data:`N_SYNTH_EQ_COPIES` re-recordings (random
    level, noise floor, spectral deviations undone by the EQ target).
    """
    from automix.demo.synth import synthesize_song

    out = []
    for seed, duration_s in SYNTH_SONGS:
        song = synthesize_song(seed, duration_s, SYNTH_RATE)
        spans = [(s.name, s.start_s, s.end_s) for s in song.sections]
        sections = [(s.name, s.kind) for s in song.sections]
        parts_audio = [p.audio for p in song.parts]
        feats = song_features(parts_audio, SYNTH_RATE, spans)
        playing = playing_matrix(feats[:, :, REGION_FEATURE_NAMES.index("rms_db")])
        types = [p.track_type for p in song.parts]
        active = np.array([p.active for p in song.parts])  # (parts, sections)
        pans = np.array([p.pan for p in song.parts])
        copies = augmented_copies(parts_audio, SYNTH_RATE, spans, rng, N_SYNTH_EQ_COPIES, max_regain_db=15.0,
                                  noise_dbfs=NOISE_FLOOR_DBFS)
        group = SYNTH_POLICY_GROUP
        gains = np.array([list(p.balance_db) for p in song.parts])
        song_id, genre = f"synth-{seed}-{group}", GROUP_GENRE[group]
        src = f"automix.demo.synth seed {seed}, {duration_s:g} s"
        for k, sec in enumerate(song.sections):
            s = section_sample(song_id=song_id, genre=genre, section=sec.kind,
                               region=sec.name, source=src, track_types=types,
                               features=feats[:, k], gain_db=gains[:, k], pan=pans,
                               eq_db=np.zeros((len(types), 5)), playing=playing[:, k] & active[:, k])
            if s is not None:
                out.append(s)
        truth = StemTruth(gains.T, np.tile(pans, (len(spans), 1)), np.zeros((len(spans), len(types), 5)))
        for c in copies:
            out += copy_samples(c, truth, song_id=song_id, genre=genre, source=src + " (re-recorded)",
                                sections=sections, track_types=types, active=active)
        _stems, stem_rows = _bounced(song, gains, active, spans, group, seed)
        # bounced stems: clean + N_STEM_REGAINS feature-level re-gains only, so that these synthetic
        # 4-stem rows do not outweigh the real excerpts' (the only other 4-stem material)
        out += stem_rows + augment(stem_rows, rng, N_STEM_REGAINS)
    return out


STEM_NAMES = ("Drums", "Bass", "Other", "Vocals")


def _bounced(song, gains: np.ndarray, active: np.ndarray, spans, group: str,
             seed: int) -> tuple[list[np.ndarray], list[SectionSample]]:
    """The song's parts summed at their balance into MUSDB-style stems: (stem audio, training rows)."""
    sr = song.sample_rate
    names = STEM_NAMES
    stems = {n: np.zeros(song.n_samples) for n in names}
    for i, part in enumerate(song.parts):
        env = np.zeros(song.n_samples)
        for k, sec in enumerate(song.sections):
            if active[i, k]:
                env[int(round(sec.start_s * sr)):int(round(sec.end_s * sr))] = 10.0 ** (gains[i, k] / 20.0)
        mono = part.audio if part.audio.ndim == 1 else part.audio.mean(axis=1)
        stems[STEM_OF_TYPE[part.track_type]] += env * mono
    audio = [stems[n] for n in names]
    feats = song_features(audio, sr, spans)
    playing = playing_matrix(feats[:, :, REGION_FEATURE_NAMES.index("rms_db")])
    types = [classify_track(n).type_id for n in names]
    out = []
    for k, sec in enumerate(song.sections):
        s = section_sample(song_id=f"synth-stems-{seed}-{group}", genre=GROUP_GENRE[group], section=sec.kind,
                           region=sec.name, source=f"automix.demo.synth seed {seed}, bounced to 4 stems",
                           track_types=types, features=feats[:, k], gain_db=np.zeros(4), pan=np.zeros(4),
                           eq_db=np.zeros((4, 5)), playing=playing[:, k])
        if s is not None:
            out.append(s)
    return audio, out


def for_sections(rows: list[SectionSample]) -> list[SectionSample]:
    """Unlabelled rows (``other``) copied into every section."""
    out = []
    for s in rows:
        out += [replace(s, section=sec) for sec in SECTIONS] if s.section == "other" else [s]
    return out


def buckets() -> list[tuple[str, str]]:
    keys = [(g.id, s) for g in GENRE_GROUPS for s in (*SECTIONS, "all")]
    return keys + [("all", "all")]


def train_all(samples: list[SectionSample], out: Path, *, evaluate: bool, description: str,
              ridge: float = 1.0, sections: bool = True, baselines: bool = True) -> None:
    """KDE models (group × section if ``sections``, group × all, all × all) and the MLR baselines.

    Leave-one-song-out figures (``evaluate``) for the group × section models only: the group × all and
    all × all models hold the union of those rows, and their folds would triple the recipe's time.
    """
    kde = dict(alpha=ridge, exclude_features=SMALL_MODEL_EXCLUDED_FEATURES, description=description, min_songs=1)
    if sections:
        train_models(samples, out, "kde", N_COMPONENTS, buckets=[(g.id, s) for g in GENRE_GROUPS for s in SECTIONS],
                     evaluate=evaluate, **kde)
    train_models(samples, out, "kde", N_COMPONENTS, buckets=[(g.id, "all") for g in GENRE_GROUPS],
                 evaluate=False, **kde)
    train_models(samples, out, "kde", N_COMPONENTS, buckets=[("all", "all")], evaluate=False, **kde)
    if not baselines:
        return
    train_models(samples, out / "baselines" / "mlr", "mlr", buckets=[(g.id, "all") for g in GENRE_GROUPS] +
                 [("all", "all")], exclude_features=[f for f in MODEL_FEATURE_NAMES if f not in MLR_INPUTS],
                 evaluate=False, description=description, min_songs=1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "audio")
    ap.add_argument("--out", type=Path, default=ROOT / "models")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ridge", type=float, default=RIDGE, help="KDE ridge penalty (default %(default)s)")
    ap.add_argument("--extra-real", type=Path, action="append", default=[], metavar="DIR",
                    help="another folder of real songs with their authors' mixes (e.g. the LMMS demo songs "
                         "rendered by recipes/render_lmms_stems.py): the track balance, the roles and the genre "
                         "profiles learn from them and they are scored; the genre x section models do not "
                         "(see 2c above)")
    ap.add_argument("--corpus", type=Path, metavar="DIR",
                    help="also build (or reuse) the 40-project generated corpus in DIR and put its "
                         "leave-one-out figures into models/README.md (DIR must be outside the repository)")
    ap.add_argument("--quick", action="store_true",
                    help="no leave-one-out figures and no held-out test (for trying recipe changes fast)")
    args = ap.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)
    t0 = time.time()
    rng = np.random.default_rng(args.seed)
    real = real_song_samples(args.shared, rng)
    n_excerpts = len(real)
    real.update(session_samples(args.shared, rng))  # the type models: ../shared only (2c)
    prior = practice_samples(args.shared, rng) + synth_samples(rng)
    samples = for_sections([s for rows in real.values() for s in rows]) + prior
    n_songs = len({s.song_id for s in samples})
    songs_of = {d: discover_real_songs(d) for d in (args.shared, *args.extra_real) if d.is_dir()}
    real_songs = [s for songs in songs_of.values() for s in songs]
    n_extra = sum(len(songs) for d, songs in songs_of.items() if d != args.shared)
    description = (f"automix shipped models (recipes/build_shipped_models.py, seed {args.seed}): "
                   f"{n_excerpts} real excerpts with estimated ground truth + {N_AUGMENT} re-recordings each "
                   f"(re-gain, spectral deviation), {len(real) - n_excerpts} CC0 producer sessions "
                   f"(whole song and 6 parts, + {N_SESSION_REGAINS} re-gains each), "
                   f"Cambridge-MT raw tracks at published practice levels, "
                   f"{N_SYNTH_SONGS} synthesised songs ({SYNTH_POLICY_GROUP}) + {N_SYNTH_EQ_COPIES} re-recordings each; "
                   f"{n_songs} song ids, {len(samples)} rows"
                   + (f"; the track balance, roles and genre profiles also from {n_extra} more real songs "
                      f"(--extra-real {', '.join(d.name for d in args.extra_real)})" if n_extra else ""))
    if args.out.exists():
        shutil.rmtree(args.out / "baselines", ignore_errors=True)
        shutil.rmtree(args.out / "roles", ignore_errors=True)
        shutil.rmtree(args.out / "genres", ignore_errors=True)
        shutil.rmtree(args.out / "balance", ignore_errors=True)
        for p in list(args.out.glob("*.json")) + list(args.out.glob("*.npz")):
            p.unlink()
    train_all(samples, args.out, evaluate=not args.quick, description=description, ridge=args.ridge)
    song_datas = [song_data(s, LAYOUTS) for s in real_songs]
    roles = role_model_of(song_datas)
    save_role_model(roles, args.out)
    save_profiles(genre_profiles_of(song_datas), args.out)
    balance = track_balance_of(song_datas)
    save_track_balance(balance, args.out)
    print(f"role model: beta {roles.beta:.3f} dB/dB from {roles.n_pairs} entries of {roles.n_songs} songs; "
          f"leave-one-song-out {roles.loso_mae_db:.2f} dB vs equal shares {roles.equal_mae_db:.2f} dB")
    print(f"trained in {time.time() - t0:.1f} s: {len(list(args.out.glob('*.json')))} KDE models")
    if args.quick:
        return 0
    # held-out: every real song mixed by models trained without it (automix evaluate --real)
    def fold_bank(held_out: str, folder: Path) -> ModelBank:
        rows = for_sections([s for name, r in real.items() if name != held_out for s in r]) + prior
        train_all(rows, folder, evaluate=False, description="held-out fold", ridge=args.ridge, baselines=False)
        save_role_model(role_model_of(song_datas, held_out), folder)
        save_profiles(genre_profiles_of(song_datas, held_out), folder)
        save_track_balance(track_balance_of(song_datas, held_out), folder)
        return ModelBank([folder])

    results = evaluate_real(real_songs, n_trials=HELD_OUT_TRIALS, seed=args.seed,
                            genres=("song", None), bank_builder=fold_bank, progress=print)
    print(scores_markdown(results))
    level_weights = group_level_weights(results, {s.name: s.genre for s in real_songs})
    weighted = set_group_level_weights(args.out, level_weights)
    weights_md = ("Decided on the held-out songs above (automix/training/level_weights.py; a group needs "
                  "3 real songs): " + (", ".join(f"{g} {w:g}" for g, w in sorted(level_weights.items())) or "none")
                  + f" — the `real_song_level_weight` figure of {len(weighted)} model files, a factor on their "
                  "type levels' weight (0: the levels come from the track balance, as when no genre is named; "
                  "the told-genre rows above were mixed with the weights decided on the other songs).")
    print(weights_md)
    eq_md = eq_check(args.out)
    corpus_md = corpus_check(args.corpus, args.shared) if args.corpus else ""
    roles_md = (f"`roles/roles.json` (automix/models/roles.py): a track of a type with several tracks sits "
                f"{roles.beta:.2f} dB above its type mates per dB of prominence (ungated RMS minus gated "
                f"loudness: how continuously and how full it plays), fitted on {roles.n_pairs} track × region "
                f"entries of {roles.n_songs} real songs (ridge toward equal shares). Leave-one-song-out within-type "
                f"level error {roles.loso_mae_db:.2f} dB, equal shares {roles.equal_mae_db:.2f} dB.")
    slopes = ", ".join(f"{c:.3f} dB per unit of {n}" for n, c in zip(DESCRIPTOR_NAMES, balance.coef))
    balance_md = (f"`balance/track_balance.json` (automix/models/track_balance.py; also built alone by "
                  f"recipes/build_track_balance.py): each playing stem's loudness relative to the mean of the "
                  f"playing stems, {slopes} (centred over the region's playing stems), ridge {balance.ridge:g} "
                  f"chosen by leave-one-song-out, fitted on {balance.n_regions} regions of {balance.n_songs} real "
                  f"songs. Leave-one-song-out balance error {balance.loso_error_db:.2f} dB, equal loudness "
                  f"{balance.equal_error_db:.2f} dB.")
    write_readme(args.out, description, results, args.seed, corpus_md, eq_md, roles_md, balance_md, weights_md)
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"models/ total {size / 1e6:.2f} MB; {time.time() - t0:.1f} s")
    return 0


EQ_CASES = (
    (("Lead Vocal", (0.0, 0.0, 0.0, 0.0, 6.0)),),
    (("Acoustic Guitar", (0.0, 0.0, 0.0, 0.0, -6.0)), ("Bass", (0.0, 6.0, 0.0, 0.0, 0.0)),
     ("Snare", (-3.0, -1.5, 0.0, 1.5, 3.0))),
)
"""Known-truth EQ checks: (track, deviation dB per band) re-recorded into a demo song of seed 3, 16 s
(case 1 is tests/test_shipped_eq.py)."""


def eq_check(models: Path) -> str:
    """Mix demo songs with known spectral deviations with ``models``; markdown table of the planned EQ."""
    import soundfile as sf

    from automix.demo.project import write_demo
    from automix.jobs.mix import MixOptions, run_mix_job
    from automix.training.augment import apply_band_gains

    lines = ["| case | track | deviation dB (low … high) | ideal correction | planned EQ, mean over its regions |",
             "|---|---|---|---|---|"]
    untouched = []
    for n, case in enumerate(EQ_CASES, 1):
        with tempfile.TemporaryDirectory(prefix="automix-eqcheck-") as tmp:
            files = write_demo(Path(tmp), 3, 16.0)
            for name, dev in case:
                path = next(p for p in files.media_paths if p.stem.endswith(name.lower().replace(" ", "-")))
                x, sr = sf.read(path)
                sf.write(path, apply_band_gains(x, sr, dev), sr, subtype="FLOAT")
            plan = run_mix_job(files.project_path, MixOptions(models_dir=models, dry_run=True)).plan
        deviated = dict(case)
        for track in plan.regions[0].tracks:
            playing = [r for r in plan.regions if any(e.name == track.name for e in files.truth.regions[
                [x.name for x in files.truth.regions].index(r.name)].tracks if e.active)]
            eq = np.array([[b.gain_db for b in next(t for t in r.tracks if t.name == track.name).eq]
                           for r in playing])
            if track.name in deviated:
                fmt = lambda v: ", ".join(f"{x:+.1f}" for x in v)  # noqa: E731
                lines.append(f"| {n} | {track.name} | {fmt(deviated[track.name])} | "
                             f"{fmt(-np.array(deviated[track.name]))} | {fmt(eq.mean(axis=0))} |")
            else:
                untouched.append(np.abs(eq).ravel())
    u = np.concatenate(untouched)
    text = "\n".join(lines) + (f"\n\nUntouched tracks (every band, every region where they play): |EQ| median "
                              f"{np.median(u):.2f} dB, 95th percentile {np.percentile(u, 95):.2f} dB, "
                              f"max {u.max():.2f} dB.")
    print(text)
    return text


def corpus_check(folder: Path, shared: Path) -> str:
    """Leave-one-out tables of the generated corpus (the method check), as markdown."""
    from automix.training.corpus import build_corpus
    from automix.training.evaluation import evaluate_samples, report_markdown
    from automix.training.project_truth import samples_from_project

    projects = sorted(folder.glob("*.rpp"))
    if len(projects) < 40:
        projects = [p.path for p in build_corpus(folder, n_projects=40, shared_audio=shared)]
    samples = [s for p in projects[:40] for s in samples_from_project(p)]
    rep = evaluate_samples(samples)
    text = report_markdown(rep).replace("# Leave-one-song-out evaluation", "")
    print(text)
    return text.replace("\n## ", "\n### ")


def write_readme(out: Path, description: str, results, seed: int, corpus_md: str = "", eq_md: str = "",
                 roles_md: str = "", balance_md: str = "", weights_md: str = "") -> None:
    import json

    lines = ["# Shipped models", "", "Produced by `python3 recipes/build_shipped_models.py` "
             f"(seed {seed}, deterministic). Do not edit by hand.", "", "## What they were trained on", "",
             description + ".", "",
             "* Real mixes: the MUSDB18 7-second previews *Music Delta – 80s Rock* (genre Rock, from its "
             "metadata) and *The Easton Ellises – Falcon 69* (labelled alt rock by us; MUSDB gives no genre), "
             "and the MedleyDB excerpt *Phoenix – Scotch Morris* (World/Folk). Ground truth: the estimation "
             f"engine against the real mix. Each also re-recorded {N_AUGMENT} times (automix/training/augment.py, on the "
             "audio): every stem re-gained by ±12 dB and, with probability 1/2, given a random spectral "
             "deviation of up to ±6 dB per band (one band, a tilt, or every band); targets = the estimated "
             "settings minus the re-gain and minus the deviation. No section labels: used for every section "
             "of their group.",
             "* Published mixing practice (automix/knowledge/practice.py, sources stated there): the 18 "
             "Cambridge-MT raw tracks of *Actions – South Of The Water* balanced at the practice levels of "
             "each genre group (3 parts of the excerpt named Intro/Verse/Chorus), EQ target 0, 3 random "
             "re-gains (feature level).",
             f"* {N_SYNTH_SONGS} synthesised songs (automix/demo/synth.py; seeds and lengths "
             + ", ".join(f"{sd} ({d:g} s)" for sd, d in SYNTH_SONGS) + f", {SYNTH_RATE} Hz — never the demo's "
             "seed 0) at their intended section balance. The synthesiser's balance is taken as the "
             f"{SYNTH_POLICY_GROUP} engineer's policy, so they train that group (and the all-genre model) only: "
             "shifted into the other groups by the practice offsets they taught mixes no engineer made, and held "
             "out on the real songs they cost 0.5 dB (one region) and 0.3 dB (six regions). Each song is used as "
             "separate parts (clean rows and "
             f"{N_SYNTH_EQ_COPIES} re-recordings: level "
             f"±15 dB, white noise floor at {NOISE_FLOOR_DBFS:g} dBFS, spectral deviations as above, EQ target = "
             "the deviation's undo; these are where the EQ is learnt: EQ = f(spectral shape)) and bounced to four "
             f"MUSDB-style stems (drums, bass, other, vocals; clean rows + {N_STEM_REGAINS} re-gains).",
             f"* MLR baselines (models/baselines/mlr): inputs {', '.join(MLR_INPUTS)} and presence per type, as "
             "in the MLR paper (its spectral slope left out).",
             f"* KDE with m = {N_COMPONENTS} (all outputs: the tracks' EQ deviations are independent, so fewer "
             f"components would drop tracks), ridge {RIDGE:g}; inputs per type: centroid_hz, the 5 "
             "shape_db_* (band level minus the track's RMS, automix/models/inputs.py) and presence — no "
             "recording level (rms_db, loudness, band levels), so a track recorded louder or quieter never moves "
             "the others. At inference the planner clips EQ to ±6 dB (automix.plan.planner.MAX_EQ_DB).",
             "", "This is a small prior, not a model of a real collection: retrain on Cambridge-MT or "
             "MedleyDB for real figures (recipes/retrain_full_collections.md), or learn from your own "
             "mixes (`automix learn`).", "", "## Models", "",
             "Leave-one-song-out level error of the group × section models (– : not computed; the group × all "
             "and all × all models hold the union of their rows).", "",
             "| model | songs | rows | LOOCV level MAE dB | median abs dB |", "|---|---|---|---|---|"]
    for p in sorted(out.glob("*.json")):
        doc = json.loads(p.read_text())
        ev = doc["evaluation"]
        fig = lambda key: f"{ev[key]:.2f}" if key in ev else "–"  # noqa: E731
        lines.append(f"| {p.stem} | {doc['training']['n_songs']} | {doc['training']['n_samples']} | "
                     f"{fig('loocv_level_mae_db')} | {fig('loocv_level_median_abs_db')} |")
    lines += ["", "## Held-out balance on real songs (these models, as shipped)", "",
              "Every real song of ../shared/audio with a reference mix, mixed by the planner with models "
              "retrained by this recipe *without that song* (leave-one-song-out: its other real songs plus the "
              "synthesised and practice-balanced rows above, as the shipped models are), its stems re-gained at random "
              f"(±12 dB, {HELD_OUT_TRIALS} trials), as one region and as six equal regions (intro, verse, chorus, "
              "verse, chorus, outro). Balance error: per region, each playing stem's gated loudness as heard (gain "
              "plus its corrective EQ's loudness change) relative to "
              "the mean of the playing stems, mean absolute difference from the reference mix (dB). Jumps: "
              "adjacent regions where a playing stem's gain moves ≥ 3 dB more than the median stem's while "
              "the reference's faders do not. Figures from models trained on the song itself are never shown. "
              "`automix evaluate --real` scores the same songs with folds retrained on the other real songs "
              "alone (no synthesised or practice rows): those figures are in the top-level README.",
              "", scores_markdown(results)]
    if balance_md:
        lines += ["", "## Track balance", "", balance_md]
    if weights_md:
        lines += ["", "## Type-level weight per genre group", "", weights_md]
    if roles_md:
        lines += ["", "## Roles within a type", "", roles_md]
    lines += ["", "## Corrective EQ target shapes", "",
              "`eq/type_spectra.json` (not rebuilt by this recipe: `recipes/build_eq_targets.py`): per track type × "
              "band, the mean and spread of the band level relative to the stem's total over the real mixed stems "
              "of ../shared/audio (the CC0 producer sessions, MUSDB and MedleyDB stems), with published practice as "
              "the prior; checked leave-one-song-out by `benchmarks/bench_corrective_eq.py`. Details and figures "
              "in `eq/README.md`."]
    if eq_md:
        lines += ["", "## EQ: known-truth check", "",
                  "A demo song of another seed (3, 16 s, never trained on) with tracks re-recorded through a known "
                  "spectral deviation, mixed with these models (`recipes/build_shipped_models.py` `eq_check`; "
                  "case 1 is `tests/test_shipped_eq.py`, which asserts a high-band cut ≥ 3 dB on average over the "
                  "lead's regions, ≥ 1 dB in each, and untouched tracks within ±2 dB in 95 % of their values, "
                  "±4 dB everywhere). The models undo part of a deviation, not all of it (ridge shrinkage, and "
                  "natural differences between songs look like deviations too): treat the EQ as a conservative "
                  "suggestion.", "", eq_md]
    if corpus_md:
        lines += ["", "## Method check: the generated corpus", "",
                  "40 finished projects generated by `automix/training/corpus.py` (real raw tracks from ../shared/audio "
                  "and synthesised songs, mixed by a known policy that depends on genre, section and the other "
                  "tracks), read back by `automix learn`'s reader, leave-one-song-out per genre group × section "
                  "(KDE alpha = 1, the `automix train` default):", "", corpus_md]
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
