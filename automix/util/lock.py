"""One automix run at a time per output file: an advisory lock beside the file.

``with file_lock(path, what="project"):`` holds an exclusive OS lock
(``flock`` on POSIX, ``msvcrt.locking`` on Windows) on ``.<name>.automix-lock``
in the folder of ``path``'s real file (symlinks followed). A second run that
wants the same file while the first holds it is refused at once with
:class:`~automix.errors.ProjectWriteError` naming the file and the process
holding it. The OS drops the lock when its process dies (``kill -9``
included), so a crashed run never blocks the next one; the lock file is
removed when the lock is released.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from automix.errors import ProjectWriteError

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

LOCK_SUFFIX = ".automix-lock"


def lock_path_for(path: str | Path) -> Path:
    """``song.rpp`` → ``.song.rpp.automix-lock`` beside the real file."""
    real = Path(os.path.realpath(path))
    return real.with_name(f".{real.name}{LOCK_SUFFIX}")


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # pragma: no cover - Windows
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def _holder(lock: Path) -> str:
    try:
        pid = lock.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" by process {pid}" if pid.isdigit() else ""


@contextmanager
def file_lock(path: str | Path, *, what: str = "project") -> Iterator[Path]:
    """Hold the automix lock of ``path`` for the body; yields the lock file's path.

    Raises:
        ProjectWriteError: another run holds the lock, or the lock file cannot
            be created (read-only folder); nothing is written then.
    """
    lock = lock_path_for(path)
    for _attempt in range(20):
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            why = "folder does not exist" if not lock.parent.is_dir() else \
                f"no file can be created in the folder ({exc.strerror or exc})"
            raise ProjectWriteError(f"cannot write the {what}: {why}", file=lock.parent) from None
        if not _try_lock(fd):
            os.close(fd)
            raise ProjectWriteError(f"another automix run is writing this {what} (lock {lock.name} held"
                                    f"{_holder(lock)}); try again when it has finished", file=path)
        try:  # the file we locked may have been removed by a run that just finished: lock the current one
            same = os.path.samestat(os.fstat(fd), os.stat(lock))
        except OSError:
            same = False
        if same:
            break
        os.close(fd)
    else:  # pragma: no cover - 20 runs finishing exactly between open and lock
        raise ProjectWriteError(f"cannot lock the {what}: the lock file keeps changing", file=path)
    try:
        try:  # the process id only helps the message of a run that finds the file locked
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        except OSError:  # a full disk: the lock holds all the same
            pass
        yield lock
    finally:
        try:
            lock.unlink()
        except OSError:
            pass
        os.close(fd)  # closing releases the lock
