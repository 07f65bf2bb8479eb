"""Asking the running REAPER what it makes of the numbers automix wrote into a track chunk.

automix writes volume-envelope points, ReaEQ band-gain envelope points and
ReaEQ band gains as numbers whose meaning in dB follows from formulas
(amplitude in ``VOLENV2``; :func:`automix.project.reaeq.gain_envelope_value`
for band-gain envelopes; linear gain in ReaEQ's state). The worker lists a few
of them per track with the dB the formula gives (:class:`ValueCheck`); after
``SetTrackStateChunk``, :func:`confirm_track_values` reads each back through
REAPER's API and REAPER's own formatting:

* ``volume``: ``GetTrackEnvelopeByName(track, "Volume")``, the point
  (``GetEnvelopePoint``: time and raw value), ``GetEnvelopeScalingMode`` +
  ``ScaleFromEnvelopeMode`` (raw → amplitude, compared in dB) and
  ``Envelope_FormatValue`` (raw → REAPER's text, e.g. ``-6.02dB``);
* ``fx_envelope``: ``GetFXEnvelope(track, fx, param, False)``, the point,
  ``Envelope_FormatValue`` and ``TrackFX_FormatParamValue`` of the same value;
* ``fx_param``: ``TrackFX_GetFormattedParamValue(track, fx, param)``.

A reading more than :data:`TOLERANCE_DB` from the formula raises
:class:`ValueMismatchError` naming the track, the FX and both values; the
caller (a :class:`~automix.reaper.session.LiveTransaction`) then sets every
chunk back, so a wrong mapping never stays in the project. A REAPER whose API
lacks these functions is reported once in the console (:func:`can_confirm`)
and the values are kept unconfirmed, as headless mode writes them.

Text outputs use the bindings' rules (:meth:`ReaperApi.call` with a
:data:`FORMAT_BUFFER_BYTES` buffer, at most the bindings' 4 MiB).

Standard library only: this runs inside REAPER's embedded Python.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

from automix.errors import ReaperError
from automix.reaper.adapter import ReaperApi

TOLERANCE_DB = 0.1
"""Largest difference between REAPER's reading and the formula's, dB."""

FORMAT_BUFFER_BYTES = 256
"""Buffer size passed for a formatted value, bytes."""

KINDS = ("volume", "fx_envelope", "fx_param")
"""What a :class:`ValueCheck` reads back (see the module docstring)."""

READBACK_API = ("GetTrackEnvelopeByName", "GetEnvelopeScalingMode", "ScaleFromEnvelopeMode", "GetEnvelopePoint",
                "Envelope_FormatValue", "GetFXEnvelope", "TrackFX_FormatParamValue",
                "TrackFX_GetFormattedParamValue")
"""The ReaScript functions the read-back needs."""

VOLUME_ENVELOPE_NAME = "Volume"
"""``GetTrackEnvelopeByName`` name of the ``VOLENV2`` envelope."""

_DB_TEXT = re.compile(r"^\s*([-+\u2212]?)\s*(inf(?:inity)?|\u221e|\d+(?:[.,]\d*)?|[.,]\d+)\s*(?:db)?\s*$",
                      re.IGNORECASE)
"""REAPER's formatted decibels: sign (``-``, ``+``, Unicode minus), digits with ``.`` or a locale's ``,``, or
``inf``/``∞``, then an optional ``dB`` (any case, spaces allowed around every part)."""


@dataclass(frozen=True)
class ValueCheck:
    """One number automix wrote into a track chunk, and what the formula says it means.

    Attributes:
        kind: ``volume``, ``fx_envelope`` or ``fx_param``.
        expected_db: the formula's meaning of ``value``, dB (``-inf`` for silence).
        value: the number written (chunk domain: amplitude for volume points, the
            envelope value for FX envelope points, linear gain for ``fx_param``).
        fx: 0-based FX index in the track's chain (FX kinds), else -1.
        param: the FX parameter index (FX kinds), else -1.
        point: 0-based index of the envelope point (envelope kinds), else -1.
        time_s: the point's time, seconds (envelope kinds).
        what: what it is, for messages (``the volume envelope``, ``ReaEQ 'automix EQ' band 2 gain``).
        line: 1-based line of the envelope point's ``PT`` line in the track chunk text (envelope kinds), else -1.
    """

    kind: str
    expected_db: float
    value: float
    fx: int = -1
    param: int = -1
    point: int = -1
    time_s: float = 0.0
    what: str = ""
    line: int = -1

    def to_json(self) -> dict:
        """A JSON-able dict (``-inf`` as None)."""
        data = asdict(self)
        if math.isinf(self.expected_db):
            data["expected_db"] = None
        return data

    @classmethod
    def from_json(cls, data: Any) -> "ValueCheck":
        """The record :meth:`to_json` wrote; a bad record is a ReaperError."""
        try:
            check = cls(kind=str(data["kind"]),
                        expected_db=-math.inf if data["expected_db"] is None else float(data["expected_db"]),
                        value=float(data["value"]), fx=int(data["fx"]), param=int(data["param"]),
                        point=int(data["point"]), time_s=float(data["time_s"]), what=str(data["what"]),
                        line=int(data.get("line", -1)))
        except (KeyError, TypeError, ValueError) as exc:
            raise ReaperError(f"the worker sent an unreadable value check ({type(exc).__name__}: {exc})") from None
        if check.kind not in KINDS:
            raise ReaperError(f"the worker sent a value check of unknown kind {check.kind!r}")
        return check


class ValueMismatchError(ReaperError):
    """REAPER reads a value automix wrote differently from automix's formula (beyond :data:`TOLERANCE_DB`)."""


def parse_db(text: str) -> float | None:
    """The decibels REAPER's formatted text says (``-6.02dB``, ``+3.0``, ``3,5 dB``, ``-inf``); None otherwise.

    Text with anything else in it (another unit, ``%``, words) is not decibels: None.
    """
    match = _DB_TEXT.match(text or "")
    if match is None:
        return None
    sign, digits = match.groups()
    number = math.inf if digits.lower() in ("inf", "infinity", "\u221e") else float(digits.replace(",", "."))
    return -number if sign in ("-", "\u2212") else number


def amplitude_db(amplitude: float) -> float:
    """20·log10(amplitude), ``-inf`` for 0."""
    return 20.0 * math.log10(amplitude) if amplitude > 0 else -math.inf


def representative_points(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the first point and of the lowest- and highest-valued points (sorted, no repeats).

    Args:
        points: (time_s, value) of one envelope's points, in file order.
    """
    if not points:
        return []
    values = [v for _t, v in points]
    return sorted({0, values.index(min(values)), values.index(max(values))})


def guard_checks(checks: list[ValueCheck]) -> list[ValueCheck]:
    """What :func:`confirm_track_values` reads back of one track: every ``fx_param`` check and, of each
    envelope, the first point and the points holding its lowest and highest value (a mapping that is wrong
    anywhere in the range shows at its ends; a few calls per envelope rather than one per point)."""
    envelopes: dict[tuple[str, int, int], list[ValueCheck]] = {}
    out = []
    for check in checks:
        if check.kind == "fx_param":
            out.append(check)
        else:
            envelopes.setdefault((check.kind, check.fx, check.param), []).append(check)
    for points in envelopes.values():
        out.extend(points[k] for k in representative_points([(c.time_s, c.value) for c in points]))
    return out


def can_confirm(api: ReaperApi) -> bool:
    """True when this REAPER offers every function :func:`confirm_track_values` calls."""
    return api.has(*READBACK_API)


def confirm_track_values(api: ReaperApi, track: Any, where: str, checks: list[ValueCheck]) -> int:
    """Read every check back from REAPER (see the module docstring); the number of readings compared.

    Args:
        api: the REAPER API.
        track: the ``MediaTrack*`` handle, its new chunk already set.
        where: ``track 3 ('Bass')``, for messages.
        checks: what the worker wrote on this track.

    Raises:
        ValueMismatchError: a reading differs from the formula by more than :data:`TOLERANCE_DB`,
            or REAPER does not hold the point or envelope automix wrote (names track, FX and values).
        ReaperError: a call failed.
    """
    compared = 0
    envelopes: dict[tuple[int, int], Any] = {}
    for check in checks:
        if check.kind == "fx_param":
            result = api.call("TrackFX_GetFormattedParamValue", track, check.fx, check.param, "",
                              FORMAT_BUFFER_BYTES)
            _compare(check, where, "TrackFX_GetFormattedParamValue", result[4] if result[0] else "")
            compared += 1
            continue
        key = (check.fx, check.param)
        if key not in envelopes:
            envelopes[key] = _envelope(api, track, where, check)
        env = envelopes[key]
        raw = _point_value(api, env, where, check)
        if check.kind == "volume":
            mode = int(api.call("GetEnvelopeScalingMode", env))
            amplitude = float(api.call("ScaleFromEnvelopeMode", mode, raw))
            _compare_db(check, where, f"ScaleFromEnvelopeMode({mode}, {raw:.6g})", amplitude_db(amplitude))
        else:
            result = api.call("TrackFX_FormatParamValue", track, check.fx, check.param, raw, "",
                              FORMAT_BUFFER_BYTES)
            _compare(check, where, "TrackFX_FormatParamValue", result[5] if result[0] else "")
        _compare(check, where, "Envelope_FormatValue",
                 api.call("Envelope_FormatValue", env, raw, "", FORMAT_BUFFER_BYTES)[2])
        compared += 2
    return compared


def _envelope(api: ReaperApi, track: Any, where: str, check: ValueCheck) -> Any:
    if check.kind == "volume":
        env = api.call("GetTrackEnvelopeByName", track, VOLUME_ENVELOPE_NAME)
    else:
        env = api.call("GetFXEnvelope", track, check.fx, check.param, False)
    if _is_null(env):
        raise ValueMismatchError(f"{where}: REAPER found no envelope for {_what(check)} in the chunk automix set")
    return env


def _point_value(api: ReaperApi, env: Any, where: str, check: ValueCheck) -> float:
    """The raw value of the check's point (its time must be the one written)."""
    result = api.call("GetEnvelopePoint", env, check.point, 0.0, 0.0, 0, 0.0, False)
    if not result[0] or abs(float(result[3]) - check.time_s) > 1e-6:
        found = f"at {float(result[3]):g} s" if result[0] else "none"
        raise ValueMismatchError(f"{where}: REAPER's point {check.point + 1} of {_what(check)} is {found}, automix "
                                 f"wrote one at {check.time_s:g} s")
    return float(result[4])


def _compare(check: ValueCheck, where: str, source: str, text: str) -> None:
    reading = parse_db(text)
    if reading is None:
        raise ValueMismatchError(f"{where}: REAPER formats {_what(check)} value {check.value:.6g} as {text!r} "
                                 f"({source}), not as decibels; automix's formula says {_db(check.expected_db)}")
    _compare_db(check, where, f"{source} {text!r}", reading)


def _compare_db(check: ValueCheck, where: str, source: str, reading_db: float) -> None:
    expected = check.expected_db
    if math.isinf(expected) and math.isinf(reading_db) and (expected < 0) == (reading_db < 0):
        return
    if math.isfinite(expected) and math.isfinite(reading_db) and abs(reading_db - expected) <= TOLERANCE_DB:
        return
    at = f" at {check.time_s:g} s" if check.kind != "fx_param" else ""
    raise ValueMismatchError(
        f"{where}: REAPER reads {_what(check)}{at} (value {check.value:.6g}) as {_db(reading_db)} ({source}), "
        f"automix's formula says {_db(expected)}: more than {TOLERANCE_DB} dB apart. This REAPER maps the value "
        f"differently from what automix assumes, so automix refuses to write it (please report it with "
        f"REAPER's version)")


def _what(check: ValueCheck) -> str:
    if check.what:
        return check.what
    return "the volume envelope" if check.kind == "volume" else f"FX {check.fx + 1} parameter {check.param}"


def _db(value: float) -> str:
    return "-inf dB" if math.isinf(value) and value < 0 else f"{value:+.2f} dB"


def _is_null(pointer: Any) -> bool:
    return not pointer or str(pointer).endswith("0x0000000000000000")


__all__ = ["ValueCheck", "ValueMismatchError", "confirm_track_values", "can_confirm", "parse_db", "amplitude_db",
           "representative_points", "guard_checks",
           "TOLERANCE_DB", "READBACK_API", "KINDS"]
