"""Atomic saving of a project, keeping the previous version as ``<name>.rpp-bak``.

The text is written to a temporary file in the target's folder, flushed and
fsynced, then renamed over the target (atomic on POSIX and Windows). The
previous file is kept as ``<stem>.rpp-bak`` the way REAPER does. Any failure
raises :class:`~automix.errors.ProjectWriteError` and leaves the original file
as it was. The document's own text (encoding UTF-8, its line endings) is
written unchanged, so saving the same document twice gives identical bytes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from automix.errors import ProjectWriteError
from automix.rpp import RppDocument, dumps


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
    folder = target.parent if str(target.parent) else Path(".")
    leftovers: list[str] = []
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        leftovers.append(tmp_name)
        try:
            fh = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            raise
        with fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            shutil.copymode(target, tmp_name)
            if keep_backup:
                bak = backup_path(target)
                bak_tmp = str(bak.with_name(f".{bak.name}.tmp"))
                leftovers.append(bak_tmp)
                shutil.copy2(target, bak_tmp)
                os.replace(bak_tmp, bak)
                leftovers.remove(bak_tmp)
        os.replace(tmp_name, target)
        leftovers.remove(tmp_name)
        _fsync_folder(folder)
    except OSError as exc:
        raise ProjectWriteError(f"could not save project: {exc.strerror or exc}", file=target) from None
    finally:
        for name in leftovers:
            try:
                os.unlink(name)
            except OSError:
                pass


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable where the OS allows fsync on a directory."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_document(doc: RppDocument, path: str | Path, *, keep_backup: bool = True) -> None:
    """Serialise ``doc`` with :func:`automix.rpp.dumps` and save it atomically to ``path``."""
    save_text(dumps(doc), path, keep_backup=keep_backup)
