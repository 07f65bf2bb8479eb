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

:class:`StagedWrites` writes several files as one step: every file is first
written in full to its temporary (where a full disk shows up), and only
when all of them are there are they renamed over their targets, in the order
staged. A failure while staging leaves every target as it was.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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


def _new_temp(target: Path, suffix: str) -> Path:
    """An empty temporary file beside ``target`` (same folder, so the final rename is atomic)."""
    folder = target.parent if str(target.parent) else Path(".")
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=folder)
    os.close(fd)
    return Path(name)


def _seal_temp(tmp: Path, target: Path, *, durable: bool = True) -> None:
    """Flush ``tmp`` to disk (when ``durable``) and give it ``target``'s permissions (an existing target's mode,
    else the umask's). Every write of this module passes here once, after its temporary is written."""
    if durable:
        _fsync_path(tmp)
    if target.exists():
        shutil.copymode(target, tmp)
    else:
        os.chmod(tmp, 0o666 & ~_umask())


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
    tmp = _new_temp(target, suffix)
    try:
        yield tmp
        _seal_temp(tmp, target, durable=durable)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_folder(target.parent if str(target.parent) else Path("."))


@dataclass(frozen=True)
class StagedFile:
    """One file of a :class:`StagedWrites`: ``what`` it is (for messages), its target and its temporary."""

    what: str
    target: Path
    tmp: Path


class StagedWrites:
    """Files written together: all written to temporaries first, then renamed over their targets.

    ``stage`` writes one file's temporary in full (an ``OSError`` there — a
    full disk — leaves its target untouched and removes that temporary);
    ``commit`` renames every staged temporary over its target in the order
    staged; ``discard`` removes the temporaries not committed. After a
    failed ``commit`` (a rename refused), :attr:`committed` lists what was
    replaced and the rest is discarded.
    """

    def __init__(self) -> None:
        self.staged: list[StagedFile] = []
        self.committed: list[StagedFile] = []
        self.failed: tuple[str, Path] | None = None  # (what, target) of the step that raised

    def stage(self, target: str | Path, what: str, write: Callable[[Path], None]) -> None:
        """Write the temporary of ``target`` by calling ``write(tmp)``; raises the step's ``OSError``."""
        real = real_target(target)
        self.failed = (what, real)
        check_replaceable(real)
        tmp = _new_temp(real, ".tmp")
        try:
            write(tmp)
            _seal_temp(tmp, real)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self.staged.append(StagedFile(what, real, tmp))
        self.failed = None

    def stage_bytes(self, target: str | Path, what: str, data: bytes) -> None:
        """Stage ``data`` as the new content of ``target``."""
        self.stage(target, what, lambda tmp: tmp.write_bytes(data))

    def stage_copy(self, target: str | Path, what: str, source: str | Path) -> None:
        """Stage a copy of ``source`` (content, permissions and times) as ``target``."""
        self.stage(target, what, lambda tmp: shutil.copy2(source, tmp))

    def commit(self) -> None:
        """Rename every staged temporary over its target, in order; raises the first rename's ``OSError``."""
        try:
            for f in self.staged[len(self.committed):]:
                self.failed = (f.what, f.target)
                os.replace(f.tmp, f.target)
                self.committed.append(f)
            self.failed = None
        finally:
            self.discard()
            for folder in dict.fromkeys(f.target.parent for f in self.committed):
                fsync_folder(folder if str(folder) else Path("."))

    def discard(self) -> None:
        """Remove the temporaries not yet committed."""
        for f in self.staged[len(self.committed):]:
            f.tmp.unlink(missing_ok=True)


def write_bytes_atomic(target: str | Path, data: bytes, *, durable: bool = True) -> None:
    """Atomically replace ``target`` with ``data`` (``durable``: see :func:`atomic_path`)."""
    with atomic_path(target, durable=durable) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(target: str | Path, text: str, *, encoding: str = "utf-8", durable: bool = True) -> None:
    """Atomically replace ``target`` with ``text`` encoded as ``encoding`` (newlines kept as given)."""
    write_bytes_atomic(target, text.encode(encoding), durable=durable)
