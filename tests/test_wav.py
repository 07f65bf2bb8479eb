"""Plain WAV files read with numpy: the samples soundfile gives, bit for bit, and soundfile for everything else."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import soundfile as sf

from automix.audio.io import SoundfileReader, WavReader, open_audio
from automix.audio.wav import wav_layout

SR = 44100


def _signal(n: int, channels: int, seed: int = 0) -> np.ndarray:
    x = np.clip(np.random.default_rng(seed).standard_normal((n, channels)) * 0.4, -1.0, 1.0)
    x[:4] = 1.0  # full scale: the largest codes
    x[4:8] = -1.0
    return x


def _soundfile_samples(path) -> np.ndarray:
    with sf.SoundFile(str(path)) as fh:
        return fh.read(dtype="float32", always_2d=True)


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "PCM_32", "FLOAT"])
@pytest.mark.parametrize("container", ["WAV", "WAVEX"])
@pytest.mark.parametrize("channels", [1, 2, 3])
def test_plain_wav_samples_equal_soundfiles_bit_for_bit(tmp_path, subtype, container, channels):
    p = tmp_path / "x.wav"
    sf.write(str(p), _signal(20011, channels), SR, subtype=subtype, format=container)
    reference = _soundfile_samples(p)
    with open_audio(p) as r:
        assert isinstance(r, WavReader)
        assert (r.info.frames, r.info.channels, r.info.sample_rate) == (20011, channels, SR)
        blocks = [r.read(k, 4099) for k in range(-100, 20011 + 300, 4099)]
        inside = r.read(1234, 777)
    y = np.concatenate(blocks)
    assert y.dtype == np.float32 and y.flags.c_contiguous
    assert np.all(y[:100] == 0.0) and np.all(y[100 + 20011:] == 0.0)
    np.testing.assert_array_equal(y[100:100 + 20011], reference)
    np.testing.assert_array_equal(inside, reference[1234:2011])
    assert np.max(reference) <= 1.0 and np.min(reference) == -1.0


@pytest.mark.parametrize("subtype, container", [("DOUBLE", "WAV"), ("PCM_U8", "WAV"), ("PCM_24", "FLAC"),
                                                ("PCM_16", "AIFF")])
def test_other_files_are_read_by_soundfile(tmp_path, subtype, container):
    p = tmp_path / f"x.{container.lower()}"
    sf.write(str(p), _signal(3000, 2), SR, subtype=subtype, format=container)
    assert wav_layout(p) is None
    with open_audio(p) as r:
        assert isinstance(r, SoundfileReader)
        np.testing.assert_array_equal(r.read(0, 3000), _soundfile_samples(p))


def _with_chunk_before_data(src, dst, chunk_id: bytes, body: bytes) -> None:
    """Copy a canonical WAV inserting one chunk (padded to an even size) between ``fmt `` and ``data``."""
    raw = src.read_bytes()
    data_at = raw.index(b"data")
    chunk = chunk_id + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")
    out = raw[:data_at] + chunk + raw[data_at:]
    dst.write_bytes(out[:4] + struct.pack("<I", len(out) - 8) + out[8:])


def test_chunks_before_the_data_are_skipped_with_their_padding(tmp_path):
    plain = tmp_path / "plain.wav"
    sf.write(str(plain), _signal(5000, 2), SR, subtype="PCM_24")
    p = tmp_path / "listed.wav"
    _with_chunk_before_data(plain, p, b"LIST", b"INFOISFT\x05\0\0\0odd!\0")  # 17 bytes: one pad byte
    layout = wav_layout(p)
    assert layout is not None and layout.data_offset == wav_layout(plain).data_offset + 8 + 18
    with open_audio(p) as r:
        assert isinstance(r, WavReader)
        np.testing.assert_array_equal(r.read(0, 5000), _soundfile_samples(plain))


def test_a_truncated_file_reads_what_it_holds_as_soundfile_does(tmp_path):
    p = tmp_path / "cut.wav"
    sf.write(str(p), _signal(5000, 2), SR, subtype="PCM_24")
    p.write_bytes(p.read_bytes()[:-1000])  # the data chunk claims 1000 bytes more than the file holds
    reference = _soundfile_samples(p)
    layout = wav_layout(p)
    assert layout is not None and layout.frames == (5000 * 6 - 1000) // 6 == reference.shape[0]
    with open_audio(p) as r:
        assert isinstance(r, WavReader) and r.info.frames == reference.shape[0]
        y = r.read(0, 5000)
    np.testing.assert_array_equal(y[:reference.shape[0]], reference)
    assert np.all(y[reference.shape[0]:] == 0.0)


def test_headers_this_reader_does_not_know_give_no_layout(tmp_path):
    p = tmp_path / "x.wav"
    sf.write(str(p), _signal(100, 2), SR, subtype="PCM_16")
    raw = bytearray(p.read_bytes())
    rifx = tmp_path / "rifx.wav"
    rifx.write_bytes(b"RIFX" + raw[4:])
    nofmt = tmp_path / "nofmt.wav"
    fmt_at = raw.index(b"fmt ")
    nofmt.write_bytes(raw[:fmt_at] + b"junk" + raw[fmt_at + 4:])  # the fmt chunk renamed: data without a format
    bad_align = tmp_path / "align.wav"
    raw[fmt_at + 8 + 12: fmt_at + 8 + 14] = struct.pack("<H", 3)  # block align 3 for 2 × 16-bit
    bad_align.write_bytes(bytes(raw))
    assert [wav_layout(q) for q in (rifx, nofmt, bad_align, tmp_path / "missing.wav")] == [None] * 4
