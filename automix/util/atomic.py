"""Atomic file writing shared by every writer in automix.

A file is written to a temporary file in the target's own folder, flushed and
fsynced, given the target's permissions (an existing target's mode, else the
usual ``0o666 & ~umask``), then renamed over the target, which is atomic on
POSIX and Windows: a reader sees the old file or the new one, never half of
one, and a failure leaves the old file as it was and no temporary behind.
Errors are the ``OSError`` of the step that failed; callers turn them into
the :class:`~automix.errors.AutomixError` subclass that fits what they write.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_path(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable where the OS allows fsync on a directory."""
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


@contextmanager
def atomic_path(target: str | Path, *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on a normal exit it replaces ``target``.

    The body writes the temporary file by any means (``open``, soundfile,
    ``np.savez`` …). If the body raises, the temporary file is removed and the
    exception propagates; ``target`` is untouched.
    """
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=folder)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _fsync_path(tmp)
        if target.exists():
            shutil.copymode(target, tmp)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_folder(folder)


def write_bytes_atomic(target: str | Path, data: bytes) -> None:
    """Atomically replace ``target`` with ``data``."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(target: str | Path, text: str, *, encoding: str = "utf-8") -> None:
    """Atomically replace ``target`` with ``text`` encoded as ``encoding`` (newlines kept as given)."""
    write_bytes_atomic(target, text.encode(encoding))
