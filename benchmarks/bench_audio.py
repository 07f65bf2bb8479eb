"""Benchmark of the audio engine: render + features versus plain decoding, and peak memory.

Generates a session of ``--tracks`` stereo 24-bit WAV files of ``--minutes``
at 44.1 kHz in a temporary folder (16 × 4 min ≈ 1 GB), then in the same run,
in groups of 2 × ``--threads`` tracks and back to back (order alternating):

1. decode their files block by block with soundfile (the baseline, one thread),
2. render the tracks from a project model (one item per track, with item
   volume, take pan and fades so the real code paths run) and compute their
   per-section features (20 ms frames + BS.1770) with
   :func:`automix.features.analysis.analyse_tracks`, as ``automix mix`` does (one track
   per core by default),

and prints the ratio of the summed times (2) / (1) (target ≤ 1.5) for each of
``--repeat`` rounds (after an untimed warm-up) and their median, for wall and
CPU time. Interleaving in
small groups keeps a shared machine's slow speed drifts (±20 % here) out of
the ratio. Peak RSS of (2) is measured in a fresh child process for half the
song length and the full length (target ≤ 400 MB and not growing with length).

The same paired timing runs on a folder of real recordings (``--real``,
default the Cambridge raw tracks in ``../shared`` when present).

Usage: ``python3 benchmarks/bench_audio.py [--tracks 16] [--minutes 4] [--repeat 5] [--threads N] [--keep DIR] [--real DIR]``
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

from automix.features.analysis import analyse_tracks, default_analysis_threads  # noqa: E402
from automix.knowledge.sections import SongSection  # noqa: E402
from automix.project.model import Fade, Item, Project, Source, Take, Track  # noqa: E402

SR = 44100
BLOCK_S = 4.0
REAL_DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "audio" / "cambridge-actions-south-of-the-water-raw"


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


def decode_file(path: Path) -> None:
    """Decode one file in blocks with soundfile (the baseline)."""
    block = int(BLOCK_S * SR)
    with sf.SoundFile(path) as fh:
        while True:
            data = fh.read(block, dtype="float32", always_2d=True)
            if data.shape[0] == 0:
                break


def decode_files(paths: list[Path]) -> None:
    """Decode each file in blocks with soundfile (the baseline)."""
    for p in paths:
        decode_file(p)


def real_project(folder: Path) -> tuple[list[Path], Project]:
    """The audio files of ``folder`` as a project: one track per file, its item at 0 s."""
    paths, tracks = [], []
    for p in sorted(folder.iterdir()):
        try:
            info = sf.info(str(p))
        except (sf.LibsndfileError, RuntimeError):
            continue
        take = Take(p.stem, 1.0, False, 0.0, 0.0, 1.0, False, 0.0, 0, Source("WAVE", p.name, p, True))
        item = Item(0.0, info.duration, 0.0, False, 1.0, Fade(), Fade(), False, (take,), 0)
        tracks.append(Track(len(tracks), f"{{R{len(tracks)}}}", p.stem, 1.0, 0.0, False, False, 0, None,
                            items=(item,)))
        paths.append(p)
    return paths, Project(None, folder, "7.0", SR, 120.0, tuple(tracks), (), ())


def _sections(length_s: float) -> tuple[SongSection, ...]:
    q = length_s / 4
    return tuple(SongSection("verse", f"part {i + 1}", i * q, (i + 1) * q, i + 1) for i in range(4))


def render_and_analyse(project: Project, tracks: list[Track], length_s: float, threads: int) -> None:
    """Render ``tracks`` and compute their features per section, as ``automix mix`` does."""
    for _ in analyse_tracks(project, tracks, _sections(length_s), SR, threads=threads):
        pass


def _timed(fn, *args) -> np.ndarray:
    t0, c0 = time.perf_counter(), time.process_time()
    fn(*args)
    return np.array([time.perf_counter() - t0, time.process_time() - c0])


def paired_round(paths: list[Path], project: Project, length_s: float, threads: int,
                 flip: bool) -> tuple[np.ndarray, np.ndarray]:
    """One round, 2 × ``threads`` tracks at a time: decode their files, and render + analyse them, back to back.

    Returns the summed (wall s, CPU s) of decoding and of render + features.
    Interleaving in small groups (order alternating) exposes both to the same
    machine state: slow drifts of a shared machine cancel in the ratio.
    """
    dec, ren = np.zeros(2), np.zeros(2)
    tracks = list(project.tracks)
    size = 2 * threads
    for k, g in enumerate(range(0, len(tracks), size)):
        group_paths, group_tracks = paths[g:g + size], tracks[g:g + size]
        if (k % 2 == 0) != flip:
            dec += _timed(decode_files, group_paths)
            ren += _timed(render_and_analyse, project, group_tracks, length_s, threads)
        else:
            ren += _timed(render_and_analyse, project, group_tracks, length_s, threads)
            dec += _timed(decode_files, group_paths)
    return dec, ren


def report_ratios(paths: list[Path], project: Project, length_s: float, repeat: int, threads: int,
                  target: str = "") -> None:
    """Print the paired-round ratios of render + features to decoding (``target``: appended to the ratio)."""
    first = list(project.tracks[:2 * threads])
    decode_files(paths[:len(first)])  # untimed warm-up: imports, FFT plans, thread start-up
    render_and_analyse(project, first, length_s, threads)
    rounds = [paired_round(paths, project, length_s, threads, flip=r % 2 == 1) for r in range(repeat)]
    wall = np.array([ren[0] / dec[0] for dec, ren in rounds])
    cpu = np.array([ren[1] / dec[1] for dec, ren in rounds])
    dec_best, ren_best = rounds[int(np.argmin(wall))]
    print(f"  {repeat} rounds, decode and render + features interleaved {2 * threads} tracks at a time, "
          f"{threads} analysis thread(s)")
    print(f"  decode only (soundfile): wall {dec_best[0]:.2f} s, CPU {dec_best[1]:.2f} s (best round)")
    print(f"  render + features:       wall {ren_best[0]:.2f} s, CPU {ren_best[1]:.2f} s")
    print(f"  ratio render+features / decode, wall: median {np.median(wall):.2f} "
          f"(rounds {', '.join(f'{r:.2f}' for r in wall)}){target}")
    print(f"  ratio render+features / decode, CPU:  median {np.median(cpu):.2f} (all threads)")


def _child(folder: Path, n_tracks: int, minutes: float, threads: int) -> None:  # peak RSS of a fresh process
    paths = [folder / f"track{k:02d}.wav" for k in range(n_tracks)]
    project = session_project(folder, paths, minutes)
    render_and_analyse(project, list(project.tracks), minutes * 60, threads)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{peak_kb / 1024:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tracks", type=int, default=16)
    ap.add_argument("--minutes", type=float, default=4.0)
    ap.add_argument("--repeat", type=int, default=5, help="timing rounds (the median ratio is the figure)")
    ap.add_argument("--keep", type=Path, help="use/keep the session in this folder")
    ap.add_argument("--real", type=Path, default=REAL_DEFAULT,
                    help="also time a folder of real recordings, one track per file (default: %(default)s)")
    ap.add_argument("--threads", type=int, default=default_analysis_threads(),
                    help="tracks analysed at once (default as automix mix: %(default)s)")
    ap.add_argument("--child", nargs=4, metavar=("DIR", "TRACKS", "MINUTES", "THREADS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(Path(args.child[0]), int(args.child[1]), float(args.child[2]), int(args.child[3]))
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
        decode_files(paths)  # warm the page cache so both timings read from memory
        project = session_project(folder, paths, args.minutes)
        report_ratios(paths, project, args.minutes * 60, args.repeat, args.threads, target="  (target <= 1.5)")
        for minutes in (args.minutes / 2, args.minutes):
            child = [sys.executable, __file__, "--child", str(folder), str(args.tracks), str(minutes), str(args.threads)]
            out = subprocess.run(child, check=True, capture_output=True, text=True).stdout.strip()
            print(f"peak RSS render + features, {minutes:g} min: {out} MB  (target <= 400, flat in length)")
        if args.real is not None and args.real.is_dir():
            real_paths, real = real_project(args.real)
            decode_files(real_paths)
            length_s = max(i.length_s for t in real.tracks for i in t.items)
            channels = sorted({sf.info(str(p)).channels for p in real_paths})
            print(f"real recordings: {args.real.name}, {len(real_paths)} files, {length_s:.1f} s, "
                  f"channels {channels} (stems are analysed in stereo: mono files decode at half the work)")
            report_ratios(real_paths, real, length_s, args.repeat, args.threads)
        elif args.real is not None:
            print(f"real recordings: {args.real} not found, skipped")
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
