"""Property-based tests: mutated plans, model folders and cache entries give a result or one AutomixError.

Each mutation (bytes cut, replaced, inserted, members swapped) of a valid file
must end either in a valid result or in an :class:`~automix.errors.AutomixError`
subclass naming the file; never another exception, and, since reads are capped
(:mod:`automix.util.bounded`), never unbounded memory.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automix.errors import AutomixError, ModelError, PlanError
from automix.features.cache import FeatureCache
from automix.models.bank import ModelBank
from automix.models.files import load_model
from automix.plan.json_io import load_plan, plan_to_json
from automix.plan.model import EqBand, MixPlan, RegionPlan, TrackPlan

PLAN_TEXT = plan_to_json(MixPlan("rock", "m", (
    RegionPlan("Verse", "verse", 0.0, 2.0, (TrackPlan("{A}", "Bass", "bass", -3.0, 0.0,
                                                      (EqBand("low_shelf", 120.0, 1.0, 2.0),)),)),
    RegionPlan("Chorus", "chorus", 2.0, 4.0, (TrackPlan("{A}", "Bass", "bass", -2.0, 0.1),)))))
JUNK = st.sampled_from([b"[", b"]", b"{", b"}", b'"', b",", b"1e999", b"NaN", b"-", b"\x00", b"\xff", b"[" * 64,
                        b"PK\x03\x04", b"\x93NUMPY"])


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(out)))
        action = draw(st.sampled_from(["cut", "insert", "replace", "truncate"]))
        if action == "cut":
            del out[pos:pos + draw(st.integers(1, 16))]
        elif action == "insert":
            out[pos:pos] = draw(JUNK)
        elif action == "replace" and pos < len(out):
            out[pos] = draw(st.integers(0, 255))
        else:
            del out[pos:]
    return bytes(out)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_bytes(PLAN_TEXT.encode()))
def test_mutated_plan_loads_or_raises_a_plan_error_naming_the_file(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.json"
        path.write_bytes(data)
        try:
            load_plan(path)
        except PlanError as exc:
            assert exc.file == str(path)


def _model_folder() -> Path:
    from test_model_io import _save

    folder = Path(tempfile.mkdtemp(prefix="automix-fuzz-models-"))
    _save(folder)
    return folder


MODEL_FOLDER = _model_folder()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["json", "npz"]), st.data())
def test_mutated_model_folder_gives_a_model_or_a_model_error(which: str, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder) / "models"
        shutil.copytree(MODEL_FOLDER, work)
        target = next(work.glob(f"*.{which}"))
        target.write_bytes(data.draw(mutated_bytes(target.read_bytes())))
        bank = ModelBank([work])
        for entry in bank.entries():
            if entry.info is None:
                assert str(entry.path) in entry.error
                continue
            try:
                load_model(entry.path)
            except ModelError as exc:
                assert exc.file is not None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_cache_entry_is_a_hit_or_a_reported_miss(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        cache = FeatureCache(Path(folder) / "c")
        key = "cd" * 32
        assert cache.put(key, {"vectors": np.arange(12.0).reshape(3, 4)})
        entry = cache.folder / f"{key}.npz"
        entry.write_bytes(data.draw(mutated_bytes(entry.read_bytes())))
        try:
            got = cache.get(key, ("vectors",))
        except AutomixError:  # pragma: no cover - the cache never raises on a bad entry
            raise AssertionError("a broken cache entry must be a miss, not an error")
        if got is None:
            assert not entry.exists() and cache.warnings and str(entry) in cache.warnings[-1]
        else:
            assert got["vectors"].dtype != object
