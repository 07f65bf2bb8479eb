"""Atomic saving of a project with two backups that keep the user's own work.

Saving ``song.rpp`` over an existing file first keeps copies of that file:

* ``song.rpp-bak`` — the version before this save, as REAPER keeps it
  (rewritten at every save);
* ``song.automix-original.rpp-bak`` — the version before automix first wrote
  over ``song.rpp``; made once and never overwritten, so the user's own
  envelopes and settings survive any number of automix runs. Delete it to
  make the next save take a new one.

The text is then written to a temporary file in the target's folder, flushed
and fsynced, and renamed over the target (atomic on POSIX and Windows). A
symlinked project is written through the link to its target (the backups go
beside the target); a project without write permission is refused. Any
failure raises :class:`~automix.errors.ProjectWriteError` and leaves the
original file as it was. The document's own text (UTF-8, its line endings)
is written unchanged, so saving the same document twice gives identical bytes.

:func:`stage_text` adds the backups and the project to a
:class:`~automix.util.atomic.StagedWrites`, so a job can write the project
together with its other outputs (the plan) and rename them all only once
every one is on disk; the project's own temporary is staged last.
"""

from __future__ import annotations

from pathlib import Path

from automix.errors import ProjectWriteError
from automix.rpp import RppDocument, dumps, encode_project_text
from automix.util.atomic import StagedWrites, check_replaceable, real_target

ORIGINAL_SUFFIX = ".automix-original"
"""Inserted before ``.rpp-bak`` in the name of the never-overwritten backup."""


def backup_path(path: Path) -> Path:
    """``song.rpp`` → ``song.rpp-bak`` (REAPER's backup name)."""
    return path.with_name(path.name + "-bak") if path.suffix.lower() == ".rpp" else path.with_name(path.name + ".rpp-bak")


def original_backup_path(path: Path) -> Path:
    """``song.rpp`` → ``song.automix-original.rpp-bak`` (the project before automix first saved over it)."""
    if path.suffix.lower() == ".rpp":
        return path.with_name(path.stem + ORIGINAL_SUFFIX + path.suffix + "-bak")
    return path.with_name(path.name + ORIGINAL_SUFFIX + ".rpp-bak")


BACKUP_WHAT = "backup"
ORIGINAL_BACKUP_WHAT = "original backup"
PROJECT_WHAT = "project"
"""The ``what`` of the files :func:`stage_text` stages."""


def encode_for_save(text: str, path: str | Path) -> bytes:
    """``text`` as the bytes saved; ProjectWriteError (naming ``path``) when it is not UTF-8 encodable."""
    try:
        return encode_project_text(text)
    except UnicodeEncodeError as exc:
        raise ProjectWriteError(f"text cannot be encoded as UTF-8 ({exc.reason})", file=path) from None


def backups_to_make(target: Path) -> list[tuple[str, Path]]:
    """(what, path) of the backups saving over ``target`` makes now: the original backup (first time), the ``.rpp-bak``."""
    if not target.exists():
        return []
    original = original_backup_path(target)
    first = [] if original.exists() or original.is_symlink() else [(ORIGINAL_BACKUP_WHAT, original)]
    return first + [(BACKUP_WHAT, backup_path(target))]


def stage_backups(staged: StagedWrites, path: str | Path) -> None:
    """Stage the backups of ``path`` (:func:`backups_to_make`); raises the failing step's ``OSError``."""
    target = real_target(path)
    check_replaceable(target)
    for what, backup in backups_to_make(target):
        staged.stage_copy(backup, what, target)


def stage_text(staged: StagedWrites, data: bytes, path: str | Path, *, keep_backup: bool = True) -> None:
    """Stage the backups of ``path`` (when ``keep_backup``) and ``data`` as its new content.

    Raises the ``OSError`` of the step that failed (nothing renamed yet).
    """
    if keep_backup:
        stage_backups(staged, path)
    staged.stage_bytes(path, PROJECT_WHAT, data)


def save_text(text: str, path: str | Path, *, keep_backup: bool = True) -> None:
    """Atomically write ``text`` (UTF-8) to ``path``; see the module docstring."""
    target = real_target(path)
    data = encode_for_save(text, path)
    staged = StagedWrites()
    try:
        stage_text(staged, data, path, keep_backup=keep_backup)
        staged.commit()
    except OSError as exc:
        staged.discard()
        where = f" ({exc.filename})" if exc.filename and Path(exc.filename) != target else ""
        raise ProjectWriteError(f"could not save project{where}: {exc.strerror or exc}", file=path) from None


def save_document(doc: RppDocument, path: str | Path, *, keep_backup: bool = True) -> None:
    """Serialise ``doc`` with :func:`automix.rpp.dumps` and save it atomically to ``path``."""
    save_text(dumps(doc), path, keep_backup=keep_backup)
