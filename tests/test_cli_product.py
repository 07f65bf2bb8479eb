"""The product commands: mix, apply, suggest, render, report — help, results and bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from rpp_factory import FactoryItem, FactoryTrack, guid_for, write_project
from test_mixjob import make_song
from test_planner import build_test_bank

from automix import rpp
from automix.audio.loudness import integrated_loudness
from automix.cli import main
from automix.project.edit import find_track


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    return build_test_bank(tmp_path_factory.mktemp("models"), "practice")


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, models) -> Path:
    """A song mixed once with the default output; returns its folder."""
    folder = tmp_path_factory.mktemp("mixed")
    song = make_song(folder, regions=((1, "Verse", 0.0, 2.0), (2, "Chorus", 2.0, 4.0), (3, "Verse", 4.0, 6.0)))
    assert main(["-q", "mix", str(song), "--models", str(models)]) == 0
    return folder


def _run_error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("automix: error: ")
    return err


@pytest.mark.parametrize("command", ["mix", "apply", "suggest", "render", "report"])
def test_help_has_examples(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"automix {command}" in out


def test_mix_help_documents_eq_and_output_rules(capsys):
    with pytest.raises(SystemExit):
        main(["mix", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "length-weighted mean" in out and "<name>.automix.rpp" in out and "--jobs" in out


def test_mix_prints_a_table_per_region(tmp_path, models, capsys):
    song = make_song(tmp_path)
    assert main(["mix", str(song), "--models", str(models), "--no-pan"]) == 0
    out = capsys.readouterr().out
    assert "Verse (verse" in out and "Chorus (chorus" in out
    assert all(name in out for name in ("Kick", "Snare", "Bass", "Gtr", "Lead Vox"))
    assert "gain dB" in out and "wrote " in out
    doc = rpp.load(tmp_path / "song.automix.rpp")
    assert not list(doc.iter("PANENV2")) and len(list(doc.iter("VOLENV2"))) == 5


def test_project_without_regions_is_one_section(tmp_path, models, capsys):
    song = make_song(tmp_path, regions=())
    assert main(["mix", str(song), "--models", str(models)]) == 0
    assert "(whole song) (other" in capsys.readouterr().out


@pytest.mark.parametrize("case", ["every media file missing", "no audio tracks", "only MIDI", "unknown genre",
                                  "read-only folder"])
def test_bad_input_is_refused_and_the_project_untouched(case, tmp_path, models, capsys):
    argv_extra: list[str] = []
    if case == "every media file missing":
        song = make_song(tmp_path)
        for media in (tmp_path / "media").glob("*.wav"):
            media.unlink()
        expect = "no audio track can be mixed: track 'Kick': media file not found: 'media/song-kick.wav'"
    elif case == "no audio tracks":
        song = write_project(tmp_path / "song.rpp", [FactoryTrack("Bus"), FactoryTrack("Empty")])
        expect = "no audio tracks"
    elif case == "only MIDI":
        song = write_project(tmp_path / "song.rpp", [FactoryTrack("Keys", [FactoryItem(0, 4, None, kind="MIDI")])])
        expect = "only MIDI"
    elif case == "unknown genre":
        song = make_song(tmp_path)
        argv_extra = ["--genre", "polka"]
        expect = "known genres:"
    else:
        song = make_song(tmp_path)
        if os.geteuid() == 0:  # permission bits do not stop root: /proc takes no new files
            argv_extra = ["-o", "/proc/automix-test.rpp"]
        else:
            locked = tmp_path / "locked"
            locked.mkdir()
            locked.chmod(0o555)
            argv_extra = ["-o", str(locked / "out.rpp")]
        expect = "no file can be created in the folder ("
    before = sorted((p.name, p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file())
    err = _run_error(capsys, ["mix", str(song), "--models", str(models), *argv_extra])
    assert expect in err
    if case != "read-only folder":
        assert str(song) in err
    after = sorted((p.name, p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file())
    assert after == before


@pytest.mark.parametrize("case", ["missing media", "overlapping regions", "whole-song region", "zero-length region",
                                  "latin-1 name"])
def test_a_local_problem_is_skipped_and_said_and_the_rest_mixed(case, tmp_path, models, capsys):
    if case == "missing media":
        song = make_song(tmp_path)
        (tmp_path / "media" / "song-vocal.wav").unlink()
        expect, planned = "track 'Lead Vox': media file not found: 'media/song-vocal.wav'", 4
    elif case == "overlapping regions":
        song = make_song(tmp_path, regions=((1, "Verse", 0.0, 3.5), (2, "Chorus", 3.0, 6.0)))
        expect, planned = "region 1 'Verse' (0–3.5 s) overlaps region 2 'Chorus' from 3 s: mixed as 0–3 s", 5
    elif case == "whole-song region":
        song = make_song(tmp_path, regions=((1, "Song", 0.0, 6.0), (2, "Verse", 0.0, 3.0), (3, "Chorus", 3.0, 6.0)))
        expect, planned = "region 1 'Song' (0–6 s) covers 2 other region(s) ('Verse', 'Chorus')", 5
    elif case == "zero-length region":
        song = make_song(tmp_path, regions=((1, "Verse", 0.0, 3.0), (2, "Chorus", 3.0, 6.0)))
        song.write_text(song.read_text().replace("MARKER 2 6 \"\" 1", "MARKER 2 3 \"\" 1"))
        expect, planned = "region 2 'Chorus' (3–3 s) has zero length: skipped", 5
    else:
        song = make_song(tmp_path)
        song.write_bytes(song.read_bytes().replace(b"NAME Gtr", b"NAME \"Gtr d\xe9saccord\xe9\""))
        expect, planned = "", 5
    original = song.read_bytes()
    assert main(["mix", str(song), "--models", str(models)]) == 0
    err = capsys.readouterr().err
    assert expect in err
    plan = json.loads((tmp_path / "song.automix-plan.json").read_text())
    assert len(plan["regions"][0]["tracks"]) == planned
    if expect:
        assert any(expect in note for note in plan["notes"])
    assert song.read_bytes() == original
    if case == "latin-1 name":
        assert "Gtr désaccordé" in [t["name"] for t in plan["regions"][0]["tracks"]]
        assert b"NAME \"Gtr d\xe9saccord\xe9\"" in (tmp_path / "song.automix.rpp").read_bytes()


def test_apply_a_hand_edited_plan(mixed, tmp_path, capsys):
    plan = json.loads((mixed / "song.automix-plan.json").read_text())
    plan["regions"][1]["tracks"][0]["gain_db"] = -7.5  # Kick in the chorus
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(plan))
    out = tmp_path / "applied.rpp"
    assert main(["-q", "apply", str(mixed / "song.rpp"), str(edited), "-o", str(out)]) == 0
    kick = find_track(rpp.load(out), guid_for("Kick"))
    values = [float(line.values[1]) for line in kick.find("VOLENV2").findall_lines("PT")]
    assert values[2] == pytest.approx(10 ** (-7.5 / 20), rel=1e-12)
    # a plan naming a track the project does not have: refused, nothing written
    plan["regions"][0]["tracks"][0]["guid"] = "{00000000-0000-0000-0000-000000000000}"
    edited.write_text(json.dumps(plan))
    err = _run_error(capsys, ["apply", str(mixed / "song.rpp"), str(edited), "-o", str(tmp_path / "x.rpp")])
    assert "edited.json" in err and "not a track of the project" in err and "'Kick'" in err
    assert not (tmp_path / "x.rpp").exists()


def test_suggest_changes_one_region_only(mixed, models, capsys):
    project = mixed / "song.automix.rpp"
    before = project.read_text().splitlines()
    assert main(["suggest", str(project), "--at", "3.0", "--list", "--models", str(models)]) == 0
    assert "0: model rock × chorus" in capsys.readouterr().out
    assert main(["suggest", str(project), "--region", "chorus", "--models", str(models)]) == 0
    out = capsys.readouterr().out
    assert "variant 1: model rock × all" in out and "→" in out
    after = project.read_text().splitlines()
    assert len(after) == len(before)
    changed_pts = {float(b.split()[1]) for a, b in zip(before, after) if a != b and b.strip().startswith("PT")}
    assert changed_pts and changed_pts <= {2.0, 4.0 - 0.01}
    err = _run_error(capsys, ["suggest", str(project), "--region", "Verse", "--models", str(models)])
    assert "2 regions are named 'Verse'" in err and "--at" in err
    err = _run_error(capsys, ["suggest", str(project), "--region", "Bridge", "--models", str(models)])
    assert "no region named 'Bridge'" in err and "'Chorus'" in err
    err = _run_error(capsys, ["suggest", str(project), "--at", "2.5", "--variant", "40", "--models", str(models)])
    assert "variant 40 does not exist" in err


def test_suggest_on_cached_features_loads_neither_scikit_learn_nor_scipy_signal(mixed, models):
    import subprocess
    import sys

    code = ("import sys\nfrom automix.cli import main\n"
            f"status = main(['-q', 'suggest', {str(mixed / 'song.automix.rpp')!r}, '--at', '3.0', '--dry-run', "
            f"'--models', {str(models)!r}])\n"
            "print(status, sorted(m for m in ('sklearn', 'scipy.signal', 'scipy.fft', 'scipy.stats') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "0 []"  # numpy only: a cold start of ~0.5 s, not ~2.7 s


def test_render_normalised_and_unmixed(mixed, tmp_path, capsys):
    wav = tmp_path / "mix.wav"
    assert main(["render", str(mixed / "song.automix.rpp"), "-o", str(wav), "--normalize", "-20"]) == 0
    x, sr = sf.read(str(wav))
    assert x.shape == (int(6.0 * sr), 2)
    assert integrated_loudness(x, sr) == pytest.approx(-20.0, abs=0.1)
    raw = tmp_path / "raw.wav"
    assert main(["render", str(mixed / "song.rpp"), "-o", str(raw), "--unmixed"]) == 0
    y, _ = sf.read(str(raw))
    assert "unmixed sum" in capsys.readouterr().out and not np.allclose(x, y)


def test_report_page(mixed, tmp_path, capsys):
    page = tmp_path / "report.html"
    assert main(["report", str(mixed / "song.automix.rpp"), "-o", str(page)]) == 0
    html = page.read_text()
    assert html.count("<svg") >= 3 and "Lead Vox" in html and "Chorus" in html
    assert 'src="http' not in html and "<link" not in html  # works offline: nothing fetched
    assert "wrote" in capsys.readouterr().out


def test_batch_exit_status(tmp_path, models, capsys):
    make_song(tmp_path, "good")
    make_song(tmp_path, "bad")
    for media in (tmp_path / "media").glob("bad-*.wav"):
        media.unlink()
    assert main(["mix", str(tmp_path), "--models", str(models), "--jobs", "2"]) == 1
    out = capsys.readouterr().out
    assert "1 of 2 projects mixed, 1 failed" in out and "bad-kick.wav" in out


def test_progress_bars_only_on_a_terminal():
    import io

    from automix.util.progress import Reporter

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    plain, tty = io.StringIO(), Tty()
    for stream in (plain, tty):
        with Reporter(stream=stream).progress(4, "analysing tracks") as bar:
            for name in ("a", "b", "c", "d"):
                bar.advance(what=name)
    assert plain.getvalue() == "" and "analysing tracks [" in tty.getvalue() and "4/4" in tty.getvalue()
    quiet = Tty()
    reporter = Reporter(quiet=True, stream=quiet)
    with reporter.progress(2, "x") as bar:
        bar.advance()
    reporter.note("assumed all genres")
    reporter.detail("details")
    assert quiet.getvalue() == "" and reporter.notes == ["assumed all genres"]
    loud = io.StringIO()
    Reporter(verbose=True, stream=loud).detail("track 'Kick': cached")
    assert "track 'Kick': cached" in loud.getvalue()


def test_quiet_and_verbose_before_or_after_the_command():
    from automix.cli import build_parser

    parser = build_parser()
    for argv, quiet, verbose in ((["mix", "a.rpp"], False, False), (["-q", "mix", "a.rpp"], True, False),
                                 (["mix", "a.rpp", "-q"], True, False), (["suggest", "a.rpp", "--at", "1", "-v"],
                                                                         False, True)):
        args = parser.parse_args(argv)
        assert (args.quiet, args.verbose) == (quiet, verbose), argv
