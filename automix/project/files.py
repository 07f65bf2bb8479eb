"""The files a project reads: what no output of a command may overwrite.

A project reads its own ``.rpp`` file and the media file of every take of
every item (active or not, muted or not, missing or present): replacing any of
them would change what the project plays.
"""

from __future__ import annotations

from pathlib import Path

from automix.project.model import Project


def project_files(project: Project) -> list[Path]:
    """The ``.rpp`` (when saved) and every take's media path, in file order, each once."""
    found: list[Path] = [project.path] if project.path is not None else []
    for track in project.tracks:
        for item in track.items:
            for take in item.takes:
                if take.source is not None and take.source.path is not None:
                    found.append(Path(take.source.path))
    return list(dict.fromkeys(found))
