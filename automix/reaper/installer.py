"""Install automix into REAPER: actions, Python ReaScript settings, the worker record ``automix.json``.

What :func:`install` does, in order, printing each step (or what it *would*
do with ``dry_run``):

1. copy ``reaper_scripts/*.py`` to ``<resource>/Scripts/automix/`` and register
   each in ``reaper-kb.ini`` as ``SCR 4 0 RS<id> "Custom: <action name>" "<path>"``
   (ids derive from the script file name, so re-running changes nothing) —
   unless ReaPack already installed them (``Scripts/<index>/<category>/``):
   then it registers none and removes its own earlier copies, so no action
   appears twice;
2. with ``enable_python``: set ``reascript=1``, ``pythonlibpath64`` and
   ``pythonlibdll64`` under ``[REAPER]`` in ``reaper.ini`` to the *base*
   interpreter's shared libpython (a venv has none of its own; macOS framework
   builds are found through ``PYTHONFRAMEWORKPREFIX``), see
   :mod:`automix.reaper.python_lib`;
3. make sure the *worker* interpreter (``sys.executable`` — the venv's python
   inside a venv — or ``worker_python``) imports automix and its dependencies,
   pip-installing the checkout into it if not (so inside a venv, into the venv);
4. write ``<resource>/automix.json`` (:mod:`automix.reaper.worker_config`): the
   worker interpreter, the folder holding the automix package (REAPER's
   embedded Python adds it to ``sys.path`` to import the stdlib-only live
   layer; nothing is installed into REAPER's own Python), and the reaper.ini
   keys it set with their earlier values.

Every ini file is backed up once to ``<name>.automix-bak`` before its first
edit; files are edited as bytes, line by line, in their own encoding, so
untouched lines (CRLF endings, BOMs, UTF-16) stay byte-identical. Every write
is atomic. :func:`uninstall` removes the actions, scripts and automix.json,
and puts back the reaper.ini keys only while they still hold automix's values
(a Python set up by hand afterwards is left on).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

from automix.errors import InstallError, ReaperError
from automix.reaper.ini import ini_get, ini_has_only_headers, ini_set, kb_update
from automix.reaper.python_lib import (
    PROBE_MODULES,
    PythonLib,
    current_python_lib,
    in_virtual_environment,
    probe_package_path,
)
from automix.reaper.resource_folder import find_resource_path
from automix.reaper.worker_config import (
    IniChange,
    WorkerConfig,
    config_path,
    format_worker_config,
    parse_worker_config,
)
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


def kb_line(script_name: str, action_name: str, script_path: Path) -> str:
    """The ``reaper-kb.ini`` line registering one script in the Main section."""
    return f'SCR 4 0 {action_command_id(script_name)} "Custom: {action_name}" "{script_path}"'


def _backup_once(path: Path, report: InstallReport) -> None:
    """Save ``path`` as ``<name>.automix-bak`` unless a backup exists; an absent file is saved as empty."""
    backup = path.with_name(path.name + BACKUP_SUFFIX)
    if backup.exists():
        return
    report.steps.append(InstallStep("back up", path, f"copy saved as {backup.name}" if path.exists() else
                                    f"it does not exist yet: empty {backup.name} records that"))
    if not report.dry_run:
        write_bytes_atomic(backup, path.read_bytes() if path.exists() else b"")


def _write_if_changed(path: Path, new: bytes, detail: str, report: InstallReport, backup: bool = True) -> None:
    old = path.read_bytes() if path.exists() else None
    if old == new:
        report.steps.append(InstallStep("unchanged", path, detail))
        return
    if backup:
        _backup_once(path, report)
    report.steps.append(InstallStep("edit" if old is not None else "create", path, detail))
    if not report.dry_run:
        write_bytes_atomic(path, new)


def reapack_copies(resource_path: Path) -> list[Path]:
    """automix action scripts installed by ReaPack (``Scripts/<index>/<category>/<script>``)."""
    names = {name for name, _ in ACTIONS}
    scripts = Path(resource_path) / "Scripts"
    if not scripts.is_dir():
        return []
    return sorted(p for p in scripts.glob("*/*/*.py") if p.name in names and p.is_file())


def _ini_record(ini_bytes: bytes, values: Mapping[str, str],
                previous: Sequence[IniChange]) -> tuple[IniChange, ...]:
    """What to remember about each key set: the value before automix (kept from an earlier install
    while the key still holds automix's value) and automix's value."""
    earlier = {c.key: c for c in previous}
    record = []
    for key, value in values.items():
        current = ini_get(ini_bytes, "REAPER", key)
        old = earlier.get(key)
        before = old.before if old is not None and current == old.automix else current
        record.append(IniChange(key, before, value))
    return tuple(record)


def _previous_config(resource_path: Path) -> WorkerConfig | None:
    """The automix.json of an earlier install, or None when absent or unreadable."""
    try:
        return parse_worker_config(config_path(resource_path).read_bytes(), config_path(resource_path))
    except (OSError, ReaperError):
        return None


def install(resource_path: Path, scripts_dir: Path, *, dry_run: bool = False, enable_python: bool = False,
            python_lib: PythonLib | None = None, worker_python: Path | None = None,
            package_source: Path | None = None, run_pip: bool = True,
            runner: Callable[[list[str]], int] | None = None,
            probe: Callable[[Path], Path | None] = probe_package_path) -> InstallReport:
    """Install automix into the REAPER resource folder; see the module docstring. Idempotent."""
    resource_path = Path(resource_path)
    report = InstallReport(resource_path, dry_run)
    ini = resource_path / "reaper.ini"
    try:
        copies = reapack_copies(resource_path)
        if copies:
            _defer_to_reapack(resource_path, copies, report)
        else:
            _install_scripts(resource_path, Path(scripts_dir), report)
        ini_bytes = ini.read_bytes() if ini.exists() else b""
        previous = _previous_config(resource_path)
        record = previous.reaper_ini if previous is not None else ()
        if enable_python:
            lib = python_lib or current_python_lib()
            if lib is None:
                raise InstallError("this Python's base installation has no shared libpython for REAPER to load "
                                   "(a static build); pass --python-lib with the path of libpython*.so / "
                                   "python3*.dll / the Python framework binary")
            values = {"reascript": "1", "pythonlibpath64": lib.libpath, "pythonlibdll64": lib.libdll}
            record = _ini_record(ini_bytes, values, record)
            new_ini = ini_set(ini_bytes, "REAPER", values)
            _write_if_changed(ini, new_ini, "Python ReaScript enabled: "
                              + ", ".join(f"{k}={v}" for k, v in values.items()), report)
        elif ini_get(ini_bytes, "REAPER", "reascript") != "1" or not ini_get(ini_bytes, "REAPER", "pythonlibdll64"):
            report.steps.append(InstallStep("note", ini, "Python ReaScript is not set up in REAPER: re-run with "
                                            "--enable-python, or set it in Preferences > Plug-ins > ReaScript"))
        worker = Path(worker_python) if worker_python is not None else Path(sys.executable)
        package_path = _worker_step(worker, package_source, run_pip, runner, probe, report)
        config = WorkerConfig(worker.absolute(), package_path, record)
        _write_if_changed(config_path(resource_path), format_worker_config(config),
                          f"the worker runs {config.worker_python}; REAPER's Python imports automix's live "
                          f"layer from {package_path}", report, backup=False)
    except OSError as exc:
        raise InstallError(f"cannot update REAPER's files: {exc.strerror or exc}",
                           file=getattr(exc, "filename", None) or resource_path) from exc
    except UnicodeError as exc:
        raise InstallError(f"an ini file is neither UTF-8 nor UTF-16 with a byte-order mark ({exc})",
                           file=ini) from exc
    return report


def _defer_to_reapack(resource_path: Path, copies: list[Path], report: InstallReport) -> None:
    """ReaPack provides the actions: register none, and remove automix's own copies and registrations."""
    report.steps.append(InstallStep("note", copies[0].parent, "the actions are installed by ReaPack there; "
                                    "install.py registers no second copy (update them with ReaPack)"))
    ids = [action_command_id(name) for name, _ in ACTIONS]
    kb = resource_path / "reaper-kb.ini"
    if kb.exists():
        _write_if_changed(kb, kb_update(kb.read_bytes(), [], ids), "automix's own action copies unregistered",
                          report)
    _remove_own_scripts(resource_path, report)


def _worker_step(worker: Path, package_source: Path | None, run_pip: bool,
                 runner: Callable[[list[str]], int] | None, probe: Callable[[Path], Path | None],
                 report: InstallReport) -> Path | None:
    """Make sure ``worker`` can run automix (pip-install it there if needed); the folder holding its
    ``automix`` package, or the checkout's when automix is not installed (yet)."""
    found = probe(worker)
    source = str(package_source) if package_source is not None else "automix-reaper"
    report.pip_command = [str(worker), "-m", "pip", "install", source]
    where = "its virtual environment" if in_virtual_environment() and worker == Path(sys.executable) else "it"
    if found is not None:
        report.steps.append(InstallStep("note", None, f"automix and its dependencies are installed for the worker "
                                        f"{worker} (package in {found})"))
        return found
    if not run_pip or report.dry_run:
        report.steps.append(InstallStep("run", None, " ".join(report.pip_command)) if report.dry_run else
                            InstallStep("note", None, f"automix is not installed for the worker {worker}; run: "
                                        + " ".join(report.pip_command)))
        return Path(package_source).resolve() if package_source is not None else None
    run = runner or (lambda cmd: subprocess.run(cmd, check=False).returncode)
    status = run(report.pip_command)
    if status != 0:
        raise InstallError(f"pip failed with status {status}: {' '.join(report.pip_command)} (a Python managed by "
                           "the system refuses pip: create a virtual environment, `python3 -m venv .venv && "
                           ". .venv/bin/activate`, and run install.py from it)")
    report.pip_ran = True
    report.steps.append(InstallStep("ran", None, " ".join(report.pip_command) + f" (into {where})"))
    found = probe(worker)
    if found is None:
        raise InstallError(f"after pip, {worker} still cannot import {', '.join(PROBE_MODULES)}")
    return found


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
                write_bytes_atomic(target, source.read_bytes())
        wanted.append(kb_line(script_name, action_name, target.absolute()))
    kb = resource_path / "reaper-kb.ini"
    kb_bytes = kb.read_bytes() if kb.exists() else b""
    names = ", ".join(name for _, name in ACTIONS)
    _write_if_changed(kb, kb_update(kb_bytes, wanted), f"actions registered: {names}", report)


def _remove_own_scripts(resource_path: Path, report: InstallReport) -> None:
    target_dir = resource_path.joinpath(*SCRIPTS_SUBDIR)
    for script_name, _ in ACTIONS:
        if (target_dir / script_name).is_file():
            report.steps.append(InstallStep("remove", target_dir / script_name))
            if not report.dry_run:
                (target_dir / script_name).unlink()
    if target_dir.is_dir() and not report.dry_run and not any(target_dir.iterdir()):
        target_dir.rmdir()


def _restore_or_remove(path: Path, restored: bytes, detail: str, report: InstallReport) -> None:
    """Write ``restored``, or delete ``path`` when automix created it and nothing else is left in it."""
    backup = path.with_name(path.name + BACKUP_SUFFIX)
    if backup.exists() and backup.stat().st_size == 0 and ini_has_only_headers(restored):
        report.steps.append(InstallStep("remove", path, "automix created it and nothing else is in it"))
        if not report.dry_run:
            path.unlink()
        return
    _write_if_changed(path, restored, detail, report)


def _restore_python_keys(ini: Path, record: Sequence[IniChange], report: InstallReport) -> None:
    """Put back the keys install.py set, unless the user changed any of them since (then keep them all)."""
    data = ini.read_bytes()
    changed = [c.key for c in record if ini_get(data, "REAPER", c.key) != c.automix]
    if changed:
        report.steps.append(InstallStep("note", ini, "Python settings left as they are: "
                                        + ", ".join(changed) + " changed since automix set them"))
        return
    _restore_or_remove(ini, ini_set(data, "REAPER", {c.key: c.before for c in record}),
                       "Python settings put back as they were before automix: "
                       + ", ".join(f"{c.key}={c.before if c.before is not None else '(absent)'}" for c in record),
                       report)


def uninstall(resource_path: Path, *, dry_run: bool = False) -> InstallReport:
    """Remove automix's actions, scripts and automix.json; put back the reaper.ini keys install.py set
    when they still hold automix's values (see :func:`_restore_python_keys`)."""
    resource_path = Path(resource_path)
    report = InstallReport(resource_path, dry_run)
    try:
        kb = resource_path / "reaper-kb.ini"
        if kb.exists():
            ids = [action_command_id(name) for name, _ in ACTIONS]
            _restore_or_remove(kb, kb_update(kb.read_bytes(), [], ids), "automix actions removed", report)
        ini = resource_path / "reaper.ini"
        previous = _previous_config(resource_path)
        if previous is not None and previous.reaper_ini and ini.exists():
            _restore_python_keys(ini, previous.reaper_ini, report)
        _remove_own_scripts(resource_path, report)
        if config_path(resource_path).exists():
            report.steps.append(InstallStep("remove", config_path(resource_path)))
            if not dry_run:
                config_path(resource_path).unlink()
        for copy in reapack_copies(resource_path):
            report.steps.append(InstallStep("note", copy, "installed by ReaPack: uninstall it with ReaPack"))
    except OSError as exc:
        raise InstallError(f"cannot update REAPER's files: {exc.strerror or exc}",
                           file=getattr(exc, "filename", None) or resource_path) from exc
    except UnicodeError as exc:
        raise InstallError(f"an ini file is neither UTF-8 nor UTF-16 with a byte-order mark ({exc})",
                           file=resource_path / "reaper.ini") from exc
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
    parser.add_argument("--worker-python", metavar="FILE",
                        help="interpreter that runs automix's analysis (default: this one, e.g. your venv's)")
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
            worker = None
            if args.worker_python:
                worker = Path(args.worker_python).expanduser().absolute()
                if not worker.is_file():
                    raise InstallError("--worker-python is not a file", file=worker)
            report = install(resource, scripts_dir or here / "reaper_scripts", dry_run=args.dry_run,
                             enable_python=args.enable_python or lib is not None, python_lib=lib,
                             worker_python=worker,
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
