"""``automix estimate``: mixing parameters (gain, pan, 5-band EQ) of a finished mix.

Two inputs:

* ``automix estimate SONG_DIR`` — a folder with stems and a mix file. The mix
  is ``--mix`` or the one audio file whose name contains ``mix`` or
  ``master``; stems are ``--stems DIR`` (relative to SONG_DIR), else the
  ``Stems/`` sub-folder when present, else the other audio files.
* ``automix estimate PROJECT.rpp --mix MIX.wav`` — stems rendered from the
  project's tracks (pre-fader), estimated per project region.

Prints a table per region × track (also with ``-q``: it is the result);
``--json OUT`` also writes the JSON, atomically, never over a stem or the
mix; ``--json -`` prints only the JSON.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from automix.audio.io import audio_info
from automix.audio.render import RenderReport, render_file, render_track
from automix.commands.options import add_force_argument, number
from automix.errors import EstimationError
from automix.estimate.finished_mix import estimate_mix
from automix.estimate.solve import Estimate
from automix.features.region import RegionSpan
from automix.project.files import project_files
from automix.project.reader import read_project
from automix.util.atomic import write_text_atomic
from automix.util.outputs import PLAN_SUFFIXES, STDOUT, check_output_file

AUDIO_SUFFIXES = (".wav", ".aif", ".aiff", ".flac", ".ogg", ".mp3", ".m4a")

MIN_FRAME_S, MAX_FRAME_S = 0.005, 10.0
"""Accepted ``--frame-s`` range, seconds: from a few periods of a bass note to a phrase."""

MAX_LAG_S = 10.0
"""Largest accepted ``--max-lag-s``, seconds (the alignment excerpt is 4 × the lag)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``estimate`` sub-command."""
    p = subparsers.add_parser("estimate", help="estimate gain/pan/EQ of stems in a reference mix",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", type=Path, help="song folder (stems + mix) or a REAPER .rpp project")
    p.add_argument("--mix", type=Path, help="the reference mix file (required with a project)")
    p.add_argument("--stems", type=Path, help="stems folder, relative to the song folder")
    p.add_argument("--json", type=Path, help="write the estimate as JSON to this file ('-' = stdout)")
    add_force_argument(p)
    p.add_argument("--frame-s", type=number(MIN_FRAME_S, MAX_FRAME_S), default=0.1,
                   help=f"analysis frame length in seconds, {MIN_FRAME_S:g}-{MAX_FRAME_S:g} (0.1)")
    p.add_argument("--no-align", action="store_true", help="do not correct offsets / polarity flips")
    p.add_argument("--max-lag-s", type=number(0.0, MAX_LAG_S), default=0.1,
                   help=f"largest stem/mix offset searched by the alignment, 0-{MAX_LAG_S:g} s (0.1)")
    p.add_argument("--smoothing", type=number(0.0, 0.999), default=None,
                   help="EMA coefficient for frame-wise gains, 0-0.999 (e.g. 0.9)")
    p.set_defaults(func=run)


def _audio_files(folder: Path) -> list[Path]:
    return sorted(f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in AUDIO_SUFFIXES)


def _song_dir_inputs(folder: Path, mix: Path | None, stems_dir: Path | None) -> tuple[Path, list[Path]]:
    if not folder.is_dir():
        raise EstimationError("not a folder or .rpp project", file=folder)
    files = _audio_files(folder)
    if mix is None:
        cands = [f for f in files if "mix" in f.stem.lower() or "master" in f.stem.lower()]
        if len(cands) != 1:
            raise EstimationError(f"cannot tell which file is the mix (candidates: {[c.name for c in cands]}); "
                                  "use --mix", file=folder)
        mix = cands[0]
    if stems_dir is not None:
        stems = _audio_files(folder / stems_dir)
    elif (folder / "Stems").is_dir():
        stems = _audio_files(folder / "Stems")
    else:
        stems = [f for f in files if f.resolve() != Path(mix).resolve()]
    if not stems:
        raise EstimationError("no stem files found", file=folder)
    return Path(mix), stems


def run(args: argparse.Namespace) -> int:
    """Handler of ``automix estimate``."""
    source: Path = args.source
    report = RenderReport()
    if source.suffix.lower() == ".rpp":
        if args.mix is None:
            raise EstimationError("a project needs the reference mix: --mix MIX.wav", file=source)
        project = read_project(source)
        sr = project.sample_rate
        end_s = project.end_s
        tracks = project.audio_tracks
        if not tracks:
            raise EstimationError("the project has no audio track", file=source)
        stems = [(t.name or f"track {t.index + 1}",
                  (lambda t=t: render_track(project, t, sample_rate=sr, end_s=end_s, report=report)))
                 for t in tracks]
        regions = [RegionSpan(r.name or f"region {r.number}", r.start_s, r.end_s) for r in project.regions]
        mix_path = args.mix
        stem_inputs = project_files(project)
        playing = {t.index for t in tracks}
        skipped_tracks = [f"track {t.name!r}: no unmuted audio item (MIDI, empty or muted), skipped"
                          for t in project.tracks if t.items and t.index not in playing]
    else:
        mix_path, stem_paths = _song_dir_inputs(source, args.mix, args.stems)
        infos = [audio_info(p) for p in stem_paths]
        sr = infos[0].sample_rate
        end_s = max(i.duration_s for i in infos)
        stems = [(p.stem, (lambda p=p: render_file(p, sample_rate=sr, length_s=end_s))) for p in stem_paths]
        regions = []
        skipped_tracks = []
        stem_inputs = list(stem_paths)
    if args.json is not None and str(args.json) != STDOUT:
        read = [mix_path, *stem_inputs]
        check_output_file(args.json, "estimate JSON", inputs=read, suffixes=PLAN_SUFFIXES, force=args.force)
    mix_info = audio_info(mix_path)
    if not regions:
        regions = [RegionSpan("song", 0.0, end_s)]
    est = estimate_mix(stems, lambda: render_file(mix_path, sample_rate=sr), sr, regions,
                       frame_s=args.frame_s, align=not args.no_align, smoothing=args.smoothing,
                       max_lag_s=args.max_lag_s, align_excerpt_s=max(15.0, 4.0 * args.max_lag_s),
                       mix_channels=1 if mix_info.channels == 1 else 2)
    notes = list(dict.fromkeys(skipped_tracks + report.skipped + report.approximations))
    if mix_info.sample_rate != sr:
        notes.append(f"mix resampled from {mix_info.sample_rate} Hz to {sr} Hz")
    if str(args.json) != STDOUT:  # the table is the result: printed even with -q
        print(format_table(est, notes))
    if args.json is not None:
        data = est.to_json()
        data["notes"] = notes
        text = json.dumps(data, indent=2)
        if str(args.json) == "-":
            print(text)
        else:
            try:
                write_text_atomic(args.json, text + "\n")
            except OSError as exc:
                raise EstimationError(f"cannot write the estimate JSON: {exc.strerror or exc}", file=args.json) from None
    return 0


def format_table(est: Estimate, notes: list[str] | None = None) -> str:
    """A readable table: one block per region, one row per track."""
    lines = []
    for w in list(est.warnings) + list(notes or []):
        lines.append(f"note: {w}")
    for reg in est.regions:
        lines.append(f"\n[{reg.region}] {reg.start_s:.2f}–{reg.end_s:.2f} s   fit residual {reg.residual_db:.1f} dB")
        lines.append(f"{'track':<28}{'gain dB':>8}{'pan':>7}   eq dB (low lowmid mid himid high)   flags")
        for t in reg.tracks:
            gain = "—" if t.gain_db is None else f"{t.gain_db:.2f}"
            pan = "—" if t.pan is None else f"{t.pan:+.2f}"
            eq = "—" if t.eq_db is None else " ".join(f"{v:+.1f}" if math.isfinite(v) else "  ?" if math.isnan(v)
                                                      else " off" for v in t.eq_db)
            flags = "; ".join(t.reasons + t.eq_reasons)
            lines.append(f"{t.track[:27]:<28}{gain:>8}{pan:>7}   {eq:<34}{flags}")
    return "\n".join(lines)
