"""ReaEQ plug-in state: decode, encode and build from scratch.

The base64 body of a ``<VST "VST: ReaEQ (Cockos)" …`` block holds three parts
(little-endian):

1. REAPER's VST header: the plug-in id ``'qeer'`` (1919247729), the magic
   0xFEED5EEE, the input pin count and one 64-bit channel mask per pin, the
   output pin count and masks, the size of the plug-in chunk, then two more
   int32 fields (observed ``1`` and ``0`` or ``0x100000``).
2. ReaEQ's own chunk: ``int32 33`` (band record size), ``int32 nbands``, then
   per band ``int32 type, int32 enabled, f64 freq_hz, f64 gain (linear),
   f64 bandwidth (octaves), uint8 flag``, then a tail (``int32 1, int32 1,
   f64 1.0`` global gain, ``int32`` …, window width and height, optionally
   ``int32 2``) kept as bytes.
3. The program (preset) name block: ``\\0name\\0`` plus a few bytes.

Each part is base64-encoded on its own, 96 bytes (128 characters) per line.
:func:`decode_reaeq` then :func:`encode_reaeq` gives the same lines back.
"""

from __future__ import annotations

import base64
import binascii
import math
import struct
from dataclasses import dataclass, field, replace

from automix.errors import ProjectEditError, ProjectParseError

REAEQ_VST_ID = 1919247729
"""REAPER's numeric id of ReaEQ (the 4 bytes ``qeer`` little-endian)."""
HEADER_MAGIC = 0xFEED5EEE
BAND_RECORD_SIZE = 33
BYTES_PER_LINE = 96

BAND_TYPES: dict[str, int] = {
    "low_shelf": 0, "high_shelf": 1, "band_alt2": 2, "low_pass": 3, "high_pass": 4,
    "all_pass": 5, "notch": 6, "band_pass": 7, "band": 8, "band_alt": 9, "parallel_band_pass": 10,
}
"""automix band type names → REAPER BANDTYPE numbers (see REAPER.md)."""
BAND_TYPE_NAMES: dict[int, str] = {v: k for k, v in BAND_TYPES.items()}

PLUGIN_FILES: dict[str, str] = {"win": "reaeq.dll", "mac": "reaeq.vst.dylib", "linux": "reaeq.vst.so"}
"""ReaEQ's plug-in file name by platform."""

MAX_GAIN_DB = 24.0
"""Largest |gain| automix writes into a band (ReaEQ's knob range is wider)."""


@dataclass(frozen=True)
class EqBandSetting:
    """One EQ band as automix wants it.

    Attributes:
        band_type: a key of :data:`BAND_TYPES` (``"low_shelf"``, ``"band"`` …).
        freq_hz: centre / corner frequency in Hz.
        gain_db: gain in dB (ignored by pass/notch types).
        bw_oct: bandwidth in octaves.
        enabled: whether the band is active.
    """

    band_type: str
    freq_hz: float
    gain_db: float
    bw_oct: float
    enabled: bool = True


@dataclass(frozen=True)
class ReaEqBand:
    """One band exactly as stored (``gain_amp`` linear, ``type_code`` BANDTYPE)."""

    type_code: int
    enabled: bool
    freq_hz: float
    gain_amp: float
    bw_oct: float
    flag: int = 1

    @property
    def gain_db(self) -> float:
        """Band gain in dB (−inf for a zero amplitude)."""
        return 20.0 * math.log10(self.gain_amp) if self.gain_amp > 0 else -math.inf


@dataclass(frozen=True)
class VstHeader:
    """REAPER's header in front of a VST chunk.

    Attributes:
        input_masks / output_masks: 64-bit channel mask of each pin.
        chunk_size: length in bytes of the plug-in chunk that follows.
        field_a / field_b: the two int32 after the size (observed 1 and 0 / 0x100000).
    """

    input_masks: tuple[int, ...] = (1, 2)
    output_masks: tuple[int, ...] = (1, 2)
    chunk_size: int = 0
    field_a: int = 1
    field_b: int = 0x100000

    def to_bytes(self) -> bytes:
        parts = [struct.pack("<iIi", REAEQ_VST_ID, HEADER_MAGIC, len(self.input_masks))]
        parts += [struct.pack("<Q", m) for m in self.input_masks]
        parts.append(struct.pack("<i", len(self.output_masks)))
        parts += [struct.pack("<Q", m) for m in self.output_masks]
        parts.append(struct.pack("<iii", self.chunk_size, self.field_a, self.field_b))
        return b"".join(parts)


@dataclass(frozen=True)
class ReaEqState:
    """A decoded ReaEQ state.

    Attributes:
        header: REAPER's VST header.
        bands: the bands in order.
        tail: ReaEQ's bytes after the bands (global gain, window size …).
        program: the program-name block (``\\0name\\0…``).
    """

    header: VstHeader
    bands: tuple[ReaEqBand, ...]
    tail: bytes
    program: bytes = field(default=b"\x00Program 1\x00\x10\x00\x00\x00")

    def chunk_bytes(self) -> bytes:
        """ReaEQ's own chunk (part 2)."""
        out = [struct.pack("<ii", BAND_RECORD_SIZE, len(self.bands))]
        for b in self.bands:
            out.append(struct.pack("<iiddd", b.type_code, int(b.enabled), b.freq_hz, b.gain_amp, b.bw_oct))
            out.append(struct.pack("<B", b.flag))
        out.append(self.tail)
        return b"".join(out)


DEFAULT_TAIL = struct.pack("<iidiiii", 1, 1, 1.0, 0, 509, 348, 2)
"""Tail for a new ReaEQ: flags 1 1, global gain 1.0, 0, window 509×348, 2."""


def _bad(message: str) -> ProjectParseError:
    return ProjectParseError(f"ReaEQ state: {message}")


def _decode_lines(base64_lines: list[str]) -> list[bytes]:
    out = []
    for i, text in enumerate(base64_lines):
        try:
            out.append(base64.b64decode(text.strip(), validate=True))
        except (binascii.Error, ValueError):
            raise _bad(f"line {i + 1} of the block is not base64: {text[:40]!r}") from None
    return out


def decode_reaeq(base64_lines: list[str]) -> ReaEqState:
    """Decode the base64 lines of a ReaEQ block (without the ``<VST``/``>`` lines).

    Raises:
        ProjectParseError: not base64, wrong id or magic, or truncated data.
    """
    data = b"".join(_decode_lines(base64_lines))
    try:
        vst_id, magic, n_in = struct.unpack_from("<iIi", data, 0)
        if vst_id != REAEQ_VST_ID or magic != HEADER_MAGIC:
            raise _bad(f"not a ReaEQ header (id {vst_id}, magic 0x{magic:08X})")
        if not 0 <= n_in <= 64:
            raise _bad(f"implausible input pin count {n_in}")
        pos = 12
        ins = struct.unpack_from(f"<{n_in}Q", data, pos)
        pos += 8 * n_in
        (n_out,) = struct.unpack_from("<i", data, pos)
        if not 0 <= n_out <= 64:
            raise _bad(f"implausible output pin count {n_out}")
        pos += 4
        outs = struct.unpack_from(f"<{n_out}Q", data, pos)
        pos += 8 * n_out
        size, fa, fb = struct.unpack_from("<iii", data, pos)
        pos += 12
        header = VstHeader(tuple(ins), tuple(outs), size, fa, fb)
        chunk = data[pos:pos + size]
        if len(chunk) != size:
            raise _bad(f"chunk size {size} but only {len(chunk)} bytes follow")
        program = data[pos + size:]
        rec, n_bands = struct.unpack_from("<ii", chunk, 0)
        if rec != BAND_RECORD_SIZE or not 0 <= n_bands <= 64 or 8 + rec * n_bands > size:
            raise _bad(f"unexpected band layout (record size {rec}, {n_bands} bands)")
        bands = []
        for k in range(n_bands):
            t, en, f, g, bw = struct.unpack_from("<iiddd", chunk, 8 + rec * k)
            flag = chunk[8 + rec * k + 32]
            bands.append(ReaEqBand(t, bool(en), f, g, bw, flag))
        tail = chunk[8 + rec * n_bands:]
    except struct.error as exc:
        raise _bad(f"truncated data ({exc})") from None
    return ReaEqState(header, tuple(bands), tail, program)


def _wrap(data: bytes) -> list[str]:
    return [base64.b64encode(data[i:i + BYTES_PER_LINE]).decode("ascii")
            for i in range(0, len(data), BYTES_PER_LINE)] or [""]


def encode_reaeq(state: ReaEqState) -> list[str]:
    """Encode a state into base64 lines (header, chunk and program each wrapped at 96 bytes)."""
    chunk = state.chunk_bytes()
    header = replace(state.header, chunk_size=len(chunk))
    lines = _wrap(header.to_bytes()) + _wrap(chunk)
    if state.program:
        lines += _wrap(state.program)
    return lines


def band_from_setting(setting: EqBandSetting) -> ReaEqBand:
    """Convert an :class:`EqBandSetting` (dB) into a stored band (linear gain).

    Raises:
        ProjectEditError: unknown band type, non-positive/non-finite frequency
            or bandwidth, or a gain beyond ±:data:`MAX_GAIN_DB`.
    """
    if setting.band_type not in BAND_TYPES:
        raise ProjectEditError(f"unknown EQ band type {setting.band_type!r} "
                               f"(known: {', '.join(sorted(BAND_TYPES))})")
    for name, value in (("frequency", setting.freq_hz), ("bandwidth", setting.bw_oct)):
        if not (math.isfinite(value) and value > 0):
            raise ProjectEditError(f"EQ band {name} must be a positive number, got {value!r}")
    if not (math.isfinite(setting.gain_db) and abs(setting.gain_db) <= MAX_GAIN_DB):
        raise ProjectEditError(f"EQ band gain must be within ±{MAX_GAIN_DB} dB, got {setting.gain_db!r}")
    return ReaEqBand(BAND_TYPES[setting.band_type], setting.enabled, float(setting.freq_hz),
                     10.0 ** (setting.gain_db / 20.0), float(setting.bw_oct), 1)


def new_reaeq_state(bands: list[EqBandSetting] | tuple[EqBandSetting, ...]) -> ReaEqState:
    """A fresh stereo ReaEQ state with the given bands (header generated, not copied)."""
    return ReaEqState(VstHeader(), tuple(band_from_setting(b) for b in bands), DEFAULT_TAIL)


def with_bands(state: ReaEqState, bands: list[EqBandSetting] | tuple[EqBandSetting, ...]) -> ReaEqState:
    """``state`` with its bands replaced (header pins, tail and program kept)."""
    return replace(state, bands=tuple(band_from_setting(b) for b in bands))


def vst_plugin_id_token() -> str:
    """The ``<VST`` id field: ``1919247729<hex of 'VST'+'reeq'+'reaeq' padded to 16 bytes>``."""
    raw = (b"VST" + struct.pack("<i", REAEQ_VST_ID)[::-1] + b"reaeq").ljust(16, b"\x00")
    return f"{REAEQ_VST_ID}<{raw.hex().upper()}>"


def plugin_file_for_platform(platform_hint: str) -> str:
    """ReaEQ's plug-in file for a platform hint (``win64``, ``OSX64``, ``macOS-arm64``, ``linux-x86_64`` …)."""
    hint = platform_hint.lower()
    if "osx" in hint or "mac" in hint or "darwin" in hint:
        return PLUGIN_FILES["mac"]
    if "linux" in hint:
        return PLUGIN_FILES["linux"]
    if "win" in hint or hint in ("x64", "x86") or hint.endswith("/x64") or hint.endswith("/x86"):
        return PLUGIN_FILES["win"]
    raise ProjectEditError(f"unknown platform {platform_hint!r} (expected win, mac/OSX or linux)")


AUTOMIX_EQ_RENAME = "automix EQ"
"""The FX rename field that marks the one ReaEQ per track automix owns."""

PARAMS_PER_BAND = 3
"""ReaEQ's automatable parameters come in threes per band: 3k frequency, 3k+1 gain, 3k+2 bandwidth
(then global gain, bypass, wet)."""


def band_gain_param(band_index: int) -> int:
    """ReaEQ's parameter index of the gain of band ``band_index`` (0-based, in the plug-in's band order)."""
    if band_index < 0:
        raise ProjectEditError(f"ReaEQ band index must be >= 0, got {band_index}")
    return PARAMS_PER_BAND * band_index + 1


GAIN_ENVELOPE_RANGE = (0.0, 4.0, 0.25)
"""(minimum, maximum, default) written on a band-gain ``<PARMENV`` line, in the domain of
:func:`gain_envelope_value` (**unverified**)."""


def gain_envelope_value(gain_db: float) -> float:
    """Envelope point value of a ReaEQ band gain, for headless projects: amplitude / 4 (0 dB → 0.25).

    **Unverified**: public sources give ReaEQ's gain two domains — the normalised
    API value (0 dB = 0.5) and the plug-in's "real" value, amplitude / 4, which
    envelope points are believed to store. This is the one place the headless
    mapping lives; inside REAPER the live actions start from it and calibrate
    against REAPER's own formatting (``TrackFX_FormatParamValue``), writing the
    value REAPER reads as the wanted gain (:mod:`automix.reaper.calibration`).
    """
    if not math.isfinite(gain_db):
        raise ProjectEditError(f"EQ band gain must be finite, got {gain_db!r} dB")
    return 10.0 ** (gain_db / 20.0) / 4.0


def gain_envelope_db(value: float) -> float:
    """The band gain in dB that :func:`gain_envelope_value` maps to ``value`` (its inverse; −inf for 0)."""
    if not (math.isfinite(value) and value >= 0):
        raise ProjectEditError(f"ReaEQ band-gain envelope value must be finite and >= 0, got {value!r}")
    return 20.0 * math.log10(4.0 * value) if value > 0 else -math.inf

