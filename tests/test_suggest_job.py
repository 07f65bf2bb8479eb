"""automix.jobs.suggest: which region a request names (shared by ``automix suggest`` and the REAPER action)."""

from __future__ import annotations

import pytest

from automix.errors import PlanError
from automix.jobs.suggest import pick_section
from automix.knowledge.sections import SongSection

SECTIONS = (SongSection("intro", "Intro", 0.0, 4.0, 1), SongSection("verse", "Verse", 4.0, 12.0, 2),
            SongSection("verse", "verse", 14.0, 20.0, 3))


def test_a_time_picks_the_section_it_falls_in_a_boundary_the_one_it_starts():
    assert pick_section(SECTIONS, at_s=0.0) == 0
    assert pick_section(SECTIONS, at_s=4.0) == 1
    assert pick_section(SECTIONS, at_s=19.999) == 2
    with pytest.raises(PlanError, match=r"song\.rpp: no region contains 13 s \(song regions span 0–20 s\)"):
        pick_section(SECTIONS, at_s=13.0, file="song.rpp")


def test_a_name_picks_one_section_or_says_which_exist():
    assert pick_section(SECTIONS, region=" INTRO ") == 0
    with pytest.raises(PlanError, match=r"2 regions are named 'Verse'; pick one with --at SECONDS: 'Intro' \(0–4 s\)"):
        pick_section(SECTIONS, region="Verse")
    with pytest.raises(PlanError, match=r"no region named 'Bridge'; regions: 'Intro' \(0–4 s\), 'Verse' \(4–12 s\)"):
        pick_section(SECTIONS, region="Bridge")
