"""Which Python runs automix's out-of-process worker: ``automix.json`` in REAPER's resource folder.

``install.py`` writes the file; the action running inside REAPER reads it with
:func:`read_worker_config` to start the worker. Standard library only: this
module runs inside REAPER's embedded Python.

The file is one UTF-8 JSON object::

    {
      "format": 1,
      "worker_python": "/home/me/automix/.venv/bin/python",
      "package_path": "/home/me/automix",
      "reaper_ini": {"reascript": {"before": "0", "automix": "1"},
                     "pythonlibpath64": {"before": null, "automix": "/usr/lib/x86_64-linux-gnu"},
                     "pythonlibdll64": {"before": null, "automix": "libpython3.11.so.1.0"}}
    }

- ``worker_python`` (required, absolute): the interpreter that has automix and
  its dependencies (numpy, scipy …) installed — the virtual environment's
  ``python`` when ``install.py`` ran inside one. The worker runs
  ``<worker_python> -m automix …``.
- ``package_path`` (optional, absolute): the folder that holds the ``automix``
  package (a checkout, or a ``site-packages`` folder). REAPER's embedded Python
  puts it on ``sys.path`` to import automix's thin live layer only; nothing
  else is imported from it inside REAPER.
- ``reaper_ini`` (optional): the ``[REAPER]`` keys of ``reaper.ini`` that
  ``install.py`` set, each with the value it found before (``null``: the key
  was absent) and the value it wrote. Uninstalling restores a key only while
  it still holds automix's value.

Unknown keys are ignored, so later versions can add fields.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from automix.errors import ReaperError

CONFIG_FILE_NAME = "automix.json"
"""Name of the worker configuration file inside REAPER's resource folder."""

CONFIG_FORMAT = 1
"""Value of the ``format`` key this module writes and reads."""

MAX_CONFIG_BYTES = 64 * 1024
"""A configuration file larger than this is refused (it is a few hundred bytes when automix writes it)."""

RERUN_HINT = "re-run `python3 install.py` from the automix folder (with the Python that should run automix)"


@dataclass(frozen=True)
class IniChange:
    """One ``reaper.ini`` key install.py set: the value ``before`` it (None: absent) and the ``automix`` value."""

    key: str
    before: str | None
    automix: str


@dataclass(frozen=True)
class WorkerConfig:
    """The contents of ``automix.json``: absolute paths and the reaper.ini record (see the module docstring)."""

    worker_python: Path
    package_path: Path | None = None
    reaper_ini: tuple[IniChange, ...] = ()


def config_path(resource_path: str | Path) -> Path:
    """``<resource_path>/automix.json``."""
    return Path(resource_path) / CONFIG_FILE_NAME


def format_worker_config(config: WorkerConfig) -> bytes:
    """The file contents for ``config``: indented JSON, UTF-8, ending in a newline."""
    data: dict[str, object] = {"format": CONFIG_FORMAT, "worker_python": str(config.worker_python)}
    if config.package_path is not None:
        data["package_path"] = str(config.package_path)
    if config.reaper_ini:
        data["reaper_ini"] = {c.key: {"before": c.before, "automix": c.automix} for c in config.reaper_ini}
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _absolute_path(data: dict, key: str, file: Path, required: bool) -> Path | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ReaperError(f"{key!r} must be a path, got {value!r}; {RERUN_HINT}", file=file)
    path = Path(value)
    if not path.is_absolute():
        raise ReaperError(f"{key!r} must be an absolute path, got {value!r}; {RERUN_HINT}", file=file)
    return path


def parse_worker_config(text: bytes, file: Path) -> WorkerConfig:
    """Validate the bytes of an ``automix.json`` (``file`` names it in errors); no file-system checks."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ReaperError(f"the file is {len(text)} bytes, more than the {MAX_CONFIG_BYTES} an automix "
                          f"configuration can be; {RERUN_HINT}", file=file)
    try:
        data = json.loads(text.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ReaperError(f"not a valid JSON file ({exc}); {RERUN_HINT}", file=file) from None
    if not isinstance(data, dict):
        raise ReaperError(f"expected a JSON object, got {type(data).__name__}; {RERUN_HINT}", file=file)
    if data.get("format") != CONFIG_FORMAT:
        raise ReaperError(f"unknown format {data.get('format')!r} (this automix reads format {CONFIG_FORMAT}); "
                          f"{RERUN_HINT}", file=file)
    worker = _absolute_path(data, "worker_python", file, required=True)
    package = _absolute_path(data, "package_path", file, required=False)
    return WorkerConfig(worker_python=worker, package_path=package,
                        reaper_ini=_ini_changes(data.get("reaper_ini", {}), file))


def _ini_changes(value: object, file: Path) -> tuple[IniChange, ...]:
    if not isinstance(value, dict):
        raise ReaperError(f"'reaper_ini' must be an object, got {value!r}; {RERUN_HINT}", file=file)
    changes = []
    for key, record in value.items():
        before = record.get("before") if isinstance(record, dict) else None
        automix = record.get("automix") if isinstance(record, dict) else None
        if not isinstance(automix, str) or not (before is None or isinstance(before, str)):
            raise ReaperError(f"'reaper_ini' entry {key!r} must be {{\"before\": text or null, \"automix\": "
                              f"text}}, got {record!r}; {RERUN_HINT}", file=file)
        changes.append(IniChange(key, before, automix))
    return tuple(changes)


def read_worker_config(resource_path: str | Path) -> WorkerConfig:
    """Read and check ``<resource_path>/automix.json``; the worker interpreter must exist.

    Raises:
        ReaperError: the file is missing, unreadable or malformed, or a path it
            names does not exist; the message names the file and the bad value.
    """
    file = config_path(resource_path)
    try:
        with open(file, "rb") as fh:
            text = fh.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ReaperError(f"automix is not set up for this REAPER (no {CONFIG_FILE_NAME}); {RERUN_HINT}",
                          file=file) from None
    except OSError as exc:
        raise ReaperError(f"cannot read the file: {exc.strerror or exc}", file=file) from None
    config = parse_worker_config(text, file)
    if not config.worker_python.is_file():
        raise ReaperError(f"worker_python {str(config.worker_python)!r} does not exist (virtual environment "
                          f"moved or deleted?); {RERUN_HINT}", file=file)
    if config.package_path is not None and not (config.package_path / "automix").is_dir():
        raise ReaperError(f"package_path {str(config.package_path)!r} holds no automix package; {RERUN_HINT}",
                          file=file)
    return config
