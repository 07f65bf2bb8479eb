"""Atomic save with .rpp-bak; failures leave the original untouched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rpp_factory import FactoryTrack, project_text

from automix import rpp
from automix.errors import ProjectWriteError
from automix.project.save import backup_path, save_document, save_text


def test_first_save_creates_file_without_backup(tmp_path: Path) -> None:
    doc = rpp.loads(project_text([FactoryTrack("A")], newline="\r\n"))
    target = tmp_path / "new.rpp"
    save_document(doc, target)
    assert target.read_bytes() == project_text([FactoryTrack("A")], newline="\r\n").encode()
    assert not backup_path(target).exists()
    assert [p.name for p in tmp_path.iterdir()] == ["new.rpp"]  # no temp file left behind


def test_save_over_existing_keeps_previous_as_rpp_bak_and_is_repeatable(tmp_path: Path) -> None:
    target = tmp_path / "Song.RPP"
    old = project_text([FactoryTrack("Old name")]).encode()
    target.write_bytes(old)
    doc = rpp.load(target)
    doc.root.find("TRACK").find_line("NAME").values = ["Новое имя"]
    save_document(doc, target)
    first = target.read_bytes()
    assert backup_path(target) == tmp_path / "Song.RPP-bak"
    assert (tmp_path / "Song.RPP-bak").read_bytes() == old
    save_document(doc, target)
    assert target.read_bytes() == first
    assert "Новое имя".encode() in first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Song.RPP", "Song.RPP-bak", "Song.automix-original.RPP-bak"]
    assert (tmp_path / "Song.automix-original.RPP-bak").read_bytes() == old  # the version automix never touched


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failed_save_leaves_original_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    target = tmp_path / "song.rpp"
    old = project_text([FactoryTrack("A")]).encode()
    target.write_bytes(old)

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(ProjectWriteError) as info:
        save_text(project_text([FactoryTrack("B")]), target)
    monkeypatch.undo()
    assert info.value.file == str(target) and "No space left" in str(info.value)
    assert target.read_bytes() == old
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_unwritable_target_raises_write_error(tmp_path: Path) -> None:
    (tmp_path / "dir.rpp").mkdir()
    with pytest.raises(ProjectWriteError, match="dir.rpp"):
        save_text("<REAPER_PROJECT\n>\n", tmp_path / "dir.rpp")
    with pytest.raises(ProjectWriteError, match="missing"):
        save_text("<REAPER_PROJECT\n>\n", tmp_path / "missing" / "x.rpp")
