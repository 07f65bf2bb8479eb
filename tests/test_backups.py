"""Backups that keep the user's work, one run at a time, symlinked and read-only projects (issue 14, items 2, 6)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from test_mixjob import make_song
from test_planner import build_test_bank

from automix.errors import ProjectWriteError
from automix.jobs.mix import MixOptions, run_mix_job
from automix.project.save import backup_path, original_backup_path
from automix.util.atomic import write_text_atomic
from automix.util.lock import file_lock, lock_path_for

HAND_DRAWN = """    <VOLENV2
      EGUID {11111111-2222-3333-4444-555555555555}
      ACT 1 -1
      VIS 1 1 1
      LANEHEIGHT 0 0
      ARM 0
      DEFSHAPE 0 -1 -1
      PT 0 1 0
      PT 1.234567 0.31622777 0
    >
"""
"""A user's own volume envelope (its second point is the fingerprint the tests look for)."""


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    return build_test_bank(tmp_path_factory.mktemp("models"), "practice")


def song_with_envelope(folder: Path) -> Path:
    """The test song with :data:`HAND_DRAWN` on its first track."""
    song = make_song(folder)
    lines = song.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("MAINSEND"))
    song.write_text("".join(lines[: at + 1]) + HAND_DRAWN + "".join(lines[at + 1:]))
    return song


def test_two_in_place_runs_keep_the_users_envelope_in_a_backup(tmp_path, models):
    song = song_with_envelope(tmp_path)
    original = song.read_bytes()
    for _ in range(2):
        assert run_mix_job(song, MixOptions(models_dir=models, in_place=True)).ok
    assert b"PT 1.234567 0.31622777 0" not in song.read_bytes()  # automix replaced it in the project
    assert original_backup_path(song) == tmp_path / "song.automix-original.rpp-bak"
    assert original_backup_path(song).read_bytes() == original  # … but the user's version is on disk
    assert backup_path(song).read_bytes() != original  # REAPER's .rpp-bak: the first automix output
    assert not lock_path_for(song).exists()


def test_the_original_backup_is_never_overwritten(tmp_path):
    from automix.project.save import save_text

    song = tmp_path / "song.rpp"
    song.write_text("user v1\n")
    for text in ("automix 1\n", "automix 2\n", "automix 3\n"):
        save_text(text, song)
    assert original_backup_path(song).read_text() == "user v1\n"
    assert backup_path(song).read_text() == "automix 2\n" and song.read_text() == "automix 3\n"


def test_a_run_writing_a_locked_project_is_refused_and_writes_nothing(tmp_path, models):
    song = song_with_envelope(tmp_path)
    before = sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir() if p.is_file())
    with file_lock(song):
        with pytest.raises(ProjectWriteError, match=r"another automix run is writing this mixed project "
                                                    rf"\(lock \.song\.rpp\.automix-lock held by process {os.getpid()}\)"):
            run_mix_job(song, MixOptions(models_dir=models, in_place=True))
        after = sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir() if p.is_file() and p.name[0] != ".")
    assert after == before
    assert not lock_path_for(song).exists()


def test_two_in_place_runs_started_together_keep_the_users_envelope(tmp_path, models):
    song = song_with_envelope(tmp_path)
    original = song.read_bytes()
    argv = [sys.executable, "-m", "automix", "-q", "mix", str(song), "--in-place", "--models", str(models)]
    runs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [(r.wait(timeout=300), r.stderr.read()) for r in runs]
    for status, err in outcomes:
        assert status == 0 or (status == 2 and "another automix run is writing this mixed project" in err), err
        assert "Traceback" not in err
    assert any(status == 0 for status, _ in outcomes)
    assert original_backup_path(song).read_bytes() == original
    assert b"PT 1.234567" not in song.read_bytes()


def test_in_place_on_a_symlinked_project_writes_through_the_link(tmp_path, models):
    real = song_with_envelope(tmp_path)
    link = tmp_path / "link.rpp"  # beside it, so the media paths resolve the same from either name
    link.symlink_to(real)
    original = real.read_bytes()
    assert run_mix_job(link, MixOptions(models_dir=models, in_place=True)).ok
    assert link.is_symlink() and Path(os.readlink(link)) == real
    assert real.read_bytes() != original and b"automix EQ" in real.read_bytes()
    assert original_backup_path(real).read_bytes() == original  # backups beside the real file
    assert not (tmp_path / "link.rpp-bak").exists()


def test_a_read_only_project_gives_a_writable_output_that_later_runs_update(tmp_path, models):
    song = make_song(tmp_path)
    song.chmod(0o444)
    first = run_mix_job(song, MixOptions(models_dir=models))
    mode = stat.S_IMODE(first.output.stat().st_mode)
    assert mode & stat.S_IWUSR and mode & 0o044 == 0o044, oct(mode)
    second = run_mix_job(song, MixOptions(models_dir=models, use_eq=False))  # overwrites song.automix.rpp
    assert second.output == first.output and b"automix EQ" not in second.output.read_bytes()


def test_in_place_on_a_read_only_project_is_refused_clearly(tmp_path, models):
    song = make_song(tmp_path)
    song.chmod(0o444)
    before = song.read_bytes()
    with pytest.raises(ProjectWriteError, match=r"song\.rpp: could not save project: the file is read-only "
                                                r"\(mode 0444\)"):
        run_mix_job(song, MixOptions(models_dir=models, in_place=True))
    assert song.read_bytes() == before and stat.S_IMODE(song.stat().st_mode) == 0o444
    assert not backup_path(song).exists()


def test_atomic_writes_go_through_symlinks_and_refuse_read_only_files(tmp_path):
    target = tmp_path / "plan.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_text_atomic(link, "new")
    assert link.is_symlink() and target.read_text() == "new"
    target.chmod(0o444)
    with pytest.raises(PermissionError, match="read-only"):
        write_text_atomic(target, "newer")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "plan.json"]
