"""The one exception hierarchy of automix.

Every failure automix reports to a user is an :class:`AutomixError`.  Messages
name *where* the problem is (file, line, track, region) and *what* was wrong,
in the style ``path/to/song.rpp:123: track 'Bass': unbalanced chunk``.
"""

from __future__ import annotations

from pathlib import Path


class AutomixError(Exception):
    """Base class of every error automix raises on purpose.

    Args:
        message: what went wrong, including the offending value.
        file: the file concerned (project, media, model, plan), if any.
        line: 1-based line number inside ``file``, if known.
        track: name of the track concerned, if any.
        region: name of the region concerned, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        track: str | None = None,
        region: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.track = track
        self.region = region
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        if self.track is not None:
            where += f"track {self.track!r}: "
        if self.region is not None:
            where += f"region {self.region!r}: "
        return where + self.message


class ProjectError(AutomixError):
    """A REAPER project could not be read, edited or written."""


class ProjectParseError(ProjectError):
    """The project text is not a (complete, well-formed) REAPER project."""


class ProjectEditError(ProjectError):
    """An edit could not be applied to the project (bad values, missing track …)."""


class ProjectWriteError(ProjectError):
    """Saving failed; the original file is left untouched."""


class MediaError(AutomixError):
    """A media file is missing, unreadable or in a format that cannot be decoded."""


class EstimationError(AutomixError):
    """Mixing parameters could not be estimated from the given stems and mix."""


class ModelError(AutomixError):
    """A model file is missing, corrupt, of an unknown version, or cannot predict."""


class PlanError(AutomixError):
    """A mix plan is malformed or does not match the project it is applied to."""


class ReaperError(AutomixError):
    """The live REAPER backend failed (no connection, API call failed …)."""


class InstallError(AutomixError):
    """The installer could not complete (resource folder not found, ini unwritable …)."""


class OutputError(AutomixError):
    """An output was refused before anything was written: it is one of the command's inputs, not a
    regular file, a file of another kind (without ``--force``), or its folder cannot be written."""
