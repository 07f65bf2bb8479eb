"""Install automix into a fresh virtual environment (not editable) and run the demo end to end.

Proves the packaging: the ``automix`` console script, the shipped models as
package data, and ``automix demo`` → ``automix mix`` from a clean install.
The new environment reuses this interpreter's already-installed dependencies
(numpy, scipy …) through a ``.pth`` file, so only automix itself is built.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from mix_checks import assert_only_automix_changes

REPO = Path(__file__).resolve().parents[1]


def _run(cmd: list, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{cmd}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fresh") / "venv"
    _run([sys.executable, "-m", "venv", root], cwd=root.parent)
    bindir = root / ("Scripts" if os.name == "nt" else "bin")
    py = bindir / "python"
    purelib = Path(_run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        cwd=root.parent).stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()}
    (purelib / "automix_test_deps.pth").write_text("\n".join(sorted(ours)) + "\n")
    source = root.parent / "source"  # a clean copy: no stale build/ of earlier installs gets packaged
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", "*.automix-cache"))
    _run([py, "-m", "pip", "install", "--quiet", "--no-deps", source], cwd=root.parent)
    return bindir


def test_installed_package_is_not_the_checkout(venv, tmp_path):
    out = _run([venv / "python", "-c",
                "import automix, automix.models.bank as b; print(automix.__file__); print(b.installed_models_dir())"],
               cwd=tmp_path).stdout.split("\n")
    assert str(REPO) not in out[0]
    assert Path(out[1]).name == "shipped_models" and list(Path(out[1]).glob("*.npz"))


def test_demo_then_mix_from_a_clean_install(venv, tmp_path):
    automix = venv / "automix"
    _run([automix, "--version"], cwd=tmp_path)
    _run([automix, "-q", "demo", tmp_path / "demo", "--duration", "20"], cwd=tmp_path)
    result = _run([automix, "mix", tmp_path / "demo" / "demo.rpp"], cwd=tmp_path)
    assert "Chorus" in result.stdout
    mixed = tmp_path / "demo" / "demo.automix.rpp"
    assert_only_automix_changes(tmp_path / "demo" / "demo.rpp", mixed, n_audio_tracks=11, n_boundaries=5)
    first = mixed.read_bytes()
    _run([automix, "-q", "mix", tmp_path / "demo" / "demo.rpp"], cwd=tmp_path)
    assert mixed.read_bytes() == first
