"""A full disk during ``automix mix --in-place`` (issue 14, item 10).

Every file automix writes goes through :mod:`automix.util.atomic`, which
seals each written temporary with ``_seal_temp``; the disk is made "full" from
the n-th write on (that call and every later one raise ``ENOSPC``), for every
n a run makes. After each run: the project is the old one or the new mix,
byte for byte, never half-written; no temporary is left; a non-zero exit comes
with one message naming the file that failed and stating every output, and
each stated output is checked on disk.
"""

from __future__ import annotations

import errno
import re
import shutil
from pathlib import Path

import pytest
from test_heard import _song

import automix.util.atomic as atomic
from automix.cli import main
from automix.project.save import backup_path, original_backup_path


def _run(path: Path, capsys) -> tuple[int, str, str]:
    code = main(["-q", "mix", str(path), "--in-place", "--no-eq"])
    out, err = capsys.readouterr()
    return code, out, err


def _fill_disk_from(monkeypatch, n: int) -> list[int]:
    """Make the n-th atomic write and every later one fail with ENOSPC; returns the call counter."""
    calls = [0]
    real = atomic._seal_temp

    def seal(tmp: Path, target: Path, **kwargs) -> None:
        calls[0] += 1
        if calls[0] >= n:
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp))
        real(tmp, target, **kwargs)

    monkeypatch.setattr(atomic, "_seal_temp", seal)
    return calls


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """(the song's folder as made, the project bytes after a normal run, how many atomic writes a run makes)."""
    base = tmp_path_factory.mktemp("full-disk")
    song = _song(base / "song")
    made = base / "made"
    shutil.copytree(song.parent, made)
    mp = pytest.MonkeyPatch()
    calls = _fill_disk_from(mp, 10**9)
    code = main(["-q", "mix", str(song), "--in-place", "--no-eq"])
    mp.undo()
    assert code == 0
    return made, song.read_bytes(), calls[0]


def _state(message: str, what: str, name: str) -> str:
    m = re.search(rf"(?:^|; |\. ){re.escape(what)} {re.escape(name)}: ([^;]+)", message)
    assert m, (what, name, message)
    return m.group(1).strip()


@pytest.mark.parametrize("n", range(1, 11))
def test_every_write_position_leaves_the_old_or_the_new_project_and_says_which(tmp_path, capsys, monkeypatch,
                                                                               reference, n):
    made, new_bytes, writes = reference
    assert writes == 9  # 4 cache entries, the cache index, original backup, .rpp-bak, plan, project
    folder = tmp_path / "song"
    shutil.copytree(made, folder)
    song = folder / "song.rpp"
    old = song.read_bytes()
    _fill_disk_from(monkeypatch, n)
    code, out, err = _run(song, capsys)
    monkeypatch.undo()
    now = song.read_bytes()
    assert now in (old, new_bytes)
    assert not [p.name for p in folder.rglob("*.tmp")]
    plan = folder / "song.automix-plan.json"
    cache_writes = 5
    if n > writes:  # the disk never filled
        assert code == 0 and now == new_bytes and plan.is_file()
        return
    if n <= cache_writes:  # the cache fails, the save (after it) fails too: nothing replaced
        assert code == 2, (out, err)
    lines = [line for line in err.strip().splitlines() if line]
    assert code == 2 and len(lines) == 1 and lines[0].startswith(f"automix: error: {song}: could not save the mix: "
                                                                 f"No space left on device while writing the ")
    message = lines[0]
    assert "nothing was replaced" in message and now == old  # a failed stage never renames anything
    assert _state(message, "project", "song.rpp") == "the project as it was, unchanged"
    for what, path in (("original backup", original_backup_path(song)), ("backup", backup_path(song)),
                       ("plan", plan)):
        assert _state(message, what, path.name) == "not written" and not path.exists()
    failing = {6: "original backup", 7: "backup", 8: "plan", 9: "project"}.get(n, "original backup")
    assert f"while writing the {failing} {folder}" in message
    cache = re.search(r"feature cache \S+: (.*)$", message).group(1)
    stored = len(list((folder / "song.rpp.automix-cache").glob("*.npz"))) if (
        folder / "song.rpp.automix-cache").is_dir() else 0
    assert stored == min(4, n - 1)  # entries are writes 1-4, the index write 5
    if stored < 4:
        assert cache.startswith(f"{stored} of 4 entries written, {4 - stored} not (No space left on device)")
    else:
        assert cache == "4 entries written"


def test_a_rename_refused_halfway_is_reported_file_by_file(tmp_path, capsys, monkeypatch, reference):
    made, new_bytes, _ = reference
    folder = tmp_path / "song"
    shutil.copytree(made, folder)
    song = folder / "song.rpp"
    old = song.read_bytes()
    real_replace = atomic.os.replace

    def replace(src, dst):
        if str(dst).endswith(".json"):
            raise OSError(errno.EIO, "Input/output error", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    code, _, err = _run(song, capsys)
    monkeypatch.undo()
    message = err.strip()
    assert code == 2 and "Input/output error while renaming into place the plan" in message
    assert "2 of 4 file(s) replaced" in message and song.read_bytes() == old
    assert _state(message, "project", "song.rpp") == "the project as it was, unchanged"
    assert _state(message, "original backup", original_backup_path(song).name) == "written"
    assert original_backup_path(song).read_bytes() == old and backup_path(song).read_bytes() == old
    assert _state(message, "plan", "song.automix-plan.json") == "not written"
    assert not (folder / "song.automix-plan.json").exists() and not list(folder.rglob("*.tmp"))


def test_a_disk_without_room_for_the_lock_files_process_id_still_reports_every_output(tmp_path, capsys, monkeypatch,
                                                                                      reference):
    import automix.util.lock as lock

    made, _, _ = reference
    folder = tmp_path / "song"
    shutil.copytree(made, folder)
    song = folder / "song.rpp"
    old = song.read_bytes()

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(lock.os, "write", full)
    _fill_disk_from(monkeypatch, 1)
    code, _, err = _run(song, capsys)
    monkeypatch.undo()
    assert code == 2 and "Traceback" not in err and song.read_bytes() == old
    assert err.startswith(f"automix: error: {song}: could not save the mix: No space left on device while writing "
                          f"the original backup") and "nothing was replaced" in err
    assert "feature cache" in err and "0 of 4 entries written, 4 not (No space left on device)" in err
