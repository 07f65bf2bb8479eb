"""Red-team run: hostile and clumsy use of every automix command, each outcome classified.

Reruns the table of issue 14 (items 1-11) on projects built here: the demo
song, copies of it with one thing wrong, song folders made from its media,
broken plans, models and cache entries, plus every project of
``../shared/rpp-corpus`` when present (``inspect`` and ``mix --dry-run``).
Each case runs ``python -m automix …`` in a child process whose address
space is capped with ``resource.setrlimit(RLIMIT_AS)`` and whose run time
is capped too, in a workspace of its own. Outcome classes:

* ``ok``         exit 0 and the case's measured check held;
* ``error``      a clean refusal: non-zero exit, one ``… error: …`` line, no traceback;
* ``traceback``  a Python traceback reached the user;
* ``data-loss``  an input changed or disappeared, or the user's own content
                 (a hand-drawn envelope, the previous project) is no longer on disk;
* ``blow-up``    killed by a signal, MemoryError, or over the time limit;
* ``wrong``      exit 0 but the measured result is wrong (a fader ignored, a
                 NaN written, a stale cache served, results hidden …).

Each case also says what a correct automix does (``refuse``, ``succeed`` or
``either``: a clear refusal or a run whose check holds);
the summary counts the outcomes per class and how many cases behaved as intended.

    python benchmarks/red_team.py                 # every case (a few minutes on 2 cores)
    python benchmarks/red_team.py --only 'item-8 '   # the cases whose name starts with the text
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import soundfile as sf
from automix import rpp as rpp_mod
from red_team_cases import REPO, Outcome, Workspace, build_cases, fingerprint

SHARED = REPO.parent / "shared"
CLASSES = ("ok", "error", "traceback", "data-loss", "blow-up", "wrong")


# ---------------------------------------------------------------- running one command

def start_automix(argv: list, cwd: Path, env: dict[str, str], mem_mb: int) -> subprocess.Popen:
    """Start ``python -m automix ARGV`` in its own session with an address-space cap of ``mem_mb``."""
    def limit() -> None:
        cap = mem_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        os.setsid()

    return subprocess.Popen([sys.executable, "-m", "automix", *map(str, argv)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
                            preexec_fn=limit)


def run_automix(argv: list, cwd: Path, env: dict[str, str], *, timeout_s: float, mem_mb: int) -> Outcome:
    """Run ``python -m automix ARGV`` with an address-space cap; kill it after ``timeout_s``."""
    start = time.monotonic()
    proc = start_automix(argv, cwd, env, mem_mb)
    try:
        out, err = proc.communicate(timeout=timeout_s)
        return Outcome(proc.returncode, out, err, time.monotonic() - start)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return Outcome(proc.returncode, out, err, time.monotonic() - start, timed_out=True)


def classify(out: Outcome, lost: str, wrong: str) -> tuple[str, str]:
    """(class, detail) of one run; ``lost``/``wrong`` are the failed data/result checks ('' when fine)."""
    if lost:
        return "data-loss", lost
    if out.timed_out:
        return "blow-up", f"killed after {out.seconds:.0f} s (time limit)"
    if out.status is not None and out.status < 0:
        return "blow-up", f"killed by signal {-out.status}"
    if "MemoryError" in out.stderr:
        return "blow-up", "MemoryError under the memory cap"
    if "Traceback (most recent call last)" in out.stderr:
        last = [line for line in out.stderr.strip().splitlines() if line.strip()][-1]
        return "traceback", last[:160]
    if out.status == 0:
        return ("wrong", wrong) if wrong else ("ok", "")
    lines = [line for line in out.stderr.strip().splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line]
    if lines and errors == [lines[-1]]:  # notes may come first; the error is one line, last
        return "error", lines[-1][:160]
    return "traceback", f"exit {out.status} without a one-line error: {out.stderr.strip()[:160]!r}"


# ---------------------------------------------------------------- the installer cases (item 5)

def installer_cases(root: Path, env: dict[str, str], timeout_s: float) -> list[tuple[str, str, str, str, str]]:
    """(name, item, expect, class, detail) of the install.py cases."""
    results = []

    def install(rp: Path, *extra: str) -> Outcome:
        start = time.monotonic()
        proc = subprocess.run([sys.executable, str(REPO / "install.py"), "--resource-path", str(rp), "--no-pip",
                               *extra], env=env, capture_output=True, text=True, timeout=timeout_s)
        return Outcome(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)

    for name, data in (("UTF-8 BOM", b"\xef\xbb\xbf[REAPER]\nfoo=1\n"),
                       ("UTF-16", "\ufeff[REAPER]\r\nfoo=1\r\n".encode("utf-16-le"))):
        rp = root / f"reaper-{name.replace(' ', '-')}"
        rp.mkdir()
        (rp / "reaper.ini").write_bytes(data)
        out = install(rp, "--enable-python")
        raw = (rp / "reaper.ini").read_bytes()
        problem = ""
        try:
            text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8-sig")
            if len(re.findall(r"^\s*\[reaper\]", text, re.I | re.M)) != 1:
                problem = "reaper.ini has more than one [REAPER] section"
            if raw[:2] in (b"\xff\xfe", b"\xfe\xff") and b"\x00" not in raw[-4:]:
                problem = "ASCII appended to a UTF-16 reaper.ini"
        except UnicodeDecodeError:
            problem = "reaper.ini no longer decodes in its own encoding"
        kind, detail = classify(out, "", problem)
        results.append((f"item-5 install with a {name} reaper.ini", "5", "succeed", kind, detail))

    rp = root / "reaper-manual-change"
    rp.mkdir()
    (rp / "reaper.ini").write_text("[REAPER]\nfoo=1\n")
    first = install(rp, "--enable-python")
    ini = rp / "reaper.ini"
    ini.write_text(ini.read_text() + "userkey=mine\n")  # the user changes REAPER's settings afterwards
    out = install(rp, "--uninstall")
    after = ini.read_text()
    problem = "" if "userkey=mine" in after else "uninstall restored a stale backup: the user's later change is gone"
    kind, detail = classify(out if first.status == 0 else first, problem, "")
    results.append(("item-5 uninstall after a later manual change", "5", "succeed", kind, detail))
    return results


# ---------------------------------------------------------------- kill -9 during mix --in-place

def kill_cases(ws_root: Path, base: Path, env: dict[str, str], rounds: int, mem_mb: int) -> list[tuple[str, str, str, str, str]]:
    """``kill -9`` at spread times during ``mix --in-place``: the project must be the old or the new one."""
    results = []
    for k in range(rounds):
        folder = ws_root / f"kill{k}"
        shutil.copytree(base / "demo", folder)
        p = folder / "demo.rpp"
        old = p.read_bytes()
        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (mem_mb << 20, mem_mb << 20))
        proc = subprocess.Popen([sys.executable, "-m", "automix", "-q", "mix", str(p), "--in-place", "--no-cache"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=limit)
        time.sleep(0.3 + 0.45 * k)
        proc.kill()
        proc.wait()
        now = p.read_bytes()
        problem = half_written_problem(old, now, "after kill -9")
        results.append((f"kill -9 during mix --in-place after {0.3 + 0.45 * k:.2f} s", "2", "succeed",
                        "data-loss" if problem else "ok", problem))
    return results


def half_written_problem(old: bytes, now: bytes, when: str = "") -> str:
    """"" when the project is the old one or a complete project, else what is wrong with it."""
    if now == old:
        return ""
    try:
        rpp_mod.loads(now.decode("utf-8"))
    except Exception as exc:  # noqa: BLE001
        return f"project left half-written{' ' + when if when else ''}: {exc}"
    return ""


# ---------------------------------------------------------------- a full disk during mix --in-place

def full_disk_cases(ws_root: Path, base: Path, env: dict[str, str], mem_mb: int,
                    timeout_s: float) -> list[tuple[str, str, str, str, str]]:
    """``mix --in-place`` on a small tmpfs left with 0 … 256 KiB free (needs root to mount; else skipped).

    The project must be the old one or a complete new one; a non-zero exit
    must say, output by output, what exists, and what it says is checked.
    """
    results = []
    for free_kb in (0, 16, 48, 96, 256):
        mount = ws_root / f"disk{free_kb}"
        mount.mkdir()
        name = f"item-10 full disk during mix --in-place ({free_kb} KiB free)"
        size_kb = sum(f.stat().st_size for f in (base / "demo").rglob("*") if f.is_file()) // 1024 + 2048
        if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(mount)],
                          capture_output=True).returncode != 0:
            results.append((name, "10", "either", "error", "skipped: cannot mount a tmpfs (needs root)"))
            continue
        try:
            folder = mount / "demo"
            shutil.copytree(base / "demo", folder)
            p = folder / "demo.rpp"
            old = p.read_bytes()
            st = os.statvfs(mount)
            filler = max(0, st.f_bavail * st.f_frsize - free_kb * 1024)
            with open(mount / "filler", "wb") as fh:
                fh.write(b"\0" * filler)
            out = run_automix(["-q", "mix", p, "--in-place", "--no-eq"], mount, env, timeout_s=timeout_s,
                              mem_mb=mem_mb)
            now = p.read_bytes()
            problem = half_written_problem(old, now)
            wrong = "" if out.status == 0 else full_disk_report_problem(out.stderr, folder, now == old)
            kind, detail = classify(out, problem, "")
            if wrong:
                kind, detail = "wrong", wrong
            results.append((name, "10", "either", kind, detail))
        finally:
            subprocess.run(["umount", str(mount)], capture_output=True)
    return results


def full_disk_report_problem(stderr: str, folder: Path, unchanged: bool) -> str:
    """'' when the error states every output and each stated state holds on disk."""
    text = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    if "could not save the mix" not in text:
        return f"no report of what was written: {text[:120]!r}"
    states = dict(re.findall(r"(?:^|; |\. )((?:project|original backup|backup|plan) \S+): ([^;]+)", text))
    project_state = states.get("project demo.rpp", "")
    if ("unchanged" in project_state) != unchanged:
        return f"the report says the project is {project_state!r}, the disk disagrees"
    for what, state in states.items():
        path = folder / what.split(" ")[-1]
        if state.strip() == "not written" and path.exists() and what.split(" ")[0] != "project":
            return f"the report says {what} was not written but it exists"
    if "feature cache" not in text:
        return "the report says nothing about the feature cache"
    return ""


# ---------------------------------------------------------------- main

def prepare_base(base: Path, env: dict[str, str], timeout_s: float, mem_mb: int) -> None:
    """The demo (12 s, 22.05 kHz) and a song folder made from its media and their unmixed sum."""
    out = run_automix(["demo", base / "demo", "--duration", "12", "--sample-rate", "22050"], base, env,
                      timeout_s=timeout_s, mem_mb=mem_mb)
    if out.status != 0:
        raise SystemExit(f"cannot build the demo: {out.stderr}")
    song = base / "SONG"
    song.mkdir()
    total = None
    for m in sorted((base / "demo" / "media").glob("*.wav")):
        x, sr = sf.read(m, always_2d=True)
        sf.write(song / m.name, x, sr, subtype="PCM_24")
        x = np.repeat(x, 2, axis=1) if x.shape[1] == 1 else x
        total = x if total is None else total + x
    sf.write(song / "mix.wav", 0.3 * total, sr, subtype="FLOAT")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=SHARED / "rpp-corpus", help="REAPER projects (default ../shared/rpp-corpus)")
    ap.add_argument("--mem-mb", type=int, default=3072, help="address-space cap per command, MB (default 3072)")
    ap.add_argument("--timeout", type=float, default=240.0, help="seconds per command (default 240)")
    ap.add_argument("--only", default="", help="run the cases whose name starts with this text (e.g. 'item-8 ')")
    ap.add_argument("--kill-rounds", type=int, default=6, help="kill -9 rounds during mix --in-place (default 6)")
    ap.add_argument("--keep", type=Path, help="keep the workspaces in this folder")
    args = ap.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="automix-red-team.")) if args.keep is None else args.keep
    root.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, AUTOMIX_PERSONAL_MODELS=str(root / "personal-models"), PYTHONPATH=str(REPO))
    base = root / "base"
    base.mkdir(exist_ok=True)
    prepare_base(base, env, args.timeout, args.mem_mb)
    rows: list[tuple[str, str, str, str, str]] = []
    for number, c in enumerate(build_cases(args.corpus if args.corpus.is_dir() else None)):
        if args.only and not c.name.startswith(args.only):
            continue
        ws = Workspace(root / f"case{number:03d}", base)
        ws.root.mkdir()
        plan = c.build(ws)
        before = {p: fingerprint(Path(p)) for p in plan.protected}
        outs: list[Outcome] = []
        if plan.together:
            procs = [start_automix(step, ws.root, env, args.mem_mb) for step in plan.steps]
            for proc in procs:
                o, e = proc.communicate(timeout=args.timeout)
                outs.append(Outcome(proc.returncode, o, e, 0.0))
        else:
            for step in plan.steps:
                if step[0] == "__call__":
                    step[1]()
                    continue
                outs.append(run_automix(step, ws.root, env, timeout_s=args.timeout, mem_mb=args.mem_mb))
        changed = [str(p) for p in plan.protected if fingerprint(Path(p)) != before[p]]
        lost = f"input changed: {', '.join(changed)}" if changed else ""
        if not lost and plan.check_lost is not None:
            lost = plan.check_lost(outs)
        if plan.busy and any(o.status == 0 for o in outs):  # the run that found the project busy was right
            outs = [o for o in outs if not (o.status == 2 and plan.busy in o.stderr)]
        failing = next((o for o in outs if o.status != 0 or o.timed_out), outs[-1])
        wrong = plan.check_wrong(outs) if plan.check_wrong is not None and failing.status == 0 else ""
        kind, detail = classify(failing, lost, wrong)
        rows.append((c.name, c.item, c.expect, kind, detail))
        print(f"{kind:<10} {c.name}: {detail}", flush=True)
        if args.keep is None:
            shutil.rmtree(ws.root, ignore_errors=True)
    if not args.only or "item-5".startswith(args.only.strip()):
        for row in installer_cases(root, env, args.timeout):
            rows.append(row)
            print(f"{row[3]:<10} {row[0]}: {row[4]}", flush=True)
    if not args.only or "item-10 full disk".startswith(args.only.strip()) or args.only.startswith("item-10 full"):
        for row in full_disk_cases(root, base, env, args.mem_mb, args.timeout):
            rows.append(row)
            print(f"{row[3]:<10} {row[0]}: {row[4]}", flush=True)
    if not args.only or "kill".startswith(args.only.strip()):
        for row in kill_cases(root, base, env, args.kill_rounds, args.mem_mb):
            rows.append(row)
            print(f"{row[3]:<10} {row[0]}: {row[4]}", flush=True)
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)
    print_summary(rows)
    return 0


def intended(expect: str, kind: str) -> bool:
    """Whether outcome class ``kind`` is what a correct automix does for a case expecting ``expect``."""
    return kind in {"refuse": ("error",), "succeed": ("ok",), "either": ("ok", "error")}[expect]


def print_summary(rows: list[tuple[str, str, str, str, str]]) -> None:
    print("\nsummary (cases per outcome class)")
    counts = Counter(kind for _, _, _, kind, _ in rows)
    print("  " + "  ".join(f"{k}: {counts.get(k, 0)}" for k in CLASSES) + f"  | total: {len(rows)}")
    print(f"  behaved as intended: {sum(intended(e, k) for _, _, e, k, _ in rows)} of {len(rows)}")
    print(f"\n  {'item':<8}" + "".join(f"{k:>11}" for k in CLASSES) + f"{'intended':>11}")
    items = sorted({i for _, i, _, _, _ in rows}, key=lambda s: (not s[:1].isdigit(), int(re.sub(r'\D.*', '', s) or 0), s))
    for item in items:
        mine = [r for r in rows if r[1] == item]
        c = Counter(r[3] for r in mine)
        good = sum(intended(r[2], r[3]) for r in mine)
        print(f"  {item:<8}" + "".join(f"{c.get(k, 0):>11}" for k in CLASSES) + f"{good:>8}/{len(mine):<3}")


if __name__ == "__main__":
    sys.exit(main())
