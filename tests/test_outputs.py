"""One output policy for every command: never an input, never a non-regular file, --force for other kinds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_mixjob import make_song
from test_planner import build_test_bank

from automix.cli import main
from automix.errors import OutputError
from automix.util.outputs import (
    check_distinct_outputs,
    check_output_file,
    check_output_folder,
)


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    return build_test_bank(tmp_path_factory.mktemp("models"), "practice")


def _snapshot(folder: Path) -> dict[str, tuple[str, bytes]]:
    """Every entry under ``folder``: kind and (for regular files) content."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_fifo():
            out[str(p)] = ("fifo", b"")
        elif p.is_file():
            out[str(p)] = ("file", p.read_bytes())
        else:
            out[str(p)] = ("dir", b"")
    return out


def _error(capsys, argv: list[str]) -> str:
    status = main(argv)
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


# ---------------------------------------------------------------- the policy itself

def test_an_input_is_refused_by_path_hard_link_and_symlink(tmp_path):
    media = tmp_path / "kick.wav"
    media.write_bytes(b"RIFF")
    os.link(media, tmp_path / "hard.wav")
    (tmp_path / "soft.wav").symlink_to(media)
    for out in (media, tmp_path / "." / "kick.wav", tmp_path / "hard.wav", tmp_path / "soft.wav"):
        with pytest.raises(OutputError, match=r"over an input of this command \(.*kick.wav\)"):
            check_output_file(out, "preview", inputs=[media], suffixes=(".wav",), force=True)
    missing = tmp_path / "missing.wav"  # a missing media file is still a path the project reads
    with pytest.raises(OutputError, match="over an input"):
        check_output_file(missing, "preview", inputs=[missing], suffixes=(".wav",))
    assert check_output_file(tmp_path / "new.wav", "preview", inputs=[media]) == tmp_path / "new.wav"


def test_non_regular_files_are_refused_even_with_force(tmp_path):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="FIFO"):
        check_output_file(fifo, "preview", force=True)
    with pytest.raises(OutputError, match="is a device"):
        check_output_file("/dev/null", "preview", force=True)
    with pytest.raises(OutputError, match="is a folder"):
        check_output_file(tmp_path, "preview", force=True)


def test_replacing_a_file_of_another_kind_needs_force(tmp_path):
    other = tmp_path / "notes.rpp"
    other.write_text("<REAPER_PROJECT\n>\n")
    with pytest.raises(OutputError, match="replace an existing .rpp file with the preview.*--force"):
        check_output_file(other, "preview", suffixes=(".wav",))
    assert check_output_file(other, "preview", suffixes=(".wav",), force=True) == other
    same_kind = tmp_path / "old.wav"
    same_kind.write_bytes(b"RIFF")
    assert check_output_file(same_kind, "preview", suffixes=(".wav",)) == same_kind


def test_two_outputs_may_not_be_one_file(tmp_path):
    with pytest.raises(OutputError, match="the plan and the mixed project would be the same file"):
        check_distinct_outputs({"mixed project": tmp_path / "a.json", "plan": tmp_path / "." / "a.json"})


def test_output_folder_must_be_a_folder_and_not_an_input(tmp_path):
    blocker = tmp_path / "models"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="not a folder"):
        check_output_folder(blocker, "model folder")
    with pytest.raises(OutputError, match="into an input"):
        check_output_folder(tmp_path, "model folder", inputs=[tmp_path])
    assert check_output_folder(tmp_path / "new" / "deeper", "model folder") == tmp_path / "new" / "deeper"


# ---------------------------------------------------------------- every command (issue 14, item 1)

@pytest.mark.parametrize("case", ["mix --plan-out project (dry run)", "mix -o media", "mix -o project",
                                  "render -o media", "render -o project", "report -o project",
                                  "render -o plan", "render -o fifo", "render -o device", "apply -o plan"])
def test_commands_refuse_to_write_over_their_inputs(tmp_path, models, capsys, case):
    song = make_song(tmp_path)
    kick = tmp_path / "media" / "song-kick.wav"
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    assert main(["-q", "mix", str(song), "--models", str(models)]) == 0
    plan = tmp_path / "song.automix-plan.json"
    capsys.readouterr()
    argv, expect = {
        "mix --plan-out project (dry run)": (["mix", str(song), "--dry-run", "--plan-out", str(song)], "over an input"),
        "mix -o media": (["mix", str(song), "-o", str(kick)], "over an input"),
        "mix -o project": (["mix", str(song), "-o", str(song)], "use --in-place"),
        "render -o media": (["render", str(song), "-o", str(kick)], "over an input"),
        "render -o project": (["render", str(song), "-o", str(song)], "over an input"),
        "report -o project": (["report", str(song), "-o", str(song), "--no-spectra"], "over an input"),
        "render -o plan": (["render", str(song), "-o", str(plan)], "over an input"),
        "render -o fifo": (["render", str(song), "-o", str(fifo)], "FIFO"),
        "render -o device": (["render", str(song), "-o", "/dev/null"], "is a device"),
        "apply -o plan": (["apply", str(song), str(plan), "-o", str(plan)], "over an input"),
    }[case]
    before = _snapshot(tmp_path)
    err = _error(capsys, [*argv, "--models", str(models)] if argv[0] in ("mix", "render", "report") else argv)
    assert expect in err
    assert _snapshot(tmp_path) == before


def test_render_over_a_file_of_another_kind_needs_force(tmp_path, models, capsys):
    song = make_song(tmp_path)
    other = tmp_path / "other.rpp"
    other.write_text("<REAPER_PROJECT 0.1\n>\n")
    err = _error(capsys, ["render", str(song), "-o", str(other), "--unmixed"])
    assert "--force" in err and other.read_text() == "<REAPER_PROJECT 0.1\n>\n"
    assert main(["-q", "render", str(song), "-o", str(other), "--unmixed", "--force"]) == 0
    assert other.read_bytes()[:4] == b"RIFF"


def _song_folder(tmp_path: Path) -> Path:
    """A song folder (stems + mix) made from the test song's media."""
    import soundfile as sf

    make_song(tmp_path / "proj")
    folder = tmp_path / "SONG"
    folder.mkdir()
    total = None
    for wav in sorted((tmp_path / "proj" / "media").glob("*.wav")):
        x, sr = sf.read(wav)
        sf.write(folder / wav.name.replace("song-", ""), x, sr)
        total = x if total is None else total + x
    sf.write(folder / "mix.wav", total * 0.5, sr)
    return folder


def test_estimate_json_never_replaces_a_stem(tmp_path, capsys):
    folder = _song_folder(tmp_path)
    bass = folder / "bass.wav"
    before = bass.read_bytes()
    err = _error(capsys, ["estimate", str(folder), "--json", str(bass)])
    assert "over an input" in err and "bass.wav" in err
    assert bass.read_bytes() == before
    err = _error(capsys, ["estimate", str(folder), "--json", str(folder / "mix.wav")])
    assert "over an input" in err


def test_quiet_estimate_still_prints_its_results_and_q_works_after_the_command(tmp_path, capsys):
    folder = _song_folder(tmp_path)
    for argv in (["-q", "estimate", str(folder)], ["estimate", str(folder), "-q"]):
        assert main(argv) == 0, capsys.readouterr().err
        out = capsys.readouterr().out
        assert "gain dB" in out and "bass" in out, argv


@pytest.mark.parametrize("command", ["demo", "inspect", "estimate", "train", "learn", "evaluate", "models",
                                     "mix", "apply", "suggest", "render", "report"])
def test_every_command_takes_q_and_v_after_its_name(command):
    from automix.cli import build_parser

    parser = build_parser(only=command)
    positional = {"demo": ["d"], "inspect": ["a.rpp"], "estimate": ["s"], "train": ["d", "--out", "o"],
                  "learn": ["a.rpp"], "evaluate": ["d"], "models": [], "mix": ["a.rpp"], "apply": ["a.rpp", "p.json"],
                  "suggest": ["a.rpp", "--at", "1"], "render": ["a.rpp", "-o", "x.wav"],
                  "report": ["a.rpp", "-o", "x.html"]}[command]
    assert parser.parse_args([command, *positional, "-q"]).quiet is True
    assert parser.parse_args(["-v", command, *positional]).verbose is True


# ---------------------------------------------------------------- numbers and folders (issue 14, item 8)

@pytest.mark.parametrize("argv, expect", [
    (["estimate", "SONG", "--frame-s", "nan"], "argument --frame-s: 'nan' is not a finite number"),
    (["estimate", "SONG", "--frame-s", "1e9"], "argument --frame-s: 1000000000.0 is not between 0.005 and 10"),
    (["estimate", "SONG", "--max-lag-s", "1e9"], "argument --max-lag-s: 1000000000.0 is not between 0 and 10"),
    (["render", "a.rpp", "-o", "x.wav", "--normalize", "nan"], "argument --normalize: 'nan' is not a finite"),
    (["render", "a.rpp", "-o", "x.wav", "--normalize", "1000"], "argument --normalize: 1000.0 is not between -70 and 0"),
    (["mix", "a.rpp", "--jobs", "0"], "--jobs must be >= 1, got 0"),
    (["train", "d", "--out", "o", "--components", "x"], "argument --components: 'x' is not a whole number"),
])
def test_numeric_options_are_range_checked_in_one_line(capsys, argv, expect):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expect in err and err.count("\n") == 1, err


def test_render_normalize_out_of_range_writes_nothing(tmp_path, capsys):
    song = make_song(tmp_path)
    assert main(["render", str(song), "-o", str(tmp_path / "x.wav"), "--unmixed", "--normalize", "inf"]) == 2
    assert not (tmp_path / "x.wav").exists()


@pytest.mark.parametrize("command", ["learn", "train", "evaluate"])
def test_model_and_report_folders_that_are_files_are_refused(tmp_path, capsys, command):
    song = make_song(tmp_path)
    existing = tmp_path / "taken"
    existing.write_text("keep me")
    option = "--report" if command == "evaluate" else "--out"
    err = _error(capsys, [command, str(song), option, str(existing)])
    assert "not a folder" in err and str(existing) in err
    assert existing.read_text() == "keep me"


def test_learn_into_a_folder_that_cannot_be_written(tmp_path, capsys):
    song = make_song(tmp_path)
    if os.geteuid() == 0:  # permission bits do not stop root: /proc takes no new folders
        target = Path("/proc/automix-models")
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        target = locked / "models"
    err = _error(capsys, ["learn", str(song), "--out", str(target)])
    assert "read-only" in err or "cannot" in err


def test_a_failed_learn_leaves_the_previous_personal_models(tmp_path, monkeypatch):
    import automix.training.fit as fit
    from automix.errors import ModelError

    song = make_song(tmp_path)
    out = tmp_path / "personal"
    fit.learn_from_projects([song], out)
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert any(name.endswith(".npz") for name in before)

    def broken(samples, out_dir, *args, **kwargs):
        (Path(out_dir) / "half-written.json").write_text("{")
        raise ModelError("training failed half-way")

    monkeypatch.setattr(fit, "train_models", broken)
    with pytest.raises(ModelError, match="half-way"):
        fit.learn_from_projects([song], out)
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
