"""automix.json: the worker interpreter record written by install.py and read inside REAPER."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from automix.errors import ReaperError
from automix.reaper.worker_config import (
    CONFIG_FILE_NAME,
    MAX_CONFIG_BYTES,
    IniChange,
    WorkerConfig,
    config_path,
    format_worker_config,
    read_worker_config,
)

REPO = Path(__file__).resolve().parents[1]


def _write(folder: Path, data) -> Path:
    path = folder / CONFIG_FILE_NAME
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_round_trip_through_the_file(tmp_path):
    config = WorkerConfig(Path(sys.executable).absolute(), REPO,
                          (IniChange("reascript", "0", "1"), IniChange("pythonlibdll64", None, "libpython3.11.so")))
    config_path(tmp_path).write_bytes(format_worker_config(config))
    assert read_worker_config(tmp_path) == config
    data = json.loads(config_path(tmp_path).read_text(encoding="utf-8"))
    assert data == {"format": 1, "worker_python": str(config.worker_python), "package_path": str(REPO),
                    "reaper_ini": {"reascript": {"before": "0", "automix": "1"},
                                   "pythonlibdll64": {"before": None, "automix": "libpython3.11.so"}}}


def test_optional_keys_and_unknown_keys(tmp_path):
    _write(tmp_path, {"format": 1, "worker_python": sys.executable, "later": [1, 2]})
    config = read_worker_config(tmp_path)
    assert config.worker_python == Path(sys.executable) and config.package_path is None
    assert config.reaper_ini == ()


@pytest.mark.parametrize("content, message", [
    ({"format": 1}, r"'worker_python' must be a path, got None"),
    ({"format": 1, "worker_python": "python3"}, r"must be an absolute path, got 'python3'"),
    ({"format": 2, "worker_python": "/usr/bin/python3"}, r"unknown format 2"),
    ({"format": 1, "worker_python": "/no/such/venv/bin/python"}, r"'/no/such/venv/bin/python' does not exist"),
    ({"format": 1, "worker_python": sys.executable, "package_path": "/no/such"}, r"holds no automix package"),
    ({"format": 1, "worker_python": sys.executable, "reaper_ini": 3}, r"'reaper_ini' must be an object, got 3"),
    ({"format": 1, "worker_python": sys.executable, "reaper_ini": {"reascript": {"before": 0, "automix": "1"}}},
     r"'reaper_ini' entry 'reascript' must be"),
    ([1, 2], r"expected a JSON object, got list"),
    ("{not json", r"not a valid JSON file"),
])
def test_bad_files_name_the_file_and_the_value(tmp_path, content, message):
    path = _write(tmp_path, content)
    with pytest.raises(ReaperError, match=message) as info:
        read_worker_config(tmp_path)
    assert str(info.value).startswith(str(path) + ": ") and "install.py" in str(info.value)


def test_missing_and_oversized_files(tmp_path):
    with pytest.raises(ReaperError, match=r"automix\.json: automix is not set up for this REAPER"):
        read_worker_config(tmp_path)
    _write(tmp_path, " " * (MAX_CONFIG_BYTES + 1))
    with pytest.raises(ReaperError, match=rf"more than the {MAX_CONFIG_BYTES}"):
        read_worker_config(tmp_path)


def test_utf8_bom_and_non_ascii_paths_are_read(tmp_path):
    folder = tmp_path / "Überblick"
    (folder / "automix").mkdir(parents=True)
    path = config_path(tmp_path)
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(
        {"format": 1, "worker_python": sys.executable, "package_path": str(folder)}).encode("utf-8"))
    assert read_worker_config(tmp_path).package_path == folder


def test_reading_uses_the_standard_library_only():
    code = ("import sys; from automix.reaper import worker_config; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('numpy', 'scipy', 'sklearn', 'soundfile', 'av', 'reapy')); print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"
