"""A monotonic map between the decibels REAPER shows and the numbers automix writes, found by asking.

:class:`ValueMap` holds samples (wanted dB, value REAPER reads as it) of one
kind of value and interpolates between them in the kind's headless
:class:`Formula` dB domain (a map equal to the formula is reproduced
exactly). The solvers find one sample: secant steps from a seed in the
formula's dB domain (:func:`solve`), else bracketing and bisection on the
monotonic map, stopping when REAPER reads the value within :data:`STOP_DB`
of the wanted dB; :func:`refine` adds samples where interpolation is off by
more at a midpoint. A reader that is not increasing, or a dB no value
reaches, is a :class:`CalibrationError`.

A *reader* is ``value -> dB as REAPER formats it`` (it raises on text that is
not decibels). Standard library only: this runs inside REAPER.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from automix.project.reaeq import gain_envelope_db, gain_envelope_value
from automix.reaper.readback import ValueMismatchError, amplitude_db

STOP_DB = 0.05
"""A value is found when REAPER reads it within this many dB of the wanted dB."""

GRID_STEP_DB = 3.0
"""Spacing of the calibration grid, dB."""

MAX_STEPS = 80
"""Largest number of bracketing or bisection steps for one wanted dB."""

SECANT_STEPS = 6
SECANT_STEP_DB = 24.0
"""Secant steps tried before bracketing, and the largest step, in the formula's dB."""

_SILENCE_VALUE = 0.0

class CalibrationError(ValueMismatchError):
    """REAPER's formatting of a value cannot be calibrated (not decibels, not monotonic, out of reach)."""


@dataclass(frozen=True)
class Formula:
    """Headless mode's mapping for one kind of value: ``value(dB)`` and its inverse ``db(value)``."""

    value: Callable[[float], float]
    db: Callable[[float], float]


VOLUME_FORMULA = Formula(lambda db: 10.0 ** (db / 20.0), amplitude_db)
REAEQ_GAIN_FORMULA = Formula(gain_envelope_value, gain_envelope_db)


class ValueMap:
    """How one REAPER reads one kind of value: samples (dB, value), interpolated in the formula's dB domain.

    Args:
        formula: the kind's headless formula.
        samples: (wanted dB, value REAPER reads as it), any order, finite dB and positive values.
        is_formula: True when every sample is the formula's own value (the map *is* the formula).
    """

    def __init__(self, formula: Formula, samples: list[tuple[float, float]], is_formula: bool) -> None:
        self.formula = formula
        self.samples = sorted(samples)
        self.is_formula = is_formula

    def value_for(self, db: float) -> float:
        """The value REAPER reads as ``db`` (0 for ``-inf``)."""
        if math.isinf(db) and db < 0:
            return _SILENCE_VALUE
        if self.is_formula:
            return self.formula.value(db)
        (d0, v0), (d1, v1) = self._segment(db)
        s0, s1 = self.formula.db(v0), self.formula.db(v1)
        s = s0 + (db - d0) if d1 == d0 else s0 + (db - d0) * (s1 - s0) / (d1 - d0)
        return self.formula.value(s)

    def keeps(self, value: float, db: float) -> bool:
        """True when the formula's ``value`` for ``db`` already reads within :data:`STOP_DB` of it."""
        if self.is_formula or (math.isinf(db) and value == _SILENCE_VALUE):
            return True
        if not math.isfinite(db):
            return False
        return abs(self.formula.db(self.value_for(db)) - self.formula.db(value)) <= STOP_DB

    def _segment(self, db: float) -> tuple[tuple[float, float], tuple[float, float]]:
        samples = self.samples
        if len(samples) == 1:
            return samples[0], samples[0]
        for k in range(1, len(samples) - 1):
            if db < samples[k][0]:
                return samples[k - 1], samples[k]
        return samples[-2], samples[-1]


def close(a: float, b: float, tolerance: float) -> bool:
    """``|a - b| <= tolerance`` (plus 1e-9 for the decimal rounding of REAPER's text; infinities only equal)."""
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tolerance + 1e-9


def grid(lo: float, hi: float) -> list[float]:
    """``lo`` … ``hi`` every :data:`GRID_STEP_DB` (both ends included, at least one point)."""
    count = max(1, math.ceil((hi - lo) / GRID_STEP_DB))
    return sorted({lo + (hi - lo) * k / count for k in range(count + 1)})


def _secant(read: Callable[[float], float], formula: Formula, db: float, seed: float) -> float | None:
    """A value ``read`` gives within :data:`STOP_DB` of ``db`` by secant steps in the formula's dB domain
    (a few calls when REAPER's map is smooth there), or None: then :func:`solve` brackets and bisects."""
    if not seed > 0:
        return None
    s0, r0 = formula.db(seed), read(seed)
    if close(r0, db, STOP_DB):
        return seed
    s1 = s0 + max(-SECANT_STEP_DB, min(SECANT_STEP_DB, db - r0))
    for _ in range(SECANT_STEPS):
        r1 = read(formula.value(s1))
        if close(r1, db, STOP_DB):
            return formula.value(s1)
        slope = (r1 - r0) / (s1 - s0) if s1 != s0 else math.nan
        if not (math.isfinite(slope) and slope > 0):
            return None
        s0, r0, s1 = s1, r1, s1 + max(-SECANT_STEP_DB, min(SECANT_STEP_DB, (db - r1) / slope))
    return None


def solve(read: Callable[[float], float], db: float, seed: float, what: str, source: str,
           formula: Formula | None = None) -> float:
    """The value ``read`` gives within :data:`STOP_DB` of ``db``: secant steps from ``seed`` (with
    ``formula``), else bracket from ``seed``, then bisect (refusing a map that is not increasing)."""
    if formula is not None:
        found = _secant(read, formula, db, seed)
        if found is not None:
            return found
    lo, hi = (seed, seed) if seed > 0 else (0.0, 1.0)
    r_lo = r_hi = read(seed) if seed > 0 else read(lo)
    steps = 0
    while r_hi < db - STOP_DB:  # too quiet: grow the upper end
        lo, r_lo = hi, r_hi
        hi = hi * 2.0 if hi > 0 else 1.0
        r_hi = _monotone(read, lo, r_lo, hi, what, source)
        steps += 1
        if steps > MAX_STEPS:
            raise CalibrationError(f"{what}: no value up to {hi:.6g} is formatted as {db:+.2f} dB or more by REAPER "
                                   f"({source}); automix refuses to write it")
    while r_lo > db + STOP_DB:  # too loud: shrink the lower end
        hi, r_hi = lo, r_lo
        lo = lo / 2.0
        r_lo = read(lo)
        if r_lo > r_hi + STOP_DB:
            _not_monotone(what, source, lo, r_lo, hi, r_hi)
        steps += 1
        if steps > MAX_STEPS:
            raise CalibrationError(f"{what}: no value down to {lo:.3g} is formatted as {db:+.2f} dB or less by "
                                   f"REAPER ({source}); automix refuses to write it")
    if close(r_lo, db, STOP_DB):
        return lo
    if close(r_hi, db, STOP_DB):
        return hi
    for _ in range(MAX_STEPS):
        mid = math.sqrt(lo * hi) if lo > 0 else (lo + hi) / 2.0
        r_mid = read(mid)
        if r_mid < r_lo - STOP_DB or r_mid > r_hi + STOP_DB:
            _not_monotone(what, source, lo, r_lo, mid, r_mid)
        if close(r_mid, db, STOP_DB):
            return mid
        if r_mid < db:
            lo, r_lo = mid, r_mid
        else:
            hi, r_hi = mid, r_mid
    raise CalibrationError(f"{what}: REAPER formats no value between {lo:.6g} and {hi:.6g} within {STOP_DB} dB of "
                           f"{db:+.2f} dB ({source}); automix refuses to write it")


def _monotone(read: Callable[[float], float], lo: float, r_lo: float, hi: float, what: str, source: str) -> float:
    r_hi = read(hi)
    if r_hi < r_lo - STOP_DB:
        _not_monotone(what, source, lo, r_lo, hi, r_hi)
    return r_hi


def _not_monotone(what: str, source: str, a: float, r_a: float, b: float, r_b: float) -> None:
    (a, r_a), (b, r_b) = sorted([(a, r_a), (b, r_b)])
    raise CalibrationError(f"{what}: REAPER's formatting is not monotonic ({source}): value {a:.6g} reads "
                           f"{r_a:+.2f} dB but the larger value {b:.6g} reads {r_b:+.2f} dB; automix cannot "
                           f"calibrate it and refuses to write it (please report it with REAPER's version)")


def check_increasing(samples: list[tuple[float, float]], what: str, source: str) -> None:
    for (d0, v0), (d1, v1) in zip(samples, samples[1:]):
        if not v1 > v0:
            raise CalibrationError(f"{what}: REAPER's formatting is not monotonic ({source}): {d0:+.2f} dB needs the "
                                   f"value {v0:.6g} but {d1:+.2f} dB needs {v1:.6g}; automix cannot calibrate it "
                                   f"and refuses to write it (please report it with REAPER's version)")


def refine(vmap: ValueMap, read: Callable[[float], float], what: str, source: str, depth: int = 4) -> ValueMap:
    """Add samples where interpolation between two samples is off by more than :data:`STOP_DB` at the middle."""
    for _ in range(depth):
        added = []
        for (d0, _v0), (d1, _v1) in zip(vmap.samples, vmap.samples[1:]):
            mid = (d0 + d1) / 2.0
            guess = vmap.value_for(mid)
            if not close(read(guess), mid, STOP_DB):
                added.append((mid, solve(read, mid, guess, what, source, vmap.formula)))
        if not added:
            return vmap
        vmap = ValueMap(vmap.formula, vmap.samples + added, False)
        check_increasing(vmap.samples, what, source)
    return vmap


__all__ = ["ValueMap", "Formula", "CalibrationError", "VOLUME_FORMULA", "REAEQ_GAIN_FORMULA", "STOP_DB",
           "GRID_STEP_DB", "solve", "refine", "grid", "check_increasing", "close"]
