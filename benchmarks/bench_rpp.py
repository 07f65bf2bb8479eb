"""Benchmark the lossless .rpp engine.

1. Parse + dump ``exvertus__reaper-projects__lighterfluid.rpp`` (2.4 MB, from
   ``../shared/rpp-corpus``) with :mod:`automix.rpp` and with PyPI ``rpp`` 0.5
   (``loads`` + ``dumps``) in the same run; prints the speed ratio (target ≥ 10×).
2. A generated ~100 MB project (many tracks, items and plug-in state lines):
   parse + dump time, byte-identity, peak and retained memory of ``rpp.load``
   on the file (tracemalloc), process RSS growth (psutil), optionally the time
   to build the project model (``--model``).

Run: ``python3 benchmarks/bench_rpp.py [--size-mb 100] [--repeat 5] [--model]``.
"""

from __future__ import annotations

import argparse
import base64
import gc
import tempfile
import time
import tracemalloc
from pathlib import Path

from automix import rpp
from automix.project.reader import project_from_document

SHARED = Path(__file__).resolve().parents[2] / "shared"
LIGHTERFLUID = SHARED / "rpp-corpus" / "exvertus__reaper-projects__lighterfluid.rpp"


def best_time(fn, repeat: int) -> float:
    """Fastest of ``repeat`` runs of ``fn()``, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_lighterfluid(repeat: int) -> None:
    if not LIGHTERFLUID.is_file():
        print(f"skip lighterfluid: {LIGHTERFLUID} not present")
        return
    text = LIGHTERFLUID.read_bytes().decode("utf-8")
    assert rpp.dumps(rpp.loads(text)) == text
    ours = best_time(lambda: rpp.dumps(rpp.loads(text)), repeat)
    try:
        import rpp as pypi_rpp  # PyPI rpp 0.5 (module name "rpp")
    except ImportError:
        print(f"automix.rpp parse+dump lighterfluid ({len(text) / 1e6:.2f} MB): {ours * 1e3:.1f} ms; "
              "PyPI rpp not installed, no ratio")
        return
    theirs = best_time(lambda: pypi_rpp.dumps(pypi_rpp.loads(text)), max(1, repeat // 2))
    same = pypi_rpp.dumps(pypi_rpp.loads(text)) == text
    print(f"lighterfluid.rpp ({len(text) / 1e6:.2f} MB) parse+dump: automix.rpp {ours * 1e3:.1f} ms, "
          f"PyPI rpp 0.5 {theirs * 1e3:.1f} ms -> {theirs / ours:.1f}x faster "
          f"(PyPI rpp byte-identical: {same}, automix.rpp byte-identical: True)")


def synthetic_project(size_mb: float) -> str:
    """A REAPER-style project of about ``size_mb`` MB: tracks with FX state blobs and many items."""
    blob = [base64.b64encode(bytes((i * 7 + k) % 256 for k in range(96))).decode() for i in range(8)]
    out = ['<REAPER_PROJECT 0.1 "7.18/win64" 1727695451', "  SAMPLERATE 48000 0 0", "  TEMPO 120 4 4"]
    for r in range(50):
        out.append(f'  MARKER {r + 1} {r * 8} "Section {r}" 1 0 1 R {{00000000-0000-0000-0000-{r:012d}}} 0')
        out.append(f'  MARKER {r + 1} {r * 8 + 8} "" 1')
    size = sum(len(x) + 1 for x in out)
    target = size_mb * 1e6
    t = 0
    while size < target:
        track = [f"  <TRACK {{10000000-0000-0000-0000-{t:012d}}}", f'    NAME "Track {t}"',
                 "    VOLPAN 0.8 -0.1 -1 -1 1", "    MUTESOLO 0 0 0", "    ISBUS 0 0", "    MAINSEND 1 0",
                 "    <FXCHAIN", "      SHOW 0", "      BYPASS 0 0 0",
                 '      <VST "VST: Synth (Vendor)" synth.dll 0 "" 1234<0000> ""']
        track += ["        " + blob[k % 8] for k in range(200)]
        track += ["      >", "      FXID {20000000-0000-0000-0000-000000000000}", "    >"]
        for i in range(200):
            track += ["    <ITEM", f"      POSITION {i * 1.5}", "      SNAPOFFS 0", "      LENGTH 1.5",
                      "      LOOP 0", "      FADEIN 1 0.01 0 1 0 0 0", "      FADEOUT 1 0.01 0 1 0 0 0",
                      "      MUTE 0 0", f"      IGUID {{30000000-0000-0000-{t:04d}-{i:012d}}}",
                      f'      NAME "take {i}.wav"', "      VOLPAN 1 0 1 -1", "      SOFFS 0",
                      "      PLAYRATE 1 1 0 -1 0 0.0025", "      CHANMODE 0",
                      "      <SOURCE WAVE", f'        FILE "Audio\\track {t}\\take {i}.wav"', "      >", "    >"]
        track.append("  >")
        size += sum(len(x) + 1 for x in track)
        out += track
        t += 1
    out.append(">")
    return "\n".join(out) + "\n"


def bench_synthetic(size_mb: float, with_model: bool) -> None:
    import psutil

    text = synthetic_project(size_mb)
    proc = psutil.Process()
    gc.collect()
    rss_before = proc.memory_info().rss
    t0 = time.perf_counter()
    doc = rpp.loads(text)
    t_parse = time.perf_counter() - t0
    rss_after = proc.memory_info().rss
    t0 = time.perf_counter()
    out = rpp.dumps(doc)
    t_dump = time.perf_counter() - t0
    assert out == text
    del out
    model = ""
    if with_model:
        t0 = time.perf_counter()
        project = project_from_document(doc, None, Path("/nonexistent"))
        t_model = time.perf_counter() - t0
        n_items = sum(len(tr.items) for tr in project.tracks)
        model = f", project model ({n_items} items) {t_model:.2f} s"
        del project
    n_chunks = sum(1 for _ in doc.iter())
    n_lines = text.count("\n")
    del doc
    gc.collect()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "synthetic.rpp"
        path.write_bytes(text.encode("utf-8"))
        size = len(text)
        del text
        gc.collect()
        tracemalloc.start()
        t0 = time.perf_counter()
        doc = rpp.load(path)  # noqa: F841 - kept alive while memory is measured
        t_load = time.perf_counter() - t0
        retained, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(f"synthetic project {size / 1e6:.1f} MB ({n_lines} lines, {n_chunks} chunks): "
          f"parse {t_parse:.2f} s, dump {t_dump:.2f} s (byte-identical){model}; "
          f"rpp.load(file) under tracemalloc {t_load:.2f} s, peak {peak / 1e6:.0f} MB ({peak / size:.2f}x the file, "
          f"file bytes, then text + tree), retained by the document {retained / 1e6:.0f} MB ({retained / size:.2f}x, "
          f"text included); RSS growth of the first parse {(rss_after - rss_before) / 1e6:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=float, default=100.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--model", action="store_true", help="also time building the project model")
    args = parser.parse_args()
    bench_lighterfluid(args.repeat)
    bench_synthetic(args.size_mb, args.model)


if __name__ == "__main__":
    main()
