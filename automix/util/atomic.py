"""Atomic file writing shared by every writer in automix.

A file is written to a temporary file in the target's own folder, flushed and
fsynced, given the target's permissions (an existing target's mode, else the
usual ``0o666 & ~umask``), then renamed over the target, which is atomic on
POSIX and Windows: a reader sees the old file or the new one, never half of
one, and a failure leaves the old file as it was and no temporary behind.

A target that is a symlink is written through: the link's final target is
replaced and the link stays a link. An existing target without its owner's
write permission (e.g. mode 0444) is not replaced: ``PermissionError``.
Errors are the ``OSError`` of the step that failed; callers turn them into
the :class:`~automix.errors.AutomixError` subclass that fits what they write.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
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


def real_target(target: str | Path) -> Path:
    """The file a write to ``target`` must replace: a symlink's final target, else ``target`` itself."""
    target = Path(target)
    return Path(os.path.realpath(target)) if os.path.islink(target) else target


def check_replaceable(target: str | Path) -> None:
    """Raise ``PermissionError`` when ``target`` exists without its owner's write permission."""
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return
    if not mode & stat.S_IWUSR:
        raise PermissionError(errno.EACCES, f"the file is read-only (mode {stat.S_IMODE(mode):04o}); "
                              "make it writable to let automix replace it", str(target))


@contextmanager
def atomic_path(target: str | Path, *, suffix: str = ".tmp", durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on a normal exit it replaces ``target``.

    The body writes the temporary file by any means (``open``, soundfile,
    ``np.savez`` …). If the body raises, the temporary file is removed and the
    exception propagates; ``target`` is untouched. A symlinked ``target`` is
    written through (see the module docstring); a read-only one raises
    ``PermissionError`` before anything is written.

    ``durable=False`` skips the two fsyncs (about 5 ms each on a local disk):
    readers still see the old file or the whole new one, but after a power
    failure the new file may be empty. Only for files a reader checks and can
    rebuild (feature cache entries); never for the user's projects or plans.
    """
    target = real_target(target)
    check_replaceable(target)
    folder = target.parent if str(target.parent) else Path(".")
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=folder)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if durable:
            _fsync_path(tmp)
        if target.exists():
            shutil.copymode(target, tmp)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_folder(folder)


def write_bytes_atomic(target: str | Path, data: bytes, *, durable: bool = True) -> None:
    """Atomically replace ``target`` with ``data`` (``durable``: see :func:`atomic_path`)."""
    with atomic_path(target, durable=durable) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(target: str | Path, text: str, *, encoding: str = "utf-8", durable: bool = True) -> None:
    """Atomically replace ``target`` with ``text`` encoded as ``encoding`` (newlines kept as given)."""
    write_bytes_atomic(target, text.encode(encoding), durable=durable)
