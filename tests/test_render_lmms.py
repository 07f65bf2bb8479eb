"""recipes/render_lmms_stems.py: which LMMS tracks a stem render keeps playing (no LMMS needed)."""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "render_lmms_stems.py"
_spec = importlib.util.spec_from_file_location("render_lmms_stems", RECIPE)
render_lmms = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render_lmms)

PROJECT = """<?xml version="1.0"?>
<!DOCTYPE lmms-project>
<lmms-project version="1.0"><head bpm="120"/><song><trackcontainer type="song">
<track muted="0" name="Drum" solo="0" type="1"><bbtrack><trackcontainer type="bbtrackcontainer">
<track muted="0" name="Kick 01" solo="0" type="0"/><track muted="1" name="Clap" solo="0" type="0"/>
</trackcontainer></bbtrack></track>
<track muted="0" name="Bass" solo="1" type="0"/>
<track muted="0" name="Vocal take" solo="0" type="2"/>
<track muted="0" name="Automation track" solo="0" type="5"/>
</trackcontainer></song></lmms-project>
"""


def _states(xml: str) -> dict[str, tuple[str, str]]:
    root = ET.fromstring(xml.split("\n", 2)[2])
    return {t.get("name"): (t.get("muted"), t.get("solo")) for t in root.iter("track")}


def test_a_stem_render_keeps_one_top_level_track_and_leaves_pattern_contents_alone():
    only_bass = _states(render_lmms.with_only(PROJECT, 1))
    assert only_bass == {"Drum": ("1", "0"), "Kick 01": ("0", "0"), "Clap": ("1", "0"), "Bass": ("0", "0"),
                         "Vocal take": ("1", "0"), "Automation track": ("0", "0")}
    mix = _states(render_lmms.with_only(PROJECT, None))
    assert [mix[n][0] for n in ("Drum", "Bass", "Vocal take")] == ["0", "0", "0"] and mix["Bass"][1] == "0"
    assert render_lmms.with_only(PROJECT, 0).startswith('<?xml version="1.0"?>\n<!DOCTYPE lmms-project>\n')


def test_compressed_projects_are_read_and_songs_named(tmp_path):
    raw = PROJECT.encode()
    path = tmp_path / "Some Author - Song (Demo).mmpz"
    path.write_bytes(len(raw).to_bytes(4, "big") + zlib.compress(raw))
    assert render_lmms.read_project_xml(path) == PROJECT
    assert render_lmms.song_name(path) == "lmms-some-author-song-demo"
    assert [t.get("name") for t in render_lmms.top_level_tracks(ET.fromstring(PROJECT.split("\n", 2)[2]))] == \
        ["Drum", "Bass", "Vocal take", "Automation track"]
