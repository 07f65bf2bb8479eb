"""Parsing REAPER project text into an :class:`RppDocument` and writing it back.

``dumps(loads(text)) == text`` for every text ``loads`` accepts: CRLF or LF,
whitespace-only lines, tool-written indentation, a trailing NUL, several
``<REAPER_PROJECT`` roots (``.rpp-bak``), non-ASCII text.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Iterator, Sequence, Union

from automix.errors import ProjectParseError
from automix.rpp.tree import Chunk, Line, RawSpan

_FIRST_STRUCTURE = re.compile(r"[ \t]*(?:<[^\n]*|>[ \t\r\0]*)(?:\n|\Z)")
"""A chunk opening line (``<TAG …``) or a closing line (``>`` alone) at the start of the text."""
_STRUCTURE = re.compile(r"\n[ \t]*(?:<[^\n]*|>[ \t\r\0]*)(?=\n|\Z)")
"""The same after a line break (starting with ``\\n``: lets the regex engine skip fast)."""


def _structure_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of every structural line, its line ending included."""
    m = _FIRST_STRUCTURE.match(text, 1 if text.startswith("\ufeff") else 0)
    if m:
        yield m.span()
    n = len(text)
    for m in _STRUCTURE.finditer(text):
        start, end = m.span()
        yield start + 1, (end + 1 if end < n else end)


PROJECT_TAG = "REAPER_PROJECT"


class RppDocument:
    """A parsed project: its root chunk(s) plus any text around them.

    Attributes:
        file: the file the text came from (for error messages), or None.
        newline: the text's line ending (``"\\r\\n"`` or ``"\\n"``), used for new lines.
        truncated_line: for a text parsed with ``strict=False`` that ends
            inside an open chunk, the line of the innermost unclosed chunk.
    """

    def __init__(self, segments: list, *, file: str | None, newline: str,
                 truncated_line: int | None = None) -> None:
        self._segments = segments
        self.file = file
        self.newline = newline
        self.truncated_line = truncated_line

    @property
    def roots(self) -> list[Chunk]:
        """Every root chunk (one for a .rpp, possibly several in a .rpp-bak)."""
        return [s for s in self._segments if isinstance(s, Chunk)]

    @property
    def root(self) -> Chunk:
        """The first root chunk (``REAPER_PROJECT`` for a project)."""
        return self.roots[0]

    def find(self, tag: str) -> Chunk | None:
        """``root.find(tag)``."""
        return self.root.find(tag)

    def findall(self, tag: str) -> list[Chunk]:
        """``root.findall(tag)``."""
        return self.root.findall(tag)

    def iter(self, tag: str | None = None) -> Iterator[Chunk]:
        """Chunks of every root, depth first."""
        for r in self.roots:
            yield from r.iter(tag)

    def replace_root(self, old: Chunk, new: Chunk) -> None:
        """Put ``new`` in place of the root ``old``."""
        for i, s in enumerate(self._segments):
            if s is old:
                self._segments[i] = new
                return
        raise ValueError(f"{old!r} is not a root of this document")


def _detect_newline(text: str) -> str:
    k = text.find("\n")
    return "\r\n" if k > 0 and text[k - 1] == "\r" else "\n"


def _error(message: str, file: str | None, line: int) -> ProjectParseError:
    return ProjectParseError(message, file=file, line=line)


def _check_outside(text: str, file: str | None, first_line: int, where: str) -> None:
    """Text outside the roots may only be whitespace, NUL or a BOM."""
    stripped = text.strip(" \t\r\n\0\ufeff")
    if stripped:
        offset = text.find(stripped[0])
        line = first_line + text.count("\n", 0, offset)
        bad = stripped.split("\n", 1)[0][:40]
        raise _error(f"not a REAPER project: unexpected text {bad!r} {where}", file, line)


def loads(text: str, *, file: str | Path | None = None, root_tags: Sequence[str] = (PROJECT_TAG,),
          strict: bool = True) -> RppDocument:
    """Parse project (or chunk) text.

    Args:
        text: the whole text (already decoded).
        file: where it came from, for error messages.
        root_tags: accepted root chunk names (``("TRACK",)`` for a live track chunk).
        strict: when True a chunk left open at the end raises; when False the
            partial tree is returned with ``truncated_line`` set.

    Raises:
        ProjectParseError: empty text, not a REAPER project, a ``>`` that
            closes nothing, or (strict) an unclosed chunk; the message names the
            file and line.
    """
    fname = str(file) if file is not None else None
    if not text.strip(" \t\r\n\0\ufeff"):
        raise _error("empty file: no REAPER project in it", fname, 1)
    segments: list = []
    stack: list[Chunk] = []
    pos = 0
    line_no = 1  # line number of text[pos]
    for start, end in _structure_spans(text):
        if start > pos:
            if stack:
                stack[-1]._items.append(RawSpan(text, pos, start))
            else:
                segments.append(text[pos:start])
            line_no += text.count("\n", pos, start)
        raw = text[start:end]
        if end - start < 64:
            raw = sys.intern(raw)  # "    >\n", "    <ITEM\n" … repeat thousands of times
        if raw.lstrip(" \t")[0] == "<":
            chunk = Chunk._from_raw(raw, line_no)
            if stack:
                stack[-1]._items.append(chunk)
            else:
                if chunk.tag not in root_tags:
                    if not segments or all(isinstance(x, str) for x in segments):
                        _check_outside(text[:start], fname, 1, "before the first chunk")
                    raise _error(f"not a REAPER project: root chunk <{chunk.tag} "
                                 f"(expected <{' or <'.join(root_tags)})", fname, line_no)
                segments.append(chunk)
            stack.append(chunk)
        else:
            if not stack:
                raise _error("unbalanced chunks: '>' closes no open chunk", fname, line_no)
            chunk = stack.pop()
            chunk._tail = raw
            chunk.end_line = line_no
        if raw.endswith("\n"):
            line_no += 1
        pos = end
    rest = text[pos:]
    truncated_line = None
    if stack:
        if rest:
            stack[-1]._items.append(RawSpan(text, pos, len(text)))
        if strict:
            inner = stack[-1]
            last = line_no + rest.count("\n") - (1 if rest.endswith("\n") else 0)
            raise _error(f"unbalanced chunks: <{inner.tag} opened at line {inner.line} is not closed "
                         f"(file ends at line {max(last, line_no)}; truncated save?)", fname, inner.line or 1)
        for chunk in stack:
            chunk._tail = ""
        truncated_line = stack[-1].line
    elif rest:
        segments.append(rest)
    if not any(isinstance(s, Chunk) for s in segments):
        raise _error("not a REAPER project: no <REAPER_PROJECT chunk", fname, 1)
    line = 1
    for seg in segments:
        if isinstance(seg, str):
            _check_outside(seg, fname, line, "outside the project chunk")
            line += seg.count("\n")
        else:
            line = (seg.end_line or line) + 1
    return RppDocument(segments, file=fname, newline=_detect_newline(text), truncated_line=truncated_line)


def dumps(node: Union[RppDocument, Chunk]) -> str:
    """Text of a document (or of one chunk, at nesting level 0)."""
    out: list[str] = []
    if isinstance(node, RppDocument):
        nl = node.newline
        for seg in node._segments:
            if isinstance(seg, str):
                out.append(seg)
            else:
                seg._emit(out, 0, nl)
    elif isinstance(node, Chunk):
        node._emit(out, 0, node.newline or "\n")
    else:
        raise TypeError(f"dumps() takes an RppDocument or a Chunk, not {type(node).__name__}")
    return "".join(out)


def decode_project_bytes(data: bytes, file: str | Path | None = None) -> str:
    """Decode project bytes as UTF-8; bytes that are not UTF-8 are kept, never refused.

    Older REAPER versions wrote names and paths in the system code page
    (Latin-1/Windows-1252). Such bytes become lone surrogates
    (``errors="surrogateescape"``): :func:`encode_project_text` turns them back
    into the same bytes, so the file round-trips byte for byte, and a path
    holding them still names the same file on a POSIX system.
    :func:`display_text` shows them as Windows-1252 characters.
    """
    return data.decode("utf-8", errors="surrogateescape")


def encode_project_text(text: str) -> bytes:
    """The bytes of project text from :func:`decode_project_bytes` (undecodable bytes restored as they were)."""
    return text.encode("utf-8", errors="surrogateescape")


def display_text(text: str) -> str:
    """``text`` with bytes kept from a non-UTF-8 project shown as Windows-1252 characters (for names)."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    return "".join(ch if not "\udc80" <= ch <= "\udcff" else bytes([ord(ch) - 0xDC00]).decode("cp1252", "replace")
                   for ch in text)


def load(path: str | Path, *, strict: bool = True) -> RppDocument:
    """Read and parse a project file (UTF-8)."""
    p = Path(path)
    try:
        text = decode_project_bytes(p.read_bytes(), p)  # the bytes are freed before parsing
    except OSError as exc:
        raise ProjectParseError(f"cannot read project: {exc.strerror or exc}", file=p) from None
    return loads(text, file=p, strict=strict)


__all__ = ["RppDocument", "loads", "dumps", "load", "decode_project_bytes", "encode_project_text", "display_text",
           "Chunk", "Line"]
