"""Benchmark of the audio engine: render + features versus plain decoding, and peak memory.

Generates a session of ``--tracks`` stereo 24-bit WAV files of ``--minutes``
at 44.1 kHz in a temporary folder (16 × 4 min ≈ 2 GB), then in the same run:

1. decode every file block by block with soundfile (the baseline),
2. render every track from a project model (one item per track, with item
   volume, take pan and fades so the real code paths run) and feed the blocks
   to the streaming per-region feature accumulator (20 ms frames + BS.1770),

and prints the ratio (2) / (1) (target ≤ 1.5) of wall time and of CPU time
(the best of ``--repeat`` interleaved runs: on a shared machine wall time is noisy). Peak RSS of (2) is
measured in a fresh child process for half the song length and the full
length (target ≤ 400 MB and not growing with length).

Usage: ``python3 benchmarks/bench_audio.py [--tracks 16] [--minutes 4] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from automix.features import RegionFeatureAccumulator, RegionSpan  # noqa: E402
from automix.project import Fade, Item, Project, Source, Take, Track  # noqa: E402
from automix.render import render_track  # noqa: E402

SR = 44100
BLOCK_S = 4.0


def generate_session(folder: Path, n_tracks: int, minutes: float, seed: int = 0) -> list[Path]:
    """Write ``n_tracks`` stereo PCM_24 WAVs of ``minutes`` (cheap synthetic content)."""
    rng = np.random.default_rng(seed)
    n_total = int(minutes * 60 * SR)
    paths = []
    for k in range(n_tracks):
        p = folder / f"track{k:02d}.wav"
        pattern = rng.standard_normal((SR, 2)).astype(np.float32) * 0.1
        pattern *= np.exp(-np.arange(SR) / (SR * (0.05 + 0.02 * k)))[:, None].astype(np.float32)
        with sf.SoundFile(p, "w", samplerate=SR, channels=2, subtype="PCM_24") as fh:
            for start in range(0, n_total, SR):
                n = min(SR, n_total - start)
                fh.write(pattern[:n] * np.float32(rng.uniform(0.2, 1.0)))
        paths.append(p)
    return paths


def session_project(folder: Path, paths: list[Path], minutes: float) -> Project:
    length_s = minutes * 60
    tracks = []
    for k, p in enumerate(paths):
        src = Source("WAVE", p.name, p, True)
        take = Take(p.stem, 0.8, False, (k % 5 - 2) / 4.0, 0.0, 1.0, False, 0.0, 0, src)
        item = Item(0.0, length_s, 0.0, False, 1.0, Fade(0.5, 0), Fade(1.0, 0), False, (take,), 0)
        tracks.append(Track(k, f"{{T{k}}}", p.stem, 1.0, 0.0, False, False, 0, None, items=(item,)))
    return Project(None, folder, "7.0", SR, 120.0, tuple(tracks), (), ())


def decode_only(paths: list[Path]) -> tuple[float, float]:
    """(wall s, CPU s) to decode every file in blocks with soundfile."""
    t0, c0 = time.perf_counter(), time.process_time()
    block = int(BLOCK_S * SR)
    for p in paths:
        with sf.SoundFile(p) as fh:
            while True:
                data = fh.read(block, dtype="float32", always_2d=True)
                if data.shape[0] == 0:
                    break
    return time.perf_counter() - t0, time.process_time() - c0


def render_and_features(project: Project, minutes: float) -> tuple[float, float]:
    """(wall s, CPU s) to render every track and feed the streaming feature accumulator."""
    length_s = minutes * 60
    q = length_s / 4
    regions = [RegionSpan(f"part {i + 1}", i * q, (i + 1) * q) for i in range(4)]
    t0, c0 = time.perf_counter(), time.process_time()
    for track in project.tracks:
        acc = RegionFeatureAccumulator(SR, regions, track=track.name, frame_s=0.02)
        for block in render_track(project, track, block_s=BLOCK_S, end_s=length_s):
            acc.push(block)
        acc.finish()
    return time.perf_counter() - t0, time.process_time() - c0


def _child(folder: Path, n_tracks: int, minutes: float) -> None:
    paths = [folder / f"track{k:02d}.wav" for k in range(n_tracks)]
    render_and_features(session_project(folder, paths, minutes), minutes)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{peak_kb / 1024:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tracks", type=int, default=16)
    ap.add_argument("--minutes", type=float, default=4.0)
    ap.add_argument("--repeat", type=int, default=3, help="timing repetitions (best is kept)")
    ap.add_argument("--keep", type=Path, help="use/keep the session in this folder")
    ap.add_argument("--child", nargs=3, metavar=("DIR", "TRACKS", "MINUTES"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(Path(args.child[0]), int(args.child[1]), float(args.child[2]))
        return
    tmp = None
    if args.keep:
        folder = args.keep
        folder.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="automix-bench-")
        folder = Path(tmp.name)
    try:
        t0 = time.perf_counter()
        paths = [folder / f"track{k:02d}.wav" for k in range(args.tracks)]
        if not all(p.exists() for p in paths):
            paths = generate_session(folder, args.tracks, args.minutes)
        size_gb = sum(p.stat().st_size for p in paths) / 1e9
        print(f"session: {args.tracks} tracks x {args.minutes:g} min, 44.1 kHz 24-bit stereo, "
              f"{size_gb:.2f} GB (ready in {time.perf_counter() - t0:.1f} s)")
        decode_only(paths)  # warm the page cache so both timings read from memory
        project = session_project(folder, paths, args.minutes)
        dec, ren = [], []
        for _ in range(args.repeat):  # interleaved; the machine may be shared, keep the best of each
            dec.append(decode_only(paths))
            ren.append(render_and_features(project, args.minutes))
        d_wall, d_cpu = min(d[0] for d in dec), min(d[1] for d in dec)
        r_wall, r_cpu = min(r[0] for r in ren), min(r[1] for r in ren)
        print(f"decode only (soundfile): wall {d_wall:.2f} s, CPU {d_cpu:.2f} s (best of {args.repeat})")
        print(f"render + features:       wall {r_wall:.2f} s, CPU {r_cpu:.2f} s")
        print(f"ratio render+features / decode: wall {r_wall / d_wall:.2f}, CPU {r_cpu / d_cpu:.2f}  (target <= 1.5)")
        for minutes in (args.minutes / 2, args.minutes):
            out = subprocess.run([sys.executable, __file__, "--child", str(folder), str(args.tracks), str(minutes)],
                                 check=True, capture_output=True, text=True).stdout.strip()
            print(f"peak RSS render + features, {minutes:g} min: {out} MB  (target <= 400, flat in length)")
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
