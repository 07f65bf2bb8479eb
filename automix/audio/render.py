"""Track stems from the project model, rendered in blocks as REAPER plays them pre-fader.

For every unmuted item whose active take has an audio source the renderer
applies: item position and length, take source offset (``SOFFS``), looping,
item volume × take volume, polarity, take pan, fade in/out, play rate and the
source's own sample rate (both by polyphase resampling,
:func:`automix.audio.resample.resample_poly_rows`: the numbers of
``scipy.signal.resample_poly`` without importing ``scipy.signal``);
overlapping items are summed. Not applied
(and said so in the :class:`RenderReport`): track fader/pan/mute/FX, take FX,
pitch shift. With *preserve pitch* on REAPER time-stretches; this renderer
resamples instead (same timing, pitch shifted by the rate): an approximation.

Take pan law (unverified against REAPER): stereo balance, 0 dB at centre —
the channel away from the pan direction is scaled by ``1 − |pan|``.

Output blocks are float32 arrays of shape ``(n, 2)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np

from automix.audio.io import AudioReader, has_audio_stream, open_audio
from automix.audio.panlaw import take_pan_gains
from automix.audio.resample import resample_poly_rows
from automix.errors import MediaError
from automix.project.model import Fade, Item, Project, Source, Take, Track

DEFAULT_BLOCK_S = 4.0
"""Default render block length in seconds."""

_MAX_RATIO_DENOMINATOR = 1000

MAX_SOURCE_PER_OUTPUT = 64
"""Most source samples an item may consume per output sample (play rate × source rate ÷ output
rate): a block then reads at most 64 blocks' worth of source (4 s at 48 kHz: 12 M samples)."""


@dataclass
class RenderReport:
    """What the renderer skipped or approximated (filled while rendering)."""

    skipped: list[str] = field(default_factory=list)
    approximations: list[str] = field(default_factory=list)

    def skip(self, track: Track, item: Item, reason: str) -> None:
        """Record a skipped item."""
        self.skipped.append(f"track {track.name!r} item at {item.position_s:g} s "
                            f"(line {item.line}): {reason}")

    def approximate(self, message: str) -> None:
        """Record an approximation (once)."""
        if message not in self.approximations:
            self.approximations.append(message)


def fade_curve(x: np.ndarray, shape: int) -> np.ndarray:
    """Fade-in gain for normalised time ``x`` in [0, 1] (fade-out uses ``1 − x``).

    Shape 0 is linear (REAPER's default). Other shapes are approximated by
    power/sine curves (REAPER's exact curves are unverified).
    """
    x = np.clip(x, 0.0, 1.0)
    if shape == 1:
        return np.sin(0.5 * np.pi * x)
    if shape in (2, 4, 6):
        return x * x
    if shape in (3, 5):
        return 1.0 - (1.0 - x) ** 2
    return x


def _item_envelope(item: Item, t_item_s: np.ndarray) -> np.ndarray:
    """Fade gains for item-relative times ``t_item_s`` (seconds from item start)."""
    g = np.ones_like(t_item_s)
    fin: Fade = item.fade_in
    fout: Fade = item.fade_out
    if fin.length_s > 0:
        m = t_item_s < fin.length_s
        g[m] *= fade_curve(t_item_s[m] / fin.length_s, fin.shape)
    if fout.length_s > 0:
        rem = item.length_s - t_item_s
        m = rem < fout.length_s
        g[m] *= fade_curve(rem[m] / fout.length_s, fout.shape)
    return g


class _ItemPlayer:
    """Produces one item's contribution to any range of timeline samples."""

    def __init__(self, track: Track, item: Item, reader: AudioReader, sample_rate: int,
                 report: RenderReport) -> None:
        take = item.active_take
        assert take is not None
        src = take.source
        self.item = item
        self.reader = reader
        self.sr = sample_rate
        self.src_sr = reader.info.sample_rate
        self.start = int(round(item.position_s * sample_rate))
        self.n = max(int(round(item.length_s * sample_rate)), 0)
        rate = take.play_rate if take.play_rate > 0 else 1.0
        # source samples consumed per output sample = rate * src_sr / sr
        exact = rate * self.src_sr / sample_rate
        if not 1 / _MAX_RATIO_DENOMINATOR <= exact <= MAX_SOURCE_PER_OUTPUT:
            raise MediaError(f"play rate {rate:g} × source rate {self.src_sr} Hz ÷ {sample_rate} Hz = {exact:g} "
                             f"source samples per output sample, outside the 1/{_MAX_RATIO_DENOMINATOR} … "
                             f"{MAX_SOURCE_PER_OUTPUT} automix renders", file=src.path, line=item.line,
                             track=track.name)
        ratio = Fraction(exact).limit_denominator(_MAX_RATIO_DENOMINATOR)
        self.down, self.up = ratio.numerator, ratio.denominator
        self.direct = self.up == 1 and self.down == 1
        sect0 = int(round(src.section_start_s * self.src_sr))
        if src.section_length_s > 0:
            sect_len = int(round(src.section_length_s * self.src_sr))
        else:
            sect_len = reader.info.frames - sect0
        self.sect0, self.sect_len = sect0, max(sect_len, 0)
        self.reversed = src.reversed
        self.loop = item.loop and self.sect_len > 0
        self.p0 = int(round(take.source_offset_s * self.src_sr))
        sign = -1.0 if take.polarity_inverted else 1.0
        gl, gr = take_pan_gains(take.pan)
        gain = sign * item.gain_amp * take.gain_amp
        self.gains = np.array([gain * gl, gain * gr], dtype=np.float32)
        self._interleaved_gains = np.zeros(0, np.float32)  # gains repeated per sample pair, grown on use
        self.channel_mode = take.channel_mode
        self.has_fades = item.fade_in.length_s > 0 or item.fade_out.length_s > 0
        if take.preserve_pitch and abs(rate - 1.0) > 1e-9:
            report.approximate("preserve-pitch play rates are rendered by resampling "
                               "(pitch shifts with the rate)")
        if take.pitch_semitones:
            report.approximate(f"take pitch shift ignored (track {track.name!r}, "
                               f"{take.pitch_semitones:g} semitones)")
        if self.channel_mode not in (0, 1, 2, 3, 4):
            report.approximate(f"channel mode {self.channel_mode} rendered as normal")

    def _source(self, start: int, count: int) -> np.ndarray:
        """Source samples ``[start, start+count)`` of the (section, looped) source, (count, ch)."""
        ch = self.reader.info.channels
        if count <= 0:
            return np.zeros((0, ch), np.float32)
        L = self.sect_len
        if not self.loop:
            lo, hi = max(start, 0), min(start + count, L)
            if lo == start and hi == start + count:
                return self._read_section(start, count)  # all inside the source: no copy
            out = np.zeros((count, ch), np.float32)
            if hi > lo:
                out[lo - start: hi - start] = self._read_section(lo, hi - lo)
            return out
        parts = []
        pos, left = start % L, count
        while left > 0:
            take_n = min(left, L - pos)
            parts.append(self._read_section(pos, take_n))
            left -= take_n
            pos = 0
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def _read_section(self, start: int, count: int) -> np.ndarray:
        if not self.reversed:
            return self.reader.read(self.sect0 + start, count)
        first = self.sect0 + self.sect_len - (start + count)
        return self.reader.read(first, count)[::-1]

    def _to_stereo(self, x: np.ndarray) -> np.ndarray:
        if x.shape[1] == 1:
            return np.repeat(x, 2, axis=1)
        mode = self.channel_mode
        if mode == 1:
            return x[:, [1, 0]]
        if mode == 2:
            m = x[:, :2].mean(axis=1, keepdims=True)
            return np.repeat(m, 2, axis=1)
        if mode == 3:
            return np.repeat(x[:, :1], 2, axis=1)
        if mode == 4:
            return np.repeat(x[:, 1:2], 2, axis=1)
        return x if x.shape[1] == 2 else x[:, :2]

    def contribution(self, block_start: int, n: int) -> tuple[int, np.ndarray] | None:
        """This item's float32 ``(m, 2)`` samples inside ``[block_start, block_start+n)``
        and their offset in the block, or None when it does not play there."""
        lo = max(block_start, self.start)
        hi = min(block_start + n, self.start + self.n)
        if hi <= lo:
            return None
        k0, k1 = lo - self.start, hi - self.start  # output samples relative to item start
        if self.direct:
            x = self._source(self.p0 + k0, k1 - k0)
        else:
            x = self._resampled(k0, k1)
        x = self._to_stereo(x)
        if not (x.flags.writeable and x.flags.owndata and x.flags.c_contiguous and x.dtype == np.float32):
            x = np.array(x, dtype=np.float32)
        self._apply_gains(x)
        if self.has_fades:
            self._apply_fades(x, k0)
        return lo - block_start, x

    def _apply_gains(self, x: np.ndarray) -> None:
        """Multiply the C-contiguous float32 ``(m, 2)`` samples in place by the left/right gains.

        Equal gains use a scalar; unequal ones a contiguous array of the gains
        repeated per sample (half the time of two strided column products).
        """
        gl, gr = float(self.gains[0]), float(self.gains[1])
        if gl == gr:
            if gl != 1.0:
                np.multiply(x, np.float32(gl), out=x)
            return
        flat = x.reshape(-1)
        if self._interleaved_gains.size < flat.size:
            self._interleaved_gains = np.tile(self.gains, x.shape[0])
        np.multiply(flat, self._interleaved_gains[:flat.size], out=flat)

    def _apply_fades(self, x: np.ndarray, k0: int) -> None:
        """Multiply ``x`` (item-relative samples k0…) by the fade gains, where they apply."""
        n = x.shape[0]
        fin = int(math.ceil(self.item.fade_in.length_s * self.sr))
        fout_start = int(math.floor((self.item.length_s - self.item.fade_out.length_s) * self.sr))
        spans = []
        if self.item.fade_in.length_s > 0 and k0 < fin:
            spans.append((0, min(n, fin - k0)))
        if self.item.fade_out.length_s > 0 and k0 + n > fout_start:
            spans.append((max(0, fout_start - k0), n))
        if len(spans) == 2 and spans[0][1] > spans[1][0]:
            spans = [(spans[0][0], spans[1][1])]  # overlapping fades: one pass applies both
        for a, b in spans:
            t = np.arange(k0 + a, k0 + b, dtype=np.float64) / self.sr
            x[a:b] *= _item_envelope(self.item, t)[:, None].astype(np.float32)

    def _resampled(self, k0: int, k1: int) -> np.ndarray:
        """Output samples k0..k1 (item-relative) by polyphase resampling of a padded window.

        Output sample k maps to source position ``p0 + k·down/up``; the window
        starts at ``p0 + m·down`` so that the resampler's output grid lands
        exactly on those positions; only outputs j0…j1 of the window are computed.
        """
        up, down = self.up, self.down
        pad_in = 12 * max(up, down) // up + 16  # filter half-length in input samples, plus margin
        pad_out = int(math.ceil(pad_in * up / down)) + up
        m = (k0 - pad_out) // up
        w0 = self.p0 + m * down
        j0 = k0 - m * up
        j1 = k1 - m * up
        n_in = int(math.ceil((j1 + pad_out) * down / up)) + 1
        window = self._source(w0, n_in)
        return resample_poly_rows(window, up, down, j0, j1 - j0)


def _players(project: Project, track: Track, sample_rate: int, report: RenderReport,
             readers: list[AudioReader]) -> list[_ItemPlayer]:
    players = []
    for item in track.items:
        take = item.active_take
        if take is None:
            report.skip(track, item, "empty item (no take)")
            continue
        if item.muted:
            report.skip(track, item, "item muted")
            continue
        if not take.source.is_audio:
            report.skip(track, item, f"non-audio source {take.source.kind}")
            continue
        if take.source.path is None or not Path(take.source.path).exists():
            raise MediaError("media file of item not found", file=take.source.path or take.source.file_text,
                             track=track.name, line=item.line)
        if take.source.kind == "VIDEO" and not has_audio_stream(take.source.path):
            report.skip(track, item, f"video without an audio stream ({Path(take.source.path).name})")
            continue
        reader = open_audio(take.source.path)
        readers.append(reader)
        players.append(_ItemPlayer(track, item, reader, sample_rate, report))
    return players


def render_track(project: Project, track: Track, *, sample_rate: int | None = None,
                 block_s: float = DEFAULT_BLOCK_S, end_s: float | None = None,
                 report: RenderReport | None = None) -> Iterator[np.ndarray]:
    """Yield the track's pre-fader stem as consecutive ``(n, 2)`` float32 blocks.

    Every block is a new array: the caller may keep or modify it.

    Args:
        project: the project model.
        track: one of its tracks.
        sample_rate: output rate in Hz (default: the project's).
        block_s: block length in seconds (the last block is shorter).
        end_s: render up to this time (default ``project.end_s``).
        report: collects skipped items and approximations.
    """
    sr = int(sample_rate or project.sample_rate)
    if sr <= 0:
        raise MediaError(f"sample rate must be positive, got {sr}", file=project.path)
    report = report if report is not None else RenderReport()
    total = int(round((project.end_s if end_s is None else end_s) * sr))
    block = max(int(round(block_s * sr)), 1)
    readers: list[AudioReader] = []
    try:
        players = _players(project, track, sr, report, readers)
        for start in range(0, total, block):
            n = min(block, total - start)
            out = None
            for p in players:
                c = p.contribution(start, n)
                if c is None:
                    continue
                offset, x = c
                if out is None and offset == 0 and x.shape[0] == n:
                    out = x  # the only or first item covering the whole block: no copy
                    continue
                if out is None:
                    out = np.zeros((n, 2), dtype=np.float32)
                target = out[offset: offset + x.shape[0]]
                np.add(target, x, out=target)
            yield out if out is not None else np.zeros((n, 2), dtype=np.float32)
    finally:
        for r in readers:
            r.close()


def render_track_full(project: Project, track: Track, *, sample_rate: int | None = None,
                      end_s: float | None = None, report: RenderReport | None = None) -> np.ndarray:
    """The whole stem as one ``(n, 2)`` float32 array (for short songs and tests)."""
    blocks = list(render_track(project, track, sample_rate=sample_rate, end_s=end_s, report=report))
    if not blocks:
        return np.zeros((0, 2), np.float32)
    return np.concatenate(blocks)


def render_file(path: str | Path, *, sample_rate: int | None = None, block_s: float = DEFAULT_BLOCK_S,
                length_s: float | None = None) -> Iterator[np.ndarray]:
    """Yield a whole audio file as ``(n, 2)`` blocks at ``sample_rate`` (resampled if needed).

    The file is played like an item at position 0 (mono duplicated to both
    channels); ``length_s`` pads with silence or truncates.
    """
    with open_audio(path) as reader:
        info = reader.info
    sr = int(sample_rate or info.sample_rate)
    dur = info.duration_s if length_s is None else float(length_s)
    src = Source(kind="WAVE", file_text=str(path), path=Path(path), exists=True)
    take = Take("", 1.0, False, 0.0, 0.0, 1.0, False, 0.0, 0, src)
    item = Item(0.0, info.duration_s, 0.0, False, 1.0, Fade(), Fade(), False, (take,), 0)
    track = Track(0, "", Path(path).name, 1.0, 0.0, False, False, 0, None, items=(item,))
    project = Project(None, Path(path).parent, "", sr, 120.0, (track,), (), ())
    yield from render_track(project, track, sample_rate=sr, block_s=block_s, end_s=dur)
