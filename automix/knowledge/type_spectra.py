"""Target spectral shape of each track type: mean and spread of its band levels in real mixes.

A track's *spectral shape* is its energy per sub-band of :mod:`automix.audio.bands`
relative to its total energy, in dB (:func:`band_shape_db`): the recording level
cancels out. :class:`TypeSpectra` holds, per track type × band, the mean shape
of the type's stems in finished mixes (``mean_db``, shape (n_types, 5)), their
spread (``spread_db``, standard deviation, same shape) and how many stems the
figures rest on (``n_examples``, (n_types,)).

They are learned (:func:`fit_type_spectra`) from the mixed stems of real
songs, with :data:`PRACTICE_SHAPES_DB` as the prior: the prior counts as
:data:`PRIOR_EXAMPLES` stems at :data:`PRIOR_SPREAD_DB` spread, so a type with
few real stems stays near the prior and keeps a wide spread (the corrective
EQ then corrects it little). The learned table is stored as JSON
(:func:`write_type_spectra` / :func:`read_type_spectra`) with its provenance.

Prior sources (figures restated, combined into band shapes by automix, key ``A``
as in :mod:`automix.knowledge.practice`): the usual instrument frequency charts
of mixing handbooks (B. Owsinski, *The Mixing Engineer's Handbook*; the EQ
charts of Sound On Sound and iZotope): kick fundamental 50–100 Hz with beater
click at 2–5 kHz; snare body 150–250 Hz, crack 1–5 kHz; hi-hats and cymbals
mostly above 5 kHz with little below 300 Hz; toms 80–300 Hz; bass 40–250 Hz
with its string/pluck at 700 Hz–2 kHz; electric guitar 100 Hz–5 kHz (body
around 250 Hz, bite 2–4 kHz); acoustic guitar 80 Hz–10 kHz; voice fundamentals
100–1000 Hz, presence 2–5 kHz, air above 10 kHz; piano 27 Hz–4 kHz fundamentals;
violin 200 Hz–3.5 kHz; flute and brass 250 Hz–2 kHz fundamentals.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from automix.audio.bands import BAND_EDGES_HZ, BAND_NAMES, N_BANDS
from automix.errors import ModelError
from automix.knowledge.track_types import TRACK_TYPE_IDS
from automix.util.atomic import write_text_atomic

FORMAT = "automix-type-spectra"
VERSION = 1

SHAPE_FLOOR_DB = -90.0
"""Band shares below this (dB re the track's total) are taken as this: an empty band stays finite."""

PRIOR_EXAMPLES = 2.0
"""How many real stems the published-practice prior of a type counts as."""

PRIOR_SPREAD_DB = 6.0
"""Spread (dB, standard deviation per band) the prior assumes."""

PRACTICE_SHAPES_DB: Mapping[str, tuple[float, float, float, float, float]] = {
    # band level re the track's total, dB: <120 Hz, 120–500, 500–2k, 2k–6k, >6 kHz (key A, see above)
    "kick": (-1.0, -8.0, -16.0, -22.0, -30.0),
    "snare": (-14.0, -4.0, -5.0, -10.0, -16.0),
    "hihat": (-35.0, -28.0, -18.0, -7.0, -1.5),
    "tom": (-6.0, -2.0, -12.0, -20.0, -28.0),
    "drum_room": (-8.0, -4.0, -7.0, -12.0, -18.0),
    "overhead": (-12.0, -8.0, -9.0, -8.0, -5.0),
    "percussion": (-25.0, -15.0, -8.0, -4.0, -4.0),
    "bass": (-2.0, -5.0, -15.0, -25.0, -35.0),
    "electric_guitar": (-20.0, -5.0, -3.0, -10.0, -22.0),
    "acoustic_guitar": (-18.0, -5.0, -4.0, -9.0, -15.0),
    "lead_vox": (-25.0, -4.0, -3.0, -10.0, -17.0),
    "back_vox": (-25.0, -5.0, -3.0, -9.0, -16.0),
    "drum_kit": (-4.0, -5.0, -9.0, -12.0, -16.0),
    "keys": (-12.0, -3.0, -5.0, -14.0, -24.0),
    "synth": (-8.0, -4.0, -6.0, -13.0, -22.0),
    "strings": (-18.0, -4.0, -3.0, -11.0, -20.0),
    "brass_winds": (-24.0, -6.0, -2.0, -9.0, -19.0),
    "fx": (-12.0, -6.0, -5.0, -9.0, -14.0),
    "other": (-10.0, -5.0, -5.0, -10.0, -16.0),
}
"""Published-practice prior shape of every track type (normalised to a total of 0 dB when used)."""


def band_shape_db(band_energy: np.ndarray) -> np.ndarray:
    """Spectral shape: band energies ``(..., 5)`` (mean squares, any scale) → dB re their sum, same shape.

    Bands are floored at :data:`SHAPE_FLOOR_DB`; an all-zero row gives the
    floor everywhere.
    """
    e = np.maximum(np.asarray(band_energy, dtype=np.float64), 0.0)
    if e.shape[-1] != N_BANDS:
        raise ModelError(f"need {N_BANDS} band energies per row, got shape {e.shape}")
    total = e.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(total > 0, e / np.where(total > 0, total, 1.0), 0.0)
        return np.maximum(10.0 * np.log10(np.maximum(rel, 1e-300)), SHAPE_FLOOR_DB)


def practice_shape_db(type_id: str) -> np.ndarray:
    """The prior shape (5,) of a type, normalised so its band energies sum to the total."""
    if type_id not in PRACTICE_SHAPES_DB:
        raise ModelError(f"no practice spectral shape for track type {type_id!r}")
    return band_shape_db(10.0 ** (np.asarray(PRACTICE_SHAPES_DB[type_id]) / 10.0))


@dataclass(frozen=True)
class TypeSpectra:
    """Target shape per type × band (see the module docstring).

    Attributes:
        type_ids: the types, in row order.
        mean_db: (n_types, 5) mean band level re the total, dB.
        spread_db: (n_types, 5) standard deviation of it, dB (> 0).
        n_examples: (n_types,) real stems behind each row (0 = prior only).
        provenance: where the figures come from (free text fields, stored in the file).
    """

    type_ids: tuple[str, ...]
    mean_db: np.ndarray
    spread_db: np.ndarray
    n_examples: np.ndarray
    provenance: Mapping[str, object] = field(default_factory=dict)

    def row(self, type_id: str) -> int:
        """Row of ``type_id``; an unknown type falls back to ``other``."""
        if type_id in self.type_ids:
            return self.type_ids.index(type_id)
        if "other" in self.type_ids:
            return self.type_ids.index("other")
        raise ModelError(f"type spectra have no row for {type_id!r} and no 'other' row")


def practice_spectra() -> TypeSpectra:
    """The prior alone: practice shapes, :data:`PRIOR_SPREAD_DB` everywhere, no examples."""
    types = tuple(t for t in TRACK_TYPE_IDS if t in PRACTICE_SHAPES_DB)
    mean = np.stack([practice_shape_db(t) for t in types])
    return TypeSpectra(types, mean, np.full(mean.shape, PRIOR_SPREAD_DB), np.zeros(len(types)),
                       {"source": "published mixing practice only"})


def fit_type_spectra(shapes_db: np.ndarray, type_ids: Sequence[str], *,
                     provenance: Mapping[str, object] | None = None) -> TypeSpectra:
    """Learn the table from stems' shapes ``(n, 5)`` (dB re total) of types ``type_ids`` (n,).

    Per type and band, with ``m`` stems of mean ``x̄`` and sum of squared
    deviations ``S``, prior shape ``p`` (:func:`practice_shape_db`), ``n0 =``
    :data:`PRIOR_EXAMPLES` and ``s0 =`` :data:`PRIOR_SPREAD_DB`:
    mean ``= (n0·p + m·x̄) / (n0 + m)``, spread ``= sqrt((n0·s0² + S + n0·m/(n0+m)·(x̄−p)²) / (n0 + m))``
    (a normal prior on mean and variance). Types without stems get the prior.
    """
    x = np.asarray(shapes_db, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != N_BANDS or x.shape[0] != len(type_ids):
        raise ModelError(f"need shapes (n, {N_BANDS}) for {len(type_ids)} stems, got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ModelError("stem shapes must be finite (dB re total, floored)")
    prior = practice_spectra()
    mean, spread, count = prior.mean_db.copy(), prior.spread_db.copy(), prior.n_examples.copy()
    labels = np.asarray(type_ids)
    for r, t in enumerate(prior.type_ids):
        rows = x[labels == t]
        m = rows.shape[0]
        if not m:
            continue
        n0, p = PRIOR_EXAMPLES, prior.mean_db[r]
        xbar = rows.mean(axis=0)
        ss = ((rows - xbar) ** 2).sum(axis=0)
        mean[r] = (n0 * p + m * xbar) / (n0 + m)
        spread[r] = np.sqrt((n0 * PRIOR_SPREAD_DB ** 2 + ss + n0 * m / (n0 + m) * (xbar - p) ** 2) / (n0 + m))
        count[r] = m
    unknown = sorted(set(type_ids) - set(prior.type_ids))
    if unknown:
        raise ModelError(f"unknown track types in the stems: {', '.join(unknown)}")
    return TypeSpectra(prior.type_ids, mean, spread, count, dict(provenance or {}))


def write_type_spectra(spectra: TypeSpectra, path: str | Path) -> Path:
    """Write the table as JSON (atomically); returns the path."""
    doc = {
        "format": FORMAT, "version": VERSION,
        "bands": list(BAND_NAMES),
        "band_edges_hz": [e if math.isfinite(e) else "nyquist" for e in BAND_EDGES_HZ],
        "provenance": dict(spectra.provenance),
        "types": {t: {"mean_db": [round(float(v), 2) for v in spectra.mean_db[i]],
                      "spread_db": [round(float(v), 2) for v in spectra.spread_db[i]],
                      "n_examples": int(spectra.n_examples[i])}
                  for i, t in enumerate(spectra.type_ids)},
    }
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(p, json.dumps(doc, indent=1) + "\n")
    return p


def read_type_spectra(path: str | Path) -> TypeSpectra:
    """Read a table written by :func:`write_type_spectra`.

    Raises:
        ModelError: missing or malformed file (names the file and the bad value).
    """
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError("type spectra file not found", file=p) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"unreadable type spectra: {exc}", file=p) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
        got = (doc.get("format"), doc.get("version")) if isinstance(doc, dict) else type(doc).__name__
        raise ModelError(f"not a {FORMAT} v{VERSION} file: {got!r}", file=p)
    if doc.get("bands") != list(BAND_NAMES):
        raise ModelError(f"bands {doc.get('bands')!r} differ from automix's {list(BAND_NAMES)!r}", file=p)
    types, mean, spread, count = [], [], [], []
    for t, row in (doc.get("types") or {}).items():
        try:
            mu = [float(v) for v in row["mean_db"]]
            sd = [float(v) for v in row["spread_db"]]
            n = int(row["n_examples"])
        except (KeyError, TypeError, ValueError):
            raise ModelError(f"type {t!r}: needs mean_db, spread_db (5 numbers each) and n_examples, "
                             f"got {row!r}", file=p) from None
        if len(mu) != N_BANDS or len(sd) != N_BANDS or not all(map(math.isfinite, mu + sd)) \
                or min(sd) <= 0 or n < 0:
            raise ModelError(f"type {t!r}: bad figures mean_db={mu!r} spread_db={sd!r} n_examples={n!r}", file=p)
        types.append(t)
        mean.append(mu)
        spread.append(sd)
        count.append(n)
    if "other" not in types:
        raise ModelError("type spectra need an 'other' row (the fallback of unknown types)", file=p)
    return TypeSpectra(tuple(types), np.array(mean), np.array(spread), np.array(count, dtype=float),
                       doc.get("provenance") or {})
