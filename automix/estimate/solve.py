"""The solve of :mod:`automix.estimate.finished_mix` (non-negative least squares per region) and its result records.

:class:`CrossEnergies` holds what the streaming pass accumulates per region,
sub-band and channel (Gram matrices ``Σ stem_k·stem_j`` and cross vectors
``Σ stem_k·mix``); :func:`solve_region` turns one region's sums into a
:class:`RegionEstimate` of :class:`TrackEstimate` records (gain, pan, EQ and
confidence flags, by non-negative least squares); :func:`smoothed_gains`
gives the EMA-smoothed frame-wise gains of the MLR paper. :class:`Estimate`
is the whole result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from automix.audio.bands import BAND_NAMES, N_BANDS
from automix.audio.panlaw import gain_pan_from_channel_gains
from automix.errors import EstimationError
from automix.estimate.alignment import Alignment
from automix.features.region import RegionSpan

MIN_ACTIVE_FRACTION = 0.1
"""A track active in less of its region's frames than this is flagged (not confident)."""
COLLINEAR_CORRELATION = 0.995
"""Two stems correlated at least this much are flagged: only their sum is determined."""
ABSENT_SHARE = 1e-6
"""A track whose fitted contribution is below this share (−60 dB) of the mix energy is flagged."""
WEAK_BAND_RATIO = 1e-4
"""EQ is not reported for a band holding less than this share (−40 dB) of the stem's strongest band."""


def _db(amp: float) -> float:
    return 20.0 * math.log10(amp) if amp > 0 else -math.inf


@dataclass(frozen=True)
class TrackEstimate:
    """One track in one region.

    ``gain_db``/``pan``/``eq_db`` are None when not estimable (silent track);
    ``confident`` is False with ``reasons`` whenever gain/pan should not be trusted.
    An ``eq_db`` entry is NaN when the stem has too little energy in that band
    (< −40 dB of its strongest band) and −inf when the band is absent from the
    mix; ``eq_reasons`` says which.
    """

    track: str
    gain_db: float | None
    pan: float | None
    eq_db: tuple[float, ...] | None
    active_fraction: float
    confident: bool
    reasons: tuple[str, ...] = ()
    eq_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegionEstimate:
    """Estimates of every track in one region, plus the fit's residual (dB below the mix)."""

    region: str
    start_s: float
    end_s: float
    tracks: tuple[TrackEstimate, ...]
    residual_db: float


@dataclass(frozen=True)
class Estimate:
    """The whole result; ``frame_gain_db`` ``(n_windows, n_tracks)`` only with smoothing."""

    sample_rate: int
    regions: tuple[RegionEstimate, ...]
    alignments: tuple[Alignment, ...]
    warnings: tuple[str, ...]
    frame_times_s: np.ndarray | None = None
    frame_gain_db: np.ndarray | None = None

    def to_json(self) -> dict:
        """JSON-ready dict (region × track: gain_db, pan, eq_db[5], confidence)."""
        return {
            "sample_rate": self.sample_rate,
            "warnings": list(self.warnings),
            "alignments": [{"track": a.track, "offset_samples": a.offset_samples, "polarity": a.polarity,
                            "correlation": round(a.correlation, 4)} for a in self.alignments
                           if a.changes_signal],
            "regions": [{
                "region": r.region, "start_s": r.start_s, "end_s": r.end_s,
                "residual_db": _round(r.residual_db),
                "tracks": [{"track": t.track, "gain_db": _round(t.gain_db), "pan": _round(t.pan, 3),
                            "eq_db": None if t.eq_db is None else [_round(v) for v in t.eq_db],
                            "active_fraction": round(t.active_fraction, 3),
                            "confident": t.confident, "reasons": list(t.reasons),
                            "eq_reasons": list(t.eq_reasons)} for t in r.tracks],
            } for r in self.regions],
        }


def _round(v: float | None, nd: int = 2) -> float | None:
    if v is None or not math.isfinite(v):
        return None
    return round(float(v), nd)


def _solve_nnls(gram: np.ndarray, cross: np.ndarray) -> np.ndarray:
    """argmin_{x≥0} xᵀGx − 2xᵀc for symmetric PSD G (K×K) and c (K,)."""
    k = gram.shape[0]
    x = np.zeros(k)
    use = np.diag(gram) > 0
    if not use.any():
        return x
    g = gram[np.ix_(use, use)]
    g = g + np.eye(g.shape[0]) * (1e-9 * np.trace(g) / g.shape[0] + 1e-30)
    lower = np.linalg.cholesky(g)
    rhs = np.linalg.solve(lower, cross[use])
    x[use] = nnls(lower.T, rhs, maxiter=50 * k)[0]
    return x


class CrossEnergies:
    """Per-region, per-band, per-channel Gram matrices and cross vectors (filled by the streaming pass).

    Shapes: ``gram`` ``(regions, 5, 2, K, K)``, ``cross`` ``(regions, 5, 2, K)``, ``mix_energy``
    ``(regions,)``, ``active``/``frames`` frame counts; ``frame_gram``/``frame_cross`` per-frame
    broadband sums (only with smoothing).
    """

    def __init__(self, n_regions: int, k: int) -> None:
        self.gram = np.zeros((n_regions, N_BANDS, 2, k, k))
        self.cross = np.zeros((n_regions, N_BANDS, 2, k))
        self.mix_energy = np.zeros(n_regions)
        self.active = np.zeros((n_regions, k))
        self.frames = np.zeros(n_regions)
        self.frame_gram: list[np.ndarray] = []   # (F, 2, K, K) broadband, for smoothing
        self.frame_cross: list[np.ndarray] = []  # (F, 2, K)


def solve_region(acc: CrossEnergies, r: int, reg: RegionSpan, names: list[str],
                 mix_channels: int) -> RegionEstimate:
    """Gain, pan and EQ of every track (``names``, the K stems) in region ``r`` (``reg``) from ``acc``."""
    k = len(names)
    n_frames = acc.frames[r]
    gram_bb = acc.gram[r].sum(axis=0)  # (2, K, K)
    cross_bb = acc.cross[r].sum(axis=0)
    coef = np.stack([_solve_nnls(gram_bb[c], cross_bb[c]) for c in range(2)])  # (2, K)
    band_coef = np.stack([[_solve_nnls(acc.gram[r, b, c], acc.cross[r, b, c]) for c in range(2)]
                          for b in range(N_BANDS)])  # (5, 2, K)
    # residual energy of the broadband fit relative to the mix energy in the region
    resid = sum(float(cross_bb[c] @ coef[c]) for c in range(2))
    mix_e = float(acc.mix_energy[r])
    fit = mix_e - resid
    residual_db = 10 * math.log10(max(fit, 1e-30) / mix_e) if mix_e > 0 else -math.inf
    g_sum = gram_bb.sum(axis=0)
    diag = np.diag(g_sum)
    out = []
    for i, name in enumerate(names):
        frac = float(acc.active[r, i] / n_frames) if n_frames else 0.0
        reasons: list[str] = []
        if diag[i] <= 0 or frac == 0.0:
            out.append(TrackEstimate(name, None, None, None, frac, False, ("silent in region",)))
            continue
        if frac < MIN_ACTIVE_FRACTION:
            reasons.append(f"active in only {100 * frac:.0f}% of the region")
        for j in range(k):
            if j != i and diag[j] > 0:
                corr = g_sum[i, j] / math.sqrt(diag[i] * diag[j])
                if abs(corr) >= COLLINEAR_CORRELATION:
                    reasons.append(f"collinear with {names[j]!r} (correlation {corr:.4f}): only their sum is determined")
        g, pan = gain_pan_from_channel_gains(coef[0, i], coef[1, i])
        contribution = sum(coef[c, i] ** 2 * gram_bb[c, i, i] for c in range(2))
        if g > 0.0 and mix_e > 0 and contribution < ABSENT_SHARE * mix_e:
            reasons.append(f"contributes {10 * math.log10(contribution / mix_e):.0f} dB of the mix energy: "
                           "probably not in the mix")
        if g == 0.0:
            reasons.append("not found in the mix (gain at the non-negativity bound)")
            out.append(TrackEstimate(name, -math.inf, None, None, frac, False, tuple(reasons)))
            continue
        band_energy = np.array([acc.gram[r, b, 0, i, i] + acc.gram[r, b, 1, i, i] for b in range(N_BANDS)])
        eq, weak, missing = [], [], []
        for b in range(N_BANDS):
            gb, _ = gain_pan_from_channel_gains(band_coef[b, 0, i], band_coef[b, 1, i])
            if band_energy[b] < WEAK_BAND_RATIO * band_energy.max():
                eq.append(math.nan)
                weak.append(BAND_NAMES[b])
            elif gb <= 0:
                eq.append(-math.inf)
                missing.append(BAND_NAMES[b])
            else:
                eq.append(_db(gb) - _db(g))
        eq_reasons = []
        if weak:
            eq_reasons.append(f"band(s) {', '.join(weak)}: too little energy in the stem to measure")
        if missing:
            eq_reasons.append(f"band(s) {', '.join(missing)}: not found in the mix")
        if mix_channels == 1:
            pan = 0.0
            reasons.append("mono mix: pan not measurable")
        out.append(TrackEstimate(name, _db(g), pan, tuple(eq), frac, not reasons, tuple(reasons),
                                 tuple(eq_reasons)))
    return RegionEstimate(reg.name, reg.start_s, reg.end_s, tuple(out), residual_db)


def smoothed_gains(acc: CrossEnergies, frame_s: float, window_s: float, alpha: float
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Gains (dB) solved on consecutive ``window_s`` windows, EMA-smoothed with ``alpha``."""
    if not 0.0 <= alpha < 1.0:
        raise EstimationError(f"smoothing coefficient must be in [0, 1), got {alpha}")
    gram = np.concatenate(acc.frame_gram) if acc.frame_gram else np.zeros((0, 2, 0, 0))
    cross = np.concatenate(acc.frame_cross) if acc.frame_cross else np.zeros((0, 2, 0))
    per = max(int(round(window_s / frame_s)), 1)
    n_win = gram.shape[0] // per
    k = gram.shape[2] if gram.ndim == 4 else 0
    gains = np.full((n_win, k), -np.inf)
    state = None
    for w in range(n_win):
        g = gram[w * per:(w + 1) * per].sum(axis=0)
        c = cross[w * per:(w + 1) * per].sum(axis=0)
        a = np.stack([_solve_nnls(g[ch], c[ch]) for ch in range(2)])
        amp = np.sqrt((a[0] ** 2 + a[1] ** 2) / 2.0)
        state = amp if state is None else alpha * state + (1.0 - alpha) * amp
        with np.errstate(divide="ignore"):
            gains[w] = 20.0 * np.log10(state)
    return np.arange(n_win) * per * frame_s, gains
