"""Where the samples of a plain WAV file are, and their conversion to float32 as libsndfile converts them.

A RIFF/WAVE file whose ``fmt `` chunk says integer PCM of 16, 24 or 32 bits
or IEEE float of 32 bits (format tag 1 or 3, or WAVE_FORMAT_EXTENSIBLE with
one of those sub-formats), little-endian, holds its samples interleaved from
one offset of the file on: :func:`wav_layout` finds it by walking the chunks.
:func:`pcm_to_float32` turns the raw bytes of ``n`` frames into float32
``(n, channels)`` with libsndfile's scaling (integers divided by 2^15, 2^23 or
2^31; float copied), which is exact in float32 for 16- and 24-bit samples and
one rounding for 32-bit ones, so the samples equal ``soundfile``'s bit for bit
(``tests/test_wav.py``) at about a third of its time on 24-bit files (numpy
passes instead of a per-sample loop). Anything else (RF64, big-endian RIFX,
8-bit, 64-bit float, compressed formats, inconsistent headers) gives None:
those files are read with soundfile.
"""

from __future__ import annotations

import struct
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE
_MAX_CHUNKS = 64
"""Chunks looked at before the data chunk (``LIST``, ``bext``, ``JUNK`` …); more and the file goes to soundfile."""


@dataclass(frozen=True)
class WavLayout:
    """Where and how the samples of a plain WAV file are stored.

    Attributes:
        data_offset: byte offset of the first sample in the file.
        frames: whole frames in the data chunk that the file really holds.
        channels, sample_rate: from the ``fmt `` chunk.
        sample_bytes: 2, 3 or 4.
        is_float: IEEE float (32-bit) rather than signed integer PCM.
    """

    data_offset: int
    frames: int
    channels: int
    sample_rate: int
    sample_bytes: int
    is_float: bool

    @property
    def frame_bytes(self) -> int:
        """Bytes per frame (all channels)."""
        return self.sample_bytes * self.channels

    @property
    def lead(self) -> int:
        """Scratch bytes before the frames in a read buffer (1 for 24-bit samples, see :func:`pcm_to_float32`)."""
        return 1 if self.sample_bytes == 3 else 0

    @property
    def subtype(self) -> str:
        """soundfile's name of the sample format (``PCM_16``, ``PCM_24``, ``PCM_32``, ``FLOAT``)."""
        return "FLOAT" if self.is_float else f"PCM_{8 * self.sample_bytes}"


def wav_layout(path: str | Path) -> WavLayout | None:
    """The :class:`WavLayout` of a plain WAV file, or None for any other file (see the module docstring)."""
    if sys.byteorder != "little":
        return None
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, 2)
            fh.seek(0)
            if fh.read(12)[:4] != b"RIFF":
                return None
            fh.seek(8)
            if fh.read(4) != b"WAVE":
                return None
            fmt = None
            pos = 12
            for _ in range(_MAX_CHUNKS):
                fh.seek(pos)
                head = fh.read(8)
                if len(head) < 8:
                    return None
                chunk_id, chunk_size = head[:4], struct.unpack("<I", head[4:])[0]
                if chunk_id == b"fmt ":
                    fmt = _parse_fmt(fh.read(min(chunk_size, 40)))
                elif chunk_id == b"data":
                    if fmt is None:
                        return None
                    channels, rate, sample_bytes, is_float = fmt
                    stored = min(chunk_size, size - (pos + 8))
                    return WavLayout(pos + 8, stored // (sample_bytes * channels), channels, rate,
                                     sample_bytes, is_float)
                pos += 8 + chunk_size + (chunk_size & 1)  # chunks are padded to an even size
    except OSError:
        return None
    return None


def _parse_fmt(body: bytes) -> tuple[int, int, int, bool] | None:
    """``(channels, sample_rate, sample_bytes, is_float)`` of a ``fmt `` chunk this module reads, else None."""
    if len(body) < 16:
        return None
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", body[:16])
    if tag == _EXTENSIBLE:
        if len(body) < 40:
            return None
        valid_bits = struct.unpack("<H", body[18:20])[0]
        tag = struct.unpack("<H", body[24:26])[0]  # the sub-format GUID starts with the format tag
        if valid_bits not in (0, bits):
            return None
    if channels < 1 or bits % 8 or block_align != channels * bits // 8:
        return None
    if (tag, bits) in ((_PCM, 16), (_PCM, 24), (_PCM, 32)):
        return channels, rate, bits // 8, False
    if (tag, bits) == (_FLOAT, 32):
        return channels, rate, 4, True
    return None


def pcm_to_float32(raw: bytearray, layout: WavLayout, n: int) -> np.ndarray:
    """float32 ``(n, channels)`` from the bytes of ``n`` frames, stored from byte :attr:`~WavLayout.lead` of ``raw`` on.

    A 24-bit sample is read as the high three bytes of the little-endian
    int32 that starts one byte before it (the first one's starts at the
    scratch byte 0); the low byte is cleared.
    """
    count = n * layout.channels
    out = np.empty((n, layout.channels), np.float32)
    flat = out.reshape(-1)
    if layout.is_float:
        flat[...] = np.frombuffer(raw, np.float32, count)
    elif layout.sample_bytes == 2:
        np.multiply(np.frombuffer(raw, np.int16, count), np.float32(2.0 ** -15), out=flat, dtype=np.float32,
                    casting="unsafe")
    elif layout.sample_bytes == 3:
        words = np.ndarray((count,), np.int32, raw, offset=0, strides=(3,))
        shifted = np.bitwise_and(words, np.int32(-256))  # the sample × 2^8
        np.multiply(shifted, np.float32(2.0 ** -31), out=flat, dtype=np.float32, casting="unsafe")
    else:
        np.multiply(np.frombuffer(raw, np.int32, count), np.float32(2.0 ** -31), out=flat, dtype=np.float32,
                    casting="unsafe")
    return out
