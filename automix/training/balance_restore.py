"""Restoring a real balance: the shipped-model check on real excerpts.

A real mix's stems are re-gained at random; the models predict each stem's
level from the re-gained features and :func:`restore_balance` scores how far
the predicted balance is from the engineer's (mean absolute per-stem level
error, dB, one common offset removed), next to the equal-loudness baseline
(every stem at the same level). :data:`REAL_EXCERPTS` lists the real excerpts
of ``../shared/audio`` it runs on; :func:`excerpt_reference` reads one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from automix.errors import AutomixError
from automix.features.region import REGION_FEATURE_NAMES
from automix.knowledge.targets import normalize_relative_loudness, power_sum_db
from automix.models.inputs import RECORDING_LEVEL_FEATURES
from automix.training.samples import LEVEL_FEATURE


def shift_levels(features: np.ndarray, gain_db: np.ndarray) -> np.ndarray:
    """Features (n, F) of stems scaled by ``gain_db`` (n,): the recording-level features
    (:data:`~automix.models.inputs.RECORDING_LEVEL_FEATURES`) shift by it, the rest stay."""
    out = np.array(features, dtype=float)
    for j, name in enumerate(REGION_FEATURE_NAMES):
        if name in RECORDING_LEVEL_FEATURES:
            out[:, j] = out[:, j] + np.asarray(gain_db, dtype=float)
    return out


def model_input(feature_names: Sequence[str], track_types: Sequence[str], merged: np.ndarray,
                present: np.ndarray) -> np.ndarray:
    """A model's input row (len(feature_names),) from merged per-type features (T, F) and presence (T,)."""
    from automix.models.inputs import MODEL_FEATURE_NAMES, with_shape_features

    model_feats = with_shape_features(merged)
    x = np.zeros(len(feature_names))
    for j, name in enumerate(feature_names):
        t, _, feat = name.partition(":")
        k = list(track_types).index(t)
        if feat == "present":
            x[j] = float(present[k])
        else:
            v = model_feats[k, MODEL_FEATURE_NAMES.index(feat)]
            x[j] = float(v) if present[k] and np.isfinite(v) else 0.0
    return x


def predicted_levels_db(bank, genre: str, section: str, features: np.ndarray,
                        track_types: Sequence[str]) -> np.ndarray:
    """Each stem's level relative to the mix (dB, (n,)) as the bank's model sets it.

    The type's predicted level is split equally (in power) over its stems,
    as the planner does; α models are converted with the stems' own levels.
    """
    from automix.knowledge.track_types import merge_type_features

    loaded = bank.load(bank.find(genre, section))
    model = loaded.model
    merged, present = merge_type_features(features, REGION_FEATURE_NAMES, list(track_types), model.track_types)
    pred = model.predict(model_input(loaded.info.feature_names, model.track_types, merged, present), present,
                         eq=False)
    level = np.asarray(pred.level, dtype=float)
    lvl_col = REGION_FEATURE_NAMES.index(LEVEL_FEATURE)
    if pred.target_kind == "alpha":
        type_raw = np.array([merged[model.track_types.index(t), lvl_col] for t in pred.track_types])
        mix = power_sum_db(features[:, lvl_col])
        level = 20.0 * np.log10(np.maximum(np.abs(level), 1e-6)) + type_raw - mix
    level = normalize_relative_loudness(level)
    out = np.full(len(track_types), np.nan)
    for t, lv in zip(pred.track_types, level):
        members = [i for i, tt in enumerate(track_types) if tt == t]
        out[members] = lv - 10.0 * np.log10(len(members))
    return out


def balance_error_db(levels_db: np.ndarray, reference_db: np.ndarray) -> float:
    """Mean |per-stem level error| (dB) after removing the common offset (only the balance counts)."""
    d = np.asarray(levels_db, dtype=float) - np.asarray(reference_db, dtype=float)
    ok = np.isfinite(d)
    return float(np.mean(np.abs(d[ok] - d[ok].mean())))


@dataclass(frozen=True)
class RestoreResult:
    """Mean absolute per-stem level error (dB) over the random re-gains, per method.

    ``n_scored`` stems had a type the model knows (the others: ``untrained_stems``).
    """

    song: str
    n_trials: int
    model_db: float
    equal_loudness_db: float
    baseline_db: float | None
    untrained_stems: tuple[str, ...] = ()
    n_scored: int = 0


def restore_balance(song: str, reference_features: np.ndarray, track_types: Sequence[str], genre: str, bank,
                    *, baseline_bank=None, n_trials: int = 20, max_gain_db: float = 12.0, seed: int = 0,
                    section: str = "other") -> RestoreResult:
    """Re-gain the stems at random (± ``max_gain_db``), predict the balance back, measure the error.

    Args:
        reference_features: (n, F) features of the stems as they sit in the reference mix.
        track_types: type of each stem.
        bank: the :class:`~automix.models.bank.ModelBank` to test (``baseline_bank``: e.g. MLR models).

    The equal-loudness baseline puts every stem at the same level (it does
    not depend on the re-gain). Stems whose type no model knows are left out
    of every method's error.
    """
    ref = reference_features[:, REGION_FEATURE_NAMES.index(LEVEL_FEATURE)]
    rng = np.random.default_rng(seed)
    model_err, base_err = [], []
    untrained: set[str] = set()
    for _ in range(n_trials):
        g = rng.uniform(-max_gain_db, max_gain_db, len(ref))
        feats = shift_levels(reference_features, g)
        pred = predicted_levels_db(bank, genre, section, feats, track_types)
        known = np.isfinite(pred)
        untrained |= {t for t, k in zip(track_types, known) if not k}
        model_err.append(balance_error_db(pred[known], ref[known]))
        if baseline_bank is not None:
            b = predicted_levels_db(baseline_bank, genre, section, feats, track_types)
            base_err.append(balance_error_db(b[known], ref[known]))
    known = np.isfinite(predicted_levels_db(bank, genre, section, reference_features, track_types))
    equal = balance_error_db(np.zeros(int(known.sum())), ref[known])
    return RestoreResult(song, n_trials, float(np.mean(model_err)), equal,
                         float(np.mean(base_err)) if base_err else None, tuple(sorted(untrained)), int(known.sum()))


REAL_EXCERPTS: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...] = (
    # folder in ../shared/audio, genre (the data set's, or automix's label), mix file, stems (file, track name)
    ("musdb7s-music-delta-80s-rock", "rock", "mixture.wav",
     (("drums.wav", "Drums"), ("bass.wav", "Bass"), ("other.wav", "Other"), ("vocals.wav", "Vocals"))),
    ("musdb7s-the-easton-ellises-falcon-69", "alt_rock", "mixture.wav",
     (("drums.wav", "Drums"), ("bass.wav", "Bass"), ("other.wav", "Other"), ("vocals.wav", "Vocals"))),
    ("medleydb-phoenix-scotchmorris-excerpt", "world_folk", "Mix.wav",
     (("Stems/Stem1.wav", "Acoustic Guitar"), ("Stems/Stem2.wav", "Flute"), ("Stems/Stem3.wav", "Violin"),
      ("Stems/Stem4.wav", "Main System"))),
)
"""The real excerpts with stems and a mix in ``../shared/audio`` (MUSDB18 previews, MedleyDB)."""


def excerpt_reference(shared_audio: str | Path, folder: str) -> tuple[np.ndarray, tuple[str, ...], str]:
    """Features (n, F) of an excerpt's stems as they sit in its real mix, their types and the genre.

    The stems' gains in the mix come from the estimation engine (MUSDB stems
    are already at their mix level: ≈ 0 dB); features are over the whole excerpt.
    """
    from automix.audio.io import read_audio
    from automix.estimate.finished_mix import estimate_from_arrays
    from automix.features.region import RegionSpan
    from automix.knowledge.track_types import classify_track
    from automix.training.dataset import song_features

    entry = next((e for e in REAL_EXCERPTS if e[0] == folder), None)
    if entry is None:
        raise AutomixError(f"unknown excerpt {folder!r} (known: {', '.join(e[0] for e in REAL_EXCERPTS)})")
    _, genre, mix_name, stems = entry
    d = Path(shared_audio) / folder
    mix, sr = read_audio(d / mix_name)
    audio = [read_audio(d / f)[0] for f, _ in stems]
    n = min([len(a) for a in audio] + [len(mix)])
    audio = [a[:n] for a in audio]
    est = estimate_from_arrays([(nm, a) for (_, nm), a in zip(stems, audio)], mix[:n], sr,
                               [RegionSpan("(whole song)", 0.0, n / sr)])
    gains = np.array([t.gain_db if t.gain_db is not None else 0.0 for t in est.regions[0].tracks])
    feats = song_features(audio, sr, [("(whole song)", 0.0, n / sr)])[:, 0]
    return shift_levels(feats, gains), tuple(classify_track(nm).type_id for _, nm in stems), genre
