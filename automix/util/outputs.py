"""Where a command may write: one policy for every output file and folder.

* An output is never one of the command's inputs (the project, the media it
  references, a stem, a reference mix, a model, the plan being read).
  Paths are compared resolved (symlinks followed, case folded where the OS
  folds it) and, when both exist, by file identity (``os.path.samefile``), so
  a hard link or a symlink to an input counts as the input. Refused always.
* An output is never an existing non-regular file: a FIFO, a device node, a
  socket, or a folder where a file is meant. Refused always.
* Replacing an existing regular file whose name says it holds another kind of
  data (a WAV over ``song.rpp``, JSON over ``bass.mp3``) needs ``--force``.
* Two outputs of one command are never the same file.
* A folder written into (model folder, report folder) is a folder or does not
  exist yet, and can be created, written and traversed.

Every refusal is one :class:`~automix.errors.OutputError` naming the path and
the reason, raised before anything is written. Writing itself goes through
:mod:`automix.util.atomic`.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from automix.errors import OutputError

STDOUT = "-"
"""The output name meaning standard output (never checked as a file)."""

RPP_SUFFIXES = (".rpp",)
PLAN_SUFFIXES = (".json",)
WAV_SUFFIXES = (".wav", ".wave")
HTML_SUFFIXES = (".html", ".htm")


def _key(path: str | Path) -> str:
    """A comparable form of ``path``: absolute, symlinks resolved, case folded where the OS folds it."""
    return os.path.normcase(os.path.realpath(os.fspath(path)))


def _kind_of(mode: int) -> str | None:
    """What a non-regular file is, for messages; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def is_input(path: str | Path, inputs: Iterable[str | Path]) -> Path | None:
    """The input ``path`` designates (same resolved path or same file), or None."""
    key = _key(path)
    exists = os.path.exists(path)
    for inp in inputs:
        if _key(inp) == key:
            return Path(inp)
        if exists and os.path.exists(inp):
            try:
                if os.path.samefile(path, inp):
                    return Path(inp)
            except OSError:
                continue
    return None


def check_writable_folder(folder: str | Path, what: str) -> None:
    """Raise OutputError unless a file can be created in the existing folder ``folder``."""
    folder = Path(folder) if str(folder) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"cannot write the {what}: folder does not exist", file=folder)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".automix-probe.", dir=folder)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise OutputError(f"cannot write the {what}: no file can be created in the folder ({exc.strerror or exc})",
                          file=folder) from None


def check_output_file(path: str | Path, what: str, *, inputs: Iterable[str | Path] = (),
                      suffixes: Sequence[str] = (), force: bool = False) -> Path:
    """Check one output file against the policy (module docstring); returns ``path``.

    Args:
        path: where the command will write.
        what: what is written, for messages (``"preview"``, ``"plan"`` …).
        inputs: every file the command reads.
        suffixes: lower-case suffixes of the kind of file written; replacing
            an existing file with another suffix needs ``force``.
        force: the user's ``--force``.

    Raises:
        OutputError: refused; nothing was written.
    """
    path = Path(path)
    hit = is_input(path, inputs)
    if hit is not None:
        raise OutputError(f"refusing to write the {what} over an input of this command ({hit}); "
                          f"choose another output path", file=path)
    try:
        mode = os.stat(path).st_mode  # follows symlinks: what a write would reach
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise OutputError(f"cannot write the {what}: {exc.strerror or exc}", file=path) from None
    if mode is not None:
        kind = _kind_of(mode)
        if kind is not None:
            raise OutputError(f"refusing to write the {what}: the path is {kind}, not a regular file", file=path)
        if suffixes and path.suffix.lower() not in suffixes and not force:
            raise OutputError(f"refusing to replace an existing {path.suffix or 'suffix-less'} file with the "
                              f"{what} (expected {'/'.join(suffixes)}); pass --force to replace it", file=path)
    check_writable_folder(Path(os.path.realpath(path)).parent, what)
    return path


def check_distinct_outputs(outputs: Mapping[str, str | Path]) -> None:
    """Raise OutputError when two outputs (what → path) are the same file."""
    seen: dict[str, str] = {}
    for what, path in outputs.items():
        key = _key(path)
        if key in seen:
            raise OutputError(f"the {what} and the {seen[key]} would be the same file; choose different paths",
                              file=path)
        seen[key] = what


def check_output_folder(path: str | Path, what: str, *, inputs: Iterable[str | Path] = ()) -> Path:
    """Check a folder a command writes files into (created if missing); returns ``path``.

    Raises:
        OutputError: the path is a file, an input, or its nearest existing
            ancestor cannot be written or traversed.
    """
    path = Path(path)
    hit = is_input(path, inputs)
    if hit is not None:
        raise OutputError(f"refusing to write the {what} into an input of this command ({hit})", file=path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:  # e.g. a parent folder that cannot be traversed
        raise OutputError(f"cannot use the {what} folder: {exc.strerror or exc}", file=path) from None
    if mode is not None:
        if not stat.S_ISDIR(mode):
            raise OutputError(f"cannot use the path as the {what}: it is {_kind_of(mode) or 'an existing file'}, "
                              "not a folder", file=path)
        if not os.access(path, os.W_OK | os.X_OK):
            raise OutputError(f"cannot write the {what}: folder is read-only or cannot be entered", file=path)
        check_writable_folder(path, what)
        return path
    ancestor = Path(os.path.abspath(path)).parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(f"cannot create the {what} folder: {ancestor} is not a folder", file=path)
    check_writable_folder(ancestor, what)
    return path


def files_in(folders: Iterable[str | Path], suffixes: Sequence[str]) -> list[Path]:
    """The files directly inside ``folders`` with one of ``suffixes`` (inputs such as model files)."""
    found: list[Path] = []
    for folder in map(Path, folders):
        try:
            found += sorted(p for p in folder.iterdir() if p.suffix.lower() in suffixes)
        except OSError:
            continue
    return found
