"""Render LMMS demo songs track by track: real mixes (the authors' own track volumes) as stems + mix.

    nice -n 19 python3 recipes/render_lmms_stems.py [--out ~/.cache/automix-lmms] PROJECT.mmp[z] ...

Needs LMMS (Debian: ``apt-get install lmms``; demo projects in
``/usr/share/lmms/projects/{demos,shorties}``, licences per song in
``/usr/share/doc/lmms-common/copyright``). For each project, every top-level
track that makes sound (instrument, beat/bassline and sample tracks) is
rendered alone — a copy of the project with every other top-level track muted
— and the whole project once as ``mix.wav``. The stems summed at unity are
then the author's mix (the script prints how far the sum is from the mix
render, dB; master-bus or send effects make it differ). Output, outside the
repository and outside ``../shared``::

    OUT/lmms-<song>/stems/NN <track name>.wav   (44.1 kHz float WAV)
    OUT/lmms-<song>/mix.wav

``automix evaluate --real ../shared/audio OUT`` then takes these folders as
extra real songs (:func:`automix.training.real_songs.discover_real_songs`).
A song already rendered is skipped. LMMS 1.2.2 sometimes crashes on render:
each render is retried up to three times.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from automix.audio.io import read_audio  # noqa: E402

SOUNDING_TRACK_TYPES = {"0", "1", "2"}
"""LMMS track types that make sound: instrument, beat/bassline, sample."""


def read_project_xml(path: Path) -> str:
    """The XML text of an ``.mmp`` (plain) or ``.mmpz`` (4-byte length + zlib) project."""
    data = path.read_bytes()
    return zlib.decompress(data[4:]).decode("utf-8") if path.suffix == ".mmpz" else data.decode("utf-8")


def top_level_tracks(root: ET.Element) -> list[ET.Element]:
    """The song's top-level tracks (not those inside beat/bassline patterns)."""
    container = root.find("song/trackcontainer")
    return [] if container is None else list(container.findall("track"))


def with_only(xml: str, keep: int | None) -> str:
    """The project with every sounding top-level track muted except index ``keep`` (None: none muted)."""
    root = ET.fromstring(xml)
    for i, t in enumerate(top_level_tracks(root)):
        if t.get("type") in SOUNDING_TRACK_TYPES:
            t.set("muted", "0" if keep is None or i == keep else "1")
            t.set("solo", "0")
    return '<?xml version="1.0"?>\n<!DOCTYPE lmms-project>\n' + ET.tostring(root, encoding="unicode")


def render(xml: str, out_wav: Path, work: Path) -> None:
    """Render a project text to ``out_wav`` (retried: LMMS 1.2.2 sometimes crashes)."""
    project = work / "render.mmp"
    project.write_text(xml, encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for _attempt in range(3):
        tmp = work / "render.wav"
        tmp.unlink(missing_ok=True)
        proc = subprocess.run(["lmms", "--allowroot", "render", str(project), "-a", "-f", "wav", "-s", "44100",
                               "-x", "2", "-i", "sincfastest", "-o", str(tmp)], env=env, capture_output=True,
                              timeout=1800)
        if proc.returncode == 0 and tmp.is_file() and tmp.stat().st_size > 1000:
            tmp.replace(out_wav)
            return
    raise RuntimeError(f"lmms could not render {out_wav.name}: {proc.stderr.decode(errors='replace')[-400:]}")


def song_name(project: Path) -> str:
    """``lmms-<file name without extension>``, lower case, safe characters."""
    return "lmms-" + re.sub(r"[^a-z0-9]+", "-", project.stem.lower()).strip("-")


def render_song(project: Path, out: Path) -> Path:
    """Render one project's stems and mix into ``out/lmms-<song>/`` (skipped when ``mix.wav`` exists)."""
    folder = out / song_name(project)
    if (folder / "mix.wav").is_file():
        return folder
    xml = read_project_xml(project)
    tracks = top_level_tracks(ET.fromstring(xml))
    stems_dir = folder / "stems"
    stems_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="automix-lmms-") as tmp:
        work = Path(tmp)
        for i, t in enumerate(tracks):
            if t.get("type") not in SOUNDING_TRACK_TYPES or t.get("muted") == "1":
                continue
            name = re.sub(r"[^\w .+-]+", "_", t.get("name") or f"track {i}").strip() or f"track {i}"
            target = stems_dir / f"{i:02d} {name}.wav"
            if not target.is_file():
                render(with_only(xml, i), target, work)
                print(f"  {project.stem}: {target.name}", flush=True)
        render(with_only(xml, None), work / "mix.wav", work)
        (work / "mix.wav").replace(folder / "mix.wav")
    return folder


def sum_error_db(folder: Path) -> float:
    """Level (dB) of (mix − Σ stems) relative to the mix."""
    mix, _sr = read_audio(folder / "mix.wav")
    total = np.zeros_like(mix)
    for p in sorted((folder / "stems").glob("*.wav")):
        x, _ = read_audio(p)
        n = min(len(x), len(total))
        total[:n] += x[:n]
    return float(10 * np.log10(np.sum((mix - total) ** 2) / max(np.sum(mix ** 2), 1e-20)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("projects", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=Path.home() / ".cache" / "automix-lmms")
    args = ap.parse_args(argv)
    for project in args.projects:
        folder = render_song(project, args.out)
        print(f"{folder.name}: {len(list((folder / 'stems').glob('*.wav')))} stems; mix − Σ stems "
              f"{sum_error_db(folder):.1f} dB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
