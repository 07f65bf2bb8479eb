"""``automix demo DIR``: write the built-in demo project (synthesised rock song) into DIR."""

from __future__ import annotations

import argparse
from pathlib import Path

from automix.commands.options import integer, number
from automix.demo.project import MAX_RECORDING_OFFSET_DB, write_demo
from automix.demo.synth import MAX_DURATION_S, MIN_DURATION_S
from automix.util.outputs import check_output_file, check_output_folder

MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 8000, 192000
"""Accepted ``--sample-rate`` range, Hz."""

EXAMPLES = """examples:
  automix demo ~/automix-demo                 # 80 s song, seed 0
  automix demo /tmp/demo --seed 3 --duration 60
  automix mix ~/automix-demo/demo.rpp -o ~/automix-demo/demo-mixed.rpp
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` sub-command."""
    parser = subparsers.add_parser(
        "demo", help="write a synthesised demo project (demo.rpp + media) into a folder",
        description="Synthesise a rock song (drums with overheads, bass, two electric guitars, acoustic guitar, "
                    "lead and backing voice) recorded at deliberately uneven levels, with regions Intro, "
                    "Verse, Chorus, Verse, Chorus, Outro; write DIR/demo.rpp, DIR/media/*.wav (24-bit) and "
                    "DIR/demo_truth.json (the intended mix per region and track).",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", metavar="DIR", help="folder to write into (created if missing)")
    parser.add_argument("--seed", type=integer(0, 2**32 - 1), default=0,
                        help="random seed (default 0); same seed, same bytes")
    parser.add_argument("--duration", type=number(MIN_DURATION_S, MAX_DURATION_S), default=80.0, metavar="S",
                        help=f"song length in seconds, {MIN_DURATION_S:g}-{MAX_DURATION_S:g} (default 80)")
    parser.add_argument("--sample-rate", type=integer(MIN_SAMPLE_RATE, MAX_SAMPLE_RATE), default=44100,
                        metavar="HZ", help=f"{MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} (default 44100)")
    parser.set_defaults(func=run)


def check_demo_outputs(directory: Path) -> None:
    """Refuse (OutputError) a demo folder that is a file, or holds a FIFO/device/folder where a demo file goes."""
    check_output_folder(directory, "demo folder")
    check_output_folder(directory / "media", "demo media folder")
    existing = sorted((directory / "media").glob("*.wav")) if (directory / "media").is_dir() else []
    for path in [directory / "demo.rpp", directory / "demo_truth.json", *existing]:
        if path.exists() or path.is_symlink():
            check_output_file(path, "demo file")


def run(args: argparse.Namespace) -> int:
    """Write the demo and print what was written; returns the exit status."""
    directory = Path(args.directory)
    check_demo_outputs(directory)
    files = write_demo(directory, seed=args.seed, duration_s=args.duration, sample_rate=args.sample_rate)
    truth = files.truth
    print(f"wrote {files.project_path} ({len(truth.tracks)} tracks, {len(truth.regions)} regions, "
          f"{truth.duration_s:.1f} s at {truth.tempo_bpm:g} bpm, genre {truth.genre})")
    if not getattr(args, "quiet", False):
        print(f"media: {len(files.media_paths)} files in {files.project_path.parent / 'media'}")
        print(f"intended mix: {files.truth_path}")
        offsets = ", ".join(f"{t.name} {t.recording_offset_db:+.1f}" for t in truth.tracks)
        print(f"recorded levels off the intended balance by up to ±{MAX_RECORDING_OFFSET_DB:g} dB: {offsets}")
    return 0
