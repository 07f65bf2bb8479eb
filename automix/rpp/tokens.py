"""Tokenizing and quoting of REAPER chunk lines.

REAPER splits a line on spaces. A token that starts with ``"``, ``'`` or a
backtick runs to the next occurrence of the same character; there are no
escapes. When writing, REAPER leaves a value bare when it is non-empty, holds
no whitespace and does not start with a quote character; otherwise it uses
``"…"``, or ``'…'`` when the value contains ``"``, or backticks when it
contains both. A value holding all three quote characters cannot be written
exactly: REAPER turns its backticks into ``'`` and wraps it in backticks.

Numbers are never reformatted when read: tokens stay the strings they were.
:func:`format_value` only formats values that automix writes itself.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Iterable

QUOTE_CHARS = "\"'`"
_BARE_TOKENS = re.compile(r"[^ \t]+")
_WHITESPACE = " \t"


def split_tokens(text: str) -> list[str]:
    """Split one line's content (no line ending) into unquoted tokens.

    Args:
        text: the line without its line ending; leading indentation allowed.

    Returns:
        The tokens with their quotes removed, e.g. ``NAME "a b"`` →
        ``["NAME", "a b"]``. An unterminated quote runs to the end of the line.
    """
    if '"' not in text and "'" not in text and "`" not in text:
        return _BARE_TOKENS.findall(text)
    tokens: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in _WHITESPACE:
            i += 1
            continue
        if c in QUOTE_CHARS:
            end = text.find(c, i + 1)
            if end < 0:
                tokens.append(text[i + 1:].rstrip("\r"))
                break
            tokens.append(text[i + 1:end])
            i = end + 1
            continue
        j = i
        while j < n and text[j] not in _WHITESPACE:
            j += 1
        tokens.append(text[i:j])
        i = j
    return tokens


def quote(value: str) -> str:
    """Quote ``value`` the way REAPER writes it (see module docstring)."""
    if value and not any(ch in value for ch in " \t\r\n") and value[0] not in QUOTE_CHARS:
        return value
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    if "`" not in value:
        return f"`{value}`"
    return "`" + value.replace("`", "'") + "`"


def format_number(value: float) -> str:
    """Format a number in REAPER's shortest style (``1``, ``0.5``, ``0.0001``).

    Integral values are written without a decimal point; others with the
    shortest representation that reads back to the same float, never in
    exponent notation.

    Raises:
        ValueError: for NaN or infinity (REAPER cannot store them).
    """
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"cannot write non-finite number {value!r}")
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    text = repr(x)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


def format_value(value: object) -> str:
    """One token as REAPER writes it: numbers formatted, strings quoted.

    ``bool`` becomes ``1``/``0``; ``int``/``float`` go through
    :func:`format_number`; ``str`` through :func:`quote`.
    """
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return format_number(value)
    if isinstance(value, str):
        return quote(value)
    raise TypeError(f"cannot write {type(value).__name__} value {value!r} in a chunk line")


def join_tokens(values: Iterable[object]) -> str:
    """Join values into one line's content with REAPER's quoting."""
    return " ".join(format_value(v) for v in values)
