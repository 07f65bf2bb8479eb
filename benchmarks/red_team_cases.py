"""The cases of :mod:`red_team` (issue 14's table): how each builds its workspace and what it checks.

Each :class:`Case` names the issue item it exercises and what a correct
automix does (``refuse``, ``succeed`` or ``either``); its ``build`` prepares a
folder (copies of the demo, song folders, broken plans and models) and
returns a :class:`Plan`: the commands, the files that must not change, and
checks of the user's data (``check_lost``) and of the result (``check_wrong``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import stat
import struct
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from automix.project.reader import read_project

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Outcome:
    """What one child process did."""

    status: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False



# ---------------------------------------------------------------- snapshots of what must not change

def fingerprint(path: Path) -> str:
    """What kind of file ``path`` is and, for a regular file, its content hash."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "missing"
    if stat.S_ISLNK(st.st_mode):
        return f"link->{os.readlink(path)}"
    if stat.S_ISFIFO(st.st_mode):
        return "fifo"
    if stat.S_ISCHR(st.st_mode):
        return "chardev"
    if stat.S_ISDIR(st.st_mode):
        return "dir"
    return "file:" + hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- cases

@dataclass
class Case:
    """A hostile or clumsy use; ``build`` prepares the workspace and returns the plan of the run."""

    name: str
    item: str
    expect: str  # "refuse" or "succeed"
    build: Callable[["Workspace"], "Plan"]


@dataclass
class Plan:
    """The commands of a case, the files they must leave alone, and the checks after the run."""

    steps: list[list[str]]
    protected: list[Path] = field(default_factory=list)
    together: bool = False
    busy: str = ""  # with ``together``: a refusal matching this is a correct outcome for the losing run
    check_lost: Callable[[list[Outcome]], str] | None = None
    check_wrong: Callable[[list[Outcome]], str] | None = None


class Workspace:
    """A folder per case, copies of the prepared base material."""

    def __init__(self, root: Path, base: Path) -> None:
        self.root = root
        self.base = base

    def demo(self, name: str = "demo") -> Path:
        """A fresh copy of the demo project folder; returns ``demo.rpp``."""
        target = self.root / name
        shutil.copytree(self.base / "demo", target)
        return target / "demo.rpp"

    def song_folder(self) -> Path:
        """Stems (the demo's media) and ``mix.wav`` (their unmixed sum) in ``SONG/``."""
        target = self.root / "SONG"
        shutil.copytree(self.base / "SONG", target)
        return target


def media_of(project: Path) -> list[Path]:
    return sorted((project.parent / "media").glob("*.wav"))


def edit(path: Path, fn: Callable[[str], str]) -> None:
    path.write_text(fn(path.read_text(encoding="utf-8")), encoding="utf-8")


def track_chunk_span(lines: list[str], name: str) -> tuple[int, int]:
    """(first, last) line index of the ``<TRACK`` chunk whose NAME is ``name``."""
    wanted = re.compile(rf'NAME\s+"?{re.escape(name)}"?')
    depth, start = 0, None
    for i, line in enumerate(lines):
        text = line.strip()
        if start is None and text.startswith("<TRACK"):
            start, depth = i, 0
        if start is None:
            continue
        depth += text.startswith("<")
        depth -= text == ">"
        if depth == 0:
            if any(wanted.fullmatch(x.strip()) for x in lines[start:i + 1]):
                return start, i
            start = None
    raise KeyError(name)


def set_fader(text: str, track: str, amp: float) -> str:
    lines = text.splitlines(keepends=True)
    a, b = track_chunk_span(lines, track)
    for i in range(a, b):
        if lines[i].strip().startswith("VOLPAN "):
            parts = lines[i].split(" ")
            k = next(j for j, p in enumerate(parts) if p == "VOLPAN")
            parts[k + 1] = repr(amp)
            lines[i] = " ".join(parts)
            break
    return "".join(lines)


def add_muted_copy(text: str, track: str) -> str:
    """A muted duplicate of ``track`` (fresh GUIDs), placed right after it."""
    lines = text.splitlines(keepends=True)
    a, b = track_chunk_span(lines, track)
    copy = "".join(lines[a:b + 1])
    copy = re.sub(r"\{[0-9A-Fa-f-]{36}\}", lambda m: "{" + str(uuid.uuid4()).upper() + "}", copy)
    copy = re.sub(r'(NAME\s+)"?([^"\n]*)"?', lambda m: f'{m.group(1)}"{m.group(2)} scratch"', copy, count=1)
    if "MUTESOLO" in copy:
        copy = re.sub(r"MUTESOLO \S+", "MUTESOLO 1", copy, count=1)
    else:
        copy = copy.replace("\n", "\n    MUTESOLO 1 0 0\n", 1)
    return "".join(lines[:b + 1]) + copy + "".join(lines[b + 1:])


HAND_DRAWN = ("<VOLENV2\nEGUID {11111111-2222-3333-4444-555555555555}\nACT 1 -1\nVIS 1 1 1\nLANEHEIGHT 0 0\n"
              "ARM 0\nDEFSHAPE 0 -1 -1\nPT 0 1 0\nPT 1.234567 0.31622777 0\n>\n")
FINGERPRINT = "PT 1.234567 0.31622777 0"


def add_hand_drawn_envelope(text: str, track: str) -> str:
    lines = text.splitlines(keepends=True)
    a, b = track_chunk_span(lines, track)
    at = next(i for i in range(a, b) if lines[i].strip().startswith("MAINSEND"))
    return "".join(lines[:at + 1]) + HAND_DRAWN + "".join(lines[at + 1:])


def envelope_on_disk(folder: Path, project: Path) -> str:
    """'' when the hand-drawn envelope is still in some file of ``folder`` other than the project."""
    for p in folder.rglob("*"):
        if p.is_file() and p.resolve() != project.resolve() and p.stat().st_size < 50_000_000:
            if FINGERPRINT.encode() in p.read_bytes():
                return ""
    return "the user's hand-drawn volume envelope is in no file on disk any more"


def heard_db(project: Path, track_name: str) -> list[float]:
    """Per region: the track's fader (when it plays) + volume envelope value at the region's middle, dB."""
    proj = read_project(project)
    track = next(t for t in proj.tracks if t.name == track_name)
    fader = 20 * math.log10(max(track.volume_amp, 1e-12)) if getattr(track, "automation_mode", 0) == 0 else 0.0
    env = track.envelopes.get("VOLENV2")
    levels = []
    for r in proj.regions:
        mid = 0.5 * (r.start_s + r.end_s)
        value = 1.0
        if env is not None and env.points:
            before = [p for p in env.points if p.time_s <= mid] or [env.points[0]]
            value = before[-1].value
        levels.append(fader + 20 * math.log10(max(value, 1e-12)))
    return levels


def compare_heard(a: Path, b: Path, track: str, tol_db: float, what: str) -> str:
    try:
        la, lb = heard_db(a, track), heard_db(b, track)
    except Exception as exc:  # noqa: BLE001 - a measurement failure is reported, not raised
        return f"could not measure: {exc}"
    worst = max(abs(x - y) for x, y in zip(la, lb))
    return "" if worst <= tol_db else f"{what}: track {track!r} heard {worst:.1f} dB off (limit {tol_db:g} dB)"


def wav_finite(path: Path) -> str:
    if not path.is_file():
        return ""
    x, _ = sf.read(path, dtype="float32")
    return "" if np.isfinite(x).all() else f"{path.name} holds NaN/Inf samples"


def stdout_has(text: str) -> Callable[[list[Outcome]], str]:
    return lambda outs: "" if all(text in o.stdout for o in outs if o.status == 0) else f"no {text!r} in the output"


def stderr_mentions(pattern: str, what: str) -> Callable[[list[Outcome]], str]:
    return lambda outs: "" if re.search(pattern, outs[-1].stderr + outs[-1].stdout, re.I) else what


def skipped_and_untouched(project: Path, media: Path, outs: list[Outcome]) -> str:
    """'' when the run named ``media`` as skipped and its track's chunk is byte-identical in the written project."""
    said = re.search(rf"track '([^']+)': media file \S*{re.escape(media.name)} unreadable \([^)]", outs[-1].stderr)
    if not said:
        return f"no note naming {media.name} as unreadable and its track as skipped"
    before = (project.parent / (project.stem + ".automix-original.rpp-bak")).read_text(encoding="utf-8").splitlines()
    after = project.read_text(encoding="utf-8").splitlines()
    a, b = track_chunk_span(before, said.group(1)), track_chunk_span(after, said.group(1))
    if before[a[0]:a[1] + 1] != after[b[0]:b[1] + 1]:
        return f"track {said.group(1)!r} was changed although it was skipped"
    return ""


def in_place_mix_skipping(project: Path, media: Path, *, media_readable: bool = True) -> Plan:
    """``mix --in-place`` of ``project`` whose ``media`` cannot be decoded: that track skipped and untouched.

    ``media_readable``: the file itself is protected (must come back byte-identical); False for a file
    the check cannot read either.
    """
    return Plan([["mix", project, "--in-place"]], protected=[media] if media_readable else [],
                check_wrong=lambda outs: skipped_and_untouched(project, media, outs))


def write_wav_header(path: Path, fmt_chunk: bytes, data: bytes = b"\x00" * 400) -> None:
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt_chunk)) + fmt_chunk + b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


def replace_media(project: Path, index: int, writer: Callable[[Path], None]) -> Path:
    media = media_of(project)[index]
    writer(media)
    return media


def model_with_extra_array(folder: Path, extra_mb: int) -> None:
    """Copy one shipped model into ``folder`` with an extra ``extra_mb`` MB array in its npz (checksum updated)."""
    src = next((REPO / "models").glob("all__all.json"))
    folder.mkdir(parents=True, exist_ok=True)
    doc = json.loads(src.read_text())
    npz = folder / "all__all.npz"
    shutil.copy(src.with_suffix(".npz"), npz)
    n = extra_mb * 1024 * 1024 // 8
    header = {"descr": "<f8", "fortran_order": False, "shape": (n,)}
    with zipfile.ZipFile(npz, "a", compression=zipfile.ZIP_DEFLATED) as z, z.open("extra.npy", "w", force_zip64=True) as fh:
        import numpy.lib.format as npf

        npf.write_array_header_1_0(fh, header)
        chunk = bytes(8 * 1024 * 1024)
        for _ in range(extra_mb // 8):
            fh.write(chunk)
    doc["arrays_sha256"] = hashlib.sha256(npz.read_bytes()).hexdigest()
    (folder / "all__all.json").write_text(json.dumps(doc))


def build_cases(corpus: Path | None) -> list[Case]:
    cases: list[Case] = []

    def case(name: str, item: str, expect: str):
        def wrap(fn: Callable[[Workspace], Plan]) -> Callable[[Workspace], Plan]:
            cases.append(Case(name, item, expect, fn))
            return fn
        return wrap

    # ---- item 1: outputs never replace inputs
    @case("item-1 render -o media/01-kick.wav", "1", "refuse")
    def _(ws):
        p = ws.demo()
        return Plan([["render", p, "-o", media_of(p)[0]]], protected=[p, *media_of(p)])

    @case("item-1 render -o demo.rpp", "1", "refuse")
    def _(ws):
        p = ws.demo()
        return Plan([["render", p, "-o", p]], protected=[p])

    @case("item-1 report -o demo.rpp", "1", "refuse")
    def _(ws):
        p = ws.demo()
        return Plan([["report", p, "-o", p, "--no-spectra"]], protected=[p])

    @case("item-1 mix --plan-out demo.rpp --dry-run", "1", "refuse")
    def _(ws):
        p = ws.demo()
        return Plan([["mix", p, "--plan-out", p, "--dry-run"]], protected=[p])

    @case("item-1 mix --plan-out demo.rpp", "1", "refuse")
    def _(ws):
        p = ws.demo()
        return Plan([["mix", p, "--plan-out", p]], protected=[p])

    @case("item-1 mix -o media/02-snare.wav", "1", "refuse")
    def _(ws):
        p = ws.demo()
        return Plan([["mix", p, "-o", media_of(p)[1]]], protected=[p, *media_of(p)])

    @case("item-1 estimate --json SONG/06-bass.wav", "1", "refuse")
    def _(ws):
        song = ws.song_folder()
        stem = next(song.glob("*bass*.wav"))
        return Plan([["estimate", song, "--json", stem]], protected=sorted(song.glob("*.wav")))

    @case("item-1 estimate --json SONG/mix.wav", "1", "refuse")
    def _(ws):
        song = ws.song_folder()
        return Plan([["estimate", song, "--json", song / "mix.wav"]], protected=sorted(song.glob("*.wav")))

    @case("item-1 render -o FIFO", "1", "refuse")
    def _(ws):
        p = ws.demo()
        fifo = p.parent / "pipe.wav"
        os.mkfifo(fifo)
        return Plan([["render", p, "-o", fifo, "--unmixed"]], protected=[p, fifo])

    @case("item-1 render -o device node", "1", "refuse")
    def _(ws):
        p = ws.demo()
        dev = p.parent / "null.wav"
        try:
            os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        except (PermissionError, AttributeError):
            os.mkfifo(dev)  # without the right to make a device node: a FIFO stands in
        return Plan([["render", p, "-o", dev, "--unmixed"]], protected=[p, dev])

    @case("item-1 apply -o PLAN (the plan being read)", "1", "refuse")
    def _(ws):
        p = ws.demo()
        plan = p.parent / "plan.json"
        return Plan([["mix", p, "--dry-run", "--plan-out", plan], ["apply", p, plan, "-o", plan]],
                    protected=[p, *media_of(p)])

    @case("item-1 mix -o models/all__all.json", "1", "refuse")
    def _(ws):
        p = ws.demo()
        models = ws.root / "models"
        shutil.copytree(REPO / "models", models)
        target = models / "all__all.json"
        return Plan([["mix", p, "--models", models, "--plan-out", target, "--dry-run"]],
                    protected=[p, target, target.with_suffix(".npz")])

    # ---- item 2: backups keep the user's work
    @case("item-2 two mix --in-place runs, hand-drawn envelope", "2", "succeed")
    def _(ws):
        p = ws.demo()
        edit(p, lambda t: add_hand_drawn_envelope(t, "Bass"))
        return Plan([["-q", "mix", p, "--in-place"], ["-q", "mix", p, "--in-place"]],
                    protected=media_of(p), check_lost=lambda outs: envelope_on_disk(p.parent, p))

    @case("item-2 two mix --in-place runs started together", "2", "succeed")
    def _(ws):
        p = ws.demo()
        edit(p, lambda t: add_hand_drawn_envelope(t, "Bass"))
        return Plan([["-q", "mix", p, "--in-place"], ["-q", "mix", p, "--in-place"]], together=True,
                    busy="another automix run is writing this",
                    protected=media_of(p), check_lost=lambda outs: envelope_on_disk(p.parent, p))

    # ---- item 3: faders
    @case("item-3 Bass fader at -20 dB", "3", "succeed")
    def _(ws):
        p = ws.demo("flat")
        q = ws.demo("fader")
        edit(q, lambda t: set_fader(t, "Bass", 0.1))
        return Plan([["-q", "mix", p], ["-q", "mix", q]], protected=[p, q],
                    check_wrong=lambda outs: compare_heard(p.with_name("demo.automix.rpp"),
                                                           q.with_name("demo.automix.rpp"), "Bass", 1.0,
                                                           "fader not accounted for"))

    # ---- item 4: muted tracks
    @case("item-4 muted scratch copy of the lead vocal", "4", "succeed")
    def _(ws):
        p = ws.demo("plain")
        q = ws.demo("scratch")
        edit(q, lambda t: add_muted_copy(t, "Lead Vocal"))
        return Plan([["-q", "mix", p], ["-q", "mix", q]], protected=[p, q],
                    check_wrong=lambda outs: compare_heard(p.with_name("demo.automix.rpp"),
                                                           q.with_name("demo.automix.rpp"), "Lead Vocal", 1.0,
                                                           "muted track mixed as if audible"))

    # ---- item 5: installer (run through install.py, not the automix command)
    # (handled by dedicated runners below)

    # ---- item 6: symlinks and read-only projects
    @case("item-6 --in-place on a symlinked project", "6", "succeed")
    def _(ws):
        p = ws.demo()
        link = p.with_name("link.rpp")
        link.symlink_to(p.name)
        before = p.read_bytes()
        return Plan([["-q", "mix", link, "--in-place"]], protected=media_of(p),
                    check_lost=lambda outs: "" if link.is_symlink() else "the symlink was replaced by a file",
                    check_wrong=lambda outs: "" if p.read_bytes() != before else "the real project was not updated")

    @case("item-6 read-only project mixed twice", "6", "succeed")
    def _(ws):
        p = ws.demo()
        p.chmod(0o444)
        return Plan([["-q", "mix", p], ["-q", "mix", p, "--no-eq"]], protected=[p, *media_of(p)],
                    check_wrong=lambda outs: "" if os.stat(p.with_name("demo.automix.rpp")).st_mode & stat.S_IWUSR
                    else "the output is read-only (0444): later runs cannot update it")

    @case("item-6 --in-place on a read-only project", "6", "refuse")
    def _(ws):
        p = ws.demo()
        p.chmod(0o444)
        return Plan([["-q", "mix", p, "--in-place"]], protected=[p, *media_of(p)])

    # ---- item 7: resource limits
    @case("item-7 item LENGTH 1e12", "7", "refuse")
    def _(ws):
        p = ws.demo()
        edit(p, lambda t: re.sub(r"(\n\s*LENGTH )\S+", r"\g<1>1e12", t, count=1))
        return Plan([["mix", p, "--dry-run"]], protected=[p])

    @case("item-7 model JSON is /dev/zero", "7", "either")
    def _(ws):
        p = ws.demo()
        models = ws.root / "models"
        models.mkdir()
        (models / "all__all.json").symlink_to("/dev/zero")
        shutil.copy(REPO / "models" / "all__all.npz", models / "all__all.npz")
        return Plan([["mix", p, "--dry-run", "--models", models]], protected=[p],
                    check_wrong=stderr_mentions(r"broken|cannot read|not a regular|larger|too large",
                                                "the /dev/zero model is not named as broken"))

    @case("item-7 model npz with an extra 1 GB array (valid checksum)", "7", "succeed")
    def _(ws):
        p = ws.demo()
        models = ws.root / "models"
        model_with_extra_array(models, 1024)
        return Plan([["mix", p, "--dry-run", "--models", models]], protected=[p])

    @case("item-7 plan with 1,000,000 regions", "7", "refuse")
    def _(ws):
        p = ws.demo()
        plan = p.parent / "big.json"
        region = '{"name":"r","section":"verse","start_s":0,"end_s":1,"tracks":[]}'
        plan.write_text('{"format":"automix-plan","version":1,"genre":"rock","regions":[' +
                        ",".join([region] * 1_000_000) + "]}")
        return Plan([["render", p, "-o", p.parent / "x.wav", "--plan", plan]], protected=[p])

    @case("item-7/8 plan of 100,000 nested [", "8", "refuse")
    def _(ws):
        p = ws.demo()
        plan = p.parent / "deep.json"
        plan.write_text("[" * 100_000 + "]" * 100_000)
        return Plan([["apply", p, plan, "--dry-run"]], protected=[p])

    # ---- item 8: one-line errors (a broken media file skips its track: item 9)
    @case("item-8/9 WAV with a garbage fmt chunk", "8", "succeed")
    def _(ws):
        p = ws.demo()
        m = replace_media(p, 0, lambda m: write_wav_header(m, b"\xff" * 16))
        return Plan([["mix", p, "--dry-run", "--no-cache"]], protected=[p],
                    check_wrong=stderr_mentions(rf"{re.escape(m.name)} unreadable .*track skipped",
                                                "the skipped track and its file are not named"))

    @case("item-8/9 1 Hz WAV", "8", "succeed")
    def _(ws):
        p = ws.demo()
        m = replace_media(p, 0, lambda m: write_wav_header(m, struct.pack("<HHIIHH", 1, 1, 1, 2, 2, 16)))
        return Plan([["mix", p, "--dry-run", "--no-cache"]], protected=[p],
                    check_wrong=stderr_mentions(rf"{re.escape(m.name)} unreadable \(sample rate 1 Hz",
                                                "the skipped track and its file are not named"))

    @case("item-8 PLAYRATE 1e300", "8", "refuse")
    def _(ws):
        p = ws.demo()
        def item_rate(text: str) -> str:  # the first item's take, not the project's own PLAYRATE line
            at = text.index("<ITEM")
            return text[:at] + re.sub(r"(\n\s*PLAYRATE )\S+", r"\g<1>1e300", text[at:], count=1)

        edit(p, item_rate)
        return Plan([["mix", p, "--dry-run"]], protected=[p])

    @case("item-8 learn --out in a read-only folder", "8", "refuse")
    def _(ws):
        p = ws.demo()
        target = Path("/proc/automix-red-team") if os.geteuid() == 0 else ws.root / "ro" / "models"
        if os.geteuid() != 0:
            (ws.root / "ro").mkdir()
            (ws.root / "ro").chmod(0o555)
        return Plan([["learn", p, "--out", target]], protected=[p])

    for command in ("learn", "train", "evaluate"):
        @case(f"item-8 {command} --{'report' if command == 'evaluate' else 'out'} an existing file", "8", "refuse")
        def _(ws, command=command):
            p = ws.demo()
            taken = ws.root / "taken.txt"
            taken.write_text("keep me\n")
            return Plan([[command, p, "--report" if command == "evaluate" else "--out", taken]],
                        protected=[p, taken])

    for value in ("nan", "1e9"):
        @case(f"item-8 estimate --frame-s {value}", "8", "refuse")
        def _(ws, value=value):
            song = ws.song_folder()
            return Plan([["estimate", song, "--frame-s", value]], protected=sorted(song.glob("*.wav")))

    @case("item-8 estimate --max-lag-s 1e9", "8", "refuse")
    def _(ws):
        song = ws.song_folder()
        return Plan([["estimate", song, "--max-lag-s", "1e9"]], protected=sorted(song.glob("*.wav")))

    for value in ("nan", "1000"):
        @case(f"item-8 render --normalize {value}", "8", "refuse")
        def _(ws, value=value):
            p = ws.demo()
            out = p.parent / "x.wav"
            return Plan([["render", p, "-o", out, "--unmixed", "--normalize", value]], protected=[p],
                        check_wrong=lambda outs: wav_finite(out) or "a WAV was written for a nonsense loudness")

    # ---- item 9: local problems, whole project refused
    @case("item-9 whole-song region overlapping the sections", "9", "succeed")
    def _(ws):
        p = ws.demo()
        edit(p, lambda t: re.sub(r"(\n(\s*)MARKER )", r'\n\2MARKER 99 0 "Whole song" 1\n\2MARKER 99 11.9 "" 1\1',
                                 t, count=1))
        return Plan([["mix", p, "--dry-run"]], protected=[p])

    @case("item-9 zero-length region", "9", "succeed")
    def _(ws):
        p = ws.demo()
        edit(p, lambda t: re.sub(r"(\n(\s*)MARKER )", r'\n\2MARKER 98 5 "Blip" 1\n\2MARKER 98 5 "" 1\1', t, count=1))
        return Plan([["mix", p, "--dry-run"]], protected=[p])

    @case("item-9 a Latin-1 byte in a track name", "9", "succeed")
    def _(ws):
        p = ws.demo()
        p.write_bytes(p.read_bytes().replace(b"NAME Bass", b"NAME Bass\xe9", 1).replace(b'NAME "Bass"', b'NAME "Bass\xe9"', 1))
        return Plan([["mix", p, "--dry-run"]], protected=[p])

    @case("item-9 one missing media file", "9", "succeed")
    def _(ws):
        p = ws.demo()
        media_of(p)[3].unlink()
        return Plan([["mix", p, "--dry-run"]], protected=[p])

    @case("item-9 a media file cut inside its header", "9", "succeed")
    def _(ws):
        p = ws.demo()
        m = replace_media(p, 2, lambda m: m.write_bytes(m.read_bytes()[:30]))
        return in_place_mix_skipping(p, m)

    if os.geteuid() != 0:  # root reads every file (tests/test_unreadable_media.py simulates the refusal)
        @case("item-9 a media file without read permission", "9", "succeed")
        def _(ws):
            p = ws.demo()
            m = media_of(p)[2]
            m.chmod(0)
            return in_place_mix_skipping(p, m, media_readable=False)

    @case("item-9 a FLAC media file cut in the middle", "9", "succeed")
    def _(ws):
        p = ws.demo()
        m = media_of(p)[2]
        x, sr = sf.read(m)
        flac = m.with_suffix(".flac")
        sf.write(flac, x, sr)
        flac.write_bytes(flac.read_bytes()[: flac.stat().st_size // 2])
        edit(p, lambda t: t.replace(m.name, flac.name))
        return in_place_mix_skipping(p, flac)

    # ---- item 10: silent degradation
    @case("item-10 a silent media file", "10", "succeed")
    def _(ws):
        p = ws.demo()
        m = media_of(p)[5]
        x, sr = sf.read(m)
        sf.write(m, np.zeros_like(x), sr, subtype="PCM_24")
        return Plan([["mix", p, "--dry-run", "--no-cache"]], protected=[p],
                    check_wrong=stderr_mentions(r"silent|silence", "no word about the silent file"))

    @case("item-10 a truncated media file", "10", "succeed")
    def _(ws):
        p = ws.demo()
        m = media_of(p)[5]
        m.write_bytes(m.read_bytes()[: 10_000])
        return Plan([["mix", p, "--dry-run", "--no-cache"]], protected=[p],
                    check_wrong=stderr_mentions(r"truncat|shorter|ends|length", "no word about the truncated file"))

    @case("item-10 a broken personal model", "10", "either")
    def _(ws):
        p = ws.demo()
        models = ws.root / "models"
        models.mkdir()
        shutil.copy(REPO / "models" / "all__all.json", models / "all__all.json")
        (models / "all__all.npz").write_bytes(b"PK\x03\x04 broken")
        return Plan([["mix", p, "--dry-run", "--models", models]], protected=[p],
                    check_wrong=stderr_mentions(r"broken|corrupt|checksum|sha256|cannot read", "a broken model is not named as broken"))

    @case("item-10 media rewritten with the same size and mtime (cache)", "10", "succeed")
    def _(ws):
        p = ws.demo()
        m = media_of(p)[5]
        plans = [p.parent / "before.json", p.parent / "after.json"]

        def rewrite() -> None:
            st = m.stat()
            x, sr = sf.read(m)
            sf.write(m, x * 0.25, sr, subtype="PCM_24")
            os.utime(m, ns=(st.st_atime_ns, st.st_mtime_ns))

        def stale(outs):
            a, b = (json.loads(q.read_text()) if q.is_file() else None for q in plans)
            return "" if a is None or a != b else "the plan did not change: stale cached features were used"

        return Plan([["-q", "mix", p, "--dry-run", "--plan-out", plans[0]], ["__call__", rewrite],
                     ["-q", "mix", p, "--dry-run", "--plan-out", plans[1]]], protected=[p], check_wrong=stale)

    @case("item-10 one track recorded 30 dB too quietly", "10", "succeed")
    def _(ws):
        p = ws.demo()
        m = media_of(p)[4]
        plans = [p.parent / "before.json", p.parent / "after.json"]

        def quieter() -> None:
            x, sr = sf.read(m)
            sf.write(m, x * 10 ** (-30 / 20), sr, subtype="FLOAT")

        def kept(outs):
            if not all(q.is_file() for q in plans):
                return "no plans written"
            a, b = ({t["name"]: t["gain_db"] for t in json.loads(q.read_text())["regions"][0]["tracks"]} for q in plans)
            name = next((n for n in a if abs((b[n] - a[n]) - 30.0) < 0.5 or (b[n] >= 17.99 and a[n] + 30 > 18)), None)
            if name is None:
                return "no track's gain rose by the 30 dB its recording lost"
            others = [n for n in a if n != name and abs(b[n] - a[n]) > 0.5]
            if others:
                return f"other tracks moved: {', '.join(others)}"
            if not re.search(rf"track '{re.escape(name)}': (fader raised|needs up to)", outs[-1].stderr):
                return f"nothing said about {name!r}"
            return ""

        return Plan([["mix", p, "--dry-run", "--plan-out", plans[0]], ["__call__", quieter],
                     ["mix", p, "--dry-run", "--plan-out", plans[1]]], protected=[p], check_wrong=kept)

    # ---- item 11: quiet keeps results
    @case("item-11 automix -q estimate prints results", "11", "succeed")
    def _(ws):
        song = ws.song_folder()
        return Plan([["-q", "estimate", song]], protected=sorted(song.glob("*.wav")), check_wrong=stdout_has("gain dB"))

    @case("item-11 estimate … -q after the command", "11", "succeed")
    def _(ws):
        song = ws.song_folder()
        return Plan([["estimate", song, "-q"]], protected=sorted(song.glob("*.wav")), check_wrong=stdout_has("gain dB"))

    # ---- the real corpus
    if corpus is not None and corpus.is_dir():
        for rpp in sorted(corpus.rglob("*.rpp")):
            for command, expect in ((["inspect"], "succeed"), (["mix", "--dry-run"], "either")):
                # the corpus ships no media: mixing may be refused, but only with a clean message
                @case(f"corpus {command[0]} {rpp.name}", "corpus", expect)
                def _(ws, rpp=rpp, command=command):
                    copy = ws.root / rpp.name
                    shutil.copy(rpp, copy)
                    return Plan([[command[0], copy, *command[1:]]], protected=[copy])
    return cases


