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


def _writes_outside_the_atomic_writer() -> list[str]:
    """Calls in automix/ that write a file directly: ``Path.write_text/write_bytes`` anywhere, and
    ``sf.write``, ``shutil.copy*``, ``np.savez``, ``savefig`` unless inside ``with atomic_path(...)``
    or writing to an in-memory buffer."""
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "automix"
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.relative_to(package).as_posix() == "util/atomic.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        inside: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.With) and any(
                    isinstance(i.context_expr, ast.Call) and getattr(i.context_expr.func, "id", "") == "atomic_path"
                    for i in node.items):
                inside |= {id(n) for n in ast.walk(node)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            name, owner = node.func.attr, getattr(node.func.value, "id", "")
            direct = name in ("write_text", "write_bytes")
            guarded = (owner == "sf" and name == "write") or (owner == "shutil" and name.startswith("copy")
                                                                and name != "copymode") \
                or (owner == "np" and name.startswith("savez")) or name == "savefig"
            to_buffer = bool(node.args) and getattr(node.args[0], "id", "") in ("buf", "buffer")
            if direct or (guarded and id(node) not in inside and not to_buffer):
                found.append(f"{path.relative_to(package)}:{node.lineno} {owner or '…'}.{name}")
    return found


def test_every_file_write_goes_through_the_atomic_writer():
    assert _writes_outside_the_atomic_writer() == []
