"""Atomic writes: all or nothing, permissions of a normal file, no temporaries left."""

import os
import stat

import pytest

from automix.util.atomic import atomic_path, write_text_atomic


def test_new_file_gets_umask_permissions_not_private_temp_ones(tmp_path):
    target = tmp_path / "out.txt"
    old = os.umask(0o022)
    try:
        write_text_atomic(target, "hello\n")
    finally:
        os.umask(old)
    assert target.read_text() == "hello\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_existing_file_keeps_its_mode(tmp_path):
    target = tmp_path / "song.rpp"
    target.write_text("old")
    target.chmod(0o600)
    write_text_atomic(target, "new")
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == 0o600


def test_failure_inside_the_body_leaves_the_target_and_no_temporary(tmp_path):
    target = tmp_path / "plan.json"
    target.write_text("original")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("disk full")
    assert target.read_text() == "original"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_missing_folder_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        write_text_atomic(tmp_path / "absent" / "x.txt", "x")
