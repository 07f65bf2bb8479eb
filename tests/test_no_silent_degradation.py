"""No silent degradation (issue 14, item 10): quiet tracks, silent files, NaN in the cache, broken models."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
import soundfile as sf
from test_heard import SECONDS, SR, TONES, _mix, _planned, _song

from automix.features.analysis import LEVEL_COLUMNS, analyse_project
from automix.features.cache import FeatureCache
from automix.plan.model import MAX_PLAN_GAIN_DB
from automix.project.reader import read_project


def _quiet_gtr(folder, amp: float):
    path = _song(folder)
    t = np.arange(int(SECONDS * SR)) / SR
    sf.write(str(folder / "media" / "Gtr.wav"), amp * np.sin(2 * np.pi * TONES["Gtr"][0] * t), SR, subtype="FLOAT")
    return path


def test_one_very_quiet_track_is_clipped_alone_and_the_mix_keeps_its_level(tmp_path):
    normal = _mix(_song(tmp_path / "normal"))
    quiet = _mix(_quiet_gtr(tmp_path / "quiet", TONES["Gtr"][1] * 10 ** (-40 / 20)))  # recorded 40 dB lower
    a, b = _planned(normal), _planned(quiet)
    assert b["Gtr"] == MAX_PLAN_GAIN_DB
    for name in ("Bass", "Lead Vox", "Kick"):  # the old plan shifted these down by the Gtr's ~20 dB excess
        assert b[name] == pytest.approx(a[name], abs=1.5), (name, a, b)
    notes = " ".join(quiet.notes)
    assert "track 'Gtr': needs up to" in notes and "clipped there" in notes
    assert "expected mix level:" in notes and any("expected mix level" in n for n in quiet.plan.notes)


def test_a_silent_file_is_reported_by_name(tmp_path):
    path = _song(tmp_path)
    sf.write(str(tmp_path / "media" / "Gtr.wav"), np.zeros(int(SECONDS * SR)), SR, subtype="FLOAT")
    result = _mix(path)
    said = [n for n in result.notes if "'Gtr' is silent in every section" in n]
    assert said and "Gtr.wav" in said[0]


def test_nan_levels_in_a_cache_entry_are_reported_and_analysed_again(tmp_path):
    path = _song(tmp_path)
    project = read_project(path)
    cache = FeatureCache(tmp_path / "cache")
    first = analyse_project(project, cache=cache)
    entry = sorted(cache.folder.glob("*.npz"))[0]
    with np.load(entry) as data:
        vectors = np.array(data["vectors"])
    vectors[:, LEVEL_COLUMNS[1]] = np.nan
    with zipfile.ZipFile(entry, "w") as zf:
        with zf.open("vectors.npy", "w") as fh:
            np.lib.format.write_array(fh, vectors)
    again = analyse_project(read_project(path), cache=FeatureCache(tmp_path / "cache"))
    assert sum(not t.from_cache for t in again.tracks) == 1
    assert np.array_equal(again.vectors(), first.vectors(), equal_nan=True)
    assert any("NaN or infinite levels" in n and entry.name in n for n in again.notes)


def test_a_broken_personal_model_is_reported_with_its_error(tmp_path, monkeypatch):
    personal = tmp_path / "personal"
    personal.mkdir()
    (personal / "rock__chorus.json").write_text(json.dumps({"format": "automix-model", "format_version": 99}))
    monkeypatch.setenv("AUTOMIX_PERSONAL_MODELS", str(personal))
    result = _mix(_song(tmp_path / "song"))
    said = [n for n in result.notes if "rock__chorus.json" in n]
    assert said and "model format version 99" in said[0]


def test_a_truncated_file_is_reported_by_name(tmp_path):
    path = _song(tmp_path)
    data, rate = sf.read(str(tmp_path / "media" / "Bass.wav"))
    sf.write(str(tmp_path / "media" / "Bass.wav"), data[: len(data) // 4], rate, subtype="FLOAT")
    result = _mix(path)
    said = [n for n in result.notes if "track 'Bass'" in n and "truncated?" in n]
    assert said and "Bass.wav" in said[0] and "holds 1.00 s" in said[0]
