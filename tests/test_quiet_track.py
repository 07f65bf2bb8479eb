"""A track recorded far too quietly keeps its balance, and the mix its level (issue 14, item 10).

Known truth: the tones of ``test_heard`` with the guitar recorded :data:`QUIET_DB` lower
than in the reference song. Its plan asks for that much more gain than the
reference's, beyond the volume envelope's +6 dB: the fader carries the static
part. Rendered as REAPER will play the written project, every track is heard
at its planned level (±0.5 dB), the guitar where the reference song puts it,
and the mix's integrated loudness stays within 1 LU of automix's stated target.
(The other tracks' plans stay within 1 dB: no model reads a recording level,
only BS.1770's absolute gate still sees one.) A track needing more than the envelope
and fader reach together (+18 dB) is clipped alone and named.
"""

from __future__ import annotations

import math

import pytest
from test_heard import TONES, _heard_db_in_render, _mix, _planned, _song
from test_no_silent_degradation import _quiet_gtr

from automix import rpp
from automix.audio.loudness import integrated_loudness
from automix.jobs.preview import render_mix
from automix.plan.model import MAX_GAIN_DB, MAX_PLAN_GAIN_DB
from automix.plan.planner import MIX_LEVEL_DB
from automix.project.reader import read_project


QUIET_DB = 28.0
"""How much quieter the guitar is recorded (dB): far beyond the envelope's reach, within envelope and fader
together (the reference plan puts the guitar near −12 dB, the plan reaches +18 dB)."""


def _gtr_fader_db(path) -> float:
    doc = rpp.load(path)
    gtr = next(t for t in doc.iter("TRACK") if t.get_values("NAME") == ["Gtr"])
    return 20 * math.log10(float(gtr.get_values("VOLPAN")[0]))


def test_a_track_recorded_far_too_quietly_ends_at_its_balance_and_the_mix_at_its_target(tmp_path):
    normal = _mix(_song(tmp_path / "normal"))
    quiet = _mix(_quiet_gtr(tmp_path / "quiet", TONES["Gtr"][1] * 10 ** (-QUIET_DB / 20)))
    a, b = _planned(normal), _planned(quiet)
    assert b["Gtr"] > MAX_GAIN_DB and b["Gtr"] == pytest.approx(a["Gtr"] + QUIET_DB, abs=0.1), (a, b)
    for name in ("Bass", "Lead Vox", "Kick"):
        assert b[name] == pytest.approx(a[name], abs=1.0), (name, a, b)
    assert _gtr_fader_db(quiet.output) == pytest.approx(b["Gtr"] - MAX_GAIN_DB, abs=0.01)
    said = [n for n in quiet.notes if n.startswith("track 'Gtr': fader raised from +0.0 dB to ")]
    assert len(said) == 1 and "recorded quietly" in said[0], quiet.notes
    reference = render_mix(read_project(normal.output), normal.plan)
    mixed = render_mix(read_project(quiet.output), quiet.plan)
    heard, wanted = _heard_db_in_render(mixed), _heard_db_in_render(reference)
    # levels re the reference recordings: the quiet guitar's plan is QUIET_DB over its level in the mix
    for name in TONES:
        assert heard[name] == pytest.approx(b[name] - (QUIET_DB if name == "Gtr" else 0.0), abs=0.5), (name, heard, b)
    assert heard["Gtr"] == pytest.approx(wanted["Gtr"], abs=0.5)
    loudness = integrated_loudness(mixed, 8000)
    assert loudness == pytest.approx(MIX_LEVEL_DB, abs=1.0)
    assert loudness == pytest.approx(integrated_loudness(reference, 8000), abs=0.3)
    assert any(n.startswith(f"expected mix level: {MIX_LEVEL_DB:.1f} LUFS") for n in quiet.notes), quiet.notes


def test_beyond_envelope_and_fader_the_track_is_clipped_alone_and_named(tmp_path):
    normal = _mix(_song(tmp_path / "normal"))
    quiet = _mix(_quiet_gtr(tmp_path / "quiet", TONES["Gtr"][1] * 10 ** (-40 / 20)))
    a, b = _planned(normal), _planned(quiet)
    short = a["Gtr"] + 40.0 - MAX_PLAN_GAIN_DB
    assert short > 1.0 and b["Gtr"] == MAX_PLAN_GAIN_DB
    for name in ("Bass", "Lead Vox", "Kick"):
        assert b[name] == pytest.approx(a[name], abs=1.5)
    said = [n for n in quiet.notes if n.startswith("track 'Gtr': needs up to ") and "more than the +18 dB" in n]
    assert said and "clipped there" in said[0], quiet.notes
    assert float(said[0].split("needs up to ")[1].split(" dB")[0]) == pytest.approx(short, abs=0.2), (short, said)
    heard = _heard_db_in_render(render_mix(read_project(quiet.output), quiet.plan))
    assert heard["Gtr"] == pytest.approx(a["Gtr"] - short, abs=0.5)
