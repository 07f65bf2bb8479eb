"""Lossless round trip of real and generated project text, and parse errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from automix import rpp
from automix.errors import AutomixError, ProjectParseError
from automix.rpp import Chunk, Line

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "rpp-corpus"
CORPUS_FILES = sorted(CORPUS.glob("**/*.rpp")) if CORPUS.is_dir() else []

SMALL = (
    '<REAPER_PROJECT 0.1 "7.18/win64" 1727695451\n'
    "  SAMPLERATE 48000 0 0\n"
    "  <TRACK {AAAA}\n"
    '    NAME "Lead Vox"\n'
    "    VOLPAN 0.5 -0.25 -1 -1 1\n"
    "    <ITEM\n"
    "      POSITION 1.5\n"
    "    >\n"
    "  >\n"
    ">\n"
)


@pytest.mark.skipif(not CORPUS_FILES, reason="../shared/rpp-corpus not present (fresh clone)")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name[:60])
def test_corpus_file_round_trips_byte_for_byte(path: Path) -> None:
    data = path.read_bytes()
    doc = rpp.load(path)
    assert rpp.dumps(doc).encode("utf-8") == data
    # Materialising every chunk's children (tokenizing all lines) must not change the output.
    for chunk in doc.iter():
        for node in chunk.children:
            if isinstance(node, Line):
                node.tokens
    assert rpp.dumps(doc).encode("utf-8") == data


def test_structure_find_findall_iter_and_line_numbers() -> None:
    doc = rpp.loads(SMALL)
    root = doc.root
    assert root.tag == "REAPER_PROJECT" and root.args == ["0.1", "7.18/win64", "1727695451"]
    track = root.find("TRACK")
    assert track is not None and track.args == ["{AAAA}"] and track.line == 3 and track.end_line == 9
    assert track.find_line("NAME").values == ["Lead Vox"]
    assert track.find_line("NAME").line == 4
    assert track.get_values("VOLPAN") == ["0.5", "-0.25", "-1", "-1", "1"]
    assert [c.tag for c in doc.iter()] == ["REAPER_PROJECT", "TRACK", "ITEM"]
    assert [c.tag for c in root.iter("ITEM")] == ["ITEM"]
    assert root.findall("ITEM") == []
    assert track.find("ITEM").find_line("POSITION").line == 7


@pytest.mark.parametrize("text", [
    SMALL.replace("\n", "\r\n"),
    SMALL + "\0",
    SMALL.replace("  <TRACK", "  \n   \t\n  <TRACK"),              # whitespace-only lines
    SMALL.replace("      POSITION", "          POSITION 1          SNAPOFFS 0\n POSITION"),
    SMALL + SMALL.replace("48000", "44100"),                       # .rpp-bak with 2 roots
    SMALL.replace("Lead Vox", "Вокал «лид» 🎤"),                    # non-ASCII
    SMALL.replace("    NAME", "NAME"),                              # wrong indentation
    SMALL[:-1],                                                      # no final newline
    "\ufeff" + SMALL,                                                # BOM
    SMALL.replace('NAME "Lead Vox"', "NAME `a'b\"c`  "),            # backticks + trailing spaces
])
def test_edge_case_text_round_trips(text: str) -> None:
    assert rpp.dumps(rpp.loads(text)) == text


def test_two_roots_are_both_visible() -> None:
    doc = rpp.loads(SMALL + SMALL.replace("48000", "44100"))
    assert len(doc.roots) == 2
    assert [r.get_values("SAMPLERATE")[0] for r in doc.roots] == ["48000", "44100"]


def test_changed_line_is_reemitted_in_reaper_style_with_file_newline() -> None:
    doc = rpp.loads(SMALL.replace("\n", "\r\n"))
    track = doc.root.find("TRACK")
    track.find_line("NAME").values = ["Bass DI"]
    track.find("ITEM").set_values("LENGTH", [2.25])
    out = rpp.dumps(doc)
    expected = (SMALL.replace('NAME "Lead Vox"', 'NAME "Bass DI"')
                .replace("      POSITION 1.5\n", "      POSITION 1.5\n      LENGTH 2.25\n")
                .replace("\n", "\r\n"))
    assert out == expected


def test_new_chunk_inserted_is_indented_by_depth() -> None:
    doc = rpp.loads(SMALL)
    track = doc.root.find("TRACK")
    env = Chunk("VOLENV2", (), [Line.from_values("ACT", (1, -1)), Line("PT 0 1 0")])
    track.insert(track.index(track.find("ITEM")), env)
    out = rpp.dumps(doc)
    assert "    <VOLENV2\n      ACT 1 -1\n      PT 0 1 0\n    >\n    <ITEM\n" in out
    assert rpp.dumps(rpp.loads(out)) == out


def test_replace_and_remove_child_chunk() -> None:
    doc = rpp.loads(SMALL)
    track = doc.root.find("TRACK")
    item = track.find("ITEM")
    track.replace(item, Chunk("ITEM", (), [Line.from_values("POSITION", [3])]))
    assert "      POSITION 3\n" in rpp.dumps(doc) and "1.5" not in rpp.dumps(doc)
    track.remove(track.find("ITEM"))
    assert "ITEM" not in rpp.dumps(doc)


@pytest.mark.parametrize("text, line, fragment", [
    ("", 1, "empty"),
    ("   \n\n", 1, "empty"),
    ("hello world\n", 1, "not a REAPER project"),
    ("<TRACK {A}\n>\n", 1, "not a REAPER project"),
    ("\x00\x01\x02junk\xff\n", 1, "not a REAPER project"),
    (SMALL.replace("    >\n  >\n>\n", ""), 6, "not closed"),      # truncated: innermost ITEM at line 6
    (SMALL + ">\n", 11, "closes no open chunk"),
    (SMALL + "garbage\n", 11, "unexpected text"),
    (SMALL + "<TRACK {B}\n>\n", 11, "root chunk <TRACK"),
])
def test_bad_text_raises_parse_error_with_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(ProjectParseError) as info:
        rpp.loads(text, file="song.rpp")
    assert info.value.line == line
    assert info.value.file == "song.rpp"
    assert fragment in str(info.value) and str(info.value).startswith(f"song.rpp:{line}: ")


def test_truncated_text_parses_partially_when_not_strict() -> None:
    text = SMALL.replace("    >\n  >\n>\n", "")
    doc = rpp.loads(text, strict=False)
    assert doc.truncated_line == 6
    assert doc.root.find("TRACK").find("ITEM").get_values("POSITION") == ["1.5"]
    assert rpp.dumps(doc) == text


def test_latin1_bytes_of_older_projects_round_trip_byte_for_byte(tmp_path: Path) -> None:
    from automix.project.save import save_document

    path = tmp_path / "old.rpp"
    data = SMALL.encode().replace(b"Lead Vox", b"Lead Vox \xe9t\xe9")  # "été" in Latin-1
    path.write_bytes(data)
    doc = rpp.load(path)
    name = doc.root.find("TRACK").get_values("NAME")[0]
    assert rpp.display_text(name) == "Lead Vox été"
    save_document(doc, tmp_path / "copy.rpp", keep_backup=False)
    assert (tmp_path / "copy.rpp").read_bytes() == data


def test_unknown_chunks_are_kept_verbatim() -> None:
    text = SMALL.replace("  <TRACK", "  <SOMETHING_NEW x \"y z\"\n    |free text  \n    ZZ 1\n  >\n  <TRACK")
    doc = rpp.loads(text)
    assert doc.root.find("SOMETHING_NEW").args == ["x", "y z"]
    assert rpp.dumps(doc) == text


def test_missing_file_raises_parse_error(tmp_path: Path) -> None:
    with pytest.raises(AutomixError, match="cannot read"):
        rpp.load(tmp_path / "nope.rpp")
