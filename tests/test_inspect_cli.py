"""``automix inspect``: text and versioned JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rpp_factory import FactoryItem, FactoryTrack, write_project, write_wav

from automix.cli import main


def make(tmp_path: Path) -> Path:
    write_wav(tmp_path / "Media" / "kick.wav")
    tracks = [FactoryTrack("Kick", items=[FactoryItem(0, 2, "Media\\kick.wav"), FactoryItem(2, 2, "Media\\gone.wav")]),
              FactoryTrack("Vox")]
    return write_project(tmp_path / "song.rpp", tracks, regions=[(1, "Verse", 0, 8), (2, "Chorus", 8, 16)],
                         sample_rate=48000, notes="genre: pop", marker_format="6")


def test_inspect_json_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = make(tmp_path)
    assert main(["inspect", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "automix.inspect" and doc["schema_version"] == 1
    assert doc["project"]["sample_rate"] == 48000 and doc["project"]["genre"] == "pop"
    assert doc["project"]["end_s"] == 16.0
    assert [(t["name"], t["item_count"]) for t in doc["tracks"]] == [("Kick", 2), ("Vox", 0)]
    items = doc["tracks"][0]["items"]
    assert [i["missing"] for i in items] == [False, True] and items[0]["source_kind"] == "WAVE"
    assert doc["missing_media"] == [str(tmp_path / "Media" / "gone.wav")]
    assert doc["regions"] == [{"number": 1, "name": "Verse", "start_s": 0.0, "end_s": 8.0},
                              {"number": 2, "name": "Chorus", "start_s": 8.0, "end_s": 16.0}]


def test_inspect_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(make(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "48000 Hz" in out and "Kick: 2 items [WAVE], 1 missing media" in out
    assert "Chorus" in out and "missing media (1)" in out


def test_inspect_bad_file_exits_2_with_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.rpp"
    bad.write_bytes(b'<REAPER_PROJECT 0.1 "7.0/win64" 1\n  <TRACK\n')
    assert main(["inspect", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2:" in err and "not closed" in err
