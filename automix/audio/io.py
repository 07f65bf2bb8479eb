"""Block-wise decoding of audio files (the I/O edge of the audio engine).

WAV, AIFF, FLAC, OGG/Vorbis and MP3 are decoded with soundfile (libsndfile);
plain PCM / float WAV files that libsndfile opened are then read with numpy
(:class:`WavReader`, :mod:`automix.audio.wav`: the same samples, faster).
M4A/AAC, the audio stream of video containers (MP4, MOV, MKV, WebM, AVI:
REAPER's ``<SOURCE VIDEO`` items) and anything else libsndfile cannot open is
decoded with the optional PyAV package (``pip install "automix-reaper[m4a]"``); without it a
:class:`~automix.errors.MediaError` names the file and that command.

Every reader returns float32 arrays of shape ``(n_frames, n_channels)``.
Reads outside the file (negative start, past the end) return zeros there, so
callers can ask for padded windows without bounds arithmetic.

A file whose header is garbage, whose sample rate lies outside
:data:`~automix.project.model.MIN_SAMPLE_RATE_HZ` …
:data:`~automix.project.model.MAX_SAMPLE_RATE_HZ`, whose channel count is not
1 … :data:`MAX_CHANNELS`, or whose data cannot be decoded raises
:class:`~automix.errors.MediaError` naming the file — whichever decoder
(libsndfile, then FFmpeg) tripped over it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import soundfile as sf

from automix.audio.wav import WavLayout, pcm_to_float32, wav_layout
from automix.errors import MediaError
from automix.project.model import MAX_SAMPLE_RATE_HZ, MIN_SAMPLE_RATE_HZ

MAX_CHANNELS = 64
"""Most channels in a media file automix reads (7th-order ambisonics has 64); a 4 s block of 64
channels at 48 kHz is 49 MB."""

M4A_INSTALL_HINT = 'pip install "automix-reaper[m4a]"'
"""The command that installs the optional M4A/AAC decoder."""

_PYAV_SUFFIXES = frozenset({".m4a", ".mp4", ".aac", ".alac", ".wma", ".opus", ".wv", ".ape",
                            ".mov", ".m4v", ".mkv", ".webm", ".avi"})
_PYAV_SAMPLE_DTYPES = {"flt": np.dtype(np.float32), "dbl": np.dtype(np.float64), "s16": np.dtype(np.int16),
                       "s32": np.dtype(np.int32), "u8": np.dtype(np.uint8)}
"""numpy dtype of FFmpeg's sample formats (packed names; the planar ones end in ``p``)."""

NO_AUDIO_STREAM = "no audio stream in file"
"""The :class:`~automix.errors.MediaError` message for a container without audio (a video-only clip)."""


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds: ``frames`` samples per channel at ``sample_rate`` Hz."""

    path: Path
    sample_rate: int
    channels: int
    frames: int
    format: str

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate if self.sample_rate else 0.0

    def check(self) -> "AudioInfo":
        """Raise MediaError (naming the file) unless rate, channels and length are usable; returns self."""
        if not MIN_SAMPLE_RATE_HZ <= self.sample_rate <= MAX_SAMPLE_RATE_HZ:
            raise MediaError(f"sample rate {self.sample_rate} Hz outside the {MIN_SAMPLE_RATE_HZ} … "
                             f"{MAX_SAMPLE_RATE_HZ} Hz automix reads (broken header?)", file=self.path)
        if not 1 <= self.channels <= MAX_CHANNELS:
            raise MediaError(f"{self.channels} channels, automix reads 1 … {MAX_CHANNELS} (broken header?)",
                             file=self.path)
        if self.frames < 0:
            raise MediaError(f"negative length {self.frames} frames (broken header?)", file=self.path)
        return self


class AudioReader:
    """Random-access reader of one audio file; use as a context manager.

    ``read(start_frame, n_frames)`` returns ``(n_frames, channels)`` float32,
    zero outside ``[0, frames)``.
    """

    info: AudioInfo

    def read(self, start_frame: int, n_frames: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def __enter__(self) -> "AudioReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _padded(self, start_frame: int, n_frames: int, fetch) -> np.ndarray:
        if start_frame >= 0 and start_frame + n_frames <= self.info.frames and n_frames > 0:
            data = fetch(start_frame, n_frames)
            if data.shape[0] == n_frames:
                return data
            out = np.zeros((n_frames, self.info.channels), dtype=np.float32)
            out[: data.shape[0]] = data
            return out
        out = np.zeros((max(n_frames, 0), self.info.channels), dtype=np.float32)
        lo = max(start_frame, 0)
        hi = min(start_frame + n_frames, self.info.frames)
        if hi > lo:
            data = fetch(lo, hi - lo)
            out[lo - start_frame: lo - start_frame + data.shape[0]] = data
        return out


class SoundfileReader(AudioReader):
    """Reader backed by libsndfile (WAV, AIFF, FLAC, OGG, MP3); ``subtype`` is its sample format (``PCM_24`` …)."""

    subtype: str

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        try:
            self._file = sf.SoundFile(str(self._path))
        except (sf.LibsndfileError, RuntimeError, OSError) as exc:
            raise MediaError(f"cannot decode audio: {exc}", file=self._path) from exc
        try:
            self.info = AudioInfo(self._path, int(self._file.samplerate), int(self._file.channels),
                                  int(self._file.frames), str(self._file.format)).check()
            self.subtype = str(self._file.subtype)
        except MediaError:
            self._file.close()
            raise
        self._pos = 0

    def _fetch(self, start: int, n: int) -> np.ndarray:
        try:
            if start != self._pos:
                self._file.seek(start)
            data = self._file.read(n, dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError, ValueError, OSError) as exc:
            raise MediaError(f"cannot decode audio at frame {start}: {exc}", file=self._path) from None
        self._pos = start + data.shape[0]
        return data

    def read(self, start_frame: int, n_frames: int) -> np.ndarray:
        return self._padded(start_frame, n_frames, self._fetch)

    def close(self) -> None:
        self._file.close()


class WavReader(AudioReader):
    """Reader of plain PCM / float WAV files with numpy (:mod:`automix.audio.wav`): soundfile's samples, faster.

    Opened by :func:`open_audio` after soundfile has opened the same file and
    agreed on its rate, channels, length and sample format.
    """

    def __init__(self, path: Path, layout: WavLayout, info: AudioInfo) -> None:
        self._path = path
        self._layout = layout
        self.info = info
        try:
            self._file = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise MediaError(f"cannot open audio: {exc}", file=path) from None
        self._raw = bytearray(0)

    def _fetch(self, start: int, n: int) -> np.ndarray:
        lay = self._layout
        size = n * lay.frame_bytes
        if len(self._raw) < lay.lead + size:
            self._raw = bytearray(lay.lead + size)
        try:
            self._file.seek(lay.data_offset + start * lay.frame_bytes)
            got = self._file.readinto(memoryview(self._raw)[lay.lead: lay.lead + size])
        except OSError as exc:
            raise MediaError(f"cannot read audio at frame {start}: {exc}", file=self._path) from None
        return pcm_to_float32(self._raw, lay, (got or 0) // lay.frame_bytes)

    def read(self, start_frame: int, n_frames: int) -> np.ndarray:
        return self._padded(start_frame, n_frames, self._fetch)

    def close(self) -> None:
        self._file.close()


class PyAVReader(AudioReader):
    """Reader backed by PyAV (FFmpeg) for M4A/AAC and other compressed formats.

    Decodes forward only. Decoded frames (1024 samples each for AAC) go
    into an FFmpeg sample FIFO, one call per frame; when a read needs them
    they leave it as one frame, converted once into a float32 ``(n, channels)``
    store that keeps the samples from the last read's start on (reads overlap by a
    resampling window). A read before the store restarts decoding from
    the beginning of the file.
    """

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        try:
            import av  # noqa: F401
        except ImportError as exc:
            raise MediaError(f"this format needs the optional PyAV decoder: {M4A_INSTALL_HINT}",
                             file=self._path) from exc
        self._av = av
        self._open()
        try:
            stream = self._container.streams.audio[0]
            rate = int(stream.codec_context.sample_rate or 0)
            channels = int(stream.codec_context.channels or 0)
            self.info = AudioInfo(self._path, rate, channels, 0, stream.codec_context.name.upper()).check()
            frames = self._count_frames(stream, rate)
        except MediaError:
            self.close()
            raise
        except (AttributeError, TypeError, ValueError, KeyError, OverflowError, ZeroDivisionError,
                av.error.FFmpegError) as exc:  # what FFmpeg makes of a garbage header varies
            self.close()
            raise MediaError(f"cannot decode audio (unreadable stream header: {exc})", file=self._path) from None
        self.info = AudioInfo(self._path, rate, channels, frames, stream.codec_context.name.upper()).check()

    def _open(self) -> None:
        try:
            self._container = self._av.open(str(self._path))
            if not self._container.streams.audio:
                raise MediaError(NO_AUDIO_STREAM, file=self._path)
        except self._av.error.FFmpegError as exc:  # type: ignore[attr-defined]
            raise MediaError(f"cannot decode audio: {exc}", file=self._path) from exc
        self._frames_iter = self._container.decode(audio=0)
        self._fifo = self._av.AudioFifo()
        self._queued = 0  # samples in the FIFO
        self._store = np.zeros((0, 0), np.float32)  # decoded samples (capacity, channels), rows [_lo, _hi)
        self._lo = self._hi = 0
        self._buf_start = 0  # file position of row _lo

    def _count_frames(self, stream, rate: int) -> int:
        if stream.duration is not None and stream.time_base is not None:
            return int(round(float(stream.duration * stream.time_base) * rate))
        total = 0
        for frame in self._frames_iter:
            total += frame.samples
        self.close()
        self._open()
        return total

    def _decode_until(self, end: int) -> None:
        """Decode until the samples reach file position ``end`` or the file ends, then move them to the store."""
        need = end - self._buf_start - (self._hi - self._lo)
        queued, write, frames = self._queued, self._fifo.write, self._frames_iter
        try:
            try:
                while queued < need:
                    frame = next(frames)
                    frame.pts = None  # the FIFO checks timestamps are contiguous: positions are counted here
                    write(frame)
                    queued += frame.samples
            except StopIteration:
                pass
            finally:
                self._queued = queued
            if queued:
                self._store_frame(self._fifo.read())
        except (self._av.error.FFmpegError, ValueError, KeyError, TypeError) as exc:  # type: ignore[attr-defined]
            raise MediaError(f"cannot decode audio after {self._buf_start + self._hi - self._lo} frames: {exc}",
                             file=self._path) from None

    def _store_frame(self, frame) -> None:
        """Append the FIFO's frame to the store as float32 (integer samples scaled to [-1, 1)).

        The store is ``(capacity, channels)``, what reads return; channels the
        frame lacks are zero.
        """
        n = frame.samples
        fmt = frame.format
        dtype = _PYAV_SAMPLE_DTYPES[fmt.packed.name]  # KeyError: a format automix does not read
        channels = self.info.channels
        if self._hi + n > self._store.shape[0]:
            kept = self._store[self._lo:self._hi]
            held = kept.shape[0]
            store = np.empty((max(2 * held, held + n), channels), np.float32) \
                if held + n > self._store.shape[0] else self._store
            if held:
                store[:held] = kept  # moves down in place when the store is large enough
            self._store, self._lo, self._hi = store, 0, held
        rows = self._store[self._hi: self._hi + n]
        if fmt.is_planar:
            planes = [np.frombuffer(plane, dtype, n) for plane in frame.planes[:channels]]
        else:
            raw = np.frombuffer(frame.planes[0], dtype, n * len(frame.layout.channels)).reshape(n, -1)
            planes = list(raw[:, :channels].T)
        for c, plane in enumerate(planes):
            rows[:, c] = plane
        rows[:, len(planes):] = 0.0
        if np.issubdtype(dtype, np.integer):
            rows /= float(np.iinfo(dtype).max) + 1.0
        self._hi += n
        self._queued -= n

    def _drop_before(self, start: int) -> None:
        """Forget the decoded samples before file position ``start``."""
        cut = min(max(start - self._buf_start, 0), self._hi - self._lo)
        self._lo += cut
        self._buf_start += cut

    def _fetch(self, start: int, n: int) -> np.ndarray:
        """Samples ``[start, start + n)`` as float32 ``(m, channels)`` (fewer at the end of the file).

        Reads are mostly consecutive or overlap the previous one (resampling
        windows): the samples from ``start`` on are kept, the ones before
        are dropped.
        """
        if start < self._buf_start:
            self.close()
            self._open()
        self._decode_until(start + n)
        self._drop_before(start)
        if start > self._buf_start:  # past the end of the file
            return np.zeros((0, self.info.channels), np.float32)
        m = min(n, self._hi - self._lo)
        return self._store[self._lo: self._lo + m].copy()

    def read(self, start_frame: int, n_frames: int) -> np.ndarray:
        return self._padded(start_frame, n_frames, self._fetch)

    def close(self) -> None:
        self._container.close()


def open_audio(path: str | Path) -> AudioReader:
    """Open ``path`` with the right backend; raises MediaError if missing/undecodable."""
    p = Path(path)
    if not p.exists():
        raise MediaError("media file not found", file=p)
    if decoded_by_pyav(p):
        return PyAVReader(p)
    try:
        reader = SoundfileReader(p)
    except MediaError as sf_error:
        try:
            return PyAVReader(p)
        except MediaError:
            raise sf_error from None
    layout = wav_layout(p) if reader.info.format in ("WAV", "WAVEX") else None
    if layout is None or (layout.frames, layout.channels, layout.sample_rate, layout.subtype) != \
            (reader.info.frames, reader.info.channels, reader.info.sample_rate, reader.subtype):
        return reader
    reader.close()
    return WavReader(p, layout, reader.info)


def decoded_by_pyav(path: str | Path) -> bool:
    """True for media read through PyAV (AAC, ALAC, Opus … in containers), whose decoding runs frame by frame
    under the interpreter lock: two such files decode on two cores only in two processes."""
    return Path(path).suffix.lower() in _PYAV_SUFFIXES


def has_audio_stream(path: str | Path) -> bool:
    """False for a media container PyAV opens that holds no audio stream (a video-only clip), else True.

    Only containers (the suffixes PyAV decodes) are probed; any other file, or
    one that cannot be opened, counts as audio so that reading it reports the
    real problem.
    """
    p = Path(path)
    if not decoded_by_pyav(p) or not p.is_file():
        return True
    try:
        import av
    except ImportError:
        return True
    try:
        with av.open(str(p)) as container:
            return bool(container.streams.audio)
    except av.error.FFmpegError:
        return True


def audio_info(path: str | Path) -> AudioInfo:
    """Sample rate, channels and length of ``path``."""
    with open_audio(path) as reader:
        return reader.info


def iter_blocks(path: str | Path, block_frames: int) -> Iterator[np.ndarray]:
    """Consecutive ``(<= block_frames, channels)`` float32 blocks of the whole file."""
    if block_frames <= 0:
        raise MediaError(f"block size must be positive, got {block_frames}", file=path)
    with open_audio(path) as reader:
        for start in range(0, reader.info.frames, block_frames):
            yield reader.read(start, min(block_frames, reader.info.frames - start))


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """The whole file as ``((n_frames, channels) float32, sample_rate)``; for short files."""
    with open_audio(path) as reader:
        return reader.read(0, reader.info.frames), reader.info.sample_rate
