"""automix.audio.io: block decoding, padding outside the file, formats and clear errors."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from automix.audio.io import (
    M4A_INSTALL_HINT,
    PyAVReader,
    audio_info,
    iter_blocks,
    open_audio,
    read_audio,
)
from automix.errors import MediaError

SHARED = Path(__file__).resolve().parents[2] / "shared"


def _noise(n: int, ch: int, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).uniform(-0.5, 0.5, (n, ch))).astype(np.float32)


@pytest.mark.parametrize("fmt,subtype,tol", [("WAV", "PCM_24", 1e-6), ("WAV", "FLOAT", 0.0),
                                             ("FLAC", "PCM_16", 4e-5), ("AIFF", "PCM_16", 4e-5)])
def test_lossless_round_trip_in_blocks(tmp_path, fmt, subtype, tol):
    x = _noise(10007, 2)
    p = tmp_path / f"x.{fmt.lower()}"
    sf.write(p, x, 44100, format=fmt, subtype=subtype)
    info = audio_info(p)
    assert (info.sample_rate, info.channels, info.frames) == (44100, 2, 10007)
    assert info.duration_s == pytest.approx(10007 / 44100)
    blocks = list(iter_blocks(p, 1000))
    assert [b.shape[0] for b in blocks] == [1000] * 10 + [7]
    y = np.concatenate(blocks)
    assert y.dtype == np.float32 and y.shape == (10007, 2)
    np.testing.assert_allclose(y, x, atol=tol)


def test_ogg_vorbis_decodes_with_similar_level(tmp_path):
    t = np.arange(22050) / 22050
    x = 0.4 * np.sin(2 * np.pi * 440 * t)
    p = tmp_path / "x.ogg"
    sf.write(p, x, 22050, format="OGG", subtype="VORBIS")
    y, sr = read_audio(p)
    assert sr == 22050 and y.shape[1] == 1
    rms = float(np.sqrt(np.mean(y[2000:20000, 0] ** 2)))
    assert rms == pytest.approx(0.4 / np.sqrt(2), rel=0.05)


def test_reads_outside_the_file_are_zero_padded(tmp_path):
    x = _noise(100, 1)
    p = tmp_path / "m.wav"
    sf.write(p, x, 8000, subtype="FLOAT")
    with open_audio(p) as r:
        y = r.read(-10, 130)
        assert y.shape == (130, 1)
        assert np.all(y[:10] == 0) and np.all(y[110:] == 0)
        np.testing.assert_array_equal(y[10:110], x)
        assert r.read(500, 5).shape == (5, 1) and not r.read(500, 5).any()
        np.testing.assert_array_equal(r.read(40, 3), x[40:43])  # seek backwards works


def test_missing_and_undecodable_files_raise_media_error(tmp_path):
    with pytest.raises(MediaError, match="not found") as err:
        audio_info(tmp_path / "nope.wav")
    assert "nope.wav" in str(err.value)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"this is not audio at all" * 10)
    with pytest.raises(MediaError) as err:
        audio_info(bad)
    assert "bad.wav" in str(err.value)
    with pytest.raises(MediaError, match="block size"):
        list(iter_blocks(bad, 0))


def test_m4a_without_pyav_names_the_install_command(tmp_path, monkeypatch):
    p = tmp_path / "song.m4a"
    p.write_bytes(b"\x00" * 64)
    monkeypatch.setitem(sys.modules, "av", None)  # makes `import av` fail
    with pytest.raises(MediaError) as err:
        PyAVReader(p)
    assert "song.m4a" in str(err.value) and M4A_INSTALL_HINT in str(err.value)


def test_m4a_decodes_with_pyav(tmp_path):
    av = pytest.importorskip("av", reason="PyAV (the m4a extra) not installed")
    p = tmp_path / "tone.m4a"
    sr = 44100
    x = (0.3 * np.sin(2 * np.pi * 440 * np.arange(sr) / sr)).astype(np.float32)
    with av.open(str(p), "w") as c:
        s = c.add_stream("aac", rate=sr)
        s.layout = "stereo"
        frame = av.AudioFrame.from_ndarray(np.stack([x, x]), format="fltp", layout="stereo")
        frame.sample_rate = sr
        for pkt in s.encode(frame):
            c.mux(pkt)
        for pkt in s.encode(None):
            c.mux(pkt)
    info = audio_info(p)
    assert info.sample_rate == sr and info.channels == 2
    assert sr <= info.frames <= sr + 4096  # encoder priming/padding
    y = np.concatenate(list(iter_blocks(p, 5000)))
    assert y.shape == (info.frames, 2)
    rms = float(np.sqrt(np.mean(y[5000:40000] ** 2)))
    assert rms == pytest.approx(0.3 / np.sqrt(2), rel=0.02)
    with open_audio(p) as r:  # a backward read restarts decoding and gives the same samples
        a = r.read(20000, 100)
        b = r.read(100, 100)
        np.testing.assert_array_equal(r.read(20000, 100), a)
        assert b.shape == (100, 2)
    with open_audio(p) as r:  # many small consecutive reads equal one read of the whole file
        parts = [r.read(k, 777) for k in range(0, info.frames, 777)]
    np.testing.assert_array_equal(np.concatenate(parts)[:info.frames], y)
    assert np.all(parts[-1][info.frames % 777:] == 0.0)  # past the end: silence
    with open_audio(p) as r:  # forward skips
        np.testing.assert_array_equal(r.read(30000, 500), y[30000:30500])
        np.testing.assert_array_equal(r.read(40000, 10), y[40000:40010])
        np.testing.assert_array_equal(r.read(40005, 10), y[40005:40015])  # overlapping the last read
        r.read(42000, 300)[:] = 9.0  # the caller's copy: the reader's buffer is unchanged
        np.testing.assert_array_equal(r.read(42100, 100), y[42100:42200])


@pytest.mark.skipif(not (SHARED / "audio" / "caesium-cc0").is_dir(), reason="needs ../shared/audio/caesium-cc0")
def test_real_m4a_master_header():
    pytest.importorskip("av", reason="PyAV (the m4a extra) not installed")
    info = audio_info(SHARED / "audio" / "caesium-cc0" / "6.Caesium_Master_mobile.m4a")
    assert info.sample_rate == 24000 and info.channels == 2
    assert 200.0 < info.duration_s < 240.0


@pytest.mark.parametrize("fmt, codec", [("s16", "pcm_s16le"), ("flt", "pcm_f32le")])
def test_pyav_interleaved_and_integer_samples_become_float32_frames(tmp_path, fmt, codec):
    av = pytest.importorskip("av", reason="PyAV (the m4a extra) not installed")
    sr = 8000
    x = 0.5 * np.sin(2 * np.pi * 440 * np.arange(sr) / sr)
    p = tmp_path / f"tone_{fmt}.mka"
    planes = np.stack([x, -0.5 * x])
    data = (planes * 32767).astype(np.int16) if fmt == "s16" else planes.astype(np.float32)
    with av.open(str(p), "w") as c:
        s = c.add_stream(codec, rate=sr)
        s.layout = "stereo"
        frame = av.AudioFrame.from_ndarray(data.T.reshape(1, -1).copy(), format=fmt, layout="stereo")
        frame.sample_rate = sr
        for pkt in s.encode(frame):
            c.mux(pkt)
        for pkt in s.encode(None):
            c.mux(pkt)
    with PyAVReader(p) as r:
        y = r.read(100, 3000)
        assert y.dtype == np.float32 and y.shape == (3000, 2) and y.flags.c_contiguous
        tol = 1.5 / 32768 if fmt == "s16" else 1e-7
        np.testing.assert_allclose(y[:, 0], x[100:3100], atol=tol)
        np.testing.assert_allclose(y[:, 1], -0.5 * x[100:3100], atol=tol)
        y[:] = 7.0
        np.testing.assert_allclose(r.read(200, 50)[:, 0], x[200:250], atol=tol)


def _write_aac_noise(path, frames, sr, *, seed):
    """Write ``frames`` samples of stereo noise (amplitude 0.2) as AAC in an .m4a container; returns ``path``."""
    import av

    x = (0.2 * _noise(frames, 2, seed=seed)).astype(np.float32)
    with av.open(str(path), "w") as c:
        s = c.add_stream("aac", rate=sr)
        s.layout = "stereo"
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(x.T), format="fltp", layout="stereo")
        frame.sample_rate = sr
        for pkt in list(s.encode(frame)) + list(s.encode(None)):
            c.mux(pkt)
    return path


def test_pyav_reads_equal_the_decoders_own_frames_bit_for_bit(tmp_path):
    """Block reads of odd sizes (crossing the decoder's 1024-sample frames) equal PyAV's ``to_ndarray`` frames."""
    av = pytest.importorskip("av", reason="PyAV (the m4a extra) not installed")
    sr = 48000
    p = _write_aac_noise(tmp_path / "noise.m4a", 3 * sr, sr, seed=3)
    with av.open(str(p)) as c:
        reference = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1).T  # (n, 2) float32
    with PyAVReader(p) as r:
        n = r.info.frames
        blocks = [r.read(k, 4801) for k in range(-300, n, 4801)]
    y = np.concatenate(blocks)
    assert np.all(y[:300] == 0.0) and y.dtype == np.float32
    m = min(n, reference.shape[0])
    assert m > 3 * sr - 2048
    np.testing.assert_array_equal(y[300:300 + m], reference[:m])


def _aac_noise_read_whole(tmp_path, seconds: int, seed: int):
    """An AAC noise file of ``seconds`` at 48 kHz and its samples read in one call: (path, (n, 2) float32)."""
    pytest.importorskip("av", reason="PyAV (the m4a extra) not installed")
    sr = 48000
    p = _write_aac_noise(tmp_path / "noise.m4a", seconds * sr, sr, seed=seed)
    with PyAVReader(p) as r:
        return p, r.read(0, r.info.frames)


def test_pyav_reads_overlapping_the_previous_one_do_not_decode_the_file_again(tmp_path, monkeypatch):
    """Resampling windows overlap the previous read: they are served from the decoded frames (no restart)."""
    p, whole = _aac_noise_read_whole(tmp_path, seconds=2, seed=4)
    with PyAVReader(p) as r:
        opens = []
        real_open = r._open
        monkeypatch.setattr(r, "_open", lambda: (opens.append(1), real_open()))
        for k in range(0, r.info.frames - 6000, 4000):  # 6000-sample windows every 4000 samples
            np.testing.assert_array_equal(r.read(k, 6000), whole[k:k + 6000])
        assert opens == []


def test_pyav_decoded_samples_stay_a_few_reads_long_and_a_read_back_decodes_again(tmp_path):
    """Memory stays flat in file length: only the samples from the last read on are kept; earlier ones decode anew."""
    p, whole = _aac_noise_read_whole(tmp_path, seconds=4, seed=5)
    with PyAVReader(p) as r:
        for k in range(0, r.info.frames, 4000):
            n = min(4000, r.info.frames - k)
            np.testing.assert_array_equal(r.read(k, n), whole[k:k + n])
            assert r._store.shape[0] <= 3 * (4000 + 1024)  # a read, the FIFO's last frame, growth slack
        np.testing.assert_array_equal(r.read(1000, 3000), whole[1000:4000])  # before the kept samples
        past = r.read(r.info.frames - 10, 30)
        np.testing.assert_array_equal(past[:10], whole[-10:])
        assert past.shape == (30, 2) and np.all(past[10:] == 0.0)
