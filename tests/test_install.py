"""The installer on temporary REAPER resource folders with realistic ini files."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from automix.errors import InstallError
from automix.reaper.ini import ini_get, ini_set, kb_update
from automix.reaper.installer import (
    ACTIONS,
    BACKUP_SUFFIX,
    action_command_id,
    uninstall,
)
from automix.reaper.installer import install as _real_install
from automix.reaper.python_lib import PythonLib, interpreter_for
from automix.reaper.resource_folder import default_resource_paths, find_resource_path

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "reaper_scripts"

REAPER_INI_LINES = [
    "[REAPER]", "afxcfg=0", "autosaveint=5", "defsplitxfadelen=0.01000000", "lastproject=/home/u/song.rpp",
    "reascript=0", "undomaxmem=200", "projrecforopen=0", "", "[audioconfig]", "mode=2", "srate=48000",
    "", "[verchk]", "lastt=1727695451", "", "[Recent]", "recent01=/home/u/Überblick/song.rpp", "",
]
KB_LINES = [
    'ACT 0 0 "a3f8a6b0c1e2d3f4a5b6c7d8e9f00112" "Custom: my macro" 40001 40285',
    'SCR 4 0 RS7d3c5f1e2a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d "Custom: my_script.lua" '
    '"/home/u/.config/REAPER/Scripts/my_script.lua"',
    "KEY 1 65 40001 0", "KEY 9 32 _RS7d3c5f1e2a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d 0",
]


def _resource(tmp_path, newline="\n", kb=True, ini=True) -> Path:
    folder = tmp_path / "REAPER"
    folder.mkdir()
    if ini:
        (folder / "reaper.ini").write_bytes(newline.join(REAPER_INI_LINES).encode("utf-8"))
    if kb:
        (folder / "reaper-kb.ini").write_bytes((newline.join(KB_LINES) + newline).encode("utf-8"))
    return folder


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


LIB = PythonLib("/opt/py/lib", "libpython3.11.so.1.0")


def install(*args, **kwargs):
    """The installer with a worker that already has automix (the checkout), unless a test says otherwise."""
    kwargs.setdefault("probe", lambda worker: REPO)
    return _real_install(*args, **kwargs)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_install_preserves_existing_content_and_backs_up(tmp_path, newline):
    folder = _resource(tmp_path, newline)
    before = _snapshot(folder)
    report = install(folder, SCRIPTS, enable_python=True, python_lib=LIB, run_pip=False)
    assert report.changed
    kb = (folder / "reaper-kb.ini").read_bytes()
    assert kb.startswith(before["reaper-kb.ini"])  # existing actions untouched, byte for byte
    added = kb[len(before["reaper-kb.ini"]):].decode("utf-8").split(newline)
    assert added[-1] == "" and len(added) == len(ACTIONS) + 1
    for (script, name), line in zip(ACTIONS, added):
        target = folder / "Scripts" / "automix" / script
        assert line == f'SCR 4 0 {action_command_id(script)} "Custom: {name}" "{target}"'
        assert re.fullmatch(r"RS[0-9a-f]{40}", action_command_id(script))
        assert target.read_bytes() == (SCRIPTS / script).read_bytes()
    ini = (folder / "reaper.ini").read_bytes()
    lines = ini.decode("utf-8").split(newline)
    assert lines[:5] == REAPER_INI_LINES[:5] and lines[5] == "reascript=1"
    assert lines[6:8] == REAPER_INI_LINES[6:8]
    assert lines[8:10] == ["pythonlibpath64=/opt/py/lib", "pythonlibdll64=libpython3.11.so.1.0"]
    assert lines[10:] == REAPER_INI_LINES[8:]
    if newline == "\r\n":
        assert ini.count(b"\n") == ini.count(b"\r\n") and kb.count(b"\n") == kb.count(b"\r\n")
    for name in ("reaper.ini", "reaper-kb.ini"):
        assert (folder / (name + BACKUP_SUFFIX)).read_bytes() == before[name]


def test_second_run_changes_nothing_and_keeps_the_first_backup(tmp_path):
    folder = _resource(tmp_path, "\r\n")
    original = (folder / "reaper.ini").read_bytes()
    install(folder, SCRIPTS, enable_python=True, python_lib=LIB, run_pip=False)
    after_first = _snapshot(folder)
    report = install(folder, SCRIPTS, enable_python=True, python_lib=LIB, run_pip=False)
    assert not report.changed
    assert _snapshot(folder) == after_first
    assert (folder / ("reaper.ini" + BACKUP_SUFFIX)).read_bytes() == original


def test_without_enable_python_reaper_ini_is_left_alone(tmp_path):
    folder = _resource(tmp_path)
    before = _snapshot(folder)
    report = install(folder, SCRIPTS, run_pip=False)
    after = _snapshot(folder)
    assert after["reaper.ini"] == before["reaper.ini"]
    assert "reaper.ini" + BACKUP_SUFFIX not in after
    assert any("Python ReaScript is not set up in REAPER: re-run with --enable-python" in line
               for line in report.lines())


def test_dry_run_changes_nothing_but_says_what_it_would_do(tmp_path):
    folder = _resource(tmp_path)
    before = _snapshot(folder)
    report = install(folder, SCRIPTS, dry_run=True, enable_python=True, python_lib=LIB, run_pip=False)
    assert _snapshot(folder) == before
    text = "\n".join(report.lines())
    assert "would copy" in text and "would edit" in text and "would back up" in text
    assert report.changed


def test_uninstall_restores_the_original_files(tmp_path):
    folder = _resource(tmp_path, "\r\n")
    before = _snapshot(folder)
    install(folder, SCRIPTS, enable_python=True, python_lib=LIB, run_pip=False)
    dry = uninstall(folder, dry_run=True)
    assert dry.changed and (folder / "Scripts" / "automix").is_dir()
    report = uninstall(folder)
    after = _snapshot(folder)
    assert after["reaper.ini"] == before["reaper.ini"]
    assert after["reaper-kb.ini"] == before["reaper-kb.ini"]
    assert not (folder / "Scripts" / "automix").exists()
    assert any(line.startswith("remove") for line in report.lines())
    assert not uninstall(folder).changed  # idempotent


def test_uninstall_keeps_settings_the_user_changed_meanwhile(tmp_path):
    folder = _resource(tmp_path)
    install(folder, SCRIPTS, enable_python=True, python_lib=LIB, run_pip=False)
    ini = folder / "reaper.ini"
    ini.write_bytes(ini.read_bytes().replace(b"undomaxmem=200", b"undomaxmem=500"))
    kb = folder / "reaper-kb.ini"
    kb.write_bytes(kb.read_bytes() + b"KEY 1 66 40002 0\n")
    uninstall(folder)
    assert b"undomaxmem=500" in ini.read_bytes() and b"reascript=0" in ini.read_bytes()
    assert b"pythonlib" not in ini.read_bytes()
    assert kb.read_bytes().endswith(b"KEY 1 66 40002 0\n") and b"automix" not in kb.read_bytes()


def test_fresh_reaper_without_ini_files(tmp_path):
    folder = _resource(tmp_path, kb=False, ini=False)
    install(folder, SCRIPTS, enable_python=True, python_lib=LIB, run_pip=False)
    assert ini_get((folder / "reaper.ini").read_bytes(), "REAPER", "reascript") == "1"
    assert (folder / "reaper-kb.ini").read_text().count("SCR 4 0 RS") == len(ACTIONS)
    assert (folder / ("reaper.ini" + BACKUP_SUFFIX)).read_bytes() == b""  # "did not exist"
    uninstall(folder)
    assert not (folder / "reaper-kb.ini").exists() and not (folder / "reaper.ini").exists()


def test_pip_runs_for_the_interpreter_reaper_loads(tmp_path):
    prefix = tmp_path / "py"
    (prefix / "lib").mkdir(parents=True)
    (prefix / "bin").mkdir()
    (prefix / "lib" / "libpython3.11.so.1.0").write_bytes(b"")
    (prefix / "bin" / "python3.11").write_bytes(b"")
    lib = PythonLib(str(prefix / "lib"), "libpython3.11.so.1.0")
    assert lib.version == (3, 11) and interpreter_for(lib) == prefix / "bin" / "python3.11"
    folder = _resource(tmp_path)
    calls = []
    probes = iter([None, REPO])
    report = install(folder, SCRIPTS, enable_python=True, python_lib=lib, package_source=REPO,
                     worker_python=prefix / "bin" / "python3.11", probe=lambda worker: next(probes),
                     runner=lambda cmd: calls.append(cmd) or 0)
    assert calls == [[str(prefix / "bin" / "python3.11"), "-m", "pip", "install", str(REPO)]]
    assert report.pip_ran and any(line.startswith("ran: ") for line in report.lines())
    with pytest.raises(InstallError, match=r"pip failed with status 1.*virtual environment"):
        install(folder, SCRIPTS, package_source=REPO, runner=lambda cmd: 1, probe=lambda worker: None)


def test_worker_without_automix_and_no_pip_prints_the_command(tmp_path):
    folder = _resource(tmp_path)
    calls = []
    report = install(folder, SCRIPTS, enable_python=True, python_lib=LIB, package_source=REPO, run_pip=False,
                     worker_python=Path("/opt/venv/bin/python"), probe=lambda worker: None, runner=calls.append)
    assert calls == []
    assert report.pip_command == ["/opt/venv/bin/python", "-m", "pip", "install", str(REPO)]
    assert any("automix is not installed for the worker /opt/venv/bin/python; run: /opt/venv/bin/python -m pip"
               in line for line in report.lines())


@pytest.mark.parametrize("dll, path, version", [
    ("libpython3.10.so.1.0", "/usr/lib", (3, 10)), ("python312.dll", r"C:\Python312", (3, 12)),
    ("Python", "/Library/Frameworks/Python.framework/Versions/3.11/lib", (3, 11)), ("libfoo.so", "/x", None)])
def test_python_version_from_library_names(dll, path, version):
    assert PythonLib(path, dll).version == version


def test_resource_folder_per_platform(tmp_path):
    home = tmp_path / "home"
    assert default_resource_paths("linux", {}, home) == [home / ".config" / "REAPER"]
    assert default_resource_paths("darwin", {}, home) == [home / "Library" / "Application Support" / "REAPER"]
    assert default_resource_paths("win32", {"APPDATA": str(tmp_path / "AppData")}, home) == [
        tmp_path / "AppData" / "REAPER"]
    (home / ".config" / "REAPER").mkdir(parents=True)
    found = find_resource_path(platform="linux", env={}, home=home, cwd=tmp_path)
    assert found == (home / ".config" / "REAPER").resolve()


def test_portable_and_explicit_resource_folders(tmp_path):
    portable = tmp_path / "portable"
    portable.mkdir()
    (portable / "reaper.ini").write_text("[REAPER]\n")
    (portable / "reaper.exe").write_bytes(b"")
    assert find_resource_path(platform="win32", env={}, home=tmp_path / "h", cwd=portable) == portable.resolve()
    assert find_resource_path(portable, cwd=tmp_path) == portable.resolve()
    with pytest.raises(InstallError, match="missing-folder"):
        find_resource_path(tmp_path / "missing-folder")
    with pytest.raises(InstallError, match=r"not found.*--resource-path"):
        find_resource_path(platform="linux", env={}, home=tmp_path / "h", cwd=tmp_path)


def test_ini_helpers_edit_only_what_they_must():
    data = b"[a]\nx=1\n[REAPER]\nk=v\n\n[b]\ny=2"
    assert ini_set(data, "REAPER", {"k": "v"}) == data
    assert ini_set(data, "REAPER", {"K": "w"}) == b"[a]\nx=1\n[REAPER]\nk=w\n\n[b]\ny=2"
    assert ini_set(data, "REAPER", {"new": "1"}) == b"[a]\nx=1\n[REAPER]\nk=v\nnew=1\n\n[b]\ny=2"
    assert ini_set(data, "REAPER", {"k": None}) == b"[a]\nx=1\n[REAPER]\n\n[b]\ny=2"
    assert ini_set(b"[a]\nx=1", "REAPER", {"k": "1"}) == b"[a]\nx=1\n[REAPER]\nk=1\n"
    assert ini_get(data, "reaper", "K") == "v" and ini_get(data, "b", "x") is None
    kb = b"KEY 1 2 3 0\r\nSCR 4 0 RSaa \"Custom: old\" \"/old\"\r\n"
    new_line = 'SCR 4 0 RSaa "Custom: new" "/new"'
    assert kb_update(kb, [new_line]) == b"KEY 1 2 3 0\r\n" + new_line.encode() + b"\r\n"
    assert kb_update(kb, [], ["RSaa"]) == b"KEY 1 2 3 0\r\n"


def test_install_py_entry_point(tmp_path, capsys):
    folder = _resource(tmp_path)
    before = _snapshot(folder)
    spec = importlib.util.spec_from_file_location("automix_install_entry", REPO / "install.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--resource-path", str(folder), "--dry-run", "--no-pip"]) == 0
    out = capsys.readouterr().out
    assert f"REAPER resource folder: {folder.resolve()}" in out and "would copy" in out
    assert _snapshot(folder) == before
    assert module.main(["--resource-path", str(tmp_path / "nope")]) == 2
    assert "nope" in capsys.readouterr().err
    assert module.main(["--resource-path", str(folder), "--no-pip"]) == 0
    assert module.main(["--resource-path", str(folder), "--no-pip"]) == 0
    assert "nothing to do" in capsys.readouterr().out
