"""Type levels blended by evidence (automix.plan.type_levels): known weights and levels on the stem-mean scale."""

from __future__ import annotations

import numpy as np
import pytest

from automix.models.files import ModelInfo, TrainingInfo
from automix.models.mix_model import MixModel
from automix.plan.type_levels import (
    EVIDENCE_PRIOR_SONGS,
    MODEL_LEVEL_WEIGHT,
    TypeSettings,
    blend_type_levels,
    model_evidence_songs,
    model_level_weights,
)


def _settings(levels: dict[str, float], evidence: list[float] | None = None) -> TypeSettings:
    types = tuple(levels)
    return TypeSettings(types, np.array([levels[t] for t in types]), np.zeros(len(types)),
                        None if evidence is None else np.array(evidence, dtype=float))


def test_weight_grows_with_the_songs_a_type_was_seen_in():
    s = _settings({"kick": 0.0, "snare": 0.0, "fx": 0.0, "synth": 0.0, "bass": 0.0},
                  [np.inf, 0.0, EVIDENCE_PRIOR_SONGS, 9 * EVIDENCE_PRIOR_SONGS, 0.25 * EVIDENCE_PRIOR_SONGS])
    w = model_level_weights(s)
    assert w == pytest.approx([MODEL_LEVEL_WEIGHT, 0.0, MODEL_LEVEL_WEIGHT / 2, 0.9 * MODEL_LEVEL_WEIGHT,
                               0.2 * MODEL_LEVEL_WEIGHT], abs=1e-12)
    assert model_level_weights(_settings({"kick": 0.0})) == pytest.approx([MODEL_LEVEL_WEIGHT])  # no evidence given


def test_evidence_is_the_rows_with_the_type_in_songs():
    model = MixModel(("kick", "fx", "bass"))
    model.type_counts_ = np.array([120.0, 6.0, 0.0])
    info = ModelInfo("rock", "all", "kde", "relative_loudness_db", model.track_types, (),
                     training=TrainingInfo("test", n_songs=10, n_samples=120))
    # 120 rows of 10 songs: 12 rows a song; kick in every row = 10 songs, fx in 6 rows = half a song
    assert model_evidence_songs(info, model, ["fx", "kick", "bass", "synth"]) == pytest.approx([0.5, 10.0, 0.0, 0.0])
    unknown = ModelInfo("rock", "all", "kde", "relative_loudness_db", model.track_types, ())
    assert np.all(np.isinf(model_evidence_songs(unknown, model, ["kick", "fx"])))  # an old file: full trust


def test_a_type_at_equal_loudness_sits_at_the_stem_mean_of_the_trusted_types():
    # the model puts the kick 6 dB over the per-stem mean and the fx 6 dB under it; the fx's level is not
    # trusted (weight 0): it lands at the mean stem level, 6 dB under the kick, whatever the power sums
    rel = blend_type_levels(_settings({"kick": 0.0, "fx": -12.0}), ["kick", "fx"], np.array([True, True]),
                            np.array([1.0, 0.0]))
    assert rel[0] - rel[1] == pytest.approx(6.0, abs=1e-9)
    assert 10 * np.log10(np.sum(10 ** (rel / 10))) == pytest.approx(0.0, abs=1e-9)


def test_equal_weights_keep_the_models_differences_scaled_and_types_of_several_tracks_their_count():
    types = ["kick", "vox", "vox", "vox", "bass"]
    playing = np.array([True, True, True, False, True])
    s = _settings({"kick": -3.0, "vox": 0.0, "bass": -9.0})
    for w in (0.0, 0.4, 1.0):
        rel = blend_type_levels(s, types, playing, np.full(3, w))
        per_stem = rel - 10 * np.log10([1, 2, 1])  # the vox type has two playing tracks
        model_per_stem = s.level_db - 10 * np.log10([1, 2, 1])
        assert per_stem - per_stem.mean() == pytest.approx(w * (model_per_stem - model_per_stem.mean()), abs=1e-9)
    rel = blend_type_levels(s, types, np.array([True, False, False, False, True]), np.full(3, 0.5))
    assert np.isnan(rel[1]) and np.all(np.isfinite(rel[[0, 2]]))  # a type with no playing track has no level
