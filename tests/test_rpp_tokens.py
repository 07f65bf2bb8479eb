"""REAPER's tokenizing and quoting rules."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from automix.rpp.tokens import format_number, quote, split_tokens


@pytest.mark.parametrize("line, tokens", [
    ('NAME "Lead Vox"', ["NAME", "Lead Vox"]),
    ("NAME 'say \"hi\"'", ["NAME", 'say "hi"']),
    ("NAME `it's \"x\"`", ["NAME", "it's \"x\""]),
    ('NAME hel"lo', ["NAME", 'hel"lo']),
    ('AUXRECV 0 0 1 0 0 0 0 0 0 -1:U 0 -1 \'\'', ["AUXRECV"] + "0 0 1 0 0 0 0 0 0 -1:U 0 -1".split() + [""]),
    ('NAME ""', ["NAME", ""]),
    ("  PT 0   1\t0", ["PT", "0", "1", "0"]),
    ('NAME "unterminated rest', ["NAME", "unterminated rest"]),
    ("", []),
])
def test_split_tokens(line: str, tokens: list[str]) -> None:
    assert split_tokens(line) == tokens


@pytest.mark.parametrize("value, written", [
    ("plain", "plain"), ("", '""'), ("two words", '"two words"'), ('"', "'\"'"), ("'", '"\'"'),
    ("`", '"`"'), ("a 'b\"c", "`a 'b\"c`"), ("a'b\"c", "a'b\"c"), ('\'\'\'```"""', '`\'\'\'\'\'\'"""`'), ("hel\"lo", 'hel"lo'),
])
def test_quote_follows_reaper(value: str, written: str) -> None:
    assert quote(value) == written


@given(st.text(alphabet=st.characters(blacklist_characters="\r\n\x00", blacklist_categories=("Cs",)), max_size=30))
def test_quote_then_split_gives_value_back_unless_all_three_quotes(value: str) -> None:
    if all(q in value for q in "\"'`"):
        return  # REAPER itself cannot write this exactly
    assert split_tokens("K " + quote(value)) == ["K", value]


@pytest.mark.parametrize("x, text", [(1.0, "1"), (0.5, "0.5"), (-0.25, "-0.25"), (1e-5, "0.00001"),
                                     (26.84210526315789, "26.84210526315789"), (0, "0"), (-0.0, "0")])
def test_format_number_shortest_without_exponent(x: float, text: str) -> None:
    assert format_number(x) == text


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_format_number_reads_back_exactly(x: float) -> None:
    text = format_number(x)
    assert "e" not in text.lower() and float(text) == x


def test_format_number_rejects_nan() -> None:
    with pytest.raises(ValueError):
        format_number(math.nan)
