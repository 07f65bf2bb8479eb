"""Lossless chunk tree of REAPER project text: :class:`Chunk` and :class:`Line`.

Every node keeps its original text (indentation and line ending included) and
is written back verbatim unless it was changed. Untouched property lines are
not even split into :class:`Line` objects: a chunk holds runs of raw lines as
one string until someone asks for its ``children``.

New or changed nodes are written in REAPER's style: two spaces of indentation
per nesting level, REAPER's quoting (:mod:`automix.rpp.tokens`) and the
document's own line ending.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator, Sequence, Union

from automix.rpp.tokens import join_tokens, split_tokens

_TAG = re.compile(r"[ \t]*<([^ \t\r\n]*)")
INDENT = "  "
"""Indentation REAPER writes per nesting level."""


def _strip_eol(raw: str) -> str:
    if raw.endswith("\r\n"):
        return raw[:-2]
    if raw.endswith("\n"):
        return raw[:-1]
    return raw


def _split_raw_lines(block: str) -> list[str]:
    """Split a block of raw text into lines, keeping each line's ending (on ``\\n`` only)."""
    parts = block.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


class RawSpan:
    """Untouched lines of the original text, kept as offsets (no copy until needed).

    Attributes:
        text: the whole original text.
        start / end: character offsets of the span in ``text``.
    """

    __slots__ = ("text", "start", "end")

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text = text
        self.start = start
        self.end = end

    def __str__(self) -> str:
        return self.text[self.start:self.end]


class Line:
    """A property line (``KEY v v …``), a ``|`` text line or a base64 line.

    Attributes:
        line: 1-based line number in the original text (None for new lines).
    """

    __slots__ = ("_raw", "_content", "line")

    def __init__(self, content: str, *, line: int | None = None, _raw: str | None = None) -> None:
        self._raw = _raw
        self._content = content
        self.line = line

    @classmethod
    def from_values(cls, key: str, values: Iterable[object] = ()) -> "Line":
        """A new property line ``key`` followed by ``values`` quoted REAPER's way."""
        rest = join_tokens(values)
        return cls(f"{key} {rest}" if rest else key)

    @property
    def content(self) -> str:
        """The line without indentation and line ending (trailing spaces kept)."""
        return self._content

    @property
    def raw(self) -> str | None:
        """The original text with indentation and line ending, or None once changed."""
        return self._raw

    @property
    def tokens(self) -> list[str]:
        """All tokens of the line, unquoted, as the strings written."""
        return split_tokens(self._content)

    @property
    def key(self) -> str:
        """First token ("" for a blank line)."""
        toks = self.tokens
        return toks[0] if toks else ""

    @property
    def values(self) -> list[str]:
        """Tokens after the key, unquoted; numbers are left as written."""
        return self.tokens[1:]

    @values.setter
    def values(self, new_values: Iterable[object]) -> None:
        rest = join_tokens(new_values)
        key = self.key
        self._content = f"{key} {rest}" if rest else key
        self._raw = None

    def set_content(self, content: str) -> None:
        """Replace the whole line content (no indentation, no line ending)."""
        self._content = content
        self._raw = None

    def __repr__(self) -> str:
        return f"Line({self._content!r}, line={self.line})"


Node = Union[Line, "Chunk"]


class Chunk:
    """A ``<TAG args …`` … ``>`` chunk.

    Attributes:
        line: 1-based line of the ``<TAG`` line in the original text (None if new).
        end_line: 1-based line of the closing ``>`` (None if new or unclosed).
    """

    __slots__ = ("_head", "_tag", "_args", "_items", "_tail", "_materialized", "line", "end_line")

    def __init__(self, tag: str, args: Sequence[object] = (), children: Iterable[Node] = ()) -> None:
        self._head: str | None = None
        self._tag = tag
        self._args: list[str] | None = [a if isinstance(a, str) else join_tokens([a]) for a in args]
        self._items: list = list(children)
        self._tail: str | None = None
        self._materialized = True
        self.line: int | None = None
        self.end_line: int | None = None

    @classmethod
    def _from_raw(cls, head: str, line: int) -> "Chunk":
        self = cls.__new__(cls)
        self._head = head
        self._tag = _TAG.match(head).group(1)  # type: ignore[union-attr]
        self._args = None
        self._items = []
        self._tail = None
        self._materialized = False
        self.line = line
        self.end_line = None
        return self

    # -- head -------------------------------------------------------------
    @property
    def tag(self) -> str:
        """The chunk name, e.g. ``TRACK``."""
        return self._tag

    @property
    def args(self) -> list[str]:
        """Tokens after the tag on the ``<TAG`` line, unquoted (a copy)."""
        if self._args is None:
            self._args = split_tokens(_strip_eol(self._head or "").lstrip(" \t")[1:])[1:]
        return list(self._args)

    @args.setter
    def args(self, new_args: Sequence[object]) -> None:
        self._args = [a if isinstance(a, str) else join_tokens([a]) for a in new_args]
        self._head = None

    @property
    def is_closed(self) -> bool:
        """False for a chunk left open by a truncated file."""
        return self._tail != ""

    @property
    def newline(self) -> str | None:
        """Line ending of the original ``<TAG`` line, or None for a new chunk."""
        if self._head is None:
            return None
        return "\r\n" if self._head.endswith("\r\n") else "\n"

    # -- children ---------------------------------------------------------
    def _materialize(self) -> None:
        if self._materialized:
            return
        items: list = []
        number = (self.line or 0) + 1
        for item in self._items:
            if isinstance(item, RawSpan):
                for raw in _split_raw_lines(str(item)):
                    items.append(Line(_strip_eol(raw).lstrip(" \t"), line=number, _raw=raw))
                    number += 1
            else:
                items.append(item)
                number = (item.end_line or number) + 1
        self._items = items
        self._materialized = True

    @property
    def children(self) -> list[Node]:
        """Child lines and chunks in file order (a new list; edit with the methods below)."""
        self._materialize()
        return list(self._items)

    @property
    def lines(self) -> list[Line]:
        """Child lines (not chunks), in order."""
        self._materialize()
        return [n for n in self._items if isinstance(n, Line)]

    def find(self, tag: str) -> "Chunk | None":
        """First direct child chunk named ``tag``, or None."""
        for item in self._items:
            if type(item) is Chunk and item._tag == tag:
                return item
        return None

    def findall(self, tag: str) -> list["Chunk"]:
        """Every direct child chunk named ``tag``, in order."""
        return [c for c in self._items if type(c) is Chunk and c._tag == tag]

    def iter(self, tag: str | None = None) -> Iterator["Chunk"]:
        """This chunk and all descendant chunks, depth first, optionally only ``tag``."""
        stack = [self]
        while stack:
            chunk = stack.pop()
            if tag is None or chunk._tag == tag:
                yield chunk
            stack.extend(reversed([c for c in chunk._items if type(c) is Chunk]))

    def find_line(self, key: str) -> Line | None:
        """First direct property line whose key is ``key``, or None."""
        for node in self.lines:
            if node.key == key:
                return node
        return None

    def findall_lines(self, key: str) -> list[Line]:
        """Every direct property line whose key is ``key``."""
        return [n for n in self.lines if n.key == key]

    def get_values(self, key: str) -> list[str] | None:
        """Values of the first ``key`` line (unquoted strings), or None."""
        node = self.find_line(key)
        return None if node is None else node.values

    def set_values(self, key: str, values: Iterable[object]) -> Line:
        """Set the values of the first ``key`` line, creating it when absent.

        A new line goes after the last property line that precedes the first
        child chunk (where REAPER keeps a chunk's own properties).
        """
        node = self.find_line(key)
        if node is not None:
            node.values = values
            return node
        node = Line.from_values(key, values)
        self._materialize()
        pos = len(self._items)
        for i, item in enumerate(self._items):
            if isinstance(item, Chunk):
                pos = i
                break
        self._items.insert(pos, node)
        return node

    def index(self, node: Node) -> int:
        """Position of ``node`` (by identity) among the children."""
        self._materialize()
        for i, item in enumerate(self._items):
            if item is node:
                return i
        raise ValueError(f"{node!r} is not a child of <{self._tag}")

    def insert(self, index: int, node: Node) -> None:
        """Insert a child line or chunk at ``index``."""
        self._materialize()
        self._items.insert(index, node)

    def append(self, node: Node) -> None:
        """Add a child at the end of the chunk."""
        self._materialize()
        self._items.append(node)

    def remove(self, node: Node) -> None:
        """Remove a child (by identity)."""
        i = self.index(node)
        del self._items[i]

    def replace(self, old: Node, new: Node) -> None:
        """Put ``new`` where ``old`` is (by identity)."""
        i = self.index(old)
        self._items[i] = new

    def insert_ordered(self, node: Node, order: Sequence[str]) -> int:
        """Insert ``node`` where REAPER would write it, given a child ``order``.

        ``order`` lists keys/tags in the order REAPER writes them. The node
        goes before the first child ranked after it, else after the last child
        ranked before it, else at the end. Returns the index used.
        """
        name = node.tag if isinstance(node, Chunk) else node.key
        rank = {k: i for i, k in enumerate(order)}
        mine = rank.get(name, len(order))
        self._materialize()
        keys = [(c.tag if isinstance(c, Chunk) else c.key) for c in self._items]
        pos = None
        for i, k in enumerate(keys):
            if k in rank and rank[k] > mine:
                pos = i
                break
        if pos is None:
            last = [i for i, k in enumerate(keys) if k in rank and rank[k] <= mine]
            pos = last[-1] + 1 if last else len(self._items)
        self._items.insert(pos, node)
        return pos

    # -- output -----------------------------------------------------------
    def _emit(self, out: list[str], depth: int, nl: str) -> None:
        if self._head is not None:
            out.append(self._head)
        else:
            args = join_tokens(self._args or [])
            out.append(f"{INDENT * depth}<{self._tag}{' ' + args if args else ''}{nl}")
        inner = INDENT * (depth + 1)
        for item in self._items:
            if isinstance(item, RawSpan):
                out.append(item.text[item.start:item.end])
            elif isinstance(item, Line):
                out.append(item._raw if item._raw is not None else f"{inner}{item._content}{nl}")
            else:
                item._emit(out, depth + 1, nl)
        if self._tail is not None:
            out.append(self._tail)
        else:
            out.append(f"{INDENT * depth}>{nl}")

    def __repr__(self) -> str:
        return f"<Chunk {self._tag} line={self.line}>"
