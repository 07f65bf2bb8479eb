"""Install automix into REAPER: scripts, action registrations, Python ReaScript settings.

What :func:`install` does, in order, printing each step (or what it *would*
do with ``dry_run``):

1. copy ``reaper_scripts/*.py`` to ``<resource>/Scripts/automix/``;
2. register each script in ``reaper-kb.ini`` as
   ``SCR 4 0 RS<id> "Custom: <action name>" "<absolute path>"`` (ids are
   derived from the script file name, so re-running changes nothing);
3. with ``enable_python``: set ``reascript=1``, ``pythonlibpath64`` and
   ``pythonlibdll64`` under ``[REAPER]`` in ``reaper.ini``;
4. pip-install automix into the interpreter REAPER loads (derived from
   ``pythonlibpath64``/``pythonlibdll64``), or print the exact command.

Every ini file is backed up once to ``<name>.automix-bak`` before its first
edit; files are edited as bytes, line by line, so untouched lines (and CRLF
line endings) stay byte-identical. :func:`uninstall` removes the actions and
scripts and restores the three Python keys from the backup.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

from automix.errors import InstallError
from automix.reaper.ini import ini_get, ini_set, kb_update
from automix.util.atomic import write_bytes_atomic

ACTIONS: tuple[tuple[str, str], ...] = (
    ("automix_auto_mix_project.py", "automix: Auto-mix project"),
    ("automix_resuggest_region.py", "automix: Re-suggest region at edit cursor"),
    ("automix_learn_from_project.py", "automix: Learn from this project"),
)
"""(script file name, action name shown in REAPER) of every action automix installs."""

PYTHON_KEYS = ("reascript", "pythonlibpath64", "pythonlibdll64")
BACKUP_SUFFIX = ".automix-bak"
SCRIPTS_SUBDIR = ("Scripts", "automix")


@dataclass(frozen=True)
class InstallStep:
    """One thing the installer did (or would do): a short ``action`` verb, the ``path``, a ``detail``."""

    action: str
    path: Path | None
    detail: str = ""

    def describe(self, dry_run: bool) -> str:
        """A line for the user, prefixed with "would" in a dry run."""
        verb = f"would {self.action}" if dry_run and self.action != "unchanged" else self.action
        where = f" {self.path}" if self.path is not None else ""
        return f"{verb}{where}" + (f": {self.detail}" if self.detail else "")


@dataclass
class InstallReport:
    """Steps taken, whether anything changed, and the pip command (run or to run by hand)."""

    resource_path: Path
    dry_run: bool
    steps: list[InstallStep] = field(default_factory=list)
    pip_command: list[str] | None = None
    pip_ran: bool = False

    @property
    def changed(self) -> bool:
        """True when at least one file was (or would be) changed."""
        return any(s.action not in ("unchanged", "note") for s in self.steps)

    def lines(self) -> list[str]:
        """The report as printable lines."""
        return [s.describe(self.dry_run) for s in self.steps]


def action_command_id(script_name: str) -> str:
    """The ``RS…`` command id automix uses for ``script_name`` (stable across runs and machines)."""
    return "RS" + hashlib.sha1(f"automix/{script_name}".encode("utf-8")).hexdigest()


def default_resource_paths(platform: str = sys.platform, env: Mapping[str, str] = os.environ,
                           home: Path | None = None) -> list[Path]:
    """REAPER's standard resource folder for ``platform`` (may not exist)."""
    home = home if home is not None else Path.home()
    if platform.startswith("win"):
        appdata = env.get("APPDATA")
        return [Path(appdata) / "REAPER"] if appdata else [home / "AppData" / "Roaming" / "REAPER"]
    if platform == "darwin":
        return [home / "Library" / "Application Support" / "REAPER"]
    config = env.get("XDG_CONFIG_HOME")
    paths = [Path(config) / "REAPER"] if config else []
    return paths + [home / ".config" / "REAPER"]


def is_portable_install(folder: Path) -> bool:
    """True for a portable REAPER folder: ``reaper.ini`` beside the REAPER program."""
    return (folder / "reaper.ini").is_file() and any(
        (folder / exe).exists() for exe in ("reaper.exe", "reaper", "REAPER.app", "REAPER64.app"))


def find_resource_path(explicit: str | Path | None = None, *, platform: str = sys.platform,
                       env: Mapping[str, str] = os.environ, home: Path | None = None,
                       cwd: Path | None = None) -> Path:
    """The REAPER resource folder: ``explicit``, else a portable install in ``cwd``, else the standard one."""
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_dir():
            raise InstallError("the given REAPER resource path is not a folder", file=path)
        return path.resolve()
    cwd = cwd if cwd is not None else Path.cwd()
    if is_portable_install(cwd):
        return cwd.resolve()
    tried = default_resource_paths(platform, env, home)
    for path in tried:
        if path.is_dir():
            return path.resolve()
    raise InstallError("REAPER's resource folder was not found (looked in "
                       + ", ".join(str(p) for p in tried)
                       + "); start REAPER once, or pass --resource-path (Options > Show resource path)")


def kb_line(script_name: str, action_name: str, script_path: Path) -> str:
    """The ``reaper-kb.ini`` line registering one script in the Main section."""
    return f'SCR 4 0 {action_command_id(script_name)} "Custom: {action_name}" "{script_path}"'


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


def current_python_lib() -> PythonLib | None:
    """The shared libpython of the running interpreter, or None when it has none (static build)."""
    if sys.platform.startswith("win"):
        folder = Path(sys.base_prefix)
        dll = f"python{sys.version_info[0]}{sys.version_info[1]}.dll"
        return PythonLib(str(folder), dll) if (folder / dll).exists() else None
    libdir, ldlibrary = sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("LDLIBRARY")
    if libdir and ldlibrary and not ldlibrary.endswith(".a") and (Path(libdir) / ldlibrary).exists():
        return PythonLib(libdir, ldlibrary)
    return None


def interpreter_for(lib: PythonLib) -> Path | None:
    """The python executable belonging to ``lib``, or None when it cannot be determined."""
    version = lib.version
    if version is None:
        return None
    if current_python_lib() == lib and sys.version_info[:2] == version:
        return Path(sys.executable)
    base = Path(lib.libpath)
    names = [f"python{version[0]}.{version[1]}", f"python{version[0]}", "python.exe"]
    for folder in (base, base / "bin", base.parent / "bin"):
        for name in names:
            if (folder / name).is_file():
                return folder / name
    return None


def _backup_once(path: Path, report: InstallReport) -> None:
    """Save ``path`` as ``<name>.automix-bak`` unless a backup exists; an absent file is saved as empty."""
    backup = path.with_name(path.name + BACKUP_SUFFIX)
    if backup.exists():
        return
    report.steps.append(InstallStep("back up", path, f"copy saved as {backup.name}" if path.exists() else
                                    f"it does not exist yet: empty {backup.name} records that"))
    if not report.dry_run:
        if path.exists():
            shutil.copy2(path, backup)
        else:
            backup.write_bytes(b"")


def _only_headers(data: bytes) -> bool:
    """True when ini bytes hold nothing but blank lines and ``[section]`` headers."""
    return all(not line.strip() or (line.strip().startswith(b"[") and line.strip().endswith(b"]"))
               for line in data.splitlines())


def _write_if_changed(path: Path, new: bytes, detail: str, report: InstallReport) -> None:
    old = path.read_bytes() if path.exists() else None
    if old == new:
        report.steps.append(InstallStep("unchanged", path, detail))
        return
    _backup_once(path, report)
    report.steps.append(InstallStep("edit" if old is not None else "create", path, detail))
    if not report.dry_run:
        write_bytes_atomic(path, new)


def install(resource_path: Path, scripts_dir: Path, *, dry_run: bool = False, enable_python: bool = False,
            python_lib: PythonLib | None = None, package_source: Path | None = None, run_pip: bool = True,
            runner: Callable[[list[str]], int] | None = None) -> InstallReport:
    """Install automix into the REAPER resource folder; see the module docstring. Idempotent."""
    report = InstallReport(Path(resource_path), dry_run)
    resource_path = Path(resource_path)
    try:
        _install_scripts(resource_path, Path(scripts_dir), report)
        ini = resource_path / "reaper.ini"
        ini_bytes = ini.read_bytes() if ini.exists() else b""
        if enable_python:
            lib = python_lib or current_python_lib()
            if lib is None:
                raise InstallError("this Python has no shared libpython for REAPER to load (a venv or a "
                                   "static build); pass --python-lib with the path of libpython*.so / "
                                   "python3*.dll / the Python framework binary")
            values = {"reascript": "1", "pythonlibpath64": lib.libpath, "pythonlibdll64": lib.libdll}
            _write_if_changed(ini, ini_set(ini_bytes, "REAPER", values),
                              "Python ReaScript enabled: " + ", ".join(f"{k}={v}" for k, v in values.items()),
                              report)
            ini_bytes = ini_set(ini_bytes, "REAPER", values)
        path_value, dll_value = (ini_get(ini_bytes, "REAPER", k) for k in PYTHON_KEYS[1:])
        _pip_step(PythonLib(path_value, dll_value) if path_value and dll_value else None,
                  package_source, run_pip, runner, report)
    except OSError as exc:
        raise InstallError(f"cannot update REAPER's files: {exc.strerror or exc}",
                           file=getattr(exc, "filename", None) or resource_path) from exc
    return report


def _install_scripts(resource_path: Path, scripts_dir: Path, report: InstallReport) -> None:
    target_dir = resource_path.joinpath(*SCRIPTS_SUBDIR)
    wanted = []
    for script_name, action_name in ACTIONS:
        source = scripts_dir / script_name
        if not source.is_file():
            raise InstallError("ReaScript missing from the automix checkout", file=source)
        target = target_dir / script_name
        if target.exists() and target.read_bytes() == source.read_bytes():
            report.steps.append(InstallStep("unchanged", target, "script up to date"))
        else:
            report.steps.append(InstallStep("copy", target, f"from {source}"))
            if not report.dry_run:
                target_dir.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
        wanted.append(kb_line(script_name, action_name, target.absolute()))
    kb = resource_path / "reaper-kb.ini"
    kb_bytes = kb.read_bytes() if kb.exists() else b""
    names = ", ".join(name for _, name in ACTIONS)
    _write_if_changed(kb, kb_update(kb_bytes, wanted), f"actions registered: {names}", report)


def _pip_step(lib: PythonLib | None, package_source: Path | None, run_pip: bool,
              runner: Callable[[list[str]], int] | None, report: InstallReport) -> None:
    source = str(package_source) if package_source is not None else "automix-reaper"
    python = interpreter_for(lib) if lib is not None else None
    if python is None:
        why = ("REAPER's Python is not configured (no pythonlibpath64/pythonlibdll64 in reaper.ini)"
               if lib is None else f"no interpreter found for {Path(lib.libpath) / lib.libdll}")
        report.pip_command = ["<python REAPER uses>", "-m", "pip", "install", source]
        report.steps.append(InstallStep("note", None, f"{why}; install automix for that Python by hand: "
                                        f"<that python> -m pip install {source} (or re-run with --enable-python)"))
        return
    report.pip_command = [str(python), "-m", "pip", "install", source]
    if not run_pip or report.dry_run:
        report.steps.append(InstallStep("run", None, " ".join(report.pip_command)) if report.dry_run else
                            InstallStep("note", None, "to install automix for REAPER's Python run: "
                                        + " ".join(report.pip_command)))
        return
    run = runner or (lambda cmd: subprocess.run(cmd, check=False).returncode)
    status = run(report.pip_command)
    if status != 0:
        raise InstallError(f"pip failed with status {status}: {' '.join(report.pip_command)} (for a Python "
                           "managed by the system, run that command yourself with --user)")
    report.pip_ran = True
    report.steps.append(InstallStep("ran", None, " ".join(report.pip_command)))


def _restore_or_remove(path: Path, restored: bytes, detail: str, report: InstallReport) -> None:
    """Write ``restored``, or delete ``path`` when automix created it and nothing else is left in it."""
    backup = path.with_name(path.name + BACKUP_SUFFIX)
    if backup.exists() and backup.stat().st_size == 0 and _only_headers(restored):
        report.steps.append(InstallStep("remove", path, "automix created it and nothing else is in it"))
        if not report.dry_run:
            path.unlink()
        return
    _write_if_changed(path, restored, detail, report)


def uninstall(resource_path: Path, *, dry_run: bool = False) -> InstallReport:
    """Remove automix's actions and scripts, restore the Python keys of ``reaper.ini`` from its backup."""
    resource_path = Path(resource_path)
    report = InstallReport(resource_path, dry_run)
    try:
        kb = resource_path / "reaper-kb.ini"
        if kb.exists():
            ids = [action_command_id(name) for name, _ in ACTIONS]
            _restore_or_remove(kb, kb_update(kb.read_bytes(), [], ids), "automix actions removed", report)
        ini = resource_path / "reaper.ini"
        backup = ini.with_name(ini.name + BACKUP_SUFFIX)
        if ini.exists() and backup.exists():
            original = backup.read_bytes()
            values = {k: ini_get(original, "REAPER", k) for k in PYTHON_KEYS}
            _restore_or_remove(ini, ini_set(ini.read_bytes(), "REAPER", values),
                               "Python settings restored from " + backup.name, report)
        target_dir = resource_path.joinpath(*SCRIPTS_SUBDIR)
        for script_name, _ in ACTIONS:
            if (target_dir / script_name).exists():
                report.steps.append(InstallStep("remove", target_dir / script_name))
                if not dry_run:
                    (target_dir / script_name).unlink()
        if target_dir.is_dir() and not dry_run and not any(target_dir.iterdir()):
            target_dir.rmdir()
    except OSError as exc:
        raise InstallError(f"cannot update REAPER's files: {exc.strerror or exc}",
                           file=getattr(exc, "filename", None) or resource_path) from exc
    return report


def main(argv: Sequence[str] | None = None, *, scripts_dir: Path | None = None,
         package_source: Path | None = None) -> int:
    """Command line of ``install.py``; returns the exit status (2 on an :class:`InstallError`)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="install.py", description="Install automix's actions into REAPER (idempotent; backs up every "
                                       "ini file it edits as <name>.automix-bak).")
    parser.add_argument("--resource-path", metavar="DIR", help="REAPER resource folder (default: auto-detect)")
    parser.add_argument("--enable-python", action="store_true",
                        help="enable Python ReaScript in reaper.ini with this Python (or --python-lib)")
    parser.add_argument("--python-lib", metavar="FILE", help="libpython / python3X.dll REAPER should load")
    parser.add_argument("--no-pip", action="store_true", help="do not pip-install automix, print the command")
    parser.add_argument("--dry-run", action="store_true", help="print what would be done, change nothing")
    parser.add_argument("--uninstall", action="store_true", help="remove the actions, restore reaper.ini keys")
    args = parser.parse_args(argv)
    here = Path(__file__).resolve().parents[2]
    try:
        resource = find_resource_path(args.resource_path)
        if args.uninstall:
            report = uninstall(resource, dry_run=args.dry_run)
        else:
            lib = None
            if args.python_lib:
                lib_file = Path(args.python_lib).expanduser()
                if not lib_file.is_file():
                    raise InstallError("--python-lib is not a file", file=lib_file)
                lib = PythonLib(str(lib_file.resolve().parent), lib_file.name)
            report = install(resource, scripts_dir or here / "reaper_scripts", dry_run=args.dry_run,
                             enable_python=args.enable_python or lib is not None, python_lib=lib,
                             package_source=package_source or here, run_pip=not args.no_pip)
    except InstallError as exc:
        print(f"install.py: error: {exc}", file=sys.stderr)
        return 2
    print(f"REAPER resource folder: {resource}" + (" (dry run: nothing changed)" if args.dry_run else ""))
    for line in report.lines():
        print("  " + line)
    if not report.changed:
        print("  nothing to do: automix is already " + ("uninstalled" if args.uninstall else "installed"))
    return 0
