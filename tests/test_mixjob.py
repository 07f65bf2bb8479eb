"""The mix job: output rules, saved plan, safety of the original, batches in parallel."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_factory import make_multitrack
from rpp_factory import FactoryItem, FactoryTrack, write_project
from test_planner import build_test_bank

from automix import rpp
from automix.errors import ModelError, ProjectWriteError
from automix.jobs.batch import batch_summary, run_batch
from automix.jobs.mix import MixOptions, default_output_for, plan_path_for, run_mix_job
from automix.plan.json_io import load_plan

SR = 22050
NAMES = {"kick": "Kick", "snare": "Snare", "bass": "Bass", "guitar": "Gtr", "vocal": "Lead Vox"}


def make_song(folder: Path, name: str = "song", seconds: float = 6.0, seed: int = 0,
              regions=((1, "Verse", 0.0, 3.0), (2, "Chorus", 3.0, 6.0)), genre: str | None = "rock") -> Path:
    """A small multitrack project with media (``folder/name.rpp``, ``folder/media/*.wav``)."""
    stems = make_multitrack(SR, seconds, seed)
    gains_db = {"kick": 0.0, "snare": -9.0, "bass": 6.0, "guitar": -12.0, "vocal": 3.0}  # uneven recording
    tracks = []
    for key, track_name in NAMES.items():
        rel = f"media/{name}-{key}.wav"
        (folder / "media").mkdir(parents=True, exist_ok=True)
        sf.write(str(folder / rel), np.clip(stems[key] * 10 ** (gains_db[key] / 20), -1, 1), SR, subtype="PCM_16")
        tracks.append(FactoryTrack(track_name, [FactoryItem(0.0, seconds, rel)], guid=None))
    notes = f"genre: {genre}" if genre else None
    return write_project(folder / f"{name}.rpp", tracks, regions=list(regions), sample_rate=SR, notes=notes)


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    return build_test_bank(tmp_path_factory.mktemp("models"), "practice")


def _state(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def test_default_output_leaves_the_original_alone(tmp_path, models):
    song = make_song(tmp_path)
    before = _state(song)
    result = run_mix_job(song, MixOptions(models_dir=models))
    assert result.ok and result.output == tmp_path / "song.automix.rpp"
    assert _state(song) == before
    assert result.plan_path == tmp_path / "song.automix-plan.json" and load_plan(result.plan_path) == result.plan
    assert (tmp_path / "song.rpp.automix-cache").is_dir()
    out_doc = rpp.load(result.output)
    assert len(list(out_doc.iter("VOLENV2"))) == 5 and len(list(out_doc.iter("PANENV2"))) == 5
    assert "Chorus" in result.table and "Lead Vox" in result.table and "genre: rock" in " ".join(result.notes)
    # mixing automix's own output again updates it in place, with identical bytes
    again = run_mix_job(result.output, MixOptions(models_dir=models))
    assert again.output == result.output and (tmp_path / "song.automix.rpp-bak").exists()
    assert result.output.read_bytes() == (tmp_path / "song.automix.rpp-bak").read_bytes()


def test_in_place_dry_run_and_explicit_output(tmp_path, models):
    song = make_song(tmp_path)
    original = song.read_bytes()
    dry = run_mix_job(song, MixOptions(models_dir=models, dry_run=True, plan_out=tmp_path / "p.json"))
    assert dry.output is None and not (tmp_path / "song.automix.rpp").exists()
    assert load_plan(tmp_path / "p.json") == dry.plan and song.read_bytes() == original
    out = run_mix_job(song, MixOptions(models_dir=models, output=tmp_path / "elsewhere.rpp"))
    assert out.output == tmp_path / "elsewhere.rpp" and plan_path_for(out.output) == tmp_path / "elsewhere.automix-plan.json"
    inplace = run_mix_job(song, MixOptions(models_dir=models, in_place=True))
    assert inplace.output == song and (tmp_path / "song.rpp-bak").read_bytes() == original
    assert song.read_bytes() == out.output.read_bytes()


def test_names_of_outputs():
    assert default_output_for(Path("a/b.rpp")) == Path("a/b.automix.rpp")
    assert default_output_for(Path("a/b.automix.rpp")) == Path("a/b.automix.rpp")
    assert plan_path_for(Path("a/b.automix.rpp")) == plan_path_for(Path("a/b.rpp")) == Path("a/b.automix-plan.json")


def test_read_only_folder_is_reported_before_any_work(tmp_path, models):
    song = make_song(tmp_path)
    before = _state(song)
    if os.geteuid() == 0:  # permission bits do not stop root: use a folder no one can create files in
        target = Path("/proc/automix-test.rpp")
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        target = locked / "out.rpp"
    with pytest.raises(ProjectWriteError, match=r"cannot write the mixed project: no file can be created in the folder \("):
        run_mix_job(song, MixOptions(models_dir=models, output=target))
    assert _state(song) == before and not (tmp_path / "song.rpp.automix-cache").exists()


def test_unknown_genre_and_missing_media_write_nothing(tmp_path, models):
    song = make_song(tmp_path)
    with pytest.raises(ModelError, match="unknown genre 'polka'.*rock"):
        run_mix_job(song, MixOptions(models_dir=models, genre="polka"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["media", "song.rpp"]


def test_a_missing_media_file_skips_that_track_and_mixes_the_rest(tmp_path, models):
    song = make_song(tmp_path)
    (tmp_path / "media" / "song-bass.wav").unlink()
    result = run_mix_job(song, MixOptions(models_dir=models))
    assert result.ok and "Bass" not in [t.name for t in result.plan.regions[0].tracks]
    assert len(result.plan.regions[0].tracks) == 4
    said = [n for n in result.notes if "song-bass.wav" in n]
    assert said and "track 'Bass'" in said[0] and "track skipped and left untouched" in said[0]
    assert said[0] in load_plan(result.plan_path).notes  # the plan says it too
    original = next(t for t in rpp.load(song).iter("TRACK") if t.get_values("NAME") == ["Bass"])
    mixed = next(t for t in rpp.load(result.output).iter("TRACK") if t.get_values("NAME") == ["Bass"])
    assert rpp.dumps(mixed) == rpp.dumps(original)  # left byte-identical


def test_batch_finishes_the_good_projects_and_reports_the_bad_one(tmp_path, models):
    make_song(tmp_path, "one", seed=1)
    make_song(tmp_path, "two", seed=2, genre=None)
    bad = make_song(tmp_path, "three", seed=3)
    for media in (tmp_path / "media").glob("three-*.wav"):  # nothing of it can be mixed
        media.unlink()
    results = run_batch([tmp_path], MixOptions(models_dir=models), jobs=2)
    by_name = {r.project.name: r for r in results}
    assert set(by_name) == {"one.rpp", "two.rpp", "three.rpp"}
    assert by_name["one.rpp"].ok and by_name["two.rpp"].ok and not by_name["three.rpp"].ok
    assert "three-kick.wav" in by_name["three.rpp"].error
    assert (tmp_path / "one.automix.rpp").exists() and (tmp_path / "two.automix.rpp").exists()
    assert not (tmp_path / "three.automix.rpp").exists() and bad.exists()
    assert any("genre is guessed from the instruments" in n for n in by_name["two.rpp"].notes)
    summary = batch_summary(results)
    assert "2 of 3 projects mixed, 1 failed" in summary and "FAILED" in summary
    # a folder listing skips automix's own outputs
    again = run_batch([tmp_path], MixOptions(models_dir=models, dry_run=True), jobs=1)
    assert sorted(r.project.name for r in again) == ["one.rpp", "three.rpp", "two.rpp"]


def test_output_in_another_folder_keeps_media_reachable(tmp_path, models):
    from automix.features.analysis import check_project
    from automix.project.reader import read_project

    song = make_song(tmp_path / "project")
    (tmp_path / "mixes" / "v1").mkdir(parents=True)
    result = run_mix_job(song, MixOptions(models_dir=models, output=tmp_path / "mixes" / "v1" / "song-mix.rpp"))
    mixed = read_project(result.output)
    check_project(mixed)  # every media file resolves from the new folder
    files = [it.takes[0].source.file_text for t in mixed.tracks for it in t.items]
    assert files and all(f.startswith("../../project/media/") for f in files)
    original = read_project(song)
    assert [it.takes[0].source.path for t in original.tracks for it in t.items] == \
        [it.takes[0].source.path.resolve() for t in mixed.tracks for it in t.items]
