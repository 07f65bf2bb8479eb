"""Block-wise decoding of audio files (the I/O edge of the audio engine).

WAV, AIFF, FLAC, OGG/Vorbis and MP3 are decoded with soundfile (libsndfile).
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

from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import soundfile as sf

from automix.errors import MediaError
from automix.project.model import MAX_SAMPLE_RATE_HZ, MIN_SAMPLE_RATE_HZ

MAX_CHANNELS = 64
"""Most channels in a media file automix reads (7th-order ambisonics has 64); a 4 s block of 64
channels at 48 kHz is 49 MB."""

M4A_INSTALL_HINT = 'pip install "automix-reaper[m4a]"'
"""The command that installs the optional M4A/AAC decoder."""

_PYAV_SUFFIXES = frozenset({".m4a", ".mp4", ".aac", ".alac", ".wma", ".opus", ".wv", ".ape",
                            ".mov", ".m4v", ".mkv", ".webm", ".avi"})
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
    """Reader backed by libsndfile (WAV, AIFF, FLAC, OGG, MP3)."""

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        try:
            self._file = sf.SoundFile(str(self._path))
        except (sf.LibsndfileError, RuntimeError, OSError) as exc:
            raise MediaError(f"cannot decode audio: {exc}", file=self._path) from exc
        try:
            self.info = AudioInfo(self._path, int(self._file.samplerate), int(self._file.channels),
                                  int(self._file.frames), str(self._file.format)).check()
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


class PyAVReader(AudioReader):
    """Reader backed by PyAV (FFmpeg) for M4A/AAC and other compressed formats.

    Decodes forward only, keeping a window of decoded samples; a read before
    the window restarts decoding from the beginning of the file.
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
        self._chunks: deque[np.ndarray] = deque()  # decoded frames as (channels, n) arrays, in order
        self._buf_start = 0  # file position of the first sample of the first chunk
        self._buffered = 0  # samples in the chunks

    def _count_frames(self, stream, rate: int) -> int:
        if stream.duration is not None and stream.time_base is not None:
            return int(round(float(stream.duration * stream.time_base) * rate))
        total = 0
        for frame in self._frames_iter:
            total += frame.samples
        self.close()
        self._open()
        return total

    def _decode_more(self) -> bool:
        """Append the next decoded frame (a few ms of audio) to the chunks; False at the end.

        Frames stay in the decoder's sample format, as ``(channels, n)``
        arrays (views for interleaved formats): conversion to float32 happens
        once per read, not once per frame.
        """
        try:
            frame = next(self._frames_iter)
            raw = frame.to_ndarray()
            if not frame.format.is_planar:
                raw = raw.reshape(-1, len(frame.layout.channels)).T
        except StopIteration:
            return False
        except (self._av.error.FFmpegError, ValueError, KeyError, TypeError) as exc:  # type: ignore[attr-defined]
            raise MediaError(f"cannot decode audio after {self._buf_start + self._buffered} frames: {exc}",
                             file=self._path) from None
        self._chunks.append(raw)
        self._buffered += raw.shape[1]
        return True

    def _fetch(self, start: int, n: int) -> np.ndarray:
        """Samples ``[start, start + n)`` as float32 ``(m, channels)`` (fewer at the end of the file).

        Reads are mostly consecutive: decoded frames are kept as a list of
        chunks, joined once per read (joining per frame would copy the block
        over and over), and everything before ``start`` is dropped.
        """
        if start < self._buf_start:
            self.close()
            self._open()
        while self._buf_start + self._buffered < start + n:
            if not self._decode_more():
                break
        while self._chunks and self._buf_start + self._chunks[0].shape[1] <= start:
            dropped = self._chunks.popleft()
            self._buf_start += dropped.shape[1]
            self._buffered -= dropped.shape[1]
        if not self._chunks:
            self._buf_start = max(self._buf_start, start)
            return np.zeros((0, self.info.channels), np.float32)
        joined = np.concatenate(self._chunks, axis=1) if len(self._chunks) > 1 else self._chunks[0]
        rel = start - self._buf_start
        data = np.array(joined[: self.info.channels, rel: rel + n].T, dtype=np.float32, order="C")  # a copy
        if np.issubdtype(joined.dtype, np.integer):
            data /= float(np.iinfo(joined.dtype).max) + 1.0
        self._chunks = deque([joined[:, rel:]])
        self._buffered -= rel
        self._buf_start = start
        return data

    def read(self, start_frame: int, n_frames: int) -> np.ndarray:
        return self._padded(start_frame, n_frames, self._fetch)

    def close(self) -> None:
        self._container.close()


def open_audio(path: str | Path) -> AudioReader:
    """Open ``path`` with the right backend; raises MediaError if missing/undecodable."""
    p = Path(path)
    if not p.exists():
        raise MediaError("media file not found", file=p)
    if p.suffix.lower() in _PYAV_SUFFIXES:
        return PyAVReader(p)
    try:
        return SoundfileReader(p)
    except MediaError as sf_error:
        try:
            return PyAVReader(p)
        except MediaError:
            raise sf_error from None


def has_audio_stream(path: str | Path) -> bool:
    """False for a media container PyAV opens that holds no audio stream (a video-only clip), else True.

    Only containers (the suffixes PyAV decodes) are probed; any other file, or
    one that cannot be opened, counts as audio so that reading it reports the
    real problem.
    """
    p = Path(path)
    if p.suffix.lower() not in _PYAV_SUFFIXES or not p.is_file():
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
