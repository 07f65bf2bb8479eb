"""Writing the worker's track chunks into the open project so that REAPER reads the dB automix wanted.

:class:`CheckedWriter` sets each track chunk inside a
:class:`~automix.reaper.session.LiveTransaction` and, as far as this REAPER's
API allows:

* ``calibrate`` (every function of :data:`~automix.reaper.calibration.CALIBRATION_API`
  and :data:`~automix.reaper.readback.READBACK_API`): the chunk is set, the
  :class:`~automix.reaper.calibration.Calibrator` replaces the envelope points
  REAPER would misread (the chunk is set again when any changed) and sets the
  ReaEQ band gains it misreads (``TrackFX_SetParam``), then the read-back
  guard (:func:`~automix.reaper.readback.confirm_track_values`) reads the
  first, lowest and highest point of each envelope and every gain set again;
* ``confirm`` (the read-back functions only): the chunk is set and read back;
  a reading more than 0.1 dB off is refused;
* ``unconfirmed`` (neither): the chunk is set as the worker made it.

Any refusal raises, and the transaction takes every write back.

Standard library only: this runs inside REAPER's embedded Python.
"""

from __future__ import annotations

from automix.reaper.adapter import ReaperApi
from automix.reaper.calibration import CALIBRATION_API, Calibrator
from automix.reaper.readback import (
    READBACK_API,
    ValueCheck,
    can_confirm,
    confirm_track_values,
    guard_checks,
)
from automix.reaper.session import LiveTrack, LiveTransaction


class CheckedWriter:
    """Sets track chunks and makes REAPER read their values as wanted (see the module docstring).

    Args:
        api: the REAPER API.
        checks: every value the worker wrote, by 0-based track index.
    """

    def __init__(self, api: ReaperApi, checks: dict[int, tuple[ValueCheck, ...]]) -> None:
        self.api = api
        self.checks = checks
        self.readings = 0
        """Values read back from REAPER (the guard's readings and the band gains read before correcting)."""
        if Calibrator.available(api) and can_confirm(api):
            self.mode = "calibrate"
        elif can_confirm(api):
            self.mode = "confirm"
        else:
            self.mode = "unconfirmed"
        self.calibrator = Calibrator(api, checks) if self.mode == "calibrate" else None

    def write(self, tx: LiveTransaction, track: LiveTrack, text: str) -> None:
        """Set ``track``'s chunk to ``text`` and make its values read as wanted (raises on a refusal)."""
        tx.set_track_chunk(track, text)
        checks = list(self.checks.get(track.index, ()))
        if self.mode == "unconfirmed" or not checks:
            return
        where = self.api.describe_track(track.handle, track.index)
        if self.calibrator is not None:
            fixed = self.calibrator.correct_chunk(track.handle, where, text, checks)
            if fixed != text:
                tx.set_track_chunk(track, fixed)
            before = self.calibrator.param_reads
            checks = self.calibrator.confirmed(self.calibrator.correct_params(track.handle, where, checks))
            self.readings += self.calibrator.param_reads - before
        self.readings += confirm_track_values(self.api, track.handle, where, guard_checks(checks))

    def notes(self) -> list[str]:
        """Console lines: values left unconfirmed, values calibrated."""
        if self.mode == "unconfirmed" and any(self.checks.values()):
            missing = [name for name in READBACK_API + CALIBRATION_API if not self.api.has(name)]
            return ["automix: this REAPER's API lacks " + ", ".join(dict.fromkeys(missing)) + ": the volume and EQ "
                    "values written are not confirmed against REAPER (they follow the same formulas as headless "
                    "mode)"]
        if self.mode == "confirm" and any(self.checks.values()):
            missing = [name for name in CALIBRATION_API if not self.api.has(name)]
            return ["automix: this REAPER's API lacks " + ", ".join(missing) + ": the volume and EQ values written "
                    "follow automix's formulas, read back but not calibrated"]
        return self.calibrator.notes() if self.calibrator is not None else []


__all__ = ["CheckedWriter"]
