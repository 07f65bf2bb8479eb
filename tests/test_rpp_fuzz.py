"""Property-based test: mutated real project text gives success or an AutomixError, never a crash."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rpp_factory import FactoryItem, FactoryTrack, project_text

from automix import rpp
from automix.errors import AutomixError, ProjectWriteError
from automix.project.reader import project_from_document
from automix.project.save import save_document

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "rpp-corpus"
_SEED_NAMES = ("exvertus__reaper-projects__test_track.rpp", "KristjanKruusRIA__rpp-editor__test2.rpp",
               "Perlence__rpp__vst.rpp", "CharlesHolbrow__rppp__tricky-strings.rpp")


def _seeds() -> list[str]:
    texts = [project_text([FactoryTrack("Gtr", items=[FactoryItem(0, 1, "a\\b.wav", section=(0, 1))])],
                          regions=[(1, "Verse", 0, 2)], notes="genre: rock")]
    for name in _SEED_NAMES:
        if (CORPUS / name).is_file():
            texts.append((CORPUS / name).read_bytes().decode("utf-8"))
    return texts


SEEDS = _seeds()
JUNK = st.sampled_from(["<", ">", "\n", "\r\n", '"', "'", "`", " ", "\0", "<TRACK", "MARKER 1 x", "|", "ITEM",
                        "\ufffd", "POSITION nan", "PT a b", "<SOURCE SECTION\n", "1e309", "é"])


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        k = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "insert", "truncate", "splice"]))
        if action == "delete" and len(lines) > 1:
            del lines[k]
        elif action == "duplicate":
            lines.insert(k, lines[k])
        elif action == "insert":
            lines.insert(k, draw(JUNK) + draw(st.text(max_size=8)))
        elif action == "truncate":
            lines = lines[:k + 1]
        else:
            pos = draw(st.integers(0, len(lines[k])))
            lines[k] = lines[k][:pos] + draw(JUNK) + lines[k][pos:]
    return "\n".join(lines)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_text_parses_or_raises_automix_error(text: str) -> None:
    try:
        doc = rpp.loads(text, file="fuzz.rpp")
    except AutomixError as exc:
        assert exc.file == "fuzz.rpp" and exc.line is not None and exc.line >= 1
        return
    assert rpp.dumps(doc) == text
    try:
        project_from_document(doc, None, Path("/nonexistent-folder"))
    except AutomixError as exc:
        assert exc.line is not None and exc.line >= 1


@settings(max_examples=15, deadline=None)
@given(mutated(), st.sampled_from(["fsync", "replace", "chmod"]))
def test_failed_save_of_mutated_document_leaves_original_unchanged(text: str, failing: str) -> None:
    try:
        doc = rpp.loads(text)
    except AutomixError:
        return
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "song.rpp"
        original = SEEDS[0].encode()
        target.write_bytes(original)
        real = getattr(os, failing)

        def boom(*args: object, **kwargs: object) -> None:
            raise OSError(5, "Input/output error")

        setattr(os, failing, boom)
        try:
            with pytest.raises(ProjectWriteError):
                save_document(doc, target)
        finally:
            setattr(os, failing, real)
        assert target.read_bytes() == original
        assert sorted(p.name for p in Path(folder).iterdir()) == ["song.rpp"]
