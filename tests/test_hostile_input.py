"""Hostile or broken input ends in one AutomixError naming the file and the limit, in bounded memory.

Each case ran out of memory, hung or raised a traceback before the limits of
:mod:`automix.util.bounded`, :mod:`automix.project.model`, :mod:`automix.plan.json_io`,
:mod:`automix.models.files` and :mod:`automix.features.cache` existed. The
memory-bound cases run the command in a child process limited to
:data:`ADDRESS_SPACE_LIMIT` bytes of address space, so a regression fails
quickly instead of exhausting the machine.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from rpp_factory import (
    FactoryItem,
    FactoryTrack,
    project_text,
    write_project,
    write_wav,
)

from automix.errors import MediaError, ModelError, PlanError, ProjectParseError
from automix.features.cache import MAX_CACHE_ENTRY_BYTES, FeatureCache
from automix.models.files import MAX_MODEL_JSON_BYTES, load_model
from automix.plan.json_io import (
    MAX_PLAN_BYTES,
    MAX_PLAN_JSON_DEPTH,
    load_plan,
    plan_from_json,
)
from automix.project.model import MAX_PLAY_RATE, MAX_TIMELINE_S, MIN_SAMPLE_RATE_HZ
from automix.project.reader import read_project

ADDRESS_SPACE_LIMIT = 3 << 30
"""Address space of the child processes (numpy + scipy + PyAV need ~1 GB of it mapped)."""


def _run_limited(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run ``code`` in a child Python whose address space is capped; returns the finished process."""
    prelude = textwrap.dedent(f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE_LIMIT}, {ADDRESS_SPACE_LIMIT}))
    """)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240)


def _cli_limited(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    return _run_limited(f"import sys\nfrom automix.cli import main\nsys.exit(main({args!r}))", tmp_path)


def _assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    assert proc.returncode not in (0, -9), (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr, proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if "error" in line.lower()]
    assert errors, proc.stderr
    for needle in needles:
        assert needle in proc.stderr, (needle, proc.stderr)
    return proc.stderr


# ---------------------------------------------------------------- project values


def _project_with(tmp_path: Path, *, length_s: float = 1.0, play_rate: float = 1.0, sample_rate: int = 44100) -> Path:
    write_wav(tmp_path / "a.wav", seconds=1.0)
    text = project_text([FactoryTrack("Bass", items=[FactoryItem(0, 1.0, "a.wav")])], sample_rate=sample_rate)
    text = text.replace("LENGTH 1\n", f"LENGTH {length_s!r}\n").replace("PLAYRATE 1 ", f"PLAYRATE {play_rate!r} ")
    path = tmp_path / "song.rpp"
    path.write_text(text, encoding="utf-8")
    return path


def test_huge_item_length_is_refused_naming_file_line_and_limit(tmp_path):
    path = _project_with(tmp_path, length_s=1e12)
    with pytest.raises(ProjectParseError) as info:
        read_project(path)
    msg = str(info.value)
    assert str(path) in msg and "LENGTH 1e+12 s" in msg and f"{MAX_TIMELINE_S / 3600:g} hours" in msg
    assert info.value.line is not None and "LENGTH" in path.read_text().splitlines()[info.value.line - 1]
    assert info.value.track == "Bass"


def test_huge_item_length_mix_ends_in_one_line_error_with_bounded_memory(tmp_path):
    path = _project_with(tmp_path, length_s=1e12)
    proc = _cli_limited(["mix", str(path), "--dry-run", "--no-cache"], tmp_path)
    _assert_one_line_error(proc, "LENGTH", "hours")


@pytest.mark.parametrize("rate", [1e300, 1e-9, 0.0])
def test_play_rate_outside_the_rendered_range_is_refused(tmp_path, rate):
    path = _project_with(tmp_path, play_rate=rate)
    with pytest.raises(ProjectParseError) as info:
        read_project(path)
    assert "PLAYRATE" in str(info.value) and f"{MAX_PLAY_RATE:g}" in str(info.value) and str(path) in str(info.value)


def test_project_sample_rate_of_one_hz_is_refused(tmp_path):
    path = _project_with(tmp_path, sample_rate=1)
    with pytest.raises(ProjectParseError, match=f"SAMPLERATE 1 Hz outside the {MIN_SAMPLE_RATE_HZ}"):
        read_project(path)


def test_a_real_project_stays_within_every_limit(tmp_path):
    path = _project_with(tmp_path, length_s=3 * 3600.0, play_rate=MAX_PLAY_RATE)
    project = read_project(path)
    assert project.tracks[0].items[0].length_s == 3 * 3600.0
    assert project.tracks[0].items[0].active_take.play_rate == MAX_PLAY_RATE


# ---------------------------------------------------------------- audio headers


def _garbage_fmt_wav(path: Path, fmt_body: bytes) -> Path:
    sf.write(str(path), np.zeros((1000, 1), np.float32), 44100, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    i = data.find(b"fmt ")
    data[i + 8: i + 8 + len(fmt_body)] = fmt_body
    path.write_bytes(bytes(data))
    return path


# fmt bodies (16 bytes) that libsndfile refuses and FFmpeg half-accepts: an absurd rate with 0
# channels (PyAV raised AttributeError), an unknown channel count (avcodec_open2 failed on
# read), a 64-bit sample format PyAV cannot convert (ValueError on read).
GARBAGE_FMT = [bytes.fromhex("0100010044acc2002058010002001030"),
               bytes.fromhex("0100e5e944848065886a20f002001000"),
               bytes.fromhex("01000100446e0000b158bb0002003a00")]


@pytest.mark.parametrize("body", GARBAGE_FMT, ids=["zero-channels", "bad-channels", "s64"])
def test_garbage_fmt_chunk_is_a_media_error_naming_the_file(tmp_path, body):
    from automix.audio.io import open_audio

    path = _garbage_fmt_wav(tmp_path / "broken.wav", body)
    with pytest.raises(MediaError) as info:
        with open_audio(path) as reader:
            reader.read(0, 1000)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_one_hz_wav_is_a_media_error_naming_the_file(tmp_path):
    from automix.audio.io import open_audio

    path = tmp_path / "onehz.wav"
    sf.write(str(path), np.zeros((10, 1), np.float32), 1, subtype="PCM_16")
    with pytest.raises(MediaError, match=r"sample rate 1 Hz outside") as info:
        open_audio(path)
    assert str(path) in str(info.value)


def test_garbage_wav_in_a_project_gives_one_line_cli_error(tmp_path):
    _garbage_fmt_wav(tmp_path / "a.wav", GARBAGE_FMT[0])
    path = write_project(tmp_path / "song.rpp", [FactoryTrack("Bass", items=[FactoryItem(0, 0.02, "a.wav")])])
    proc = _cli_limited(["mix", str(path), "--dry-run", "--no-cache"], tmp_path)
    _assert_one_line_error(proc, "a.wav")


# ---------------------------------------------------------------- plans


def test_plan_nested_100000_deep_is_a_plan_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000)
    with pytest.raises(PlanError, match=f"deeper than {MAX_PLAN_JSON_DEPTH} levels") as info:
        load_plan(path)
    assert str(path) in str(info.value)


def test_plan_with_a_million_regions_is_refused_in_bounded_memory(tmp_path):
    region = '{"name":"","section":"verse","start_s":0,"end_s":1,"tracks":[]}'
    path = tmp_path / "huge.json"
    with open(path, "w") as fh:
        fh.write('{"version":1,"genre":"rock","model":"","regions":[')
        fh.write(",".join([region] * 1_000_000))
        fh.write("]}")
    assert path.stat().st_size > MAX_PLAN_BYTES
    proc = _run_limited(f"""
        from automix.plan.json_io import load_plan
        from automix.errors import PlanError
        try:
            load_plan({str(path)!r})
        except PlanError as exc:
            print("PlanError:", exc)
    """, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"{path}: plan file larger than the {MAX_PLAN_BYTES >> 20} MiB" in proc.stdout


def test_plan_region_count_limit_applies_to_text_too():
    from automix.plan.json_io import MAX_PLAN_REGIONS

    region = '{"name":"","section":"verse","start_s":0,"end_s":1,"tracks":[]}'
    text = '{"version":1,"genre":"rock","model":"","regions":[' + ",".join([region] * (MAX_PLAN_REGIONS + 1)) + "]}"
    with pytest.raises(PlanError, match=f"{MAX_PLAN_REGIONS + 1} regions, more than the {MAX_PLAN_REGIONS}"):
        plan_from_json(text, file="p.json")


# ---------------------------------------------------------------- models


def _saved_model(tmp_path: Path) -> Path:
    from test_model_io import _save

    return _save(tmp_path / "models")[0]


def _rewrite_npz_with(json_path: Path, extra: dict[str, bytes]) -> None:
    """Add raw members to the model's npz and record its new checksum (a 'valid' tampered model)."""
    import hashlib

    doc = json.loads(json_path.read_text())
    npz = json_path.parent / doc["arrays_file"]
    with zipfile.ZipFile(npz, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in extra.items():
            zf.writestr(name, data)
    doc["arrays_sha256"] = hashlib.sha256(npz.read_bytes()).hexdigest()
    json_path.write_text(json.dumps(doc))


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr)
    return buf.getvalue()


def test_model_npz_extra_array_is_never_decompressed(tmp_path):
    import tracemalloc

    path = _saved_model(tmp_path)
    _rewrite_npz_with(path, {"extra.npy": _npy_bytes(np.zeros(64 << 17))})  # 64 MiB of zeros, deflated
    tracemalloc.start()
    loaded = load_model(path)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert loaded.model.track_types[0] == "kick" and loaded.model.n_features_in_ > 0
    assert peak < 8 << 20, f"peak {peak / 2**20:.1f} MiB while loading a 64 MiB-padded model"


def _npy_claiming(shape: str, data: bytes) -> bytes:
    """An ``.npy`` member whose header declares ``shape`` float64 values but holds ``data``."""
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': %s, }" % shape
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + data


def test_model_array_header_claiming_terabytes_is_a_model_error(tmp_path):
    path = _saved_model(tmp_path)
    npz = path.parent / json.loads(path.read_text())["arrays_file"]
    with zipfile.ZipFile(npz) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["model.type_counts.npy"] = _npy_claiming("(1099511627776,)", np.zeros(3).tobytes())
    with zipfile.ZipFile(npz, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    _rewrite_npz_with(path, {})
    with pytest.raises(ModelError, match=r"header says shape \(1099511627776,\)") as info:
        load_model(path)
    assert str(npz) in str(info.value)


def test_model_description_over_the_size_limit_is_refused(tmp_path):
    path = _saved_model(tmp_path)
    doc = path.read_text()
    path.write_text(doc[:-2] + " " * (MAX_MODEL_JSON_BYTES + 10) + doc[-2:])
    with pytest.raises(ModelError, match=f"larger than the {MAX_MODEL_JSON_BYTES >> 20} MiB") as info:
        load_model(path)
    assert str(path) in str(info.value)


def test_model_description_that_is_dev_zero_is_refused_in_bounded_memory(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "rock__chorus.json").symlink_to("/dev/zero")
    proc = _run_limited(f"""
        from automix.models.files import load_model
        from automix.errors import ModelError
        try:
            load_model({str(folder / "rock__chorus.json")!r})
        except ModelError as exc:
            print("ModelError:", exc)
    """, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "rock__chorus.json: model description larger than the 4 MiB" in proc.stdout


# ---------------------------------------------------------------- cache entries


def test_cache_entry_extra_array_is_never_decompressed_and_oversized_entries_are_dropped(tmp_path):
    import tracemalloc

    cache = FeatureCache(tmp_path / "c")
    key = "ab" * 32
    assert cache.put(key, {"vectors": np.ones((3, 4))})
    with zipfile.ZipFile(cache.folder / f"{key}.npz", "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("extra.npy", _npy_bytes(np.zeros(MAX_CACHE_ENTRY_BYTES // 8 * 4)))
    tracemalloc.start()
    got = cache.get(key, ("vectors",))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert got is not None and np.array_equal(got["vectors"], np.ones((3, 4)))
    assert peak < 4 << 20
    assert cache.get(key) is None  # every array asked for: over the limit, dropped with a warning
    assert not (cache.folder / f"{key}.npz").exists()
    assert any(f"{key}.npz" in w and f"{MAX_CACHE_ENTRY_BYTES >> 20} MiB" in w for w in cache.warnings)
