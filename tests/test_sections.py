"""Region names → song sections, and a project's regions → sections."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from automix.errors import ProjectError
from automix.knowledge.sections import (
    SECTION_IDS,
    WHOLE_SONG_NAME,
    section_index_at,
    section_of_name,
    song_sections,
)
from automix.project.model import Region

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.mark.parametrize("name, expected", [
    ("Verse 1", "verse"), ("VS2", "verse"), ("Verse1", "verse"), ("CHORUS x2", "chorus"),
    ("Refrain", "chorus"), ("Hook", "chorus"), ("Ch2", "chorus"), ("Drop", "chorus"),
    ("Pre-Chorus", "pre_chorus"), ("PreChorus 2", "pre_chorus"), ("pre chorus", "pre_chorus"),
    ("Break", "breakdown"), ("Breakdown", "breakdown"), ("Intro", "intro"), ("Pickup", "intro"),
    ("Fadeout", "outro"), ("Fade Out", "outro"), ("Outro", "outro"), ("Ending", "outro"),
    ("Bridge", "bridge"), ("Middle 8", "bridge"), ("BridgeRiff", "bridge"), ("Gtr Solo", "solo"),
    ("Solo", "solo"), ("A Loop", "verse"), ("B Loop", "chorus"), ("A2 Loop", "verse"), ("C", "bridge"),
    ("Outro Chorus", "outro"), ("Chorus Outro", "chorus"), ("", "other"), ("Lvl1 Start", "other"),
    ("TEAM A END", "outro"), ("Team C Easy", "other"), ("Combi 1", "other"),
])
def test_region_names(name, expected):
    assert section_of_name(name) == expected


def _corpus_region_names() -> list[str]:
    corpus = SHARED / "rpp-corpus"
    if not corpus.is_dir():
        pytest.skip(f"REAPER project corpus not available ({corpus} missing)")
    names = []
    pattern = re.compile(r'^\s*MARKER\s+\d+\s+\S+\s+("[^"]*"|\'[^\']*\'|`[^`]*`|\S+)\s+(\d+)')
    for f in sorted(corpus.rglob("*.rpp")):
        for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
            m = pattern.match(line)
            if m:  # regions (flags & 1) and plain markers: both are names users give song parts
                name = m.group(1)
                if name[:1] in "\"'`":
                    name = name[1:-1]
                if name:
                    names.append(name)
    return names


def test_corpus_region_and_marker_names():
    names = _corpus_region_names()
    assert len(set(names)) > 60
    assert {"Fadeout", "Pickup", "A Loop", "B Loop", "A2 Loop"} <= set(names)
    expected = {"Fadeout": "outro", "Pickup": "intro", "A Loop": "verse", "B Loop": "chorus",
                "A2 Loop": "verse"}
    for name in names:
        section = section_of_name(name)
        assert section in SECTION_IDS
        if name in expected:
            assert section == expected[name], name


def test_no_regions_is_one_section_covering_the_song():
    (only,) = song_sections([], 183.5)
    assert (only.section, only.name, only.start_s, only.end_s, only.region_number) == \
        ("other", WHOLE_SONG_NAME, 0.0, 183.5, None)
    assert only.length_s == pytest.approx(183.5)


def test_regions_become_sorted_sections():
    regions = [Region(2, "Chorus 1", 20.0, 40.0, line=12), Region(1, "Verse 1", 4.0, 20.0, line=10),
               Region(3, "Outro", 40.0, 52.0, line=14)]
    secs = song_sections(regions, 60.0)
    assert [s.section for s in secs] == ["verse", "chorus", "outro"]
    assert [s.region_number for s in secs] == [1, 2, 3]
    assert secs[section_index_at(secs, 25.0)].name == "Chorus 1"
    assert section_index_at(secs, 2.0) is None and section_index_at(secs, 52.0) is None


def test_section_at_a_boundary_or_in_an_overlap_is_the_one_starting_there():
    secs = song_sections([Region(1, "Verse", 0.0, 10.0), Region(2, "Chorus", 10.0, 20.0),
                          Region(3, "Solo", 15.0, 25.0)], 25.0)
    assert section_index_at(secs, 9.999) == 0
    assert section_index_at(secs, 10.0) == 1  # the end is exclusive: 10 s is the chorus's start
    assert section_index_at(secs, 16.0) == 2  # overlap: the later start wins
    assert section_index_at(secs, 25.0) is None and section_index_at(secs, -0.001) is None


def test_empty_region_is_reported_with_its_name_and_line():
    with pytest.raises(ProjectError) as err:
        song_sections([Region(7, "Bridge", 30.0, 30.0, line=99)], 60.0, file="song.rpp")
    msg = str(err.value)
    assert "song.rpp:99" in msg and "'Bridge'" in msg and "30.0" in msg
