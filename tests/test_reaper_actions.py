"""The REAPER actions on a fake REAPER: live auto-mix = headless auto-mix, re-suggest, learn, failures."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_factory import make_multitrack
from fake_reaper import (
    OTHER_PROJECT_POINTER,
    VERSIONS,
    DeferLoop,
    FakeReaper,
    install_worker,
    reaper_layout,
    run_action,
)
from rpp_factory import FactoryItem, FactoryTrack, write_project

from automix import rpp
from automix.demo.project import write_demo
from automix.errors import AutomixError
from automix.jobs.mix import MixOptions, read_project_document, run_mix_job
from automix.models.files import TrainingInfo, info_for, save_model
from automix.models.mix_model import (
    MixModel,
    TypeTargets,
    type_feature_matrix,
    type_feature_names,
)
from automix.plan.json_io import plan_from_json, plan_to_dict
from automix.reaper.actions import (
    AUTO_MIX_TITLE,
    LEARN_TITLE,
    RESUGGEST_TITLE,
    auto_mix_project,
    learn_from_project,
    resuggest_region,
)
from automix.reaper.adapter import UNDO_ALL, ReaperApi
from automix.reaper.state import region_key, unpack_state

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "rpp-corpus"
MODEL_TYPES = ("kick", "snare", "bass", "electric_guitar", "lead_vox")


def _write_model(folder: Path, genre: str, section: str, level_db, pan) -> Path:
    """A small model whose predictions are (about) the given per-type levels and pans."""
    rng = np.random.default_rng(0)
    n = 12
    present = np.ones((n, len(MODEL_TYPES)), dtype=bool)
    targets = TypeTargets(level=np.tile(np.asarray(level_db, float), (n, 1)),
                          pan=np.tile(np.asarray(pan, float), (n, 1)),
                          eq_db=np.zeros((n, len(MODEL_TYPES), 5)), present=present)
    model = MixModel(MODEL_TYPES, n_components=2).fit(
        type_feature_matrix(rng.normal(size=(n, len(MODEL_TYPES), 1)), present), targets)
    info = info_for(model, genre, section, type_feature_names(MODEL_TYPES, ("rms_db",)),
                    TrainingInfo("reaper actions test", n_songs=n, n_samples=n))
    return save_model(model, info, folder)


@pytest.fixture(autouse=True, params=VERSIONS)
def reaper_version(request, monkeypatch) -> str:
    """The REAPER each test plays (the fake's default version): every test runs on 6.83, 7.18 and 7.62."""
    monkeypatch.setattr(FakeReaper, "default_version", request.param)
    return request.param


@pytest.fixture(autouse=True)
def no_job_left_running():
    """Every test ends with no automix job running in this process (REAPER's Python keeps modules)."""
    yield
    from automix.reaper.runner import running_job
    job = running_job()
    if job is not None:
        job.cancel()
        pytest.fail(f"{job.title} was left running")


@pytest.fixture(scope="module")
def bank(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    _write_model(folder, "all", "all", [0, -3, -2, -8, 2], [0, 0.1, 0, -0.5, 0])
    _write_model(folder, "rock", "chorus", [-2, 0, -4, -6, 3], [0, -0.2, 0, 0.6, 0])
    return folder


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The demo project (short), written once per module."""
    return write_demo(tmp_path_factory.mktemp("demo"), duration_s=14.0, sample_rate=22050).project_path


def _stored_plan(fake: FakeReaper):
    """The plan the live auto-mix keeps in the project's ext state."""
    return plan_from_json(json.dumps(unpack_state(fake.ext_state[("AUTOMIX", "PLAN")])))


def _headless_chunks(project: Path, bank: Path, out: Path) -> tuple[list[str], dict]:
    """Track chunks and plan of ``automix mix -o out`` (``out`` beside ``project``: media paths unchanged)."""
    assert out.parent == project.parent
    result = run_mix_job(project, MixOptions(models_dir=bank, output=out))
    assert result.ok
    doc = rpp.load(out)
    return [reaper_layout(rpp.dumps(c)) for c in doc.root.findall("TRACK")], plan_to_dict(result.plan)


def _assert_live_equals_headless(project: Path, bank: Path, out: Path, *, saved: bool = True) -> FakeReaper:
    fake = FakeReaper(project)
    fake.saved = saved
    outcome = run_action(auto_mix_project, fake, models_dir=bank)
    assert outcome.ok, outcome.summary
    headless, headless_plan = _headless_chunks(project, bank, out)
    live = list(fake.chunks())
    assert len(live) == len(headless)
    for k, (a, b) in enumerate(zip(live, headless)):
        assert a == b, f"track {k + 1} differs between the live and the headless auto-mix"
    assert live != list(fake.original_chunks)
    stored = _stored_plan(fake)
    assert not set(fake.ext_state[("AUTOMIX", "PLAN")]) & set(" \t\r\n'\"`")  # REAPER saves it unquoted
    assert plan_to_dict(stored) == headless_plan
    assert fake.count("Undo_BeginBlock2") == 1 and fake.count("Undo_EndBlock2") == 1
    assert [args for name, args in fake.calls if name == "Undo_EndBlock2"] == [(0, AUTO_MIX_TITLE, UNDO_ALL)]
    assert fake.undo_history == [AUTO_MIX_TITLE] and fake.message_boxes == []
    assert fake.count("GetEnvelopePoint") > 0 and fake.count("Envelope_FormatValue") > 0  # values read back
    return fake


# ---------------------------------------------------------------- auto-mix = headless

def test_live_auto_mix_of_the_demo_equals_the_headless_one(demo, bank, reaper_version):
    fake = _assert_live_equals_headless(demo, bank, demo.parent / "headless-mix.rpp")
    assert fake.app_version.startswith(reaper_version + "/")
    _doc, project = read_project_document(demo)
    names = [t.name for t in project.audio_tracks]
    console = "".join(fake.console)
    assert all(f"track {name!r}" in console for name in names)  # progress: one line per analysed track
    assert "genre: rock (from the project notes)" in console and f"{AUTO_MIX_TITLE}: done." in console
    for text in fake.chunks():  # every audio track got one volume and one pan envelope
        assert text.count("<VOLENV2") == 1 and text.count("<PANENV2") == 1


def test_live_auto_mix_equals_headless_on_a_generated_project(bank, tmp_path):
    sr = 22050
    stems = make_multitrack(sample_rate=sr, duration_s=6.0, seed=3)
    names = {"kick": "Kick In", "snare": "Snare Top", "bass": "Bass DI", "guitar": "Gtr L", "vocal": "Lead Vox"}
    tracks = []
    (tmp_path / "media").mkdir()
    for key, name in names.items():
        sf.write(str(tmp_path / "media" / f"{key}.wav"), stems[key], sr)
        tracks.append(FactoryTrack(name, [FactoryItem(0.0, 6.0, f"media\\{key}.wav")]))
    tracks.insert(2, FactoryTrack("Drums bus", [], isbus=(1, 1)))
    project = write_project(tmp_path / "song.rpp", tracks, regions=[(1, "Intro", 0.0, 2.0), (2, "Chorus", 2.0, 6.0)],
                            markers=[(1, "drop", 2.0)], marker_format="5", newline="\r\n", sample_rate=sr,
                            notes="genre: pop")
    _assert_live_equals_headless(project, bank, tmp_path / "out.rpp")
    # never saved: no file name, media resolve against REAPER's recording folder; same result, no cache
    fake = _assert_live_equals_headless(project, bank, tmp_path / "out2.rpp", saved=False)
    assert "reading 6 tracks of the unsaved project" in "".join(fake.console)


def test_live_auto_mix_equals_headless_on_a_real_project(bank, tmp_path):
    source = CORPUS / "exvertus__reaper-projects__test_track.rpp"
    if not source.is_file():
        pytest.skip(f"real projects not available ({source} missing: ../shared is not beside the checkout)")
    project = tmp_path / "test_track.rpp"
    project.write_bytes(source.read_bytes())  # a temporary working copy, with synthesized media beside it
    flac = tmp_path / "audio" / "02 - Just Between Us.flac"
    flac.parent.mkdir()
    sr = 44100
    t = np.arange(int(20 * sr)) / sr
    sf.write(str(flac), 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 0.5 * t)), sr,
             format="FLAC")
    fake = _assert_live_equals_headless(project, bank, tmp_path / "out.rpp")
    assert sum("<VOLENV2" in c for c in fake.chunks()) == 1  # one audio track, 5 regions


def test_a_project_automix_cannot_mix_fails_the_same_way_live_and_changes_nothing(tmp_path, bank):
    source = (CORPUS / "uselesskcid__EGL314-Project-S.O.N.I.C-Team-C-__314MAINREAPER_POC_FINAL.rpp").resolve()
    if not source.is_file():
        pytest.skip(f"real projects not available ({source} missing: ../shared is not beside the checkout)")
    with pytest.raises(AutomixError) as headless:
        run_mix_job(source, MixOptions(models_dir=bank, output=tmp_path / "out.rpp", dry_run=True))
    fake = FakeReaper(source)
    outcome = run_action(auto_mix_project, fake, models_dir=bank)
    # media missing: the same message, without the line number (the live text is not the file's)
    assert not outcome.ok and outcome.summary == re.sub(r"\.rpp:\d+: ", ".rpp: ", str(headless.value))
    assert "media file not found" in outcome.summary
    assert fake.chunks() == fake.original_chunks and fake.count("SetTrackStateChunk") == 0
    assert fake.undo_history == [] and fake.count("Undo_BeginBlock2") == 0  # the worker failed: no undo block
    (message, title, _kind), = fake.message_boxes
    assert outcome.summary in message and title == AUTO_MIX_TITLE


@pytest.mark.parametrize("k", [1, 4, 11])
def test_a_failing_write_in_the_auto_mix_leaves_every_chunk_and_the_state_unchanged(demo, bank, k):
    fake = FakeReaper(demo)
    fake.fail_at("SetTrackStateChunk", k)
    outcome = run_action(auto_mix_project, fake, models_dir=bank)
    assert not outcome.ok and "SetTrackStateChunk returned false" in outcome.summary
    assert fake.chunks() == fake.original_chunks
    assert fake.ext_state.get(("AUTOMIX", "PLAN"), "") == ""
    assert fake.count("Undo_BeginBlock2") == 1 and fake.count("Undo_EndBlock2") == 1 and fake.undo_depth == 0
    assert len(fake.message_boxes) == 1 and "Nothing was changed." in fake.message_boxes[0][0]


def test_a_lost_connection_while_saving_the_plan_sets_every_chunk_back(demo, bank):
    fake = FakeReaper(demo)
    fake.fail_at("SetProjExtState", 2, mode="raise")
    outcome = run_action(auto_mix_project, fake, models_dir=bank)
    assert not outcome.ok and "SetProjExtState" in outcome.summary
    assert fake.chunks() == fake.original_chunks and fake.undo_depth == 0
    assert fake.ext_state.get(("AUTOMIX", "PLAN"), "") == ""


def test_progress_reaches_the_console_while_the_worker_runs(demo, bank):
    fake = FakeReaper(demo)
    ticks: list[tuple[int, int]] = []  # (console lines so far, undo blocks opened so far) at every defer tick
    outcome = run_action(auto_mix_project, fake, between=lambda _tick: ticks.append(
        (len(fake.console), fake.count("Undo_BeginBlock2"))), models_dir=bank)
    assert outcome.ok, outcome.summary
    before_apply = [n for n, undo in ticks if undo == 0]
    assert len(before_apply) >= 3  # the action polled the worker on several ticks before applying
    early = "".join(fake.console[:max(before_apply)])
    assert re.search(r"track '[^']+'", early), early  # per-track progress shown while the worker was running
    assert f"{AUTO_MIX_TITLE}: done." not in early


def test_a_reaper_without_the_read_back_functions_gets_the_mix_with_a_note(demo, bank):
    fake = FakeReaper(demo)
    fake.missing_functions = frozenset({"Envelope_FormatValue", "GetEnvelopeScalingMode"})
    outcome = run_action(auto_mix_project, fake, models_dir=bank)
    assert outcome.ok, outcome.summary
    console = "".join(fake.console)
    assert "this REAPER's API lacks GetEnvelopeScalingMode, Envelope_FormatValue: the volume and EQ values " \
           "written are not confirmed against REAPER" in console
    assert fake.count("GetEnvelopePoint") == 0 and fake.chunks() != fake.original_chunks
    assert fake.undo_history == [AUTO_MIX_TITLE]


# ---------------------------------------------------------------- re-suggest

def _pt_lines(chunk_text: str) -> dict[str, list[tuple[float, str]]]:
    """Envelope tag → [(time_s, whole line)] of its PT lines."""
    out: dict[str, list[tuple[float, str]]] = {}
    tag = None
    for line in chunk_text.splitlines():
        s = line.strip()
        if s.startswith("<"):
            tag = s[1:].split(" ")[0]
        elif s.startswith("PT ") and tag:
            out.setdefault(tag, []).append((float(s.split()[1]), s))
    return out


def _non_envelope_non_eq_lines(chunk_text: str) -> list[str]:
    """Lines that are neither PT lines nor the base64 state of a ReaEQ."""
    out, in_eq = [], False
    for line in chunk_text.splitlines():
        s = line.strip()
        if s.startswith("<VST") and "ReaEQ" in s:
            in_eq = True
        elif in_eq and s == ">":
            in_eq = False
        elif not in_eq and not s.startswith("PT "):
            out.append(s)
    return out


def test_resuggest_changes_only_the_region_under_the_cursor_and_cycles(demo, bank):
    fake = FakeReaper(demo)
    assert run_action(auto_mix_project, fake, models_dir=bank).ok
    plan = _stored_plan(fake)
    region = next(r for r in plan.regions if r.section == "chorus")
    fake.cursor_s = (region.start_s + region.end_s) / 2
    shown = []
    for run in range(4):
        before = fake.chunks()
        outcome = run_action(resuggest_region, fake, models_dir=bank)
        assert outcome.ok, outcome.summary
        assert f"region {region.name!r}" in outcome.summary
        shown.append(unpack_state(fake.ext_state[("AUTOMIX", "VARIANTS")])[region_key(region.start_s, region.end_s)])
        assert f"variant {shown[-1]} of " in outcome.summary
        changed_points = 0
        for a, b in zip(before, fake.chunks()):
            assert _non_envelope_non_eq_lines(a) == _non_envelope_non_eq_lines(b)
            pa, pb = _pt_lines(a), _pt_lines(b)
            assert pa.keys() == pb.keys()
            for tag in pa:
                assert [t for t, _ in pa[tag]] == [t for t, _ in pb[tag]]  # same points, same times
                for (time_s, la), (_t, lb) in zip(pa[tag], pb[tag]):
                    if la != lb:
                        changed_points += 1
                        assert region.start_s - 1e-9 <= time_s <= region.end_s + 1e-9, (tag, time_s)
        new_plan = _stored_plan(fake)
        for old_r, new_r in zip(plan.regions, new_plan.regions):
            if old_r.start_s != region.start_s:
                assert old_r == new_r  # other regions of the plan untouched
        plan = new_plan
        if run == 0:
            assert changed_points > 0
    count = int(outcome.summary.split(" of ")[1].split(" ")[0])
    assert count >= 2
    assert shown == [(v + 1) % count for v in range(4)]  # 1, 2, … then back to 0
    assert fake.undo_history == [AUTO_MIX_TITLE] + [RESUGGEST_TITLE] * 4 and fake.undo_depth == 0


def test_live_resuggest_equals_the_headless_suggest_command(demo, bank):
    from automix.cli import main
    fake = FakeReaper(demo)
    assert run_action(auto_mix_project, fake, models_dir=bank).ok
    plan = _stored_plan(fake)
    region = next(r for r in plan.regions if r.section == "chorus")
    fake.cursor_s = region.start_s + 0.25 * (region.end_s - region.start_s)
    outcome = run_action(resuggest_region, fake, models_dir=bank)
    assert outcome.ok and "variant 1 of" in outcome.summary  # the first re-suggestion is variant 1
    out = demo.parent / "headless-suggest.rpp"  # beside the project: media paths stay as they are
    assert run_mix_job(demo, MixOptions(models_dir=bank, output=out)).ok
    assert main(["-q", "suggest", str(out), "--at", str(fake.cursor_s), "--variant", "1", "--models", str(bank),
                 "--in-place"]) == 0
    headless = [reaper_layout(rpp.dumps(c)) for c in rpp.load(out).root.findall("TRACK")]
    assert list(fake.chunks()) == headless
    assert plan_to_dict(_stored_plan(fake)) == \
        plan_to_dict(plan_from_json((demo.parent / "headless-suggest.automix-plan.json").read_text(encoding="utf-8")))


def test_resuggest_uses_the_time_selection(demo, bank):
    fake = FakeReaper(demo)
    assert run_action(auto_mix_project, fake, models_dir=bank).ok
    plan = _stored_plan(fake)
    first, second = plan.regions[0], plan.regions[1]
    fake.cursor_s = first.start_s  # the selection wins over the cursor
    fake.selection = (first.end_s - 0.1 * (first.end_s - first.start_s), second.end_s)  # mostly the second
    outcome = run_action(resuggest_region, fake, models_dir=bank)
    assert outcome.ok and f"region {second.name!r}" in outcome.summary


def test_resuggest_before_any_auto_mix_says_what_to_do(demo, bank):
    fake = FakeReaper(demo, cursor_s=1.0)
    outcome = run_action(resuggest_region, fake, models_dir=bank)
    assert not outcome.ok and f"run '{AUTO_MIX_TITLE}' first" in outcome.summary
    assert fake.chunks() == fake.original_chunks
    assert fake.undo_history == [] and fake.count("SetTrackStateChunk") == 0


def test_resuggest_with_the_cursor_outside_every_region(demo, bank):
    fake = FakeReaper(demo)
    assert run_action(auto_mix_project, fake, models_dir=bank).ok
    after_mix = fake.chunks()
    fake.cursor_s = 999.0
    outcome = run_action(resuggest_region, fake, models_dir=bank)
    assert not outcome.ok and "edit cursor at 999 s is in no region" in outcome.summary
    assert fake.chunks() == after_mix and "Verse 1" in fake.message_boxes[-1][0]


def test_a_corrupt_stored_plan_is_reported(demo, bank):
    from automix.reaper.state import pack_state
    data = {"name": "Chorus 'A' \"B\" `C`", "gain_db": -3.5}
    packed = pack_state(data)
    assert unpack_state(packed) == data and unpack_state("") is None
    assert not set(packed) & set(" \t\r\n'\"`")
    fake = FakeReaper(demo, cursor_s=1.0)
    fake.ext_state[("AUTOMIX", "PLAN")] = packed[:-7]  # truncated
    outcome = run_action(resuggest_region, fake, models_dir=bank)
    assert not outcome.ok and "automix's state stored in the project is unreadable" in outcome.summary
    assert str(demo.resolve()) in outcome.summary and fake.chunks() == fake.original_chunks


# ---------------------------------------------------------------- learn

def test_learn_needs_a_saved_project_and_starts_no_worker_without_one(demo, tmp_path):
    fake = FakeReaper(demo)
    fake.saved = False
    outcome = run_action(learn_from_project, fake, out_dir=tmp_path / "mine")
    assert not outcome.ok and "never been saved" in fake.message_boxes[-1][0]
    assert "automix: working in the background" not in "".join(fake.console)  # refused before any worker
    assert not (tmp_path / "mine").exists() and fake.undo_history == [] and fake.count("Undo_BeginBlock2") == 0


def test_learning_from_a_mixed_project_feeds_the_personal_models(demo, bank, tmp_path, monkeypatch):
    pytest.importorskip("automix.training.fit")
    mixed = tmp_path / "mixed.rpp"  # a finished mix: its envelopes are exact ground truth
    assert run_mix_job(demo, MixOptions(models_dir=bank, output=mixed)).ok
    personal = tmp_path / "personal"
    monkeypatch.setenv("AUTOMIX_PERSONAL_MODELS", str(personal))
    fake = FakeReaper(mixed)
    fake.dirty = True
    outcome = run_action(learn_from_project, fake)
    assert outcome.ok, outcome.summary
    assert fake.chunks() == fake.original_chunks and fake.undo_history == []  # it changes nothing: no undo block
    assert fake.count("Undo_BeginBlock2") == 0 and f"{LEARN_TITLE}: done." in "".join(fake.console)
    assert "learning from the saved file" in "".join(fake.console)
    learnt = sorted(p.name for p in personal.glob("*.json") if not p.name.startswith("training"))
    assert any(name.startswith("rock") for name in learnt), learnt
    fake = FakeReaper(demo)  # the next auto-mix (default models) uses the personal ones
    assert run_action(auto_mix_project, fake).ok
    used = _stored_plan(fake).model
    print("auto-mix with the personal models used:", used)
    assert used and all(f"{name.strip()}.json" in learnt for name in used.split(","))


# ---------------------------------------------------------------- the scripts, for real, without REAPER

@pytest.mark.parametrize("script", ["automix_auto_mix_project.py", "automix_resuggest_region.py",
                                    "automix_learn_from_project.py"])
def test_running_a_script_without_reaper_reports_it_and_exits_cleanly(script):
    pytest.importorskip("reapy")
    code = f"import runpy; runpy.run_path({str(REPO / 'reaper_scripts' / script)!r}, run_name='__main__')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "REAPER is not running" in done.stderr and "Traceback" not in done.stderr


def test_the_region_to_resuggest():
    from automix.knowledge.sections import SongSection
    from automix.reaper.worker import target_section_index
    sections = (SongSection("intro", "Intro", 0.0, 4.0, 1), SongSection("verse", "Verse", 4.0, 12.0, 2),
                SongSection("chorus", "Chorus", 14.0, 20.0, 3))
    none = (7.0, 7.0)
    assert target_section_index(sections, 0.0, none) == 0
    assert target_section_index(sections, 4.0, none) == 1  # a boundary belongs to the region it starts
    assert target_section_index(sections, 19.999, none) == 2
    assert target_section_index(sections, 0.0, (3.0, 13.0)) == 1  # overlaps Verse most (8 s)
    assert target_section_index(sections, 5.0, (11.0, 16.5)) == 2  # 2.5 s of Chorus > 1 s of Verse
    with pytest.raises(AutomixError, match=r"edit cursor at 13 s is in no region.*Verse \(4–12 s\)"):
        target_section_index(sections, 13.0, none, "song.rpp")
    with pytest.raises(AutomixError, match="time selection 12.5–13.5 s overlaps no region"):
        target_section_index(sections, 1.0, (12.5, 13.5))


# ---------------------------------------------------------------- out of process: REAPER stays light and responsive

def _chorus_cursor(project_path: Path) -> float:
    """The middle of the demo's first chorus (the test bank has two models for it: re-suggest has variants)."""
    from automix.features.analysis import project_sections
    _doc, project = read_project_document(project_path)
    chorus = next(s for s in project_sections(project) if s.section == "chorus")
    return (chorus.start_s + chorus.end_s) / 2


def test_inside_reaper_only_the_thin_layer_is_imported_even_running_each_action_twice(demo, bank, tmp_path,
                                                                                        reaper_version):
    mixed = tmp_path / "mixed.rpp"  # a finished mix for the learn action
    assert run_mix_job(demo, MixOptions(models_dir=bank, output=mixed)).ok
    code = f"""
import json, sys
sys.path.insert(0, {str(REPO / 'tests')!r})
from fake_reaper import FakeReaper, run_action
from automix.reaper.actions import auto_mix_project, learn_from_project, resuggest_region
FakeReaper.default_version = {reaper_version!r}
fake = FakeReaper({str(demo)!r}, cursor_s={_chorus_cursor(demo)!r})
outcomes = []
for _ in range(2):
    outcomes.append(run_action(auto_mix_project, fake, models_dir={str(bank)!r}))
for _ in range(2):
    outcomes.append(run_action(resuggest_region, fake, models_dir={str(bank)!r}))
learner = FakeReaper({str(mixed)!r})
for _ in range(2):
    outcomes.append(run_action(learn_from_project, learner, out_dir={str(tmp_path / 'personal')!r}))
heavy = sorted(k for k in sys.modules if k.split('.')[0] in ('numpy', 'scipy', 'sklearn', 'soundfile'))
thin = ('automix.reaper', 'automix.rpp', 'automix.util', 'automix.errors')
ours = sorted(k for k in sys.modules if k.startswith('automix.') and not k.startswith(thin)
              and k not in ('automix.project', 'automix.project.reaeq'))  # the stdlib-only ReaEQ formulas
print(json.dumps({{"ok": [o.ok for o in outcomes], "summaries": [o.summary for o in outcomes], "heavy": heavy,
                  "automix": ours, "worker": "automix.reaper.worker" in sys.modules,
                  "versions": [fake.app_version, learner.app_version],
                  "undo": fake.undo_history, "learn_undo": learner.undo_history}}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=900)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["ok"] == [True] * 6, report["summaries"]
    assert report["heavy"] == [] and report["automix"] == [] and report["worker"] is False
    assert all(v.startswith(reaper_version + "/") for v in report["versions"]), report["versions"]
    assert report["undo"] == [AUTO_MIX_TITLE] * 2 + [RESUGGEST_TITLE] * 2 and report["learn_undo"] == []
    assert "variant 1 of" in report["summaries"][2] and "variant 2 of" in report["summaries"][3]


@pytest.mark.parametrize("change", ["edit a track", "rename a region", "delete a track", "edit the notes",
                                    "switch the project tab"])
def test_a_project_changed_while_the_worker_ran_is_left_alone(demo, bank, change):
    fake = FakeReaper(demo)
    edited = {}

    def user(tick: int) -> None:
        if tick != 2:
            return
        if change == "edit a track":
            edited["text"] = fake.chunks()[1].replace("MAINSEND 1", "MAINSEND 0", 1)
            fake.set_chunk(1, edited["text"])
        elif change == "rename a region":
            fake.rename_marker(0, "Intro (new)")
        elif change == "edit the notes":
            fake.notes = "genre: jazz"
        elif change == "switch the project tab":
            fake.active_project = OTHER_PROJECT_POINTER  # the same project opened in a second tab
        else:
            fake.delete_track(10)

    outcome = run_action(auto_mix_project, fake, between=user, models_dir=bank)
    assert not outcome.ok
    expected = {"edit a track": r"track 2 \('Snare'\) was edited",
                "rename a region": "markers or regions were moved, renamed, added or deleted",
                "delete a track": "the project has 10 tracks now, 11 before",
                "edit the notes": r"the project notes were edited \(automix reads the genre from them\)",
                "switch the project tab": "another project tab is active now; automix started in demo.rpp: "
                                          "switch back to it"}[change]
    assert re.search(r"the project changed while automix was working \(.*" + expected + r".*\), so automix wrote "
                     r"nothing: run the action again", outcome.summary), outcome.summary
    assert fake.count("SetTrackStateChunk") == 0 and fake.count("SetProjExtState") == 0
    assert fake.count("Undo_BeginBlock2") == 0 and fake.undo_history == []
    assert outcome.summary in fake.message_boxes[-1][0] and "automix: error:" in "".join(fake.console)
    if change == "edit a track":
        assert fake.chunks()[1] == reaper_layout(edited["text"]) and fake.chunks()[2:] == fake.original_chunks[2:]


def _start(action, fake: FakeReaper, loop: DeferLoop, **options):
    install_worker(fake)
    return action(ReaperApi(fake), defer=loop.defer, atexit=loop.atexit, **options)


def test_running_an_action_again_offers_to_cancel_the_running_one(demo, bank):
    fake = FakeReaper(demo)
    loop = DeferLoop()
    job = _start(auto_mix_project, fake, loop, models_dir=bank)
    assert job.outcome is None and job.process.poll() is None and loop.queue  # returned at once, polling
    loop.queue.pop(0)()  # one tick: the worker still runs
    fake.message_box_answer = 7  # "No": keep working
    second = resuggest_region(ReaperApi(fake), defer=DeferLoop().defer, models_dir=bank)
    assert not second.outcome.ok and "is still running" in second.outcome.summary
    assert job.outcome is None and "Cancel it?" in fake.message_boxes[-1][0] and fake.message_boxes[-1][2] == 4
    fake.message_box_answer = 6  # "Yes"
    folder = job.folder
    third = auto_mix_project(ReaperApi(fake), defer=DeferLoop().defer, models_dir=bank)
    assert not third.outcome.ok and job.outcome.summary == "cancelled"
    assert job.process.poll() is not None and not folder.exists()  # worker stopped, job files removed
    loop.run()
    assert fake.chunks() == fake.original_chunks and fake.count("SetTrackStateChunk") == 0
    assert fake.undo_history == [] and "cancelled; nothing was changed" in "".join(fake.console)
    assert run_action(auto_mix_project, fake, models_dir=bank).ok  # nothing left running: a new run works


def test_cancel_chosen_while_the_defer_loop_polls_stops_the_worker_and_the_loop(demo, bank):
    fake = FakeReaper(demo)
    loop = DeferLoop()
    job = _start(auto_mix_project, fake, loop, models_dir=bank)
    fake.message_box_answer = 6  # "Yes, cancel it"
    second = []

    def user(tick: int) -> None:  # two ticks in, the user starts another automix action
        if tick == 2:
            second.append(resuggest_region(ReaperApi(fake), defer=DeferLoop().defer, models_dir=bank))

    ticks = loop.run(between=user)
    assert job.outcome.summary == "cancelled" and ticks == 3  # the tick after the cancel polls no more
    assert not second[0].outcome.ok and "is still running" in second[0].outcome.summary
    assert job.process.poll() is not None and not job.folder.exists()
    assert fake.chunks() == fake.original_chunks and fake.undo_history == [] and fake.count("Undo_BeginBlock2") == 0


def test_a_script_terminated_by_reaper_stops_its_worker(demo, bank):
    fake = FakeReaper(demo)
    loop = DeferLoop()
    job = _start(auto_mix_project, fake, loop, models_dir=bank)
    loop.queue.pop(0)()
    loop.terminate()  # the user terminated the script: REAPER runs its atexit code
    assert job.outcome.summary == "terminated" and job.process.poll() is not None and not job.folder.exists()
    assert fake.chunks() == fake.original_chunks and fake.undo_history == []


def test_without_a_worker_configuration_the_action_says_how_to_set_it_up(demo, tmp_path):
    fake = FakeReaper(demo)
    fake.resource_path = tmp_path / "fresh REAPER"
    loop = DeferLoop()
    job = auto_mix_project(ReaperApi(fake), defer=loop.defer, atexit=loop.atexit)
    assert not job.outcome.ok and loop.queue == []
    message = fake.message_boxes[-1][0]
    assert "automix.json: automix is not set up for this REAPER (no automix.json); re-run `python3 install.py`" \
        in message and "Nothing was changed." in message


def test_a_worker_that_dies_without_a_result_is_reported(demo, tmp_path):
    from automix.reaper.worker_config import (
        WorkerConfig,
        config_path,
        format_worker_config,
    )
    fake = FakeReaper(demo)
    fake.resource_path = tmp_path / "REAPER"
    fake.resource_path.mkdir()
    dead = tmp_path / "python"
    dead.write_text("#!/bin/sh\necho 'No module named numpy' >&2\nexit 3\n")
    dead.chmod(0o755)
    config_path(fake.resource_path).write_bytes(format_worker_config(WorkerConfig(dead)))
    loop = DeferLoop()
    job = auto_mix_project(ReaperApi(fake), defer=loop.defer, atexit=loop.atexit)
    loop.run(timeout_s=30)
    assert not job.outcome.ok
    assert re.search(r"the automix worker stopped \(exit status 3\) without a result:\nNo module named numpy",
                     job.outcome.summary), job.outcome.summary
    assert fake.chunks() == fake.original_chunks and fake.undo_history == []
