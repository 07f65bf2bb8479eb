"""Which Python REAPER loads (the ``pythonlib*64`` keys of ``reaper.ini``) and which one runs the worker.

REAPER embeds a Python through a shared library: ``pythonlibpath64`` is its
folder, ``pythonlibdll64`` its file name. A virtual environment has no
libpython of its own, so the library is always the *base* installation's
(``sys.base_prefix``, sysconfig's ``LIBDIR``), even when the installer runs
inside a venv. macOS framework builds (python.org, Homebrew) have
``LDLIBRARY = Python.framework/Versions/X.Y/Python``, relative to
``PYTHONFRAMEWORKPREFIX`` rather than ``LIBDIR``; their ``lib/`` folder usually
holds ``libpythonX.Y.dylib`` pointing at that binary, which is preferred.

automix's heavy work runs in a separate *worker* process, by default the
interpreter that runs ``install.py`` (the venv's ``python`` inside a venv),
so nothing needs to be installed into REAPER's own Python.
"""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

PROBE_MODULES = ("automix", "numpy", "scipy", "sklearn", "soundfile")
"""What the worker interpreter must be able to import for automix to run in it."""


@dataclass(frozen=True)
class PythonLib:
    """Where REAPER loads Python from: ``libpath`` folder and ``libdll`` file name (pythonlib*64 keys)."""

    libpath: str
    libdll: str

    @property
    def version(self) -> tuple[int, int] | None:
        """(major, minor) read from the library name or folder, None if not recognisable."""
        for text in (self.libdll, self.libpath):
            m = re.search(r"python(\d)\.?(\d{1,2})", text, re.IGNORECASE) or re.search(
                r"Versions[/\\](\d)\.(\d{1,2})", text)
            if m:
                return int(m.group(1)), int(m.group(2))
        return None


def framework_python_lib(config_vars: Mapping[str, object]) -> PythonLib | None:
    """The libpython of a macOS framework build described by sysconfig ``config_vars``, if it exists."""
    prefix, ldlibrary = config_vars.get("PYTHONFRAMEWORKPREFIX"), config_vars.get("LDLIBRARY")
    if not prefix or not ldlibrary or ".framework" not in str(ldlibrary):
        return None
    binary = Path(str(prefix)) / str(ldlibrary)
    version = str(config_vars.get("VERSION") or "")
    dylib = Path(str(config_vars.get("LIBDIR") or binary.parent / "lib")) / f"libpython{version}.dylib"
    if version and dylib.exists():
        return PythonLib(str(dylib.parent), dylib.name)
    return PythonLib(str(binary.parent), binary.name) if binary.exists() else None


def current_python_lib(platform: str = sys.platform, config_vars: Mapping[str, object] | None = None,
                       base_prefix: str = sys.base_prefix,
                       version: tuple[int, int] = sys.version_info[:2]) -> PythonLib | None:
    """The shared libpython of the running interpreter's base installation, or None (static build).

    Inside a virtual environment this is the base interpreter's library, which is
    what REAPER can load. ``config_vars`` defaults to ``sysconfig.get_config_vars()``.
    """
    if platform.startswith("win"):
        dll = f"python{version[0]}{version[1]}.dll"
        return PythonLib(str(Path(base_prefix)), dll) if (Path(base_prefix) / dll).exists() else None
    config_vars = sysconfig.get_config_vars() if config_vars is None else config_vars
    if platform == "darwin":
        framework = framework_python_lib(config_vars)
        if framework is not None:
            return framework
    libdir = config_vars.get("LIBDIR")
    if not libdir:
        return None
    folders = [Path(str(libdir))]
    if config_vars.get("MULTIARCH"):
        folders.append(folders[0] / str(config_vars["MULTIARCH"]))
    names = [str(n) for n in (config_vars.get("LDLIBRARY"), config_vars.get("INSTSONAME"))
             if n and not str(n).endswith(".a")]
    for name in names:
        for folder in folders:
            if (folder / name).exists():
                return PythonLib(str(folder), name)
    return None


def interpreter_for(lib: PythonLib) -> Path | None:
    """The python executable of the installation ``lib`` belongs to, or None when it cannot be found."""
    version = lib.version
    if version is None:
        return None
    base = Path(lib.libpath)
    names = [f"python{version[0]}.{version[1]}", f"python{version[0]}", "python.exe"]
    for folder in (base, base / "bin", base.parent / "bin", base.parent.parent / "bin"):
        for name in names:
            if (folder / name).is_file():
                return folder / name
    return None


def in_virtual_environment() -> bool:
    """True when the running interpreter is a venv (its ``sys.prefix`` differs from ``sys.base_prefix``)."""
    return sys.prefix != sys.base_prefix


def probe_package_path(python: Path, timeout_s: float = 120.0) -> Path | None:
    """The folder holding the ``automix`` package that ``python`` imports, or None when any of
    :data:`PROBE_MODULES` is missing there. Runs ``python -E`` (no ``PYTHONPATH``) in the
    temporary folder, so neither the environment nor the current folder can supply automix."""
    code = ("import importlib, os, sys\n"
            f"for name in {PROBE_MODULES!r}: importlib.import_module(name)\n"
            "import automix; sys.stdout.write(os.path.dirname(os.path.dirname(os.path.abspath(automix.__file__))))")
    try:
        done = subprocess.run([str(python), "-E", "-c", code], capture_output=True, text=True,
                              timeout=timeout_s, cwd=tempfile.gettempdir())
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else None
