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
        # decoded frames in order, each as one 1-D array per channel (views of the frame's planes)
        self._chunks: deque[list[np.ndarray]] = deque()
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

    def _decode_until(self, end: int) -> None:
        """Decode frames (a few ms of audio each) until the chunks reach file position ``end`` or the file ends.

        Each frame is kept in the decoder's sample format as one 1-D array per
        channel: views of planar frames' planes (no copy), strided columns of
        interleaved ones. Samples are converted and interleaved once per read.
        """
        channels = self.info.channels
        try:
            while self._buf_start + self._buffered < end:
                frame = next(self._frames_iter)
                n = frame.samples
                fmt = frame.format
                dtype = _PYAV_SAMPLE_DTYPES[fmt.packed.name]  # KeyError: a format automix does not read
                if fmt.is_planar:
                    columns = [np.frombuffer(plane, dtype, n) for plane in frame.planes[:channels]]
                else:
                    raw = np.frombuffer(frame.planes[0], dtype, n * len(frame.layout.channels))
                    raw = raw.reshape(n, -1)
                    columns = [raw[:, c] for c in range(min(channels, raw.shape[1]))]
                self._chunks.append(columns)
                self._buffered += n
        except StopIteration:
            return
        except (self._av.error.FFmpegError, ValueError, KeyError, TypeError) as exc:  # type: ignore[attr-defined]
            raise MediaError(f"cannot decode audio after {self._buf_start + self._buffered} frames: {exc}",
                             file=self._path) from None

    def _drop_before(self, start: int) -> None:
        """Forget the decoded samples before file position ``start``."""
        while self._chunks and self._buf_start + self._chunks[0][0].shape[0] <= start:
            n = self._chunks.popleft()[0].shape[0]
            self._buf_start += n
            self._buffered -= n
        if self._chunks and start > self._buf_start:
            cut = start - self._buf_start
            self._chunks[0] = [c[cut:] for c in self._chunks[0]]
            self._buf_start += cut
            self._buffered -= cut

    def _fetch(self, start: int, n: int) -> np.ndarray:
        """Samples ``[start, start + n)`` as float32 ``(m, channels)`` (fewer at the end of the file).

        Reads are mostly consecutive or overlap the previous one (resampling
        windows): decoded frames are kept from ``start`` on, each channel of
        the frames covering the read is joined once and written into the
        interleaved result, and everything before ``start`` is dropped.
        Integer samples are scaled to [-1, 1).
        """
        if start < self._buf_start:
            self.close()
            self._open()
        self._decode_until(start + n)
        self._drop_before(start)
        m = min(n, self._buffered)
        if not self._chunks or m <= 0:
            self._buf_start = max(self._buf_start, start)
            return np.zeros((0, self.info.channels), np.float32)
        used = 0  # chunks wholly inside the read
        covered = 0
        while used < len(self._chunks) and covered + self._chunks[used][0].shape[0] <= m:
            covered += self._chunks[used][0].shape[0]
            used += 1
        parts = [self._chunks[k] for k in range(used)]
        if covered < m:  # the read ends inside the next chunk
            parts.append([c[: m - covered] for c in self._chunks[used]])
        dtype = parts[0][0].dtype
        data = np.empty((m, self.info.channels), np.float32)
        for c in range(len(parts[0])):
            data[:, c] = np.concatenate([p[c] for p in parts]) if len(parts) > 1 else parts[0][c]
        data[:, len(parts[0]):] = 0.0
        if np.issubdtype(dtype, np.integer):
            data /= float(np.iinfo(dtype).max) + 1.0
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
