"""The installer and the Python REAPER loads: venvs, macOS frameworks, ini encodings, uninstall, ReaPack."""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from automix.reaper.ini import ini_get
from automix.reaper.installer import ACTIONS, action_command_id, install, uninstall
from automix.reaper.python_lib import PythonLib, current_python_lib, interpreter_for
from automix.reaper.worker_config import config_path, read_worker_config

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "reaper_scripts"
LIB = PythonLib("/opt/py/lib", "libpython3.11.so.1.0")
INI = "[REAPER]\r\nafxcfg=0\r\nreascript=0\r\nundomaxmem=200\r\n\r\n[audioconfig]\r\nsrate=48000\r\n"


def _folder(tmp_path, ini: bytes | None = INI.encode("utf-8")) -> Path:
    folder = tmp_path / "REAPER"
    folder.mkdir()
    if ini is not None:
        (folder / "reaper.ini").write_bytes(ini)
    return folder


def _install(folder, **kwargs):
    kwargs.setdefault("python_lib", LIB)
    kwargs.setdefault("probe", lambda worker: REPO)
    return install(folder, SCRIPTS, enable_python=True, run_pip=False, **kwargs)


# ------------------------------------------------------------------ fix 4: virtual environments

in_venv = pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="the tests are not running in a venv")


@in_venv
def test_from_a_venv_reaper_gets_the_base_library_and_the_worker_is_the_venv(tmp_path):
    lib = current_python_lib()
    if lib is None:
        pytest.skip("this Python's base installation has no shared libpython")
    folder = _folder(tmp_path)
    report = install(folder, SCRIPTS, enable_python=True, package_source=REPO, run_pip=False)
    ini = (folder / "reaper.ini").read_bytes()
    libpath, libdll = ini_get(ini, "REAPER", "pythonlibpath64"), ini_get(ini, "REAPER", "pythonlibdll64")
    assert (Path(libpath) / libdll).is_file()
    assert not Path(libpath).resolve().is_relative_to(Path(sys.prefix).resolve())  # not inside the venv
    config = read_worker_config(folder)
    assert config.worker_python == Path(sys.executable).absolute()  # the venv's python runs the analysis
    assert config.package_path == REPO  # where the venv imports automix from (editable install)
    assert not report.pip_ran  # automix is already in the venv: nothing installed anywhere


@in_venv
def test_reapers_own_python_imports_automix_through_automix_json(tmp_path):
    """REAPER embeds the *base* interpreter: without the venv's paths it must still find automix."""
    base = Path(getattr(sys, "_base_executable", "") or "")
    if not base.is_file() or base == Path(sys.executable):
        pytest.skip("no separate base interpreter")
    folder = _folder(tmp_path)
    install(folder, SCRIPTS, python_lib=LIB, enable_python=True, package_source=REPO, run_pip=False)
    script = folder / "Scripts" / "automix" / "automix_auto_mix_project.py"
    code = ("import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location('action', {str(script)!r})\n"
            "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
            "m._add_automix_to_path()\n"
            "from automix.reaper.worker_config import read_worker_config\n"
            f"print(read_worker_config({str(folder)!r}).worker_python)\n"
            "print(sorted(k for k in sys.modules if k.split('.')[0] in ('numpy', 'scipy', 'sklearn')))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON") and k != "VIRTUAL_ENV"}
    done = subprocess.run([str(base), "-s", "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [str(Path(sys.executable).absolute()), "[]"]
    without = subprocess.run([str(base), "-s", "-c", "import automix"], capture_output=True, text=True,
                             cwd=tmp_path, env=env, timeout=60)
    assert "No module named 'automix'" in without.stderr  # the base Python alone does not have it


def test_pip_goes_to_the_worker_not_to_reapers_python(tmp_path):
    folder = _folder(tmp_path)
    venv_python = tmp_path / "venv" / "bin" / "python"
    calls, probes = [], iter([None, tmp_path / "venv" / "lib" / "site-packages"])
    report = _install(folder, worker_python=venv_python, package_source=REPO, probe=lambda w: next(probes))
    assert calls == [] and not report.pip_ran  # run_pip=False: only the command is printed
    assert report.pip_command[0] == str(venv_python)
    probes = iter([None, tmp_path / "venv" / "site"])
    report = install(folder, SCRIPTS, enable_python=True, python_lib=LIB, worker_python=venv_python,
                     package_source=REPO, probe=lambda w: next(probes), runner=lambda cmd: calls.append(cmd) or 0)
    assert calls == [[str(venv_python), "-m", "pip", "install", str(REPO)]]
    config_text = config_path(folder).read_text(encoding="utf-8")
    assert str(tmp_path / "venv" / "site") in config_text and str(venv_python) in config_text


# ------------------------------------------------------------------ fix 4: macOS framework builds

def _framework(tmp_path, prefix: str, with_dylib: bool) -> dict:
    root = tmp_path / prefix.strip("/")
    version_dir = root / "Python.framework" / "Versions" / "3.11"
    (version_dir / "lib").mkdir(parents=True)
    (version_dir / "bin").mkdir()
    (version_dir / "Python").write_bytes(b"\xcf\xfa\xed\xfe")
    (version_dir / "bin" / "python3.11").write_bytes(b"")
    if with_dylib:
        (version_dir / "lib" / "libpython3.11.dylib").symlink_to(version_dir / "Python")
    return {"PYTHONFRAMEWORK": "Python", "PYTHONFRAMEWORKPREFIX": str(root),
            "LDLIBRARY": "Python.framework/Versions/3.11/Python", "LIBDIR": str(version_dir / "lib"),
            "VERSION": "3.11", "INSTSONAME": "Python.framework/Versions/3.11/Python"}


@pytest.mark.parametrize("prefix", ["/Library/Frameworks", "/opt/homebrew/opt/python@3.11/Frameworks"])
def test_macos_framework_python_is_found(tmp_path, prefix):
    config_vars = _framework(tmp_path, prefix, with_dylib=True)
    lib = current_python_lib("darwin", config_vars)
    assert lib == PythonLib(config_vars["LIBDIR"], "libpython3.11.dylib")
    assert lib.version == (3, 11)
    assert interpreter_for(lib) == Path(config_vars["LIBDIR"]).parent / "bin" / "python3.11"


def test_macos_framework_without_a_lib_symlink_points_at_the_framework_binary(tmp_path):
    config_vars = _framework(tmp_path, "/Library/Frameworks", with_dylib=False)
    lib = current_python_lib("darwin", config_vars)
    version_dir = Path(config_vars["LIBDIR"]).parent
    assert lib == PythonLib(str(version_dir), "Python") and lib.version == (3, 11)
    assert interpreter_for(lib) == version_dir / "bin" / "python3.11"
    folder = _folder(tmp_path)
    _install(folder, python_lib=lib)
    ini = (folder / "reaper.ini").read_bytes()
    assert ini_get(ini, "REAPER", "pythonlibpath64") == str(version_dir)
    assert ini_get(ini, "REAPER", "pythonlibdll64") == "Python"


def test_linux_multiarch_and_static_builds(tmp_path):
    (tmp_path / "lib" / "x86_64-linux-gnu").mkdir(parents=True)
    (tmp_path / "lib" / "x86_64-linux-gnu" / "libpython3.11.so.1.0").write_bytes(b"")
    config_vars = {"LIBDIR": str(tmp_path / "lib"), "LDLIBRARY": "libpython3.11.so",
                   "INSTSONAME": "libpython3.11.so.1.0", "MULTIARCH": "x86_64-linux-gnu"}
    assert current_python_lib("linux", config_vars) == PythonLib(str(tmp_path / "lib" / "x86_64-linux-gnu"),
                                                                "libpython3.11.so.1.0")
    assert current_python_lib("linux", {"LIBDIR": str(tmp_path), "LDLIBRARY": "libpython3.11.a"}) is None
    assert current_python_lib("darwin", {"LIBDIR": str(tmp_path), "LDLIBRARY": "libpython3.11.a",
                                         "PYTHONFRAMEWORKPREFIX": ""}) is None


def test_the_running_interpreter_reports_its_base_library():
    lib = current_python_lib()
    if not sysconfig.get_config_var("Py_ENABLE_SHARED") and sys.platform != "win32":
        assert lib is None or Path(lib.libpath, lib.libdll).exists()
    else:
        assert lib is not None and Path(lib.libpath, lib.libdll).exists()
        assert lib.version == sys.version_info[:2]


# ------------------------------------------------------------------ issue 14 item 5: uninstall, encodings

def test_uninstall_after_a_manual_python_change_keeps_python_on(tmp_path):
    folder = _folder(tmp_path)
    _install(folder)
    ini = folder / "reaper.ini"
    ini.write_bytes(ini.read_bytes().replace(b"pythonlibdll64=libpython3.11.so.1.0",
                                             b"pythonlibdll64=libpython3.12.so.1.0"))
    report = uninstall(folder)
    data = ini.read_bytes()
    assert ini_get(data, "REAPER", "reascript") == "1"  # the backup's reascript=0 is not put back
    assert ini_get(data, "REAPER", "pythonlibdll64") == "libpython3.12.so.1.0"
    assert ini_get(data, "REAPER", "pythonlibpath64") == "/opt/py/lib"
    assert any("pythonlibdll64 changed since automix set them" in line for line in report.lines())
    assert not config_path(folder).exists()


def test_reinstall_after_uninstall_and_manual_setup_restores_the_users_setup(tmp_path):
    folder = _folder(tmp_path)
    _install(folder)
    uninstall(folder)
    ini = folder / "reaper.ini"
    assert ini.read_bytes() == INI.encode("utf-8")
    own = INI.replace("reascript=0", "reascript=1\r\npythonlibpath64=/usr/lib\r\npythonlibdll64=libpython3.10.so")
    ini.write_bytes(own.encode("utf-8"))  # the user sets up a Python by hand
    _install(folder)
    assert ini_get(ini.read_bytes(), "REAPER", "pythonlibdll64") == "libpython3.11.so.1.0"
    _install(folder)  # a second install keeps the record of what was there before the first
    uninstall(folder)
    assert ini.read_bytes() == own.encode("utf-8")  # the user's Python, not the stale first backup


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_utf8_bom_gets_no_second_reaper_section(tmp_path, newline):
    original = codecs.BOM_UTF8 + INI.replace("\r\n", newline).encode("utf-8")
    folder = _folder(tmp_path, original)
    _install(folder)
    data = (folder / "reaper.ini").read_bytes()
    assert data.startswith(codecs.BOM_UTF8) and data.count(b"[REAPER]") == 1
    text = data[3:].decode("utf-8").split(newline)
    assert text[:5] == ["[REAPER]", "afxcfg=0", "reascript=1", "undomaxmem=200", "pythonlibpath64=/opt/py/lib"]
    uninstall(folder)
    assert (folder / "reaper.ini").read_bytes() == original


@pytest.mark.parametrize("codec, bom", [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)])
def test_utf16_ini_stays_utf16(tmp_path, codec, bom):
    original = bom + (INI + "recent01=C:\\Users\\Jürgen\\Überblick.rpp\r\n").encode(codec)
    folder = _folder(tmp_path, original)
    _install(folder)
    data = (folder / "reaper.ini").read_bytes()
    assert data.startswith(bom) and len(data) % 2 == 0
    text = data[2:].decode(codec)  # strict: one ASCII line appended would break this
    assert text.count("[REAPER]") == 1 and "pythonlibdll64=libpython3.11.so.1.0\r\n" in text
    assert "recent01=C:\\Users\\Jürgen\\Überblick.rpp\r\n" in text
    assert ini_get(data, "REAPER", "reascript") == "1"
    uninstall(folder)
    assert (folder / "reaper.ini").read_bytes() == original


def test_undecodable_utf16_is_one_error_naming_the_file(tmp_path):
    from automix.errors import InstallError
    folder = _folder(tmp_path, codecs.BOM_UTF16_LE + b"[\x00R")  # odd byte count
    with pytest.raises(InstallError, match=r"reaper\.ini: an ini file is neither UTF-8 nor UTF-16"):
        _install(folder)


# ------------------------------------------------------------------ ReaPack installs

def _reapack_copy(folder: Path) -> Path:
    target = folder / "Scripts" / "automix" / "Mixing"
    target.mkdir(parents=True)
    for name, _ in ACTIONS:
        (target / name).write_bytes((SCRIPTS / name).read_bytes())
    return target


def test_a_reapack_install_gets_no_duplicate_actions(tmp_path):
    folder = _folder(tmp_path)
    _install(folder)  # install.py's own copies first, then the user switches to ReaPack
    assert (folder / "reaper-kb.ini").read_text().count("SCR 4 0 RS") == len(ACTIONS)
    reapack = _reapack_copy(folder)
    report = _install(folder)
    kb = (folder / "reaper-kb.ini").read_text()
    assert all(action_command_id(name) not in kb for name, _ in ACTIONS)
    assert sorted(p.name for p in (folder / "Scripts" / "automix").iterdir()) == ["Mixing"]
    assert any(f"note {reapack}: the actions are installed by ReaPack" in line for line in report.lines())
    assert read_worker_config(folder).package_path == REPO  # the Python side is still set up
    report = uninstall(folder)
    assert sorted(p.name for p in reapack.iterdir()) == sorted(name for name, _ in ACTIONS)  # ReaPack's own
    assert any("installed by ReaPack: uninstall it with ReaPack" in line for line in report.lines())
