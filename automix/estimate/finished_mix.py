"""Mixing parameters (gain, pan, 5-band EQ) that turn stems into a reference mix.

Model, per region, channel c ∈ {L, R} and sub-band b::

    mix_c,b(t) ≈ Σ_k a_k,c,b · stem_k,c,b(t)        a ≥ 0

solved by non-negative least squares on per-frame features: for every frame
(``frame_s``, default 0.1 s, Hann window, 50 % overlap) the band-limited
cross-energies ``Σ stem_k·stem_j`` and ``Σ stem_k·mix`` (from the frame's FFT,
bins of each sub-band of :mod:`automix.audio.bands`) are accumulated over the
frames lying entirely inside the region (frames straddling a boundary, where
parameters change, are left out; so are frames where the mix clips or has
ended). A track is excluded from a frame when its frame RMS is below
``inactive_rms`` (0.001 = −60 dBFS; the MLR paper uses 0.01 on its own scale).
Because the regression is on waveforms (the frame cross-energies are its
sufficient statistics), correlated stems — bleed — are handled exactly. On a
real mix, processing the stems do not contain (reverb, compression,
saturation) is not a linear function of them: it lowers the fit (see
``residual_db``) and biases gains low; the energy regression of the MLR paper
is the alternative for such material (not implemented here).

* broadband ``a_k,c`` = the same regression over all bands (one per channel);
* gain: ``g = sqrt((a_L² + a_R²) / 2)`` and pan from ``(a_L, a_R)`` by the
  constant-power law ``L = √2·cos θ·g``, ``R = √2·sin θ·g``, ``θ = (pan+1)·π/4``
  (0 dB in each channel at centre), in :func:`gain_pan_from_channel_gains`;
* EQ: per band the same ``g_b`` from ``a_k,·,b``; ``eq_db[b] = g_b,dB − g_dB``.

Optional EMA smoothing produces a frame-wise gain track (1 s windows) as in
the MLR paper. Low-confidence estimates (silent, barely active, collinear
with another stem, absent from the mix, mono mix) are flagged with reasons.

This module is the streaming pass (alignment, framing, accumulation of the
cross-energies); the solve and the result records are :mod:`automix.estimate.solve`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np
from scipy.fft import next_fast_len, rfft, rfftfreq

from automix.audio.bands import N_BANDS
from automix.errors import EstimationError
from automix.estimate.alignment import (
    Alignment,
    apply_alignment,
    detect_alignments,
    shift_blocks,
)
from automix.estimate.solve import CrossEnergies, Estimate, smoothed_gains, solve_region
from automix.features.framing import band_masks
from automix.features.region import RegionSpan

BlockSource = Callable[[], Iterator[np.ndarray]]
"""A callable returning a fresh iterator of ``(n, 2)`` float blocks (for two passes)."""

INACTIVE_RMS = 1e-3
"""Default frame RMS below which a stem counts as inactive in a frame (−60 dBFS)."""
CLIP_LEVEL = 0.999
"""Mix samples at or above this magnitude count as clipped."""
CHUNK_FRAMES = 16
"""Frames transformed at once (memory ≈ 16 · n_tracks · frame · 2 channels · 16 bytes · a few copies)."""


def _stereo(block: np.ndarray) -> np.ndarray:
    x = np.asarray(block, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.shape[1] == 1:
        x = np.repeat(x, 2, axis=1)
    return x[:, :2]


def _excerpt(source: BlockSource, n: int) -> np.ndarray:
    """The first ``n`` samples of a source as a mono float32 ``(n,)`` (for alignment)."""
    parts, got = [], 0
    for b in source():
        x = np.asarray(b, dtype=np.float32)
        x = x.mean(axis=1) if x.ndim == 2 else x
        parts.append(np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0))
        got += x.shape[0]
        if got >= n:
            break
    return np.concatenate(parts)[:n] if parts else np.zeros(0, np.float32)


def _detect_all(excerpts: list[tuple[str, np.ndarray]], mix_ex: np.ndarray, sample_rate: int,
                max_lag_s: float) -> list[Alignment]:
    """Per-stem alignments: first one offset common to every stem (a trimmed or delayed mix,
    found from the sum of the stems), then each stem's own residual offset/polarity."""
    n = max(e.shape[0] for _, e in excerpts)
    total = np.zeros(n, np.float32)
    for _, e in excerpts:
        total[: e.shape[0]] += e
    common = detect_alignments([("all stems", total)], mix_ex, sample_rate, max_lag_s=max_lag_s)[0]
    if common.changes_signal and common.polarity < 0:
        common = Alignment(common.track, common.offset_samples, 1, common.correlation, True)  # offset only
    if common.changes_signal:
        excerpts = [(name, apply_alignment(e, common)) for name, e in excerpts]
    own = detect_alignments(excerpts, mix_ex, sample_rate, max_lag_s=min(max_lag_s, 0.1))
    if not common.changes_signal:
        return own
    return [Alignment(a.track, common.offset_samples + a.offset_samples, a.polarity, a.correlation, True)
            for a in own]


@dataclass
class _StreamCounts:
    """What one streaming pass has seen so far.

    Attributes:
        pos: samples framed so far: the sample index of the first buffered sample.
        mix_len: the mix's length in samples once it has ended, else None.
        nonfinite: NaN/inf samples replaced by 0.
        clipped_frames: frames left out because the mix clips.
    """

    pos: int = 0
    mix_len: int | None = None
    nonfinite: int = 0
    clipped_frames: int = 0


@dataclass(frozen=True)
class _FrameGrid:
    """How frames are cut, transformed and assigned to regions.

    ``frame``/``hop`` in samples (50 % overlap); ``window`` the Hann window
    ``(frame,)``; ``masks`` ``(5, n_bins)`` the sub-band bins of an
    ``nfft``-point FFT; ``starts_s``/``ends_s`` ``(n_regions,)`` the regions'
    bounds; ``keep_frames``: keep per-frame sums too (for smoothed gains).
    """

    sample_rate: int
    frame: int
    hop: int
    nfft: int
    window: np.ndarray
    masks: np.ndarray
    starts_s: np.ndarray
    ends_s: np.ndarray
    inactive_rms: float
    keep_frames: bool

    @classmethod
    def make(cls, sample_rate: int, frame_s: float, regions: Sequence[RegionSpan], inactive_rms: float,
             keep_frames: bool) -> _FrameGrid:
        frame = max(int(round(frame_s * sample_rate)), 16)
        nfft = next_fast_len(frame)
        return cls(sample_rate, frame, frame // 2, nfft, np.hanning(frame + 2)[1:-1],
                   band_masks(rfftfreq(nfft, 1.0 / sample_rate)),
                   np.array([r.start_s for r in regions]), np.array([r.end_s for r in regions]),
                   inactive_rms, keep_frames)


def estimate_mix(stems: Sequence[tuple[str, BlockSource]], mix: BlockSource, sample_rate: int,
                 regions: Sequence[RegionSpan], *, frame_s: float = 0.1, align: bool = True,
                 align_excerpt_s: float = 15.0, max_lag_s: float = 0.1, smoothing: float | None = None,
                 smoothing_window_s: float = 1.0, inactive_rms: float = INACTIVE_RMS,
                 mix_channels: int = 2) -> Estimate:
    """Estimate per region and track gain_db, pan and eq_db[5] (see the module docstring).

    Args:
        stems: ``(name, block source)`` pairs; blocks ``(n, 2)`` (or mono) at ``sample_rate``.
        mix: block source of the reference mix at ``sample_rate``.
        sample_rate: Hz, shared by stems and mix.
        regions: spans to estimate over (a frame counts when it lies entirely inside one).
        frame_s: analysis frame length in seconds.
        align: detect and correct constant offsets / polarity flips first.
        smoothing: EMA coefficient (e.g. 0.9) for frame-wise gains, or None.
        mix_channels: 1 when the reference mix is mono (pan is then not measurable).
    """
    if not stems:
        raise EstimationError("no stems to estimate")
    if not regions:
        raise EstimationError("no regions to estimate over")
    alignments = _alignments(stems, mix, sample_rate, align_excerpt_s, max_lag_s) if align else []
    grid = _FrameGrid.make(sample_rate, frame_s, regions, inactive_rms, smoothing is not None)
    sources = [shift_blocks(src(), alignments[i]) if align else src() for i, (_, src) in enumerate(stems)]
    acc = CrossEnergies(len(regions), len(stems))
    counts = _StreamCounts()
    for chunk, first_sample in _frame_chunks(sources + [mix()], grid, counts):
        _accumulate(acc, chunk, first_sample, grid, counts)
    warnings = [f"alignment corrected: {a.describe(sample_rate)}" for a in alignments if a.changes_signal]
    warnings += _stream_warnings(counts, grid, mix_channels)
    names = [n for n, _ in stems]
    results = tuple(solve_region(acc, r, reg, names, mix_channels) for r, reg in enumerate(regions))
    times, gains = (None, None)
    if smoothing is not None:
        times, gains = smoothed_gains(acc, grid.hop / sample_rate, smoothing_window_s, smoothing)
    return Estimate(sample_rate, results, tuple(alignments), tuple(warnings), times, gains)


def _alignments(stems: Sequence[tuple[str, BlockSource]], mix: BlockSource, sample_rate: int,
                excerpt_s: float, max_lag_s: float) -> list[Alignment]:
    """Each stem's alignment to the mix, from the first ``excerpt_s`` seconds of each."""
    n_ex = int(excerpt_s * sample_rate)
    mix_ex = _excerpt(mix, n_ex)
    excerpts = [(name, _excerpt(src, n_ex)) for name, src in stems]
    return _detect_all(excerpts, mix_ex, sample_rate, max_lag_s)


def _stream_warnings(counts: _StreamCounts, grid: _FrameGrid, mix_channels: int) -> list[str]:
    """What the user should know about the material (short mix, bad samples, clipping, mono)."""
    out = []
    if counts.mix_len is not None and counts.mix_len + grid.frame < counts.pos:
        out.append(f"mix ends at {counts.mix_len / grid.sample_rate:.2f} s, before the stems: later frames ignored")
    if counts.nonfinite:
        out.append(f"{counts.nonfinite} NaN/inf samples replaced by 0")
    if counts.clipped_frames:
        out.append(f"{counts.clipped_frames} frames with a clipped mix excluded")
    if mix_channels == 1:
        out.append("reference mix is mono: pan not measurable (reported 0)")
    return out


class _Buffers:
    """The samples of each source (the stems, then the mix) read but not yet framed, ``(n, 2)`` each."""

    def __init__(self, sources: list[Iterator[np.ndarray]], counts: _StreamCounts) -> None:
        self.sources = sources
        self.counts = counts
        self.data = [np.zeros((0, 2)) for _ in sources]
        self.exhausted = [False] * len(sources)
        self.mix = len(sources) - 1

    def _mix_ended(self) -> None:
        self.exhausted[self.mix] = True
        self.counts.mix_len = self.counts.pos + self.data[self.mix].shape[0]

    def read_each(self) -> None:
        """Append the next block of every source not yet exhausted (NaN/inf → 0, counted)."""
        for i, it in enumerate(self.sources):
            if self.exhausted[i]:
                continue
            b = next(it, None)
            if b is None:
                if i == self.mix:
                    self._mix_ended()
                else:
                    self.exhausted[i] = True
                continue
            raw = np.asarray(b)
            n_bad = int(raw.size - np.count_nonzero(np.isfinite(raw)))
            x = _stereo(raw)
            if n_bad:
                self.counts.nonfinite += n_bad
                x = np.where(np.isfinite(x), x, 0.0)
            self.data[i] = np.concatenate([self.data[i], x]) if self.data[i].size else x

    def read_mix_until(self, n: int) -> None:
        """Read the mix until ``n`` samples are buffered or it ends (NaN/inf → 0)."""
        while not self.exhausted[self.mix] and self.data[self.mix].shape[0] < n:
            b = next(self.sources[self.mix], None)
            if b is None:
                self._mix_ended()
            else:
                self.data[self.mix] = np.concatenate(
                    [self.data[self.mix], np.nan_to_num(_stereo(b), nan=0.0, posinf=0.0, neginf=0.0)])

    def stems_ended(self) -> bool:
        """True once every stem source is exhausted."""
        return all(self.exhausted[:self.mix])

    def available(self) -> int:
        """Samples buffered in every source still running."""
        return min(d.shape[0] for d, done in zip(self.data, self.exhausted) if not done)

    def longest_stem(self) -> int:
        """Samples buffered in the stem holding most."""
        return max(d.shape[0] for d in self.data[:self.mix])

    def take(self, used: int, keep_from: int) -> list[np.ndarray]:
        """The first ``used`` samples of each source (zero-padded); keeps those from ``keep_from`` on."""
        out = [d if d.shape[0] >= used else np.concatenate([d, np.zeros((used - d.shape[0], 2))])
               for d in self.data]
        self.data = [d[keep_from:] for d in out]
        self.counts.pos += keep_from
        return [d[:used] for d in out]


def _frame_chunks(sources: list[Iterator[np.ndarray]], grid: _FrameGrid,
                  counts: _StreamCounts) -> Iterator[tuple[np.ndarray, int]]:
    """Frames of the stems and the mix, ``(K+1, ≤ CHUNK_FRAMES, frame, 2)``, with the first frame's sample index.

    Frames run until the longest stem ends (the mix and shorter stems padded
    with silence); ``counts`` is updated as the sources are read.
    """
    buffers = _Buffers(sources, counts)
    frame, hop = grid.frame, grid.hop
    while True:
        buffers.read_each()
        final = buffers.stems_ended()
        if final:
            n_frames = -(-buffers.longest_stem() // hop)
            buffers.read_mix_until((n_frames - 1) * hop + frame)
        else:
            n_avail = buffers.available()
            n_frames = 0 if n_avail < frame else 1 + (n_avail - frame) // hop
        if n_frames > 0:
            first = counts.pos
            views = [_frames(d, frame, hop) for d in buffers.take((n_frames - 1) * hop + frame, n_frames * hop)]
            for c0 in range(0, n_frames, CHUNK_FRAMES):  # bounded memory: spectra of a few frames at a time
                yield np.stack([v[c0:c0 + CHUNK_FRAMES] for v in views]), first + c0 * hop
        if final:
            return


def _frames(x: np.ndarray, frame: int, hop: int) -> np.ndarray:
    """``(n, 2)`` → ``(n_frames, frame, 2)`` strided view, frames every ``hop`` samples."""
    n_frames = 1 + (x.shape[0] - frame) // hop
    x = np.ascontiguousarray(x)
    s0, s1 = x.strides
    return np.lib.stride_tricks.as_strided(x, (n_frames, frame, 2), (s0 * hop, s0, s1), writeable=False)


def _accumulate(acc: CrossEnergies, fr: np.ndarray, pos: int, grid: _FrameGrid, counts: _StreamCounts) -> None:
    """Add the cross-energies of frames ``fr`` (K+1, F, N, 2) — stems then mix — to ``acc``.

    ``pos`` is the sample index of the first frame's start. Frames where the
    mix has ended or clips count for no region (clipped ones are counted).
    """
    k = fr.shape[0] - 1
    n_frames, frame = fr.shape[1], fr.shape[2]
    rms = np.sqrt(np.mean(fr[:k] ** 2, axis=(2, 3)))  # (K, F)
    active = rms > grid.inactive_rms
    first = pos + np.arange(n_frames) * grid.hop
    valid = np.ones(n_frames, bool) if counts.mix_len is None else first + frame <= counts.mix_len
    mix_abs = np.abs(fr[k])
    # hard clipping at full scale: samples pinned near ±1 and none above (a float mix may exceed 1)
    clipped = (np.mean(mix_abs >= CLIP_LEVEL, axis=(1, 2)) > 0.001) & (mix_abs.max(axis=(1, 2)) <= 1.0001)
    counts.clipped_frames += int((clipped & valid).sum())
    valid &= ~clipped
    fr = np.ascontiguousarray(fr.transpose(0, 1, 3, 2)) * grid.window  # (K+1, F, 2, N)
    spec = rfft(fr, grid.nfft, axis=-1)  # (K+1, F, 2, B)
    spec[:k] *= active[:, :, None, None]
    end_s = (first + frame) / grid.sample_rate
    first_s = first / grid.sample_rate
    # a frame counts for a region only when it lies entirely inside it (parameters change at bounds)
    region_of = [(first_s >= s - 1e-9) & (end_s <= e + 1e-9) & valid for s, e in zip(grid.starts_s, grid.ends_s)]
    if grid.keep_frames:
        acc.frame_gram.append(np.zeros((n_frames, 2, k, k)))
        acc.frame_cross.append(np.zeros((n_frames, 2, k)))
    for b in range(N_BANDS):
        sb = spec[..., grid.masks[b]]  # (K+1, F, 2, nb)
        for c in range(2):
            x = sb[:, :, c, :]  # (K+1, F, nb)
            for r, sel in enumerate(region_of):
                if sel.any() and x.shape[2]:
                    xs = x[:, sel, :].reshape(k + 1, -1)
                    tot = (xs @ xs.conj().T).real
                    acc.gram[r, b, c] += tot[:k, :k]
                    acc.cross[r, b, c] += tot[:k, k]
                    acc.mix_energy[r] += tot[k, k]
            if grid.keep_frames and x.shape[2]:
                xf = np.ascontiguousarray(x.transpose(1, 0, 2))  # (F, K+1, nb)
                g = np.matmul(xf, xf.conj().transpose(0, 2, 1)).real
                acc.frame_gram[-1][:, c] += g[:, :k, :k] * valid[:, None, None]
                acc.frame_cross[-1][:, c] += g[:, :k, k] * valid[:, None]
    for r, sel in enumerate(region_of):
        acc.frames[r] += sel.sum()
        acc.active[r] += active[:, sel].sum(axis=1)


def estimate_from_arrays(stems: Sequence[tuple[str, np.ndarray]], mix: np.ndarray, sample_rate: int,
                         regions: Sequence[RegionSpan] | None = None, *, block_s: float = 4.0,
                         **kwargs) -> Estimate:
    """:func:`estimate_mix` on in-memory arrays ``(n,)`` or ``(n, channels)`` (short songs, tests)."""
    block = max(int(block_s * sample_rate), 1)

    def source(a: np.ndarray) -> BlockSource:
        return lambda: (a[i:i + block] for i in range(0, a.shape[0], block))

    mix_arr = np.asarray(mix)
    if regions is None:
        n = max([np.asarray(s).shape[0] for _, s in stems] + [0])
        regions = [RegionSpan("song", 0.0, n / sample_rate)]
    mono = mix_arr.ndim == 1 or mix_arr.shape[1] == 1
    kwargs.setdefault("mix_channels", 1 if mono else 2)
    return estimate_mix([(n, source(np.asarray(s))) for n, s in stems], source(mix_arr), sample_rate,
                        regions, **kwargs)
