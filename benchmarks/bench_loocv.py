"""Benchmark: leave-one-song-out over a 40-song generated corpus with cached features.

    python3 benchmarks/bench_loocv.py [--corpus DIR] [--songs 40]

Builds the corpus once (synthesised songs, plus ../shared/audio when present)
in DIR (default: a folder under the system temp dir, reused across runs),
reads the training rows through each project's feature cache, then times the
KDE leave-one-out (the papers' evaluation: one model per genre group ×
section, every song held out once) against the MLR baseline measured in the
same run. Target: KDE LOOCV ≤ 30 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from automix.training.corpus import build_corpus  # noqa: E402
from automix.training.evaluation import loocv_errors  # noqa: E402
from automix.training.project_truth import samples_from_project  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=Path(tempfile.gettempdir()) / "automix-bench-corpus")
    ap.add_argument("--songs", type=int, default=40)
    args = ap.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)
    shared = ROOT.parent / "shared" / "audio"
    projects = sorted(args.corpus.glob("*.rpp"))
    if len(projects) < args.songs:
        t = time.perf_counter()
        built = build_corpus(args.corpus, n_projects=args.songs, shared_audio=shared if shared.is_dir() else None)
        projects = [p.path for p in built]
        print(f"corpus: built {len(projects)} projects in {time.perf_counter() - t:.1f} s ({args.corpus})")
    projects = projects[:args.songs]
    t = time.perf_counter()
    samples = [s for p in projects for s in samples_from_project(p)]
    read_s = time.perf_counter() - t
    print(f"rows: {len(samples)} sections of {len(projects)} songs read through the feature cache in {read_s:.2f} s")
    t = time.perf_counter()
    mlr = loocv_errors(samples, "mlr").summary()
    mlr_s = time.perf_counter() - t
    t = time.perf_counter()
    kde = loocv_errors(samples, "kde", 8).summary()
    kde_s = time.perf_counter() - t
    print(f"MLR LOOCV: {mlr_s:.2f} s  (MAE {mlr['mae_db']:.2f} dB, median {mlr['median_abs_db']:.2f} dB)")
    print(f"KDE LOOCV: {kde_s:.2f} s  (MAE {kde['mae_db']:.2f} dB, median {kde['median_abs_db']:.2f} dB)")
    print(f"ratio KDE/MLR time: {kde_s / mlr_s:.2f}; KDE LOOCV + cached reading: {kde_s + read_s:.2f} s "
          f"(target <= 30 s: {'met' if kde_s + read_s <= 30 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
