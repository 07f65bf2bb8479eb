"""The envelope and FX functions of the fake REAPER: how REAPER reads the numbers in a track chunk.

:class:`FakeValueApi` is mixed into :class:`fake_reaper.FakeReaper`. It serves,
with the generated bindings' signatures and return tuples (REAPER 6.x and
7.x both define all of them; :attr:`FakeReaper.missing_functions` hides some
to play a REAPER or a reapy function list without them):

* ``GetTrackEnvelopeByName(tr, "Volume")`` → ``(TrackEnvelope*)0x…`` of the
  track's ``VOLENV2`` (a null pointer when there is none);
  ``GetFXEnvelope(tr, fx, param, create)`` → the ``PARMENV`` of that FX
  parameter (``create`` is refused: automix never creates envelopes this way);
* ``GetEnvelopeScalingMode(env)`` → 1 (fader scaling) for a volume envelope
  with ``VOLTYPE 1``, else 0; ``ScaleToEnvelopeMode(mode, v)`` /
  ``ScaleFromEnvelopeMode(mode, v)`` convert amplitude ↔ raw value. REAPER's
  fader curve is not published; the fake uses a monotone stand-in with
  REAPER's documented point (0 dB ↔ 716.2178), so code that converts through
  these functions, as automix does, is exercised and code that assumes a
  curve is not;
* ``GetEnvelopePoint(env, i, 0, 0, 0, 0, False)`` →
  ``(ok, env, i, time, raw value, shape, tension, selected)``: the i-th ``PT``
  line, its value in the API's raw domain;
* ``Envelope_FormatValue(env, v, buf, sz)`` → ``(env, v, text, sz)``;
  ``TrackFX_FormatParamValue(tr, fx, param, v, buf, sz)`` →
  ``(ok, tr, fx, param, v, text, sz)``;
  ``TrackFX_GetFormattedParamValue(tr, fx, param, buf, sz)`` →
  ``(ok, tr, fx, param, text, sz)``: volume as ``-6.02dB`` (``-inf`` for
  silence), ReaEQ band gains as ``+3.0``, for ReaEQ's band-gain parameters
  only (3k+1).

How this REAPER reads the numbers is set per instance (the defaults agree
with automix's formulas; the others play a REAPER that disagrees):

* :attr:`volume_chunk_domain`: ``"amplitude"`` — a ``VOLENV2`` ``PT`` value in
  a chunk is an amplitude (what REAPER-written files show); ``"raw"`` — it is
  already the API's scaled value;
* :attr:`reaeq_gain_domain`: ``"amplitude/4"`` — a band-gain envelope value
  v means 20·log10(4·v) dB; ``"normalised"`` — 0.5 means 0 dB, ±24 dB at 0 and 1;
* :attr:`reaeq_state_gain_scale`: the factor REAPER applies to a band's linear
  gain in ReaEQ's state (1.0);
* :attr:`format_style`: the text of every formatted value — ``"reaper"``
  (above), ``"locale"`` (``−3,0 dB``: comma decimals, Unicode minus),
  ``"empty"`` (nothing), ``"words"`` (text without a number) or ``"fx words"``
  (words for FX values, REAPER's text for volume).

``"reversed"`` as :attr:`reaeq_gain_domain` plays a gain map that is not
increasing (v means −20·log10(4·v) dB). ``TrackFX_SetParam`` is in
:mod:`fake_reaper_params`.
"""

from __future__ import annotations

import base64
import math
import struct
from typing import Any

from automix import rpp
from automix.rpp import Chunk, split_tokens

NULL_ENVELOPE = "(TrackEnvelope*)0x0000000000000000"
FADER_ZERO_DB = 716.2178
"""``ScaleToEnvelopeMode(1, 1.0)``: REAPER's raw volume-envelope value at 0 dB (REAPER.md)."""
_FADER_EXPONENT = math.log(FADER_ZERO_DB / 1000.0) / math.log(0.5)
VALUE_API = ("GetTrackEnvelopeByName", "GetFXEnvelope", "GetEnvelopeScalingMode", "ScaleToEnvelopeMode",
             "ScaleFromEnvelopeMode", "GetEnvelopePoint", "Envelope_FormatValue", "TrackFX_FormatParamValue",
             "TrackFX_GetFormattedParamValue")
_FX_TAGS = frozenset({"VST", "JS", "AU", "CLAP", "DX", "LV2", "CONTAINER", "VIDEO_EFFECT"})
_VOLUME = 0xFFFFF


def fader_raw(amplitude: float) -> float:
    """The stand-in fader curve: amplitude → raw envelope value (0 dB → 716.2178, +6.02 dB → 1000)."""
    return 1000.0 * (max(amplitude, 0.0) / 2.0) ** _FADER_EXPONENT


def fader_amplitude(raw: float) -> float:
    """Inverse of :func:`fader_raw`."""
    return 2.0 * (max(raw, 0.0) / 1000.0) ** (1.0 / _FADER_EXPONENT)


def reaeq_gain_offsets(data: bytes) -> list[int]:
    """Byte offset of each band's linear gain (float64) in a ReaEQ ``<VST`` block's decoded base64, as REAPER
    lays it out (REAPER.md): header (id, magic, pin masks, chunk size, two fields), then ``int32 33, int32
    nbands`` and 33-byte band records whose third field (after type, enabled and frequency) is the gain."""
    n_in = struct.unpack_from("<i", data, 8)[0]
    pos = 12 + 8 * n_in
    n_out = struct.unpack_from("<i", data, pos)[0]
    pos += 4 + 8 * n_out + 12
    record, n_bands = struct.unpack_from("<ii", data, pos)
    return [pos + 8 + record * k + 16 for k in range(n_bands)]


def reaeq_band_gains(vst: Chunk) -> list[float]:
    """The linear gain of each band in a ReaEQ ``<VST`` block (:func:`reaeq_gain_offsets`)."""
    data = b"".join(base64.b64decode(line.content.strip()) for line in vst.lines)
    return [struct.unpack_from("<d", data, offset)[0] for offset in reaeq_gain_offsets(data)]


def _db_text(db: float, digits: int, unit: str, style: str = "reaper") -> str:
    """REAPER's text for ``db`` (``-6.02dB``, ``+3.0``, ``-inf``), or as :attr:`FakeValueApi.format_style` plays it."""
    if style == "empty":
        return ""
    if style == "words":
        return "loud" if db > 0 else "quiet"
    text = "-inf" if db == -math.inf else f"{db:+.{digits}f}{unit}"
    if style == "locale":  # a comma-decimal locale, Unicode minus, spaced unit
        text = text.replace(".", ",").replace("-", "\u2212").replace("dB", "") + " dB"
    return text


def _amp_db(amp: float) -> float:
    return 20.0 * math.log10(amp) if amp > 0 else -math.inf


class FakeValueApi:
    """The envelope/FX part of the fake (see the module docstring); needs FakeReaper's track store."""

    volume_chunk_domain = "amplitude"
    reaeq_gain_domain = "amplitude/4"
    reaeq_state_gain_scale = 1.0
    format_style = "reaper"

    # -- what the chunk holds -------------------------------------------------
    def _track_chunk(self, track: Any) -> Chunk | None:
        """The track's current chunk, parsed (the last parse is kept while the text is unchanged; read only)."""
        index = self._track_index(track)
        if index is None:
            return None
        text = self._tracks[index][1]
        cached = self.__dict__.get("_parsed")
        if cached is None or cached[0] is not text:
            cached = (text, rpp.loads(text, root_tags=("TRACK",)).root)
            self.__dict__["_parsed"] = cached
        return cached[1]

    @staticmethod
    def _fx_block(chunk: Chunk, fx: int) -> list | None:
        """The FX chunk number ``fx`` and the nodes after it up to the next FX, or None."""
        chain = chunk.find("FXCHAIN")
        if chain is None:
            return None
        block, seen = None, -1
        for node in chain.children:
            if isinstance(node, Chunk) and node.tag in _FX_TAGS:
                seen += 1
                if block is not None:
                    break
                if seen == fx:
                    block = [node]
            elif block is not None:
                block.append(node)
        return block

    @staticmethod
    def _is_reaeq(block: list | None) -> bool:
        return bool(block) and block[0].tag == "VST" and len(block[0].args) > 1 and \
            block[0].args[1].lower().startswith("reaeq")

    def _envelope_chunk(self, env: Any) -> tuple[Chunk, Chunk, int, int] | None:
        """(track chunk, envelope chunk, fx, param) of a valid envelope handle; fx = -1 for volume."""
        text = str(env)
        if not text.startswith("(TrackEnvelope*)0x"):
            return None
        number = int(text[len("(TrackEnvelope*)0x"):], 16)
        track = f"(MediaTrack*)0x{number >> 24:016X}"
        code = number & 0xFFFFFF
        chunk = self._track_chunk(track)
        if chunk is None or code == 0:
            return None
        if code == _VOLUME:
            volume = chunk.find("VOLENV2")
            return None if volume is None else (chunk, volume, -1, -1)
        fx, param = (code - 1) >> 12, (code - 1) & 0xFFF
        block = self._fx_block(chunk, fx)
        for node in block or []:
            if isinstance(node, Chunk) and node.tag == "PARMENV" and node.args and \
                    node.args[0].split(":")[0] == str(param):
                return chunk, node, fx, param
        return None

    def _handle(self, track: Any, code: int) -> str:
        number = int(str(track)[len("(MediaTrack*)0x"):], 16)
        return f"(TrackEnvelope*)0x{(number << 24) | code:016X}"

    def _scaling_mode(self, env_chunk: Chunk, fx: int) -> int:
        voltype = env_chunk.get_values("VOLTYPE")
        return 1 if fx < 0 and voltype and voltype[0] == "1" else 0

    def _reaeq_gain_db(self, value: float) -> float:
        """How this REAPER reads a ReaEQ band-gain value (envelope point, parameter value)."""
        if self.reaeq_gain_domain == "amplitude/4":
            return _amp_db(4.0 * value)
        if self.reaeq_gain_domain == "reversed":
            return -_amp_db(4.0 * value)
        return (value - 0.5) * 48.0

    def _reaeq_gain_value(self, gain_amp: float) -> float:
        """The parameter value of a band whose state holds linear gain ``gain_amp``."""
        amp = gain_amp * self.reaeq_state_gain_scale
        if self.reaeq_gain_domain == "amplitude/4":
            return amp / 4.0
        if self.reaeq_gain_domain == "reversed":
            return 1.0 / (4.0 * amp) if amp > 0 else math.inf
        return 0.5 + _amp_db(amp) / 48.0

    def _reaeq_state_gain(self, value: float) -> float:
        """Inverse of :meth:`_reaeq_gain_value`: the state's linear gain for parameter value ``value``."""
        if self.reaeq_gain_domain == "amplitude/4":
            amp = 4.0 * value
        elif self.reaeq_gain_domain == "reversed":
            amp = 1.0 / (4.0 * value) if value > 0 else math.inf
        else:
            amp = 10.0 ** ((value - 0.5) * 48.0 / 20.0)
        return amp / self.reaeq_state_gain_scale

    def _style(self, kind: str) -> str:
        """The text style for ``volume`` or ``fx`` values (``"fx words"`` plays words for FX values only)."""
        if self.format_style == "fx words":
            return "words" if kind == "fx" else "reaper"
        return self.format_style

    # -- ReaScript functions ----------------------------------------------------
    def GetTrackEnvelopeByName(self, track: Any, envname: str) -> str:
        self._enter("GetTrackEnvelopeByName", (track, envname))
        chunk = self._track_chunk(track)
        if chunk is None or envname != "Volume" or chunk.find("VOLENV2") is None:
            return NULL_ENVELOPE
        return self._handle(track, _VOLUME)

    def GetFXEnvelope(self, track: Any, fxindex: int, parameterindex: int, create: bool) -> str:
        self._enter("GetFXEnvelope", (track, fxindex, parameterindex, create))
        if create:
            raise AssertionError("GetFXEnvelope(create=True) would add an envelope to the user's project")
        if self._track_chunk(track) is None:
            return NULL_ENVELOPE
        env = self._handle(track, ((int(fxindex) << 12) | int(parameterindex)) + 1)
        return env if self._envelope_chunk(env) is not None else NULL_ENVELOPE

    def GetEnvelopeScalingMode(self, env: Any) -> int:
        self._enter("GetEnvelopeScalingMode", (env,))
        found = self._envelope_chunk(env)
        return 0 if found is None else self._scaling_mode(found[1], found[2])

    def ScaleToEnvelopeMode(self, scaling_mode: int, val: float) -> float:
        self._enter("ScaleToEnvelopeMode", (scaling_mode, val))
        return fader_raw(float(val)) if int(scaling_mode) == 1 else float(val)

    def ScaleFromEnvelopeMode(self, scaling_mode: int, val: float) -> float:
        self._enter("ScaleFromEnvelopeMode", (scaling_mode, val))
        return fader_amplitude(float(val)) if int(scaling_mode) == 1 else float(val)

    def GetEnvelopePoint(self, envelope: Any, ptidx: int, time: float, value: float, shape: int, tension: float,
                         selected: bool) -> tuple:
        self._enter("GetEnvelopePoint", (envelope, ptidx, time, value, shape, tension, selected))
        found = self._envelope_chunk(envelope)
        lines = found[1].findall_lines("PT") if found is not None else []
        if not 0 <= int(ptidx) < len(lines):
            return (False, envelope, ptidx, 0.0, 0.0, 0, 0.0, 0)
        toks = split_tokens(lines[int(ptidx)].content)
        t, v = float(toks[1]), float(toks[2])
        shape_out = int(toks[3]) if len(toks) > 3 else 0
        if found[2] < 0 and self.volume_chunk_domain == "amplitude" and self._scaling_mode(found[1], -1) == 1:
            v = fader_raw(v)  # the API speaks the envelope's scaled domain; the chunk holds amplitude
        return (True, envelope, ptidx, t, v, shape_out, 0.0, 0)

    def Envelope_FormatValue(self, env: Any, value: float, buf: str, buf_sz: int) -> tuple:
        self._enter("Envelope_FormatValue", (env, value, buf, buf_sz))
        found = self._envelope_chunk(env)
        if found is None:
            return (env, value, "", buf_sz)
        _chunk, env_chunk, fx, _param = found
        if fx < 0:
            amp = fader_amplitude(value) if self._scaling_mode(env_chunk, fx) == 1 else float(value)
            text = _db_text(_amp_db(amp), 2, "dB", self._style("volume"))
        else:
            text = _db_text(self._reaeq_gain_db(float(value)), 1, "", self._style("fx"))
        return (env, value, self._out(text, buf_sz), buf_sz)

    def _reaeq_gain_block(self, track: Any, fx: int, param: int) -> list | None:
        chunk = self._track_chunk(track)
        block = self._fx_block(chunk, int(fx)) if chunk is not None else None
        if not self._is_reaeq(block) or int(param) % 3 != 1:
            return None
        return block if int(param) // 3 < len(reaeq_band_gains(block[0])) else None

    def TrackFX_FormatParamValue(self, track: Any, fx: int, param: int, val: float, buf: str,
                                 buf_sz: int) -> tuple:
        self._enter("TrackFX_FormatParamValue", (track, fx, param, val, buf, buf_sz))
        if self._reaeq_gain_block(track, fx, param) is None:
            return (False, track, fx, param, val, "", buf_sz)
        text = _db_text(self._reaeq_gain_db(float(val)), 1, "", self._style("fx"))
        return (True, track, fx, param, val, self._out(text, buf_sz), buf_sz)

    def TrackFX_GetFormattedParamValue(self, track: Any, fx: int, param: int, buf: str, buf_sz: int) -> tuple:
        self._enter("TrackFX_GetFormattedParamValue", (track, fx, param, buf, buf_sz))
        block = self._reaeq_gain_block(track, fx, param)
        if block is None:
            return (False, track, fx, param, "", buf_sz)
        value = self._reaeq_gain_value(reaeq_band_gains(block[0])[int(param) // 3])
        text = _db_text(self._reaeq_gain_db(value), 1, "", self._style("fx"))
        return (True, track, fx, param, self._out(text, buf_sz), buf_sz)


__all__ = ["FakeValueApi", "reaeq_band_gains", "reaeq_gain_offsets", "fader_raw", "fader_amplitude", "VALUE_API",
           "FADER_ZERO_DB", "NULL_ENVELOPE"]
