"""What of a project can be mixed, and a sentence for everything left out.

A local problem never refuses a whole project; it is skipped and said:

* **Tracks** (:func:`mixable_tracks`): audio tracks a listener hears
  (:attr:`~automix.project.model.Project.mix_tracks`). A muted track, a track
  in a muted folder, and a track with a missing media file are skipped (not
  analysed nor planned, left untouched). Solo is ignored (said when present).
  :func:`readable_tracks` then opens each media file a track plays: one that
  exists but cannot be read (permission denied, a broken or truncated header,
  a format no decoder reads) skips its track the same way, naming the file
  and the reason.
* **Regions** (:func:`usable_regions`): a zero-length region is skipped; a
  region with the same bounds as an earlier one is a duplicate and skipped; a
  region that covers other regions (the common layout of one whole-song
  region plus section regions) is left to the sections it covers; where two
  regions still overlap, the later start wins (the earlier one ends there).

Only when nothing is left does :func:`check_mixable` raise
:class:`~automix.errors.ProjectError`, naming the file and why.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from automix.audio.io import audio_info
from automix.errors import MediaError, ProjectError
from automix.project.model import Project, Region, Track

BOUNDS_EPSILON_S = 1e-6
"""Bounds closer than this (seconds) are equal."""


def _track_label(track: Track) -> str:
    return repr(track.name or f"#{track.index + 1}")


def _region_label(region: Region) -> str:
    return f"region {region.number} {region.name!r} ({region.start_s:g}–{region.end_s:g} s)"


def mixable_tracks(project: Project) -> tuple[tuple[Track, ...], list[str]]:
    """(audio tracks automix analyses and plans, sentences about the audio tracks it skips)."""
    keep: list[Track] = []
    notes: list[str] = []
    for track in project.audio_tracks:
        by = project.muted_by(track)
        if by is not None:
            why = "muted" if by is track else f"in muted folder {by.name!r}"
            notes.append(f"track {_track_label(track)} is {why}: not analysed nor planned; "
                         f"its envelopes are left as they are")
            continue
        missing = missing_media_note(track)
        if missing is not None:
            notes.append(missing)
            continue
        keep.append(track)
    soloed = [t.name for t in project.tracks if t.soloed]
    if soloed:
        notes.append(f"track(s) {', '.join(map(repr, soloed))} soloed: solo ignored, the whole mix is planned "
                     f"(REAPER plays only soloed tracks until the solo is released)")
    return tuple(keep), notes


def missing_media_note(track: Track) -> str | None:
    """The sentence for a track skipped because a media file it plays is missing, or None."""
    missing = [it for it in track.audio_items if not it.active_take.source.exists]
    if not missing:
        return None
    src = missing[0].active_take.source
    more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
    return (f"track {_track_label(track)}: media file not found: {src.file_text!r}{more} "
            f"(looked for {src.path}): track skipped and left untouched")


def media_problem(path: str | Path) -> str | None:
    """Why the existing media file ``path`` cannot be mixed (the OS refuses to read it, its header is
    broken or truncated, no decoder reads it), or None when its header reads."""
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"
    try:
        audio_info(path)
    except MediaError as exc:
        return exc.message
    return None


def unreadable_note(track: Track, path: str | Path, reason: str) -> str:
    """The sentence for a track skipped because one of its media files cannot be read."""
    return f"track {_track_label(track)}: media file {path} unreadable ({reason}): track skipped and left untouched"


def readable_tracks(tracks: tuple[Track, ...]) -> tuple[tuple[Track, ...], list[str]]:
    """(the tracks whose every media file opens, a sentence per track skipped: :func:`media_problem`)."""
    keep: list[Track] = []
    notes: list[str] = []
    for track in tracks:
        paths = dict.fromkeys(it.active_take.source.path for it in track.audio_items
                              if it.active_take.source.path is not None)
        problem = next(((p, why) for p in paths if (why := media_problem(p)) is not None), None)
        if problem is None:
            keep.append(track)
        else:
            notes.append(unreadable_note(track, *problem))
    return tuple(keep), notes


def usable_regions(regions: tuple[Region, ...]) -> tuple[tuple[Region, ...], list[str]]:
    """(non-overlapping regions of positive length sorted by start, sentences about what was skipped or cut)."""
    notes: list[str] = []
    ordered: list[Region] = []
    for r in sorted(regions, key=lambda r: (r.start_s, -r.end_s, r.number)):
        if r.end_s - r.start_s <= BOUNDS_EPSILON_S:
            notes.append(f"{_region_label(r)} has zero length: skipped")
            continue
        twin = next((o for o in ordered if abs(o.start_s - r.start_s) <= BOUNDS_EPSILON_S
                     and abs(o.end_s - r.end_s) <= BOUNDS_EPSILON_S), None)
        if twin is not None:
            notes.append(f"{_region_label(r)} has the same bounds as region {twin.number} {twin.name!r}: skipped")
            continue
        ordered.append(r)
    kept: list[Region] = []
    for r in ordered:
        inside = [o for o in ordered if o is not r and o.start_s >= r.start_s - BOUNDS_EPSILON_S
                  and o.end_s <= r.end_s + BOUNDS_EPSILON_S]
        if inside:
            names = ", ".join(repr(o.name) for o in inside[:4]) + (" …" if len(inside) > 4 else "")
            notes.append(f"{_region_label(r)} covers {len(inside)} other region(s) ({names}): "
                         f"mixed by those sections, region {r.name!r} ignored")
            continue
        kept.append(r)
    out: list[Region] = []
    for r in kept:
        if out and r.start_s < out[-1].end_s - BOUNDS_EPSILON_S:
            prev = out[-1]
            notes.append(f"{_region_label(prev)} overlaps region {r.number} {r.name!r} from {r.start_s:g} s: "
                         f"mixed as {prev.start_s:g}–{r.start_s:g} s (the later region wins the overlap)")
            out[-1] = replace(prev, end_s=r.start_s)
        out.append(r)
    return tuple(out), notes


def check_mixable(project: Project) -> None:
    """Raise ProjectError (naming the file) when no audio track can be mixed; explains why."""
    file = str(project.path) if project.path is not None else None
    if not project.audio_tracks:
        kinds: dict[str, int] = {}
        for t in project.tracks:
            for it in t.items:
                take = it.active_take
                if take is not None and not it.muted:
                    kinds[take.source.kind] = kinds.get(take.source.kind, 0) + 1
        if kinds and set(kinds) <= {"MIDI"}:
            raise ProjectError(f"no audio tracks: the project holds only MIDI items ({kinds['MIDI']}); "
                               f"automix mixes recorded audio, render MIDI tracks to audio first", file=file)
        found = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "no unmuted items"
        raise ProjectError(f"no audio tracks to mix ({len(project.tracks)} tracks, {found})", file=file)
    tracks, notes = mixable_tracks(project)
    if not tracks:
        raise ProjectError("no audio track can be mixed: " + "; ".join(n for n in notes if "soloed" not in n),
                           file=file)


def require_media(project: Project) -> None:
    """Raise MediaError (file, track, project line) for the first missing or unreadable media file of a
    heard track (:func:`media_problem`).

    For training, where a project's mix is ground truth: a stem missing from
    it would make every other track's share of the mix wrong.
    """
    file = str(project.path) if project.path is not None else None
    for track in project.mix_tracks:
        for item in track.audio_items:
            src = item.active_take.source
            if not src.exists:
                raise MediaError(f"media file not found: {src.file_text!r} (looked for {src.path})",
                                 file=file, line=item.line, track=track.name or f"#{track.index + 1}")
            problem = media_problem(src.path) if src.path is not None else None
            if problem is not None:
                raise MediaError(f"media file {src.path} unreadable: {problem}",
                                 file=file, line=item.line, track=track.name or f"#{track.index + 1}")
