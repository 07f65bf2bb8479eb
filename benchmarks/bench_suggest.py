"""Benchmark: ``automix suggest`` with a warm feature cache on the demo song (target ≤ 0.3 s).

Usage::

    python3 benchmarks/bench_suggest.py [--duration 80] [--repeat 5] [--models DIR]

Writes the demo into a temporary folder, mixes it once without the cache (the
baseline, measured in the same run), once more to fill the cache, then times
``suggest --region "Chorus 1"`` in-process (median of ``--repeat`` runs: read
project, cached features, plan, region-only update, atomic save) and once as a
fresh ``python -m automix`` process (adds interpreter start and imports).
Models: ``--models``, else the shipped ``models/`` if it holds any, else a
small test bank trained on the fly (tests/test_planner.py).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from automix.cli import build_parser  # noqa: E402
from automix.commands.suggest import run_suggest  # noqa: E402
from automix.demo.project import write_demo  # noqa: E402
from automix.jobs.mix import MixOptions, run_mix_job  # noqa: E402
from automix.models.bank import ModelBank, installed_models_dir  # noqa: E402

TARGET_S = 0.3


def _models(arg: str | None, work: Path) -> Path:
    if arg:
        return Path(arg)
    shipped = installed_models_dir()
    if any(e.info is not None for e in ModelBank([shipped]).entries()):
        return shipped
    from test_planner import build_test_bank

    print("no shipped models: training a small test bank")
    return build_test_bank(work / "models", "practice")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=80.0, help="demo length in seconds (default 80)")
    ap.add_argument("--repeat", type=int, default=5, help="warm suggest runs (default 5)")
    ap.add_argument("--models", help="model folder (default: shipped, else a test bank)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="automix-bench-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        files = write_demo(work / "demo", duration_s=args.duration)
        print(f"demo: {args.duration:g} s song, {len(files.truth.tracks)} tracks, written in "
              f"{time.perf_counter() - t0:.1f} s")
        models = _models(args.models, work)
        song = files.project_path
        t0 = time.perf_counter()
        run_mix_job(song, MixOptions(models_dir=models, use_cache=False))
        mix_cold_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        run_mix_job(song, MixOptions(models_dir=models))
        mix_fill_s = time.perf_counter() - t0
        mixed = song.with_name("demo.automix.rpp")
        argv = ["suggest", str(mixed), "--region", "Chorus 1", "--models", str(models)]
        times = []
        for k in range(args.repeat):
            ns = build_parser().parse_args(argv + ["--variant", str(1 + k % 2)])
            t0 = time.perf_counter()
            run_suggest(ns)
            times.append(time.perf_counter() - t0)
        warm_s = statistics.median(times)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "automix", "-q", *argv], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        cli_s = time.perf_counter() - t0
    print(f"baseline: mix without cache        {mix_cold_s:7.3f} s")
    print(f"mix filling the cache               {mix_fill_s:7.3f} s")
    print(f"suggest, warm cache (in-process)    {warm_s:7.3f} s  median of {args.repeat}: "
          + ", ".join(f"{t:.3f}" for t in times))
    print(f"suggest, warm cache (new process)   {cli_s:7.3f} s  (interpreter start and imports included)")
    print(f"ratio suggest / cold mix            {warm_s / mix_cold_s:7.4f}")
    print(f"target ≤ {TARGET_S} s in-process: {'met' if warm_s <= TARGET_S else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
