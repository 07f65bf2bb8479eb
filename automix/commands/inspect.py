"""``automix inspect PROJECT.rpp [--json]``: print the project model.

Text form: one line per track (index, name, item count, missing media) and per
region, for people. ``--json`` prints a stable, versioned document for tools:

.. code-block:: text

    {
      "schema": "automix.inspect",          # constant
      "schema_version": 1,                  # bumped on any incompatible change
      "project": {"path": str, "folder": str, "reaper_version": str,
                  "sample_rate": int, "tempo_bpm": float, "genre": str | null,
                  "end_s": float},
      "tracks": [{"index": int, "guid": str, "name": str, "volume_amp": float,
                  "pan": float,              # -1 left .. +1 right
                  "muted": bool, "soloed": bool, "folder_depth_change": int,
                  "parent_index": int | null, "envelopes": [str, ...],
                  "fx": [{"kind": str, "name": str, "rename": str, "bypassed": bool,
                          "is_reaeq": bool, "is_automix": bool}],
                  "item_count": int,
                  "items": [{"position_s": float, "length_s": float, "muted": bool,
                             "source_kind": str, "file": str | null,   # as written
                             "path": str | null,                      # resolved
                             "missing": bool}]}],
      "regions": [{"number": int, "name": str, "start_s": float, "end_s": float}],
      "markers": [{"number": int, "name": str, "position_s": float}],
      "missing_media": [str, ...]            # resolved paths, sorted, unique
    }

Keys are only ever added within one ``schema_version``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from automix.project.model import Project
from automix.project.reader import read_project

SCHEMA = "automix.inspect"
SCHEMA_VERSION = 1


def project_to_json(project: Project) -> dict[str, Any]:
    """The ``--json`` document (see module docstring) of a project model."""
    missing: set[str] = set()
    tracks = []
    for t in project.tracks:
        items = []
        for it in t.items:
            take = it.active_take
            src = take.source if take is not None else None
            is_missing = bool(src is not None and src.file_text is not None and not src.exists)
            if is_missing and src is not None and src.path is not None:
                missing.add(str(src.path))
            items.append({"position_s": it.position_s, "length_s": it.length_s, "muted": it.muted,
                          "source_kind": src.kind if src is not None else "",
                          "file": src.file_text if src is not None else None,
                          "path": str(src.path) if src is not None and src.path is not None else None,
                          "missing": is_missing})
        tracks.append({"index": t.index, "guid": t.guid, "name": t.name, "volume_amp": t.volume_amp,
                       "pan": t.pan, "muted": t.muted, "soloed": t.soloed,
                       "folder_depth_change": t.folder_depth_change, "parent_index": t.parent_index,
                       "envelopes": sorted(t.envelopes),
                       "fx": [{"kind": f.kind, "name": f.name, "rename": f.rename, "bypassed": f.bypassed,
                               "is_reaeq": f.is_reaeq, "is_automix": f.is_automix} for f in t.fx],
                       "item_count": len(t.items), "items": items})
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "project": {"path": str(project.path) if project.path else None, "folder": str(project.folder),
                    "reaper_version": project.reaper_version, "sample_rate": project.sample_rate,
                    "tempo_bpm": project.tempo_bpm, "genre": project.genre, "end_s": project.end_s},
        "tracks": tracks,
        "regions": [{"number": r.number, "name": r.name, "start_s": r.start_s, "end_s": r.end_s}
                    for r in project.regions],
        "markers": [{"number": m.number, "name": m.name, "position_s": m.position_s} for m in project.markers],
        "missing_media": sorted(missing),
    }


def format_text(doc: dict[str, Any]) -> str:
    """Human-readable summary of a :func:`project_to_json` document."""
    p = doc["project"]
    out = [f"{p['path']}: REAPER {p['reaper_version']}, {p['sample_rate']} Hz, {p['tempo_bpm']:g} BPM"
           + (f", genre {p['genre']}" if p["genre"] else "")]
    out.append(f"tracks ({len(doc['tracks'])}):")
    for t in doc["tracks"]:
        n_missing = sum(1 for i in t["items"] if i["missing"])
        kinds = sorted({i["source_kind"] for i in t["items"] if i["source_kind"]})
        out.append(f"  {t['index'] + 1:3d} {t['name'] or '(unnamed)'}: {t['item_count']} items"
                   + (f" [{', '.join(kinds)}]" if kinds else "")
                   + (f", {n_missing} missing media" if n_missing else ""))
    out.append(f"regions ({len(doc['regions'])}):")
    for r in doc["regions"]:
        out.append(f"  {r['number']:3d} {r['start_s']:9.3f} – {r['end_s']:9.3f} s  {r['name']}")
    if doc["missing_media"]:
        out.append(f"missing media ({len(doc['missing_media'])}):")
        out.extend(f"  {m}" for m in doc["missing_media"])
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    """Handler of ``automix inspect``."""
    doc = project_to_json(read_project(args.project))
    if args.json:
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        print(format_text(doc))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``inspect`` sub-command."""
    parser = subparsers.add_parser("inspect", help="print a project's tracks, items, regions and missing media",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", help="the REAPER project (.rpp)")
    parser.add_argument("--json", action="store_true", help="print the versioned JSON form")
    parser.set_defaults(func=run)
