"""Batches on a Dask cluster: same bytes as the serial run, failures reported, lost workers retried once."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from test_mixjob import make_song
from test_planner import build_test_bank

import automix.jobs.mix as mixjob
from automix.cli import main
from automix.errors import MediaError
from automix.jobs.batch import batch_summary, mix_one, run_batch
from automix.jobs.mix import JobResult, MixOptions
from automix.training.dataset import collect_samples
from automix.util.distribute import (
    DaskMissingError,
    SchedulerError,
    WorkerLostError,
    local_workers,
    parse_scheduler,
    run_tasks,
)
from automix.util.progress import BAR_WIDTH, Reporter

SONGS = ("alpha", "bravo", "charlie", "delta")
SECONDS = 2.0  # short projects: the tests are about scheduling, not analysis
REGIONS = ((1, "Verse", 0.0, 1.0), (2, "Chorus", 1.0, 2.0))


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    return build_test_bank(tmp_path_factory.mktemp("models"), "practice")


def make_batch(folder: Path, names=SONGS) -> Path:
    """Projects with the same content whatever the folder (seeded by their position)."""
    for seed, name in enumerate(names, start=1):
        make_song(folder, name, seconds=SECONDS, seed=seed, regions=REGIONS)
    return folder


def written(folder: Path) -> dict[str, bytes]:
    """Every file automix wrote beside the projects (mixed projects and plans), by name."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.name.endswith((".automix.rpp", ".automix-plan.json"))}


def mix_killing_its_worker_once(project: Path, options: MixOptions) -> JobResult:
    """:func:`mix_one`, except that the first run of ``*kill*.rpp`` kills its worker process
    after analysis and planning, just before the project would be saved (a marker file remembers)."""
    marker = project.with_suffix(".killed")
    if "kill" in project.name and not marker.exists():
        marker.write_text(str(os.getpid()))

        def die(*_args: object, **_kwargs: object) -> None:
            os._exit(1)

        mixjob.save_project = die
    return mix_one(project, options)


def test_scheduler_values_are_checked():
    assert parse_scheduler(" local:2 ") == "local:2" and local_workers("local:3") == 3
    assert parse_scheduler("tcp://10.0.0.5:8786") == "tcp://10.0.0.5:8786"
    assert parse_scheduler("render1:8786") == "render1:8786" and local_workers("render1:8786") is None
    for bad in ("local:0", "local:two", "tcp://host:port", "two words"):
        with pytest.raises(SchedulerError, match=repr(bad).replace("+", r"\+")):
            parse_scheduler(bad)


def test_missing_dask_names_the_extra(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(DaskMissingError, match=r"pip install 'automix-reaper\[dask\]'"):
        run_tasks(abs, [1, -2], scheduler="local:1")
    make_batch(tmp_path, SONGS[:2])
    assert main(["mix", str(tmp_path), "--scheduler", "local:2", "-q"]) == 2
    err = capsys.readouterr().err
    assert "automix-reaper[dask]" in err and "Traceback" not in err
    assert not list(tmp_path.glob("*.automix.rpp"))


def test_bad_scheduler_options_on_the_command_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("automix.util.distribute.CONNECT_TIMEOUT_S", 1.0)
    make_batch(tmp_path, SONGS[:2])
    assert main(["mix", str(tmp_path), "--scheduler", "local:0"]) == 2
    assert "local:N needs a number of workers N >= 1, got 'local:0'" in capsys.readouterr().err
    assert main(["mix", str(tmp_path), "--scheduler", "local:2", "--jobs", "2"]) == 2
    assert "either --jobs" in capsys.readouterr().err
    assert main(["mix", str(tmp_path), "--scheduler", "tcp://127.0.0.1:1", "-q"]) == 2
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:1'" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.automix.rpp"))
    for command in (["train", str(tmp_path), "--out", str(tmp_path / "m")], ["evaluate", str(tmp_path)],
                    ["learn", str(tmp_path / "alpha.rpp"), "--out", str(tmp_path / "m")]):
        assert main([*command, "--scheduler", "two words"]) == 2
        assert "--scheduler must be 'local:N' or a Dask scheduler address" in capsys.readouterr().err
        assert main([*command, "--jobs", "0"]) == 2
        assert "--jobs must be >= 1, got 0" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_local_tasks_keep_item_order_and_raise_the_first_automix_error():
    assert run_tasks(abs, [3, -1, -7], jobs=2) == [3, 1, 7]
    done: list[int] = []
    assert run_tasks(abs, [-4, 5], on_done=lambda i, r: done.append(i)) == [4, 5] and done == [0, 1]


def test_cluster_batch_is_byte_identical_to_the_serial_run(tmp_path, models):
    serial, cluster = make_batch(tmp_path / "serial"), make_batch(tmp_path / "cluster")
    options = MixOptions(models_dir=models)
    expected = run_batch([serial], options)
    bars = io.StringIO()
    got = run_batch([cluster], options, scheduler="local:2", reporter=Reporter(bars=True, stream=bars))
    assert [r.project.name for r in got] == [f"{n}.rpp" for n in SONGS]  # the order given
    assert f"mixing projects [{'#' * BAR_WIDTH}] {len(SONGS)}/{len(SONGS)}" in bars.getvalue()
    assert all(r.ok for r in expected) and all(r.ok for r in got)
    assert [r.table for r in got] == [r.table for r in expected]
    assert [r.notes for r in got] == [r.notes for r in expected]
    assert [r.plan for r in got] == [r.plan for r in expected]
    a, b = written(serial), written(cluster)
    assert len(a) == 2 * len(SONGS) and a == b
    assert all((cluster / f"{n}.rpp.automix-cache").is_dir() for n in SONGS)


def test_cluster_batch_reports_the_broken_project_and_retries_the_killed_one(tmp_path, models):
    names = ("alpha", "broken", "kill", "delta")
    serial, cluster = make_batch(tmp_path / "serial", names), make_batch(tmp_path / "cluster", names)
    for folder in (serial, cluster):
        for media in (folder / "media").glob("broken-*.wav"):  # nothing of it can be mixed
            media.unlink()
    originals = {p.name: p.read_bytes() for p in cluster.glob("*.rpp")}
    options = MixOptions(models_dir=models)
    expected = run_batch([serial], options)
    got = run_batch([cluster], options, scheduler="local:2", job=mix_killing_its_worker_once)
    by_name = {r.project.name: r for r in got}
    assert [r.ok for r in got] == [True, False, True, True]
    error = by_name["broken.rpp"].error
    assert "broken-bass.wav" in error and "media file not found" in error and "track 'Bass'" in error
    assert error == next(r.error for r in expected if not r.ok).replace(str(serial), str(cluster))
    assert (cluster / "kill.killed").is_file()  # its first run did die
    assert written(cluster) == written(serial)  # the killed project was mixed again, same bytes
    assert not (cluster / "broken.automix.rpp").exists()
    assert {p.name: p.read_bytes() for p in cluster.glob("*.rpp") if ".automix" not in p.name} == originals
    summary = batch_summary(got)
    assert "3 of 4 projects mixed, 1 failed" in summary and f"FAILED  {cluster / 'broken.rpp'}" in summary


def _rows(samples, folder: Path) -> list[tuple]:
    """Training rows as comparable tuples, the song's folder taken out of its id and source."""
    out = []
    for s in samples:
        arrays = tuple(np.asarray(getattr(s, name)).tobytes() for name in
                       ("type_features", "present", "level_rel_db", "alpha", "pan", "eq_db"))
        out.append((s.song_id.replace(str(folder.resolve()), ""), s.source.replace(str(folder), ""), s.genre,
                    s.section, s.region, s.mix_level_db, arrays))
    return out


def test_training_features_on_a_cluster_equal_the_serial_ones(tmp_path):
    serial, cluster = make_batch(tmp_path / "serial", SONGS[:3]), make_batch(tmp_path / "cluster", SONGS[:3])
    expected = collect_samples([serial])
    got = collect_samples([cluster], scheduler="local:2")
    assert len(expected) == 2 * 3 and _rows(got, cluster) == _rows(expected, serial)
    assert all((cluster / f"{n}.rpp.automix-cache").is_dir() for n in SONGS[:3])
    (cluster / "media" / "bravo-kick.wav").unlink()  # the first failing song is raised, as in a serial run
    with pytest.raises(MediaError, match=r"bravo\.rpp.*bravo-kick\.wav"):
        collect_samples([cluster], jobs=2)


def test_process_pool_reruns_the_projects_of_a_dead_worker_once(tmp_path, models):
    names = ("alpha", "kill", "delta")
    serial, pool = make_batch(tmp_path / "serial", names), make_batch(tmp_path / "pool", names)
    options = MixOptions(models_dir=models)
    run_batch([serial], options)
    got = run_batch([pool], options, jobs=2, job=mix_killing_its_worker_once)
    assert [r.ok for r in got] == [True, True, True] and (pool / "kill.killed").is_file()
    assert written(pool) == written(serial)


def exit_when_negative(x: int) -> int:
    """``abs(x)`` for x >= 0; a negative x kills the process running it."""
    if x < 0:
        os._exit(3)
    return x


def test_a_local_task_that_kills_its_process_twice_is_reported_and_the_others_finish():
    message = "its worker process died while running it, also when run again"
    got = run_tasks(exit_when_negative, [1, -2, 3, 4, 5], jobs=2, on_lost=lambda item, why: f"lost {item}: {why}")
    assert got == [1, f"lost -2: {message}", 3, 4, 5]
    with pytest.raises(WorkerLostError, match=f"^-2: {message}$"):
        run_tasks(exit_when_negative, [1, -2, 3], jobs=2)
