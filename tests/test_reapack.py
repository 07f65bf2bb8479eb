"""The ReaPack index: as reapack-index writes it, pinned to the commit that holds the scripts."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

import pytest

from automix.errors import InstallError
from automix.reaper.installer import ACTIONS
from automix.reaper.reapack import (
    about_rtf,
    git_commit_of,
    main,
    reapack_index_xml,
    script_metadata,
)

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "reaper_scripts"
SHA = "0123456789abcdef0123456789abcdef01234567"
WHEN = datetime(2026, 3, 1, 12, 30, tzinfo=timezone.utc)


def _git_history() -> tuple[str, datetime]:
    try:
        return git_commit_of(SCRIPTS)
    except InstallError as exc:
        pytest.skip(f"no git history for the scripts: {exc}")


def test_the_committed_index_is_current_and_pinned_to_the_scripts_commit():
    commit, time = _git_history()
    text = (SCRIPTS / "index.xml").read_text(encoding="utf-8")
    assert text == reapack_index_xml(SCRIPTS, commit, time), \
        "reaper_scripts/index.xml is stale: run `python3 -m automix.reaper.reapack` and commit it"
    for name, _ in ACTIONS:  # the pinned commit holds exactly the scripts of this checkout
        shown = subprocess.run(["git", "show", f"{commit}:reaper_scripts/{name}"], cwd=REPO, capture_output=True)
        assert shown.returncode == 0 and shown.stdout == (SCRIPTS / name).read_bytes(), name


def test_index_structure_as_reapack_index_writes_it():
    root = ET.fromstring(reapack_index_xml(SCRIPTS, SHA, WHEN).encode("utf-8"))
    assert (root.tag, root.get("version"), root.get("name"), root.get("commit")) == ("index", "1", "automix", SHA)
    (category,) = root.findall("category")
    assert category.get("name") == "reaper_scripts"  # the folder, as reapack-index names categories
    packages = category.findall("reapack")
    assert [p.get("name") for p in packages] == [name for name, _ in ACTIONS]
    for package, (name, action) in zip(packages, ACTIONS):
        meta = script_metadata(SCRIPTS / name)
        assert package.get("type") == "script" and package.get("desc") == action == meta["description"]
        about = package.find("metadata/description").text
        assert about.startswith("{\\rtf1\\ansi") and about.endswith("}") and about.count("{") == about.count("}")
        (version,) = package.findall("version")
        assert version.get("name") == meta["version"] and version.get("author") == meta["author"]
        assert version.get("time") == "2026-03-01T12:30:00Z"
        (source,) = version.findall("source")
        assert source.get("main") == "main"
        assert source.text == f"https://github.com/automix-reaper/automix/raw/{SHA}/reaper_scripts/{name}"


def test_about_becomes_rtf():
    rtf = about_rtf("Mixes {all} tracks\\regions of a Überblick\nsong: run `install.py`.\n\nSecond 🎚 part.")
    paragraphs = re.findall(r"\{\\pard \\ql \\f0 \\sa180 \\li0 \\fi0 (.*?)\\par\}\n", rtf)
    assert paragraphs == ["Mixes \\{all\\} tracks\\\\regions of a \\u220?berblick song: run {\\f1 install.py}.",
                          "Second \\u-10180?\\u-8294? part."]  # non-ASCII as \uN? (UTF-16 units, signed)
    assert rtf.isascii()


def test_urls_are_escaped_and_bad_input_is_refused(tmp_path):
    for name, _ in ACTIONS:
        (tmp_path / name).write_bytes((SCRIPTS / name).read_bytes())
    text = reapack_index_xml(tmp_path, SHA, WHEN, "https://github.com/me/my fork", category="Mixing Tools")
    assert f"https://github.com/me/my fork/raw/{SHA}/Mixing%20Tools/automix_auto_mix_project.py" in text
    with pytest.raises(InstallError, match=r"full 40-digit git sha, got 'main'"):
        reapack_index_xml(tmp_path, "main", WHEN)
    first = tmp_path / ACTIONS[0][0]
    first.write_text(first.read_text(encoding="utf-8").replace("# @version 0.1.0\n", ""), encoding="utf-8")
    with pytest.raises(InstallError, match=r"automix_auto_mix_project\.py: ReaScript has no @version header"):
        reapack_index_xml(tmp_path, SHA, WHEN)


def test_command_line(tmp_path, capsys):
    for name, _ in ACTIONS:
        (tmp_path / name).write_bytes((SCRIPTS / name).read_bytes())
    assert main(["--scripts", str(tmp_path), "--commit", SHA, "--repo-url", "https://example.org/am"]) == 0
    text = (tmp_path / "index.xml").read_text(encoding="utf-8")
    assert text.count(f'<source main="main">https://example.org/am/raw/{SHA}/') == len(ACTIONS)
    assert main(["--scripts", str(tmp_path / "absent")]) == 2
    assert "absent: the scripts folder does not exist" in capsys.readouterr().out
