"""The per-project feature cache: hits, misses, invalidation, corrupt entries."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from automix.errors import MediaError
from automix.features.cache import (
    FEATURE_SET_VERSION,
    FeatureCache,
    cache_folder_for,
    media_key,
    track_media_paths,
)


@pytest.fixture()
def media(tmp_path):
    a = tmp_path / "kick.wav"
    b = tmp_path / "bass.wav"
    a.write_bytes(b"\0" * 100)
    b.write_bytes(b"\1" * 200)
    return a, b


def test_folder_beside_project():
    assert cache_folder_for("/x/song.rpp") == Path("/x/song.rpp.automix-cache")


def test_hit_and_miss_round_trip(tmp_path, media):
    cache = FeatureCache(tmp_path / "song.rpp.automix-cache")
    key = media_key(media, {"sample_rate": 48000, "frame_s": 0.02})
    assert cache.get(key) is None and cache.misses == 1
    arrays = {"rms": np.linspace(0, 1, 50, dtype=np.float32), "bands": np.eye(5)}
    assert cache.put(key, arrays) is True
    got = cache.get(key)
    assert cache.hits == 1 and set(got) == {"rms", "bands"}
    np.testing.assert_array_equal(got["rms"], arrays["rms"])
    assert got["rms"].dtype == np.float32
    index = json.loads(cache.index_path.read_text())
    assert index["entries"][key]["arrays"] == ["bands", "rms"]
    assert key in cache
    # no temporary files left behind
    assert sorted(p.name for p in cache.folder.iterdir()) == sorted([f"{key}.npz", "index.json"])


def test_key_depends_on_params_paths_version_not_order(media):
    a, b = media
    k = media_key([a, b], {"sr": 48000})
    assert media_key([b, a, a], {"sr": 48000}) == k
    assert media_key([a, b], {"sr": 44100}) != k
    assert media_key([a], {"sr": 48000}) != k
    assert media_key([a, b], {"sr": 48000}, feature_set_version=FEATURE_SET_VERSION + 1) != k
    assert len(k) == 64 and int(k, 16) >= 0
    assert media_key([a, b], {"sr": np.int64(48000)}) == k
    with pytest.raises(TypeError, match="'sr'"):
        media_key([a, b], {"sr": [48000]})


def test_invalidation_on_mtime_and_size_change(tmp_path, media):
    a, b = media
    cache = FeatureCache(tmp_path / "c")
    key = media_key([a, b], {"sr": 48000})
    cache.put(key, {"x": np.arange(3)})
    st = os.stat(a)
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    key_touched = media_key([a, b], {"sr": 48000})
    assert key_touched != key and cache.get(key_touched) is None
    a.write_bytes(b"\0" * 101)
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    key_resized = media_key([a, b], {"sr": 48000})
    assert key_resized not in (key, key_touched)


def test_missing_media_names_file(tmp_path):
    with pytest.raises(MediaError, match="gone.wav"):
        media_key([tmp_path / "gone.wav"], {})


@pytest.mark.parametrize("damage", [
    lambda p: p.write_bytes(b"not a zip at all"),
    lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    lambda p: p.write_bytes(b""),
])
def test_corrupt_entry_is_discarded_and_recomputed(tmp_path, media, damage):
    cache = FeatureCache(tmp_path / "c")
    key = media_key(media, {})
    cache.put(key, {"x": np.arange(1000.0)})
    damage(cache.folder / f"{key}.npz")
    assert cache.get(key) is None
    assert not (cache.folder / f"{key}.npz").exists()
    assert key not in cache.read_index()
    calls = []
    out = cache.get_or_compute(key, lambda: calls.append(1) or {"x": np.arange(1000.0)})
    assert calls == [1] and out["x"][-1] == 999.0
    assert cache.get_or_compute(key, lambda: calls.append(1) or {}) ["x"].shape == (1000,)
    assert calls == [1]


def test_pickled_npz_is_refused_and_discarded(tmp_path, media):
    cache = FeatureCache(tmp_path / "c")
    cache.folder.mkdir()
    key = media_key(media, {})
    np.savez(cache.folder / f"{key}.npz", x=np.array([{"a": 1}], dtype=object))
    assert cache.get(key) is None
    with pytest.raises(ValueError, match="pickling"):
        cache.put(key, {"x": np.array([None], dtype=object)})


def test_broken_index_is_rebuilt(tmp_path, media):
    cache = FeatureCache(tmp_path / "c")
    k1 = media_key(media, {"n": 1})
    k2 = media_key(media, {"n": 2})
    cache.put(k1, {"x": np.zeros(2)})
    cache.index_path.write_text("{ broken")
    assert cache.read_index() == {}
    cache.put(k2, {"x": np.ones(2)})
    assert set(cache.read_index()) == {k1, k2}
    assert cache.prune([k2]) == 1 and cache.get(k1) is None and cache.get(k2) is not None
    assert set(cache.read_index()) == {k2}


def test_unwritable_folder_does_not_fail(tmp_path, media):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = FeatureCache(blocker / "cache")  # parent is a file: cannot create
    key = media_key(media, {})
    assert cache.put(key, {"x": np.zeros(1)}) is False
    assert cache.get(key) is None


def test_bad_key_rejected(tmp_path):
    with pytest.raises(ValueError, match="invalid cache key"):
        FeatureCache(tmp_path).get("../../etc/passwd")


def test_track_media_paths(tmp_path, media):
    from automix.project.model import Fade, Item, Source, Take, Track

    def item(path, kind="WAVE", muted=False):
        take = Take("t", 1.0, False, 0.0, 0.0, 1.0, True, 0.0, 0, Source(kind, path.name, path, True))
        return Item(0.0, 1.0, 0.0, False, 1.0, Fade(), Fade(), muted, (take,), 0)

    a, b = media
    track = Track(0, "{X}", "T", 1.0, 0.0, False, False, 0, None,
                  items=(item(a), item(b, muted=True), item(tmp_path / "m.mid", kind="MIDI")))
    assert track_media_paths(track) == [a]


def test_a_file_rewritten_with_the_same_size_and_mtime_is_analysed_again(tmp_path):
    """Issue 14, item 10: the key holds a digest of the file's first and last bytes, not only size and mtime."""
    from test_heard import _song

    from automix.features.analysis import analyse_project
    from automix.project.reader import read_project

    song = _song(tmp_path)
    media = tmp_path / "media" / "Gtr.wav"
    cache = FeatureCache(tmp_path / "cache")
    first = analyse_project(read_project(song), cache=cache)
    st = os.stat(media)
    data = bytearray(media.read_bytes())
    samples = np.frombuffer(bytes(data[-4000:]), dtype="<f4") * 0.25  # its first and last 1000 samples at -12 dB
    data[-4000:] = samples.astype("<f4").tobytes()
    head = np.frombuffer(bytes(data[200:4200]), dtype="<f4") * 0.25
    data[200:4200] = head.astype("<f4").tobytes()
    media.write_bytes(bytes(data))
    os.utime(media, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(media).st_size == st.st_size and os.stat(media).st_mtime_ns == st.st_mtime_ns
    again = analyse_project(read_project(song), cache=FeatureCache(tmp_path / "cache"))
    gtr = next(t for t in again.tracks if t.name == "Gtr")
    assert not gtr.from_cache and sum(t.from_cache for t in again.tracks) == 3
    assert gtr.features[0].rms_db < next(t for t in first.tracks if t.name == "Gtr").features[0].rms_db - 0.2
