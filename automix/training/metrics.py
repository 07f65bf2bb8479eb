"""How far predicted levels are from the truth, in dB as a mixer hears them (and in the papers' α)."""

from __future__ import annotations

import numpy as np

from automix.features.region import REGION_FEATURE_NAMES
from automix.knowledge.targets import power_sum_db
from automix.knowledge.track_types import TRACK_TYPE_IDS
from automix.training.samples import LEVEL_FEATURE


def level_errors_db(ts, pred_level: np.ndarray, target_kind: str, *, with_alpha: bool = False):
    """Errors of predicted levels, dB, flattened over the predicted present entries (row-major).

    A NaN prediction marks a type the model could not predict (no training
    song had it; the planner then falls back to published practice): it is
    left out. The predicted levels of a section are shifted so their power
    sum equals that of the true levels of the same types (only the balance
    counts; with every type predicted this is the planner's normalisation).

    Args:
        ts: the :class:`automix.training.fit.TrainingSet` predicted.
        pred_level: (n, T) predictions in ``target_kind`` units.
        with_alpha: also return (α error, mask of the scored entries).
    """
    present = ts.targets.present
    idx = [TRACK_TYPE_IDS.index(t) for t in ts.track_types]
    lvl = REGION_FEATURE_NAMES.index(LEVEL_FEATURE)
    raw = np.nan_to_num(np.stack([s.type_features[idx, lvl] for s in ts.samples]))  # merged raw level per type
    mix = np.array([s.mix_level_db for s in ts.samples])
    true_rel = np.stack([s.level_rel_db for s in ts.samples])[:, idx]
    true_alpha = np.stack([s.alpha for s in ts.samples])[:, idx]
    p = np.asarray(pred_level, dtype=float)
    if target_kind == "alpha":
        rel = 20.0 * np.log10(np.maximum(np.abs(p), 1e-6)) + raw - mix[:, None]
    else:
        rel = p.copy()
    known = present & np.isfinite(rel)
    rel = np.where(known, rel, np.nan)
    for i in range(rel.shape[0]):  # only differences count: match the power sum of the true levels
        if known[i].any():
            rel[i] += power_sum_db(true_rel[i, known[i]]) - power_sum_db(rel[i, known[i]])
    err = (rel - true_rel)[known]
    if not with_alpha:
        return err
    pred_alpha = 10.0 ** ((rel + mix[:, None] - raw) / 20.0)
    return err, (pred_alpha - true_alpha)[known], known
