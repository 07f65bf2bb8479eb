"""Tracks with PyAV-decoded media analysed in forked worker processes (automix.features.analysis)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from rpp_factory import FactoryItem, FactoryTrack, write_project
from test_audio_io import _write_aac_noise

import automix.features.analysis as analysis
from automix.errors import MediaError
from automix.features.analysis import analyse_project, analyse_tracks, fork_context, project_sections
from automix.project.reader import read_project

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="worker processes are forked on Linux only")


@pytest.fixture
def m4a_project(tmp_path):
    """Four AAC tracks of 3 s and one whose file is garbage, in two regions."""
    pytest.importorskip("av", reason="PyAV (the m4a extra) not installed")
    media = tmp_path / "media"
    media.mkdir()
    tracks = []
    for k in range(4):
        _write_aac_noise(media / f"t{k}.m4a", 3 * 48000, 48000, seed=k)
        tracks.append(FactoryTrack(f"Synth {k}", [FactoryItem(0.0, 3.0, f"media/t{k}.m4a")]))
    (media / "broken.m4a").write_bytes(b"\0" * 4096)
    tracks.append(FactoryTrack("Broken", [FactoryItem(0.0, 3.0, "media/broken.m4a")]))
    return write_project(tmp_path / "song.rpp", tracks, regions=[(1, "Verse", 0.0, 1.5), (2, "Chorus", 1.5, 3.0)],
                         sample_rate=48000)


def _features(project, threads, monkeypatch=None, processes=True):
    if not processes:
        monkeypatch.setattr(analysis, "fork_context", lambda: None)
    p = read_project(project)
    return analyse_project(p, use_cache=False, threads=threads)


def test_processes_give_the_features_of_the_threads_and_the_same_notes(m4a_project, monkeypatch):
    assert fork_context() is not None  # the test process runs no other thread here
    forked = _features(m4a_project, 2)
    threaded = _features(m4a_project, 2, monkeypatch, processes=False)
    assert [t.name for t in forked.tracks] == [f"Synth {k}" for k in range(4)]
    np.testing.assert_array_equal(forked.vectors(), threaded.vectors())
    assert forked.notes == threaded.notes and any("broken.m4a" in n for n in forked.notes)


def test_media_errors_cross_the_process_boundary_with_their_file(m4a_project):
    project = read_project(m4a_project)
    sections = project_sections(project)
    results = list(analyse_tracks(project, project.tracks, sections, threads=2))
    errors = [r for r in results if isinstance(r, MediaError)]
    assert len(errors) == 1 and errors[0].file.endswith("broken.m4a") and errors[0].message


_ANALYSE_IN_CHILD = analysis._analyse_in_child


def _dies_on_track_1(index):
    """A worker task that dies as a killed worker on track 1 (module level: tasks cross to the workers by name)."""
    if index == 1:
        os._exit(9)
    return _ANALYSE_IN_CHILD(index)


def test_a_killed_worker_leaves_its_tracks_to_this_process(m4a_project, monkeypatch):
    reference = _features(m4a_project, 1)
    monkeypatch.setattr(analysis, "_analyse_in_child", _dies_on_track_1)
    again = _features(m4a_project, 2)
    np.testing.assert_array_equal(again.vectors(), reference.vectors())


def test_no_worker_processes_from_a_threaded_or_daemonic_process(monkeypatch):
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert fork_context() is None  # forking a process that runs threads copies their locks
    finally:
        stop.set()
        other.join()
    monkeypatch.setattr(analysis.multiprocessing.current_process(), "daemon", True, raising=False)
    assert fork_context() is None


KILLED_MIX = """
import os, signal, sys, time
sys.path[:0] = {paths!r}
import automix.features.analysis as analysis
from automix.project.reader import read_project

def sleeping_child(index):
    open(os.path.join({folder!r}, f"worker-{{os.getpid()}}"), "w").close()
    time.sleep(60)

analysis._analyse_in_child = sleeping_child
project = read_project({project!r})
pid = os.fork()
if pid == 0:  # the mix process: analyses until it is killed, as the REAPER action's cancel kills its worker
    analysis.analyse_project(project, use_cache=False, threads=2)
    os._exit(0)
deadline = time.time() + 30
while len([f for f in os.listdir({folder!r}) if f.startswith("worker-")]) < 2 and time.time() < deadline:
    time.sleep(0.05)
os.kill(pid, signal.SIGKILL)
os.waitpid(pid, 0)
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_workers_die_with_a_killed_mix(m4a_project, tmp_path):
    """kill -9 of the analysing process mid-analysis leaves no worker process behind (PR_SET_PDEATHSIG)."""
    folder = tmp_path / "pids"
    folder.mkdir()
    root = Path(analysis.__file__).resolve().parents[2]
    code = KILLED_MIX.format(paths=[str(root), str(root / "tests")], folder=str(folder), project=str(m4a_project))
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    pids = [int(f.name.split("-")[1]) for f in folder.iterdir()]
    assert len(pids) == 2
    deadline = time.monotonic() + 10
    while any(map(_running, pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(_running, pids)), f"worker processes {pids} outlived the killed mix"
