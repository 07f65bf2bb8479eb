"""Atomic saving of a project, keeping the previous version as ``<name>.rpp-bak``.

The text is written to a temporary file in the target's folder, flushed and
fsynced, then renamed over the target (atomic on POSIX and Windows). The
previous file is kept as ``<stem>.rpp-bak`` the way REAPER does. Any failure
raises :class:`~automix.errors.ProjectWriteError` and leaves the original file
as it was. The document's own text (encoding UTF-8, its line endings) is
written unchanged, so saving the same document twice gives identical bytes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from automix.errors import ProjectWriteError
from automix.rpp import RppDocument, dumps
from automix.util.atomic import atomic_path, write_bytes_atomic


def backup_path(path: Path) -> Path:
    """``song.rpp`` → ``song.rpp-bak`` (REAPER's backup name)."""
    return path.with_name(path.name + "-bak") if path.suffix.lower() == ".rpp" else path.with_name(path.name + ".rpp-bak")


def save_text(text: str, path: str | Path, *, keep_backup: bool = True) -> None:
    """Atomically write ``text`` (UTF-8) to ``path``; see the module docstring."""
    target = Path(path)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ProjectWriteError(f"text cannot be encoded as UTF-8 ({exc.reason})", file=target) from None
    try:
        if keep_backup and target.exists():
            with atomic_path(backup_path(target)) as bak_tmp:
                shutil.copy2(target, bak_tmp)
        write_bytes_atomic(target, data)
    except OSError as exc:
        raise ProjectWriteError(f"could not save project: {exc.strerror or exc}", file=target) from None


def save_document(doc: RppDocument, path: str | Path, *, keep_backup: bool = True) -> None:
    """Serialise ``doc`` with :func:`automix.rpp.dumps` and save it atomically to ``path``."""
    save_text(dumps(doc), path, keep_backup=keep_backup)
