"""Finding, inside REAPER, the numbers REAPER itself reads as the decibels automix wants.

Headless mode writes volume and ReaEQ gains by formula (amplitude for
``VOLENV2`` points; :func:`automix.project.reaeq.gain_envelope_value` for
ReaEQ band-gain envelope points and parameter values). In live mode a
:class:`Calibrator` asks the running REAPER how it formats candidate values
and keeps, per run, one :class:`ValueMap` per kind of value:

* ``volume``: a ``VOLENV2`` point value v (chunk domain) reads as
  ``Envelope_FormatValue(env, api(v))`` where ``api`` is
  ``ScaleToEnvelopeMode(GetEnvelopeScalingMode(env), ·)`` when the chunk holds
  amplitudes (REAPER-written files) or the identity when it holds the API's
  raw values — which one this REAPER does is read once per run from the first
  volume point written (``GetEnvelopePoint``);
* ``reaeq_gain``: a ReaEQ band-gain parameter value v (also what its envelope
  points hold) reads as ``TrackFX_FormatParamValue(track, fx, param, v)``.

A map is measured (:mod:`automix.reaper.value_map`) on a grid every 3 dB over
the range the whole run needs (all tracks at once: the calls do not grow with
the number of tracks): at each grid point the formula's value is formatted;
when REAPER reads it within 0.05 dB the formula holds there (one call), else
the value is found by secant steps or bracketing and bisection on the
monotonic map, seeded by the formula, stopping within 0.05 dB; then midpoints
are checked and solved where interpolation is off by more. Between samples,
values are interpolated in the formula's dB domain, so a map equal to the
formula is reproduced exactly and headless and live chunks stay byte-identical.
ReaEQ band gains without an envelope live in the plug-in's state; one REAPER
misreads is set through ``TrackFX_SetParam`` with the calibrated value.

Refused (:class:`CalibrationError`, naming track, FX and parameter): text
that is not decibels, a map that is not increasing, a dB no value reaches.
Text that is empty (REAPER formats nothing) leaves that kind *unconfirmed*:
the formula's values are kept, as headless mode writes them, and the caller
says so in the console.

Standard library only (plus automix's stdlib-only ReaEQ formula): this runs
inside REAPER's embedded Python.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from automix.reaper.adapter import ReaperApi
from automix.reaper.readback import VOLUME_ENVELOPE_NAME, ValueCheck, ValueMismatchError, parse_db
from automix.reaper.value_map import (
    REAEQ_GAIN_FORMULA,
    STOP_DB,
    VOLUME_FORMULA,
    CalibrationError,
    Formula,
    ValueMap,
    check_increasing,
    close,
    grid,
    refine,
    solve,
)

FORMAT_BUFFER_BYTES = 256
"""Buffer size passed for a formatted value, bytes."""

CALIBRATION_API = ("GetTrackEnvelopeByName", "GetEnvelopeScalingMode", "ScaleToEnvelopeMode", "GetEnvelopePoint",
                   "Envelope_FormatValue", "TrackFX_FormatParamValue", "TrackFX_GetFormattedParamValue",
                   "TrackFX_SetParam")
"""The ReaScript functions calibration calls."""


class Calibrator:
    """Per-run calibration against the running REAPER (see the module docstring).

    Args:
        api: the REAPER API.
        checks: every value the worker wrote, by 0-based track index (their dB range sets the grid).
    """

    def __init__(self, api: ReaperApi, checks: dict[int, tuple[ValueCheck, ...]]) -> None:
        self.api = api
        self.calls = 0
        """ReaScript calls made to measure the maps (they do not grow with the number of tracks)."""
        self.param_reads = 0
        """Band gains read in :meth:`correct_params` (each one the read-back of that gain)."""
        self.maps: dict[str, ValueMap] = {}
        self.unconfirmed: dict[str, str] = {}
        self.corrected = 0
        """Values written otherwise than the formula says (envelope points rewritten, gains set)."""
        self.volume_domain: tuple[int, str] | None = None
        """(scaling mode, ``amplitude`` or ``raw``) of the volume envelopes, once calibrated."""
        self._ranges: dict[str, tuple[float, float]] = {}
        for track_checks in checks.values():
            for check in track_checks:
                if math.isfinite(check.expected_db):
                    kind = _kind(check)
                    lo, hi = self._ranges.get(kind, (check.expected_db, check.expected_db))
                    self._ranges[kind] = (min(lo, check.expected_db), max(hi, check.expected_db))

    @staticmethod
    def available(api: ReaperApi) -> bool:
        """True when this REAPER offers every function calibration calls."""
        return api.has(*CALIBRATION_API)

    # -- per track ------------------------------------------------------------
    def correct_chunk(self, track: Any, where: str, text: str, checks: list[ValueCheck]) -> str:
        """``text`` with every envelope point REAPER would misread replaced by the value it reads right.

        The track's chunk ``text`` must already be set (the envelopes and the
        FX must exist to be asked). Unchanged lines keep their bytes.
        """
        lines = text.split("\n")
        changed = False
        for check in checks:
            if check.kind == "fx_param":
                continue
            vmap = self._map(track, where, check, checks)
            if vmap is None or vmap.keeps(check.value, check.expected_db):
                continue
            lines[check.line - 1] = _with_point_value(lines, check, vmap.value_for(check.expected_db), where)
            changed = True
            self.corrected += 1
        return "\n".join(lines) if changed else text

    def correct_params(self, track: Any, where: str, checks: list[ValueCheck]) -> list[ValueCheck]:
        """Set every ReaEQ band gain REAPER reads more than :data:`STOP_DB` from the wanted dB
        (``TrackFX_SetParam``, value from the map); the checks it left to the read-back guard.

        Each ``fx_param`` check is read (``TrackFX_GetFormattedParamValue``);
        when it is off, the calibrated value is set and read again, and that
        second reading is left to the guard. The checks read right are done.
        """
        left = []
        for check in checks:
            if check.kind != "fx_param":
                left.append(check)
                continue
            vmap = self._map(track, where, check, checks)
            if vmap is None:
                continue
            reading = self._read_param(track, where, check)
            if reading is not None and close(reading, check.expected_db, STOP_DB):
                continue
            value = vmap.value_for(check.expected_db)
            self.api.call("TrackFX_SetParam", track, check.fx, check.param, value)
            self.corrected += 1
            left.append(check)
        return left

    def confirmed(self, checks: list[ValueCheck]) -> list[ValueCheck]:
        """The checks of kinds this REAPER's formatting could confirm (not :attr:`unconfirmed`)."""
        return [c for c in checks if _kind(c) not in self.unconfirmed]

    def notes(self) -> list[str]:
        """Console lines about this run's calibration (kinds left unconfirmed, values corrected)."""
        out = [f"automix: {why}: the {kind.replace('_', ' ')} values written follow automix's formula, "
               f"unconfirmed against REAPER" for kind, why in self.unconfirmed.items()]
        if self.corrected:
            differing = [k.replace("_", " ") for k, m in self.maps.items() if not m.is_formula] or ["ReaEQ state"]
            out.append(f"automix: this REAPER reads {' and '.join(differing)} values differently from automix's "
                       f"formula: {self.corrected} value(s) written as REAPER reads them "
                       f"({self.calls} calibration calls)")
        return out

    # -- maps -------------------------------------------------------------------
    def _map(self, track: Any, where: str, check: ValueCheck, checks: list[ValueCheck]) -> ValueMap | None:
        """The map of ``check``'s kind, calibrated on this track the first time it is needed.

        automix writes every volume envelope with ``VOLTYPE 1`` and every gain on
        the same plug-in (ReaEQ), so one map per kind serves every track; the
        read-back guard still reads each track's own values.
        """
        kind = _kind(check)
        if kind in self.unconfirmed:
            return None
        if kind in self.maps:
            return self.maps[kind]
        if kind == "volume":
            env = self._call("GetTrackEnvelopeByName", track, VOLUME_ENVELOPE_NAME)
            mode = int(self._call("GetEnvelopeScalingMode", env))
            domain = self._volume_chunk_domain(env, mode, [c for c in checks if c.kind == "volume"], where)
            self.volume_domain = (mode, domain)

            def to_api(v: float) -> float:
                return float(self._call("ScaleToEnvelopeMode", mode, v)) if domain == "amplitude" else v

            def read_volume(v: float) -> str:
                return self._call("Envelope_FormatValue", env, to_api(v), "", FORMAT_BUFFER_BYTES)[2]
            return self._calibrate(kind, VOLUME_FORMULA, read_volume, f"{where}: the volume envelope",
                                   "Envelope_FormatValue")

        def read_gain(v: float) -> str:
            result = self._call("TrackFX_FormatParamValue", track, check.fx, check.param, v, "", FORMAT_BUFFER_BYTES)
            return result[5] if result[0] else ""
        return self._calibrate(kind, REAEQ_GAIN_FORMULA, read_gain,
                               f"{where}: {check.what or f'FX {check.fx + 1} parameter {check.param}'}",
                               "TrackFX_FormatParamValue")

    def _volume_chunk_domain(self, env: Any, mode: int, checks: list[ValueCheck], where: str) -> str:
        """``amplitude`` or ``raw``: what this REAPER takes a ``VOLENV2`` point value in a chunk for.

        Read from the first point whose amplitude and fader-scaled value differ
        (``GetEnvelopePoint`` against ``ScaleToEnvelopeMode``); ``amplitude``
        (REAPER-written files) when no point can tell.
        """
        if mode == 0:
            return "amplitude"
        for check in checks:
            written = check.value
            if not written > 0:
                continue
            scaled = float(self._call("ScaleToEnvelopeMode", mode, written))
            if close(scaled, written, 1e-3 * written):
                continue
            result = self._call("GetEnvelopePoint", env, check.point, 0.0, 0.0, 0, 0.0, False)
            raw = float(result[4]) if result[0] else math.nan
            if close(raw, scaled, 1e-6 * max(1.0, abs(scaled))):
                return "amplitude"
            if close(raw, written, 1e-6 * max(1.0, abs(written))):
                return "raw"
            raise CalibrationError(
                f"{where}: REAPER reads point {check.point + 1} of the volume envelope, written as {written:.6g}, "
                f"as the raw value {raw:.6g}: neither that number nor its fader scaling "
                f"ScaleToEnvelopeMode({mode}, {written:.6g}) = {scaled:.6g}; automix cannot tell how this REAPER "
                f"reads volume points, so it refuses to write them (please report it with REAPER's version)")
        return "amplitude"

    def _calibrate(self, kind: str, formula: Formula, read_text: Callable[[float], str], what: str,
                   source: str) -> ValueMap | None:
        lo, hi = self._ranges.get(kind, (0.0, 0.0))
        texts: dict[float, str] = {}

        def text_of(v: float) -> str:
            if v not in texts:
                texts[v] = read_text(v)
            return texts[v]

        if not text_of(formula.value(lo)).strip():
            self.unconfirmed[kind] = f"REAPER's {source} gives no text for {what.split(': ', 1)[-1]}"
            return None

        def read(v: float) -> float:
            reading = parse_db(text_of(v))
            if reading is None:
                raise CalibrationError(f"{what}: REAPER formats the value {v:.6g} as {text_of(v)!r} ({source}), "
                                       f"which automix cannot read as decibels, so it cannot calibrate it and "
                                       f"refuses to write it (please report it with REAPER's version)")
            return reading

        samples: list[tuple[float, float]] = []
        is_formula = True
        for db in grid(lo, hi):
            if is_formula:
                seed = formula.value(db)
                if close(read(seed), db, STOP_DB):
                    samples.append((db, seed))
                    continue
                is_formula = False
            else:  # seeded by the last sample's offset from the formula
                d0, v0 = samples[-1]
                seed = formula.value(formula.db(v0) + db - d0)
            samples.append((db, solve(read, db, seed, what, source, formula)))
        check_increasing(samples, what, source)
        vmap = ValueMap(formula, samples, is_formula)
        if not is_formula:
            vmap = refine(vmap, read, what, source)
        self.maps[kind] = vmap
        return vmap

    def _read_param(self, track: Any, where: str, check: ValueCheck) -> float | None:
        """The band gain REAPER reads now (``TrackFX_GetFormattedParamValue``: a read-back, not calibration)."""
        self.param_reads += 1
        result = self.api.call("TrackFX_GetFormattedParamValue", track, check.fx, check.param, "",
                               FORMAT_BUFFER_BYTES)
        return parse_db(result[4]) if result[0] else None

    def _call(self, name: str, *args: Any) -> Any:
        self.calls += 1
        return self.api.call(name, *args)


def _kind(check: ValueCheck) -> str:
    return "volume" if check.kind == "volume" else "reaeq_gain"


def _with_point_value(lines: list[str], check: ValueCheck, value: float, where: str) -> str:
    """The ``PT`` line of ``check`` with its value token replaced by ``value`` (the other bytes kept)."""
    index = check.line - 1
    line = lines[index] if 0 <= index < len(lines) else ""
    head, sep, rest = line.partition("PT ")
    tokens = rest.split(" ")
    if sep != "PT " or head.strip() or len(tokens) < 2 or not _same_number(tokens[1], check.value):
        raise ValueMismatchError(f"{where}: line {check.line} of the chunk automix wrote is not the point "
                                 f"{check.point + 1} of {check.what or 'the envelope'} (value {check.value:.6g})")
    tokens[1] = f"{value:.10g}"
    return head + sep + " ".join(tokens)


def _same_number(token: str, value: float) -> bool:
    try:
        number = float(token)
    except ValueError:
        return False
    return abs(number - value) <= 1e-9 * max(1.0, abs(value))


__all__ = ["Calibrator", "CalibrationError", "CALIBRATION_API"]
