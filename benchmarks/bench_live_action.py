"""Benchmark: how long the live auto-mix holds REAPER's UI thread, against the headless mix of the same project.

Usage::

    python3 benchmarks/bench_live_action.py [--seconds 30] [--rounds 2]

Writes the demo project (``--seconds`` long), then per round:

* **headless** — ``automix mix`` of the project in this process
  (:func:`automix.jobs.mix.run_mix_job`), wall time: the baseline;
* **live** — the "Auto-mix project" action against ``tests/fake_reaper.py``
  with REAPER's ``defer`` timer played by its ``DeferLoop`` (one callback per
  ~30 ms tick): wall time until the result is applied, and every stretch the
  action held the UI thread (the start: snapshot + worker launch; each poll;
  the final apply in one undo block).

Printed (medians over rounds): headless and live wall times and their ratio,
the longest single UI-thread block, the UI thread's total busy time and its
share of the live wall time. Before the out-of-process worker the action held
the UI thread for the whole analysis (block = wall time).

The calibration and read-back of the values written
(:mod:`automix.reaper.calibration`, :mod:`automix.reaper.readback`) run in
the final apply block: each round also runs the action on a fake without the
read-back functions, and prints the apply block with and without them and the
number of ReaScript calls they made (in REAPER each is an in-process call; the
fake parses the track chunk on every call, so its times are an upper bound).

**Calibration at scale**: the headless demo's track chunks are written, as the
action writes them (:class:`~automix.reaper.checked_write.CheckedWriter`, one
undo block), into projects of the demo's tracks repeated to ``--tracks``
counts, against a fake REAPER that agrees with automix's formulas and two that
do not (raw fader values in volume points; ReaEQ state gains doubled).
Printed per case: calibration calls, read-back calls, corrected values, and
the write time against the same write without calibration and read-back
(the baseline, measured in the same run; for the two disagreeing REAPERs the
baseline writes values REAPER would misread).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from fake_reaper import DeferLoop, FakeReaper, install_worker, reaper_layout  # noqa: E402

from automix import rpp  # noqa: E402

from automix.demo.project import write_demo  # noqa: E402
from automix.jobs.mix import MixOptions, run_mix_job  # noqa: E402
from automix.reaper.actions import auto_mix_project  # noqa: E402
from automix.reaper.adapter import ReaperApi  # noqa: E402
from automix.reaper.calibration import CALIBRATION_API  # noqa: E402
from automix.reaper.checked_write import CheckedWriter  # noqa: E402
from automix.reaper.readback import READBACK_API  # noqa: E402
from automix.reaper.session import LiveTrack, run_undoable  # noqa: E402
from automix.reaper.value_checks import value_checks  # noqa: E402

MAPPINGS = {"formulas": {}, "raw volume": {"volume_chunk_domain": "raw"},
            "doubled gains": {"reaeq_state_gain_scale": 2.0}}
"""How the fake REAPER reads the numbers automix writes (``tests/fake_reaper_values.py``)."""


class TimedLoop(DeferLoop):
    """A DeferLoop that records how long each callback held the (UI) thread, seconds."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[float] = []

    def defer(self, callback):
        def timed():
            t0 = time.perf_counter()
            callback()
            self.blocks.append(time.perf_counter() - t0)
        super().defer(timed)


def one_round(demo: Path, folder: Path) -> dict[str, float]:
    out = folder / "headless.rpp"
    t0 = time.perf_counter()
    assert run_mix_job(demo, MixOptions(output=out)).ok
    headless = time.perf_counter() - t0
    out.unlink()
    runs = {}
    for read_back in (True, False):
        fake = FakeReaper(demo)
        if not read_back:
            fake.missing_functions = frozenset(READBACK_API)
        install_worker(fake)
        loop = TimedLoop()
        t0 = time.perf_counter()
        job = auto_mix_project(ReaperApi(fake), defer=loop.defer, atexit=loop.atexit)
        start_block = time.perf_counter() - t0
        loop.run(timeout_s=600)
        live = time.perf_counter() - t0
        assert job.outcome is not None and job.outcome.ok, job.outcome
        runs[read_back] = (fake, [start_block] + loop.blocks, live, len(loop.blocks))
    fake, blocks, live, ticks = runs[True]
    return {"headless_s": headless, "live_s": live, "longest_block_ms": 1000 * max(blocks),
            "ui_busy_s": sum(blocks), "ticks": float(ticks),
            "apply_ms": 1000 * blocks[-1], "apply_without_ms": 1000 * runs[False][1][-1],
            "readback_calls": float(sum(fake.count(name) for name in READBACK_API)),
            "tracks": float(fake.count("SetTrackStateChunk"))}


def _repeated_project(demo: Path, headless: Path, copies: int, folder: Path) -> tuple[Path, dict[int, str]]:
    """A project of the demo's tracks repeated ``copies`` times, and the headless chunks for each track."""
    text = demo.read_text(encoding="utf-8")
    start, end = text.index("\n  <TRACK"), text.rindex("\n>")
    tracks = [rpp.dumps(t) for t in rpp.load(demo).root.findall("TRACK")]
    wanted = [reaper_layout(rpp.dumps(t)) for t in rpp.load(headless).root.findall("TRACK")]
    path = folder / f"repeated-{copies}.rpp"
    path.write_text(text[:start + 1] + "".join(tracks * copies) + text[end + 1:], encoding="utf-8")
    return path, dict(enumerate(wanted * copies))


def _write(project: Path, chunks: dict[int, str], reads: dict, checked: bool) -> dict[str, float]:
    fake = FakeReaper(project)
    for name, value in reads.items():
        setattr(fake, name, value)
    if not checked:
        fake.missing_functions = frozenset(READBACK_API + CALIBRATION_API)
    api = ReaperApi(fake)
    writer = CheckedWriter(api, {k: tuple(value_checks(text)) for k, text in chunks.items()})
    handles = [api.track(k) for k in chunks]

    def body(tx) -> str:
        for k, text in chunks.items():
            writer.write(tx, LiveTrack(k, handles[k], fake.chunks()[k]), text)
        return "ok"

    t0 = time.perf_counter()
    outcome = run_undoable(api, "bench", body)
    seconds = time.perf_counter() - t0
    assert outcome.ok, outcome.summary
    calibrator = writer.calibrator
    return {"s": seconds, "calibration_calls": float(calibrator.calls if calibrator else 0),
            "readings": float(writer.readings), "corrected": float(calibrator.corrected if calibrator else 0),
            "values": float(sum(len(value_checks(t)) for t in chunks.values()))}


def calibration_round(demo: Path, folder: Path, counts: list[int]) -> dict[tuple[int, str], dict[str, float]]:
    headless = folder / "calibration-headless.rpp"
    assert run_mix_job(demo, MixOptions(output=headless)).ok
    n_demo = len(rpp.load(demo).root.findall("TRACK"))
    out = {}
    for count in counts:
        project, chunks = _repeated_project(demo, headless, max(1, round(count / n_demo)), folder)
        for name, reads in MAPPINGS.items():
            checked = _write(project, chunks, reads, True)
            baseline = _write(project, chunks, reads, False)
            out[(len(chunks), name)] = {**checked, "baseline_s": baseline["s"]}
    headless.unlink()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="demo length, s")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tracks", type=int, nargs="+", default=[11, 110], help="project sizes for calibration")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-live-"))
    try:
        demo = write_demo(folder, duration_s=args.seconds).project_path
        rounds = [one_round(demo, folder) for _ in range(args.rounds)]
        calibration = [calibration_round(demo, folder, args.tracks) for _ in range(args.rounds)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    print(f"demo {args.seconds:g} s, {args.rounds} rounds (medians)")
    print(f"headless mix (baseline)      {med['headless_s']:7.2f} s")
    print(f"live action, until applied   {med['live_s']:7.2f} s   ratio live/headless {med['live_s'] / med['headless_s']:.2f}")
    print(f"longest UI-thread block      {med['longest_block_ms']:7.1f} ms  ({med['longest_block_ms'] / 1000 / med['headless_s']:.3f} of the headless time)")
    print(f"UI thread busy in total      {med['ui_busy_s']:7.2f} s   ({med['ui_busy_s'] / med['live_s']:.1%} of the live time, {med['ticks']:.0f} ticks)")
    print(f"apply block, calibrated + read back {med['apply_ms']:7.1f} ms  without {med['apply_without_ms']:.1f} ms, "
          f"ratio {med['apply_ms'] / med['apply_without_ms']:.2f}; {med['readback_calls']:.0f} read-back calls for "
          f"{med['tracks']:.0f} tracks")

    print("calibration (medians): tracks, REAPER, values written, calibration calls, read-back readings, "
          "values corrected, write time calibrated / baseline")
    for key in calibration[0]:
        m = {k: statistics.median(r[key][k] for r in calibration) for k in calibration[0][key]}
        print(f"  {key[0]:4d} tracks  {key[1]:14s} {m['values']:6.0f} values  {m['calibration_calls']:4.0f} calls  "
              f"{m['readings']:5.0f} readings  {m['corrected']:5.0f} corrected  {m['s']:6.2f} s / "
              f"{m['baseline_s']:.2f} s = {m['s'] / m['baseline_s']:.2f}")


if __name__ == "__main__":
    main()
