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
"""

from __future__ import annotations

import shutil
from pathlib import Path

from automix.errors import ProjectWriteError
from automix.rpp import RppDocument, dumps, encode_project_text
from automix.util.atomic import (
    atomic_path,
    check_replaceable,
    real_target,
    write_bytes_atomic,
)

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


def _copy_backup(source: Path, backup: Path) -> None:
    with atomic_path(backup) as tmp:
        shutil.copy2(source, tmp)


def save_text(text: str, path: str | Path, *, keep_backup: bool = True) -> None:
    """Atomically write ``text`` (UTF-8) to ``path``; see the module docstring."""
    target = real_target(path)
    try:
        data = encode_project_text(text)
    except UnicodeEncodeError as exc:
        raise ProjectWriteError(f"text cannot be encoded as UTF-8 ({exc.reason})", file=path) from None
    try:
        check_replaceable(target)
        if keep_backup and target.exists():
            original = original_backup_path(target)
            if not original.exists() and not original.is_symlink():
                _copy_backup(target, original)
            _copy_backup(target, backup_path(target))
        write_bytes_atomic(target, data)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename and Path(exc.filename) != target else ""
        raise ProjectWriteError(f"could not save project{where}: {exc.strerror or exc}", file=path) from None


def save_document(doc: RppDocument, path: str | Path, *, keep_backup: bool = True) -> None:
    """Serialise ``doc`` with :func:`automix.rpp.dumps` and save it atomically to ``path``."""
    save_text(dumps(doc), path, keep_backup=keep_backup)
