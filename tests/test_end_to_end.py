"""End to end on the built-in demo: automix demo → automix mix → re-parse, balance accuracy, suggest.

The demo's intended mix is known (demo_truth.json). A track's balance is the level change the listener
gets: its planned gain plus its EQ's effect on its loudness. The balance figures are printed (run with -s).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mix_checks import RAMP_TOLERANCE_S
from test_planner import build_test_bank

from automix import rpp
from automix.audio.eq import apply_eq
from automix.audio.loudness import integrated_loudness
from automix.audio.render import render_track_full
from automix.cli import main
from automix.demo.project import balance_errors_db, load_truth
from automix.jobs.mix import MixOptions, run_mix_job
from automix.knowledge.track_types import track_type_of
from automix.models.bank import ModelBank, installed_models_dir
from automix.plan.balance import MAX_SECTION_MOVE_DB
from automix.project.edit import find_automix_eq
from automix.project.reader import read_project

DEMO_SECONDS = "24"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    assert main(["-q", "demo", str(folder), "--duration", DEMO_SECONDS]) == 0
    return folder


@pytest.fixture(scope="module")
def house(tmp_path_factory) -> Path:
    return build_test_bank(tmp_path_factory.mktemp("house"), "house")


@pytest.fixture(scope="module")
def mixed(demo, house) -> Path:
    assert main(["-q", "mix", str(demo / "demo.rpp"), "--models", str(house)]) == 0
    return demo / "demo.automix.rpp"


def test_output_has_envelopes_and_eq_and_nothing_else_changed(demo, mixed):
    original = (demo / "demo.rpp").read_text()
    doc = rpp.load(mixed)
    project = read_project(demo / "demo.rpp")
    boundaries = sorted({r.start_s for r in project.regions} - {0.0})
    assert len(project.audio_tracks) == 11 and len(boundaries) == 5
    for track in doc.root.findall("TRACK"):
        vols, pans = track.findall("VOLENV2"), track.findall("PANENV2")
        assert len(vols) == 1 and len(pans) == 1
        for env in (vols[0], pans[0]):
            times = [float(line.values[0]) for line in env.findall_lines("PT")]
            for b in boundaries:
                assert b in times and any(b - RAMP_TOLERANCE_S < t < b for t in times)  # step with a short ramp
        assert find_automix_eq(track) is not None and len(track.find("FXCHAIN").findall("VST")) == 1
        for tag in ("VOLENV2", "PANENV2", "FXCHAIN"):
            track.remove(track.find(tag))
    assert rpp.dumps(doc) == original  # every other line unchanged


def test_second_run_is_byte_identical(demo, house, mixed):
    first = mixed.read_bytes()
    assert main(["-q", "mix", str(demo / "demo.rpp"), "--models", str(house)]) == 0
    assert mixed.read_bytes() == first
    assert main(["-q", "mix", str(mixed), "--models", str(house)]) == 0  # automix's output, in place
    assert mixed.read_bytes() == first


def _balance_table(truth, errors: dict) -> str:
    lines = ["track".ljust(18) + "".join(r.name[:8].rjust(9) for r in truth.regions)]
    for t in truth.tracks:
        cells = [f"{errors[(r.name, t.name)]:+9.2f}" if (r.name, t.name) in errors else "        -"
                 for r in truth.regions]
        lines.append(t.name[:17].ljust(18) + "".join(cells))
    return "\n".join(lines)


def _heard_gains(demo: Path, plan) -> dict:
    """(region, track) → the level change the listener gets, dB: the track's gain plus its EQ's effect on
    its loudness (BS.1770, measured on the rendered stem in that region; the gain alone where it is silent)."""
    project = read_project(demo / "demo.rpp")
    sr = project.sample_rate
    out = {}
    for track in project.audio_tracks:
        stem = render_track_full(project, track, sample_rate=sr).astype(np.float64)
        for r in plan.regions:
            t = r.track(track.guid)
            seg = stem[int(round(r.start_s * sr)):int(round(r.end_s * sr))]
            before = integrated_loudness(seg, sr)
            change = integrated_loudness(apply_eq(seg, sr, t.eq), sr) - before if t.eq and np.isfinite(before) else 0.0
            out[(r.name, t.name)] = t.gain_db + change
    return out


def _errors(demo: Path, plan) -> tuple[object, dict]:
    truth = load_truth(demo / "demo_truth.json")
    return truth, balance_errors_db(truth, _heard_gains(demo, plan))


def _intended_moves_db(truth) -> dict:
    """Per track: the range (dB) of its intended gain across regions, each region's median gain removed."""
    rel: dict = {}
    for region in truth.regions:
        med = float(np.median([e.gain_db for e in region.tracks if e.active]))
        for e in region.tracks:
            if e.active:
                rel.setdefault(e.name, []).append(e.gain_db - med)
    return {name: max(v) - min(v) for name, v in rel.items()}


def _assert_within_3_db(truth, errors: dict) -> None:
    """Every active track within 3 dB of the intended balance, but for the documented relaxations."""
    moves = _intended_moves_db(truth)
    for region in truth.regions:
        entries = [e for e in region.tracks if e.active]
        for e in entries:
            err = errors[(region.name, e.name)]
            same_type = [o for o in entries if track_type_of(o.name) == track_type_of(e.name)]
            # tracks of one type share the type's loudness equally (by design): a balance that sets
            # them apart is missed by half its spread; automix moves a track by itself at most
            # ±MAX_SECTION_MOVE_DB around its song level (no 3 dB jumps): an intended move wider than
            # that is missed by half the excess; everything else must be within 3 dB
            spread = max(o.gain_db for o in same_type) - min(o.gain_db for o in same_type)
            excess = max(0.0, moves[e.name] - 2 * MAX_SECTION_MOVE_DB)
            assert abs(err) <= 3.0 + spread / 2 + excess / 2, (region.name, e.name, err)


def test_automix_brings_every_track_near_the_intended_balance(demo, house, capsys):
    result = run_mix_job(demo / "demo.rpp", MixOptions(models_dir=house, dry_run=True))
    truth, errors = _errors(demo, result.plan)
    raw = balance_errors_db(truth, {(r.name, t.name): 0.0 for r in truth.regions for t in r.tracks})
    with capsys.disabled():
        print("\nbalance error (dB) after automix, house test model (per region median removed):")
        print(_balance_table(truth, errors))
        print(f"max |error| {max(map(abs, errors.values())):.2f} dB; raw recording max |error| "
              f"{max(map(abs, raw.values())):.2f} dB")
    assert max(map(abs, raw.values())) > 10.0  # the recordings really are far off
    _assert_within_3_db(truth, errors)


def test_shipped_models_bring_every_track_near_the_intended_balance(demo, capsys):
    bank = ModelBank([installed_models_dir()])
    if not [e for e in bank.entries() if e.info is not None]:
        pytest.skip(f"no shipped models in {installed_models_dir()} yet")
    result = run_mix_job(demo / "demo.rpp", MixOptions(dry_run=True))
    truth, errors = _errors(demo, result.plan)
    raw = balance_errors_db(truth, {(r.name, t.name): 0.0 for r in truth.regions for t in r.tracks})
    rms = float(np.sqrt(np.mean(np.square(list(errors.values())))))
    raw_rms = float(np.sqrt(np.mean(np.square(list(raw.values())))))
    with capsys.disabled():
        print(f"\nbalance error (dB) with the shipped models ({result.plan.model}):")
        print(_balance_table(truth, errors))
        print(f"max |error| {max(map(abs, errors.values())):.2f} dB, median "
              f"{np.median(np.abs(list(errors.values()))):.2f} dB, rms {rms:.2f} dB (raw: rms {raw_rms:.2f} dB)")
    # the models' balance is shrunk toward equal loudness by the evidence behind each type
    # (plan.type_levels.model_level_weights): rms 1.47 dB with the shipped models
    assert rms < raw_rms / 4 and rms < 2.0
    _assert_within_3_db(truth, errors)  # the issue-5 target, with the shipped models


def test_the_readme_demo_at_its_default_length_lands_every_track_within_3_db(tmp_path, capsys):
    """The README's first command: ``automix demo`` (80 s) mixed with the shipped models, no allowance: every track
    within 3 dB of the intended balance in every region (sparse parts such as the tom fills included: the
    demo's parts are levelled by their loudness while they play, as automix measures them)."""
    if not [e for e in ModelBank([installed_models_dir()]).entries() if e.info is not None]:
        pytest.skip(f"no shipped models in {installed_models_dir()} yet")
    assert main(["-q", "demo", str(tmp_path)]) == 0
    result = run_mix_job(tmp_path / "demo.rpp", MixOptions(dry_run=True))
    truth, errors = _errors(tmp_path, result.plan)
    with capsys.disabled():
        print(f"\nbalance error (dB), default-length demo, shipped models:\n{_balance_table(truth, errors)}")
    worst = max(errors.items(), key=lambda kv: abs(kv[1]))
    assert abs(worst[1]) <= 3.0, worst


def test_suggest_changes_only_that_regions_points(demo, house, mixed, tmp_path):
    out = tmp_path / "suggested.rpp"
    before = mixed.read_text().splitlines()
    assert main(["-q", "suggest", str(mixed), "--region", "Chorus 1", "--models", str(house), "-o", str(out)]) == 0
    after = out.read_text().splitlines()
    assert len(after) == len(before)
    project = read_project(demo / "demo.rpp")
    chorus = next(r for r in project.regions if r.name == "Chorus 1")
    nxt = min(r.start_s for r in project.regions if r.start_s > chorus.start_s)
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert changed
    for a, b in changed:
        if b.strip().startswith("PT"):
            assert float(b.split()[1]) in (chorus.start_s, nxt - 0.01) and a.split()[1] == b.split()[1]
        else:  # the automix ReaEQ's state (length-weighted mean EQ) is the only other change
            assert not a.strip().startswith(("PT", "MARKER", "NAME", "<", ">"))


CAMBRIDGE = Path(__file__).resolve().parents[2] / "shared" / "audio" / "cambridge-actions-south-of-the-water-raw"


def test_real_raw_multitrack_session(tmp_path, house):
    """18 raw tracks of a real rock session (Cambridge-MT), referenced in place, mixed in two sections."""
    if not CAMBRIDGE.is_dir():
        pytest.skip(f"shared recordings not found at {CAMBRIDGE}")
    from rpp_factory import FactoryItem, FactoryTrack, write_project

    from automix.audio.io import audio_info
    from automix.features.analysis import analyse_project
    from automix.features.region import LEVEL_FEATURE
    from automix.jobs.mix import cache_for
    from automix.plan.corrective_eq import corrective_eq
    from automix.plan.planner import active_matrix, track_types

    files = sorted(CAMBRIDGE.glob("*.wav"))
    length_s = min(audio_info(f).duration_s for f in files)
    tracks = [FactoryTrack(f.stem, [FactoryItem(0.0, length_s, str(f))]) for f in files]
    half = round(length_s / 2, 3)
    song = write_project(tmp_path / "session.rpp", tracks, regions=[(1, "Verse", 0.0, half),
                                                                    (2, "Chorus", half, length_s)],
                         notes="genre: rock")
    result = run_mix_job(song, MixOptions(models_dir=house))
    plan = result.plan
    assert len(plan.regions) == 2 and all(len(r.tracks) == len(files) for r in plan.regions)
    types = {t.name: t.type for t in plan.regions[0].tracks}
    assert types["01_KickTrigger"] == "kick" and types["16_LeadVoxDT"] == "lead_vox"
    assert sum(t == "back_vox" for t in types.values()) == 6 and "other" not in types.values()
    # without a role model (the house test bank has none) several tracks of one type land at the same
    # loudness while playing, whatever their recording level (each with its own EQ, whose loudness change
    # its gain makes up for): one fader setting per song, so it is their loudness averaged over the regions
    # (length-weighted) that is equal; each region keeps their dynamics
    analysis = analyse_project(read_project(song), cache=cache_for(song))
    active = active_matrix(analysis)
    levels = analysis.feature(LEVEL_FEATURE)
    eq_change = corrective_eq(analysis, track_types(analysis), active).loudness_change_db
    lengths = np.array([r.end_s - r.start_s for r in plan.regions])
    by_type: dict[str, list[float]] = {}
    for i, t in enumerate(plan.regions[0].tracks):
        if active[:, i].all():
            placed = [levels[i, k] + r.tracks[i].gain_db + eq_change[k, i] for k, r in enumerate(plan.regions)]
            by_type.setdefault(t.type, []).append(float(np.average(placed, weights=lengths)))
    assert len(by_type["back_vox"]) >= 2
    for type_id, mixed_levels in by_type.items():
        assert max(mixed_levels) - min(mixed_levels) < 0.5, (type_id, mixed_levels)  # + a confident model's small moves
    pans = sorted(t.pan for t in plan.regions[1].tracks if t.type == "electric_guitar")
    assert pans[0] < -0.3 and pans[-1] > 0.3 and sum(pans) == pytest.approx(0.0, abs=0.01)
    from automix.plan.model import MAX_GAIN_DB, MAX_PLAN_GAIN_DB
    assert max(t.gain_db for r in plan.regions for t in r.tracks) <= MAX_PLAN_GAIN_DB
    # a track planned above the envelope's +6 dB (recorded quietly) has its fader raised, and is said
    loud = {t.name for r in plan.regions for t in r.tracks if t.gain_db > MAX_GAIN_DB + 0.01}
    raised = {n.split("'")[1] for n in result.notes if "fader raised from" in n}
    assert loud <= raised, (loud, raised)
