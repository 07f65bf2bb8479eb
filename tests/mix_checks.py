"""Checks shared by the end-to-end tests: what `automix mix` may and may not change in a project."""

from __future__ import annotations

from pathlib import Path

from automix import rpp
from automix.plan.apply import RAMP_S
from automix.project.edit import find_automix_eq
from automix.project.reader import read_project

RAMP_TOLERANCE_S = RAMP_S + 0.001
"""Envelope steps ramp over at most this long before a region boundary (the writer's ramp + rounding)."""


def assert_only_automix_changes(original: Path, mixed: Path, *, n_audio_tracks: int, n_boundaries: int) -> None:
    """One VOLENV2 + one PANENV2 stepping at every region boundary and one automix ReaEQ per track; nothing else.

    Args:
        original: the project before mixing.
        mixed: the project `automix mix` wrote.
        n_audio_tracks / n_boundaries: what the original is known to hold (guards against a vacuous pass).
    """
    project = read_project(original)
    boundaries = sorted({r.start_s for r in project.regions} - {0.0})
    assert len(project.audio_tracks) == n_audio_tracks and len(boundaries) == n_boundaries
    doc = rpp.load(mixed)
    tracks = doc.root.findall("TRACK")
    assert len(tracks) == len(project.tracks)
    for track in tracks:
        vols, pans = track.findall("VOLENV2"), track.findall("PANENV2")
        assert len(vols) == 1 and len(pans) == 1
        for env in (vols[0], pans[0]):
            times = [float(line.values[0]) for line in env.findall_lines("PT")]
            for b in boundaries:
                assert b in times and any(b - RAMP_TOLERANCE_S < t < b for t in times)  # a step with a short ramp
        assert find_automix_eq(track) is not None and len(track.find("FXCHAIN").findall("VST")) == 1
        for tag in ("VOLENV2", "PANENV2", "FXCHAIN"):
            track.remove(track.find(tag))
    assert rpp.dumps(doc) == original.read_text(encoding="utf-8")  # every other line unchanged
