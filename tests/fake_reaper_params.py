"""Setting FX parameters in the fake REAPER, and which ReaScript functions each REAPER version has.

:class:`FakeParamApi` (mixed into :class:`fake_reaper.FakeReaper`) serves
``TrackFX_SetParam(track, fx, param, val) -> bool`` as the generated bindings
do (no output parameters: the bool alone). For a ReaEQ band-gain parameter
(3k+1) it writes the band's linear gain into the plug-in state of the
track's chunk, as REAPER would (the inverse of how this REAPER reads it:
:meth:`FakeValueApi._reaeq_state_gain`); any other parameter is refused
(False): automix sets no other.

:data:`FIRST_VERSION` is the first REAPER version the fake offers a function
from (:func:`offered`); before it the function does not exist
(``AttributeError``, as for a function the bindings do not define). What is
verified about these versions is in the README's REAPER section: the 7.62
marker functions from the SDK header; the FX functions are in the older,
32-bit-pointer generation of ``reaper_python.py``, the envelope functions only
in the 64-bit one (their exact first versions, 4.0 and 5.0 here, are
assumptions).
"""

from __future__ import annotations

import base64
import math
import struct
from typing import Any

from fake_reaper_values import reaeq_gain_offsets

from automix.rpp import Chunk

FIRST_VERSION: dict[str, tuple[int, int]] = {
    "GetNumRegionsOrMarkers": (7, 62), "GetRegionOrMarker": (7, 62), "GetRegionOrMarkerInfo_Value": (7, 62),
    "GetSetRegionOrMarkerInfo_String": (7, 62),
    "GetEnvelopePoint": (5, 0), "GetEnvelopeScalingMode": (5, 0), "ScaleToEnvelopeMode": (5, 0),
    "ScaleFromEnvelopeMode": (5, 0), "Envelope_FormatValue": (5, 0),
    "TrackFX_FormatParamValue": (4, 0), "TrackFX_GetFormattedParamValue": (4, 0), "TrackFX_SetParam": (4, 0),
}
"""Function → first REAPER version (major, minor) the fake offers it from; others exist in every version."""


def offered(name: str, version: tuple[int, int]) -> bool:
    """True when REAPER ``version`` has the ReaScript function ``name`` (per :data:`FIRST_VERSION`)."""
    return version >= FIRST_VERSION.get(name, (0, 0))


def _set_band_gain(vst: Chunk, band: int, gain: float) -> None:
    """Write ``gain`` (linear) as band ``band``'s gain in a ReaEQ ``<VST`` block, keeping its line layout."""
    lines = list(vst.lines)
    decoded = [base64.b64decode(line.content.strip()) for line in lines]
    data = bytearray(b"".join(decoded))
    struct.pack_into("<d", data, reaeq_gain_offsets(bytes(data))[band], gain)
    pos = 0
    for line, part in zip(lines, decoded):
        new = bytes(data[pos:pos + len(part)])
        if new != part:
            line.set_content(base64.b64encode(new).decode("ascii"))
        pos += len(part)


class FakeParamApi:
    """``TrackFX_SetParam`` of the fake (see the module docstring); needs FakeReaper's track store."""

    def TrackFX_SetParam(self, track: Any, fx: int, param: int, val: float) -> bool:
        if self._enter("TrackFX_SetParam", (track, fx, param, val)):
            return False
        block = self._reaeq_gain_block(track, fx, param)
        if block is None:
            return False
        gain = self._reaeq_state_gain(float(val))
        if not (math.isfinite(gain) and gain >= 0):
            return False
        index = self._track_index(track)
        chunk = self._track_chunk(track)
        vst = self._fx_block(chunk, int(fx))[0]
        _set_band_gain(vst, int(param) // 3, gain)
        self._set_track_text(index, chunk)
        return True


__all__ = ["FakeParamApi", "FIRST_VERSION", "offered"]
