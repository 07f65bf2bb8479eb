"""Benchmark: a whole ``automix mix`` process against one single-threaded decode of its media.

Usage::

    python3 benchmarks/bench_mix_process.py [--tracks 16] [--minutes 4] [--rounds 5]
                                            [--m4a DIR] [--keep DIR] [--profile]

Sessions:

* WAV: ``--tracks`` stereo 24-bit 44.1 kHz files of ``--minutes`` generated as in
  ``bench_audio.py`` (16 × 4 min ≈ 1 GB), in a project with one item per track and
  four regions;
* M4A (``--m4a DIR``, default the Caesium CC0 stems in ``../shared/audio``): every
  ``*.m4a`` of the folder except masters, one track each, from 0 s.

Per round, back to back and in alternating order (a shared machine's drifts touch
both): (1) the baseline, one thread decoding every media file of the session once
in this process (soundfile for WAV, PyAV for M4A, which soundfile cannot read);
(2) ``python -m automix mix PROJECT -o OUT -q`` as a new process with the feature
cache removed first (so it decodes and analyses everything and writes the cache,
the mixed project and the plan, as a first mix does). The page cache is warm for
both. Printed: each round's times, the median ratio (2)/(1) (target ≤ 1.2) and the
mix process's peak RSS (``wait4`` of the child: its largest process) and the peak of the summed RSS of
the process and its analysis worker processes (sampled from ``/proc`` every 10 ms; target ≤ 400 MB for
16 × 4 min).
CPU times (the child's user + system from ``wait4``, all its threads and its reaped workers; the
decode's process time) are printed too: on a loaded machine they move less than
wall times.

``--profile`` also prints where a mix's time goes: the imports (a fresh process),
each stage run in this process (parse, model bank, analysis, plan, apply, save)
and the hot functions of a one-thread analysis under cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_audio import generate_session  # noqa: E402
from rpp_factory import FactoryItem, FactoryTrack, write_project  # noqa: E402

M4A_DEFAULT = ROOT.parent / "shared" / "audio" / "caesium-cc0"
BLOCK_FRAMES = 176400
TARGET_RATIO = 1.2
TARGET_RSS_MB = 400


def decode_wav(paths: list[Path]) -> None:
    """Decode every file once, in blocks, on one thread (soundfile)."""
    for p in paths:
        with sf.SoundFile(p) as fh:
            while fh.read(BLOCK_FRAMES, dtype="float32", always_2d=True).shape[0]:
                pass


def decode_m4a(paths: list[Path]) -> None:
    """Decode every file once on one thread (PyAV, frames to arrays)."""
    import av

    for p in paths:
        with av.open(str(p)) as container:
            stream = container.streams.audio[0]
            stream.thread_type = "NONE"
            for frame in container.decode(stream):
                frame.to_ndarray()


def media_seconds(path: Path) -> float:
    """Length of a media file in seconds."""
    if path.suffix.lower() == ".wav":
        return sf.info(str(path)).duration
    import av

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return float(stream.duration * stream.time_base) if stream.duration else float(container.duration) / 1e6


def write_session_project(folder: Path, paths: list[Path], sample_rate: int) -> Path:
    """A project with one track per file (item from 0 s over the file's length) and four regions."""
    lengths = [media_seconds(p) for p in paths]
    song = max(lengths)
    tracks = [FactoryTrack(p.stem, [FactoryItem(0.0, n, os.path.relpath(p, folder), kind=_kind(p))], guid=None)
              for p, n in zip(paths, lengths)]
    names = ("Intro", "Verse", "Chorus", "Outro")
    regions = [(i + 1, name, i * song / 4, (i + 1) * song / 4) for i, name in enumerate(names)]
    return write_project(folder / "session.rpp", tracks, regions=regions, sample_rate=sample_rate,
                         notes="genre: rock")


def _kind(path: Path) -> str:
    return "WAVE"  # the reader decodes by the file's content (soundfile, else PyAV)


def _tree_rss_mb(pid: int) -> float:
    """Resident memory (MB) of ``pid`` and every process below it now (Linux ``/proc``; 0 where unreadable)."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += next((float(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0.0)
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total / 1024


class TreeMemory(threading.Thread):
    """Samples the summed RSS of a process and its children (analysis workers) every 10 ms; ``peak_mb``."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_mb, self.stop = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.01):
            self.peak_mb = max(self.peak_mb, _tree_rss_mb(self.pid))


def mix_process(project: Path) -> tuple[float, float, float, float]:
    """Run ``automix mix`` as a new process on a cold feature cache.

    Returns (wall s, CPU s of it and its workers, peak RSS of its largest process MB, peak summed RSS of
    the process and its analysis workers MB, sampled every 10 ms).
    """
    cache = project.with_name(project.name + ".automix-cache")
    shutil.rmtree(cache, ignore_errors=True)
    out = project.with_name("out.rpp")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "automix", "mix", str(project), "-o", str(out), "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    tree = TreeMemory(proc.pid)
    tree.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    tree.stop.set()
    tree.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"automix mix failed ({proc.returncode}): {err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, tree.peak_mb


def bench(label: str, project: Path, paths: list[Path], decode, rounds: int) -> None:
    """Print the paired rounds and the median ratio of the mix process to the decode."""
    decode(paths)  # warm the page cache for both
    mix_process(project)  # untimed warm-up (interpreter, imports from disk)
    rows = []
    for r in range(rounds):
        if r % 2 == 0:
            dec, dec_cpu = _timed_decode(decode, paths)
            mix, mix_cpu, rss, tree_rss = mix_process(project)
        else:
            mix, mix_cpu, rss, tree_rss = mix_process(project)
            dec, dec_cpu = _timed_decode(decode, paths)
        rows.append((dec, mix, dec_cpu, mix_cpu, rss, tree_rss))
        print(f"  round {r + 1}: decode {dec:6.2f} s (CPU {dec_cpu:6.2f})   automix mix process {mix:6.2f} s "
              f"(CPU {mix_cpu:6.2f})   ratio wall {mix / dec:5.2f} CPU {mix_cpu / dec_cpu:5.2f}   "
              f"peak RSS {rss:6.1f} MB (with its workers {tree_rss:6.1f} MB)")
    med = [statistics.median(r[k] for r in rows) for k in range(4)]
    wall = statistics.median(r[1] / r[0] for r in rows)
    cpu = statistics.median(r[3] / r[2] for r in rows)
    print(f"{label}: medians: decode {med[0]:.2f} s (CPU {med[2]:.2f} s), mix process {med[1]:.2f} s "
          f"(CPU {med[3]:.2f} s, all threads); ratio wall {wall:.2f} (target <= {TARGET_RATIO}), "
          f"CPU {cpu:.2f}; peak RSS {max(r[4] for r in rows):.0f} MB, with its analysis workers "
          f"{max(r[5] for r in rows):.0f} MB (target <= {TARGET_RSS_MB} for 16 x 4 min)")


def _timed_decode(decode, paths: list[Path]) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    decode(paths)
    return time.perf_counter() - t0, time.process_time() - c0


def _stage(label: str, fn, *args):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args)
    print(f"    {label:34s} wall {time.perf_counter() - t0:6.2f} s   CPU {time.process_time() - c0:6.2f} s")
    return out


def profile(project: Path) -> None:
    """Where a mix's time goes: imports (fresh process), then each stage in this process, then the hot functions.

    The stages run as ``automix mix`` runs them (analysis on its default threads,
    cold feature cache); the function profile is of a one-thread analysis (cProfile
    sees only the thread that runs it).
    """
    from automix.features.analysis import analyse_project
    from automix.jobs import mix as job
    from automix.plan.apply import ApplyOptions, apply_plan
    from automix.plan.planner import make_plan

    cache = project.with_name(project.name + ".automix-cache")
    code = ("from automix.cli import limit_blas_threads; limit_blas_threads(); "
            "import automix.commands.mix, automix.jobs.mix")  # what `automix mix` imports before it reads media
    if ".m4a" in project.read_text(encoding="utf-8", errors="replace").lower():
        code += ", av"
    proc = subprocess.Popen([sys.executable, "-c", code])
    t0 = time.perf_counter()
    _, _, usage = os.wait4(proc.pid, 0)
    print(f"  stages of one mix ({project.name}):")
    print(f"    {'imports (fresh process)':34s} wall {time.perf_counter() - t0:6.2f} s   "
          f"CPU {usage.ru_utime + usage.ru_stime:6.2f} s")
    shutil.rmtree(cache, ignore_errors=True)
    doc, proj = _stage("read + parse project", job.read_project_document, project)
    bank = _stage("load model bank", job.model_bank, None)
    analysis = _stage("analysis (render, features, cache)", lambda: analyse_project(proj, cache=job.cache_for(project)))
    result = _stage("plan", make_plan, analysis, bank, "rock")
    _stage("apply plan to the document", apply_plan, doc, proj, result.plan, ApplyOptions())
    _stage("save project (atomic)", job.save_project, doc, project, project.with_name("out.rpp"))
    shutil.rmtree(cache, ignore_errors=True)
    prof = cProfile.Profile()
    prof.enable()
    analyse_project(proj, cache=job.cache_for(project), threads=1)
    prof.disable()
    print("  hot functions of a one-thread analysis (own time):")
    pstats.Stats(prof).sort_stats("tottime").print_stats(12)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tracks", type=int, default=16)
    ap.add_argument("--minutes", type=float, default=4.0)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--m4a", type=Path, default=M4A_DEFAULT, help="folder of M4A stems (default: %(default)s)")
    ap.add_argument("--keep", type=Path, help="generate / reuse the WAV session in this folder")
    ap.add_argument("--profile", action="store_true", help="also profile one in-process mix of each session")
    args = ap.parse_args()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="automix-bench-mix-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / f"track{k:02d}.wav" for k in range(args.tracks)]
        if not all(p.exists() for p in paths):
            paths = generate_session(folder, args.tracks, args.minutes)
        project = write_session_project(folder, paths, 44100)
        print(f"WAV session: {args.tracks} x {args.minutes:g} min, 24-bit stereo 44.1 kHz, "
              f"{sum(p.stat().st_size for p in paths) / 1e9:.2f} GB")
        bench("WAV", project, paths, decode_wav, args.rounds)
        if args.profile:
            profile(project)
        if args.m4a.is_dir():
            m4a = sorted(p for p in args.m4a.glob("*.m4a") if "master" not in p.name.lower())
            m4a_project = write_session_project(Path(tmp), m4a, 48000)
            print(f"M4A session: {len(m4a)} stems of {args.m4a.name}, "
                  f"{max(media_seconds(p) for p in m4a):.0f} s")
            bench("M4A", m4a_project, m4a, decode_m4a, args.rounds)
            if args.profile:
                profile(m4a_project)
        else:
            print(f"M4A session: {args.m4a} not found, skipped")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
