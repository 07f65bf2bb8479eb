"""Benchmark: a batch of short projects mixed serially, with ``--jobs 2`` and on Dask (2 local workers).

Usage::

    python3 benchmarks/bench_batch.py [--projects 200] [--seconds 3] [--rounds 2] [--workers 2]

Generates ``--projects`` small projects (5 tracks of ``--seconds`` s at 22.05 kHz,
tests/test_mixjob.py ``make_song``) and mixes a fresh copy of them per mode and
round: serial (one process), the local process pool (``--jobs N``) and a Dask
``LocalCluster`` of N single-threaded workers reached by its address (the path
``--scheduler ADDRESS`` takes). Each project analyses on one thread in every mode
so that a project's own time means the same thing everywhere. The modes are
interleaved, their order rotating each round, so a shared machine's load drifts
touch all of them; the figures are medians over rounds.

Printed per mode: wall time, the sum of the projects' own times (``JobResult.seconds``,
measured inside each job), and the scheduling overhead per project::

    overhead = (wall × workers − Σ own) / projects

i.e. the worker time not spent inside a project (process start, pickling, waiting
for the scheduler), also as a percentage of a project's mean own time (target for
Dask: ≤ 5 %). The Dask cluster's start-up and its workers' first import of
automix are timed separately (fixed costs paid once per cluster, not per
project; the process pool's workers are forks that inherit the imports).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from automix.jobs.batch import run_batch  # noqa: E402
from automix.jobs.mix import MixOptions  # noqa: E402

TARGET_OVERHEAD = 0.05


def make_projects(folder: Path, n: int, seconds: float) -> None:
    """``n`` short projects with their media in ``folder``."""
    from test_mixjob import make_song

    regions = ((1, "Verse", 0.0, seconds / 2), (2, "Chorus", seconds / 2, seconds))
    for i in range(n):
        make_song(folder, f"song{i:04d}", seconds=seconds, seed=i, regions=regions)


def models_dir(work: Path) -> Path:
    from test_planner import build_test_bank

    return build_test_bank(work / "models", "practice")


def run_mode(mode: str, source: Path, work: Path, options: MixOptions, workers: int,
             address: str | None) -> tuple[float, float, int]:
    """Mix a fresh copy of ``source``; returns (wall s, Σ own s, failures)."""
    folder = work / f"run-{mode}-{time.monotonic_ns()}"
    shutil.copytree(source, folder)
    t0 = time.perf_counter()
    if mode == "serial":
        results = run_batch([folder], options)
    elif mode == "jobs":
        results = run_batch([folder], options, jobs=workers)
    else:
        results = run_batch([folder], options, scheduler=address)
    wall = time.perf_counter() - t0
    shutil.rmtree(folder)
    return wall, sum(r.seconds for r in results), sum(not r.ok for r in results)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--projects", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=3.0, help="length of each project (default 3 s)")
    ap.add_argument("--rounds", type=int, default=2, help="rounds of the three modes (default 2)")
    ap.add_argument("--workers", type=int, default=2, help="processes / Dask workers (default 2)")
    args = ap.parse_args()
    from distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory(prefix="automix-bench-batch-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        source = work / "projects"
        make_projects(source, args.projects, args.seconds)
        options = MixOptions(models_dir=models_dir(work), analysis_threads=1)
        print(f"{args.projects} projects × {args.seconds:g} s generated in {time.perf_counter() - t0:.1f} s; "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.CRITICAL)
        startup = time.perf_counter() - t0
        t0 = time.perf_counter()
        with Client(cluster) as client:  # spawned workers ran this script's imports; make sure of the job's
            client.run(importlib.import_module, "automix.jobs.batch")
        warmup = time.perf_counter() - t0
        modes = ["serial", "jobs", "dask"]
        figures: dict[str, list[tuple[float, float, int]]] = {m: [] for m in modes}
        try:
            for r in range(args.rounds):
                order = modes[r % 3:] + modes[:r % 3]
                for mode in order:
                    figures[mode].append(run_mode(mode, source, work, options, args.workers,
                                                  cluster.scheduler_address))
                    wall, own, failed = figures[mode][-1]
                    print(f"  round {r + 1} {mode:6s} wall {wall:7.2f} s  own {own:7.2f} s  failed {failed}")
        finally:
            cluster.close()
    print(f"\nDask LocalCluster start-up ({args.workers} workers, with their imports): {startup:.2f} s, "
          f"then {warmup:.2f} s to check automix is imported on them (once per cluster, not counted below)")
    print(f"{'mode':8s} {'wall s':>8s} {'Σ own s':>8s} {'own/proj ms':>12s} {'overhead/proj ms':>17s} "
          f"{'overhead %':>11s} {'speed-up':>9s}")
    serial_wall = statistics.median(f[0] for f in figures["serial"])
    dask_ratio = None
    for mode in modes:
        wall = statistics.median(f[0] for f in figures[mode])
        own = statistics.median(f[1] for f in figures[mode])
        n_workers = 1 if mode == "serial" else args.workers
        own_per = own / args.projects
        over_per = (wall * n_workers - own) / args.projects
        ratio = over_per / own_per
        if mode == "dask":
            dask_ratio = ratio
        label = {"serial": "serial", "jobs": f"--jobs {args.workers}", "dask": f"dask {args.workers}w"}[mode]
        print(f"{label:8s} {wall:8.2f} {own:8.2f} {own_per * 1e3:12.1f} {over_per * 1e3:17.1f} "
              f"{100 * ratio:10.1f}% {serial_wall / wall:8.2f}×")
    print(f"\nDask overhead per project: {100 * dask_ratio:.1f} % of a project's own time "
          f"(target ≤ {100 * TARGET_OVERHEAD:.0f} %): {'met' if dask_ratio <= TARGET_OVERHEAD else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
