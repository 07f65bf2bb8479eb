"""Byte-exact editing of REAPER's ini files (``reaper.ini``, ``reaper-kb.ini``) for the installer.

Files are handled as bytes, line by line: lines not being changed are kept
byte-for-byte, including CRLF endings and non-UTF-8 content. New lines use the
file's own line ending and encoding: a UTF-8 byte-order mark is kept (and not
mistaken for part of the first section header), and a UTF-16 file (LE or BE,
with its BOM, as Windows Notepad saves "Unicode") stays UTF-16.
"""

from __future__ import annotations

import codecs
from typing import Callable, Mapping, Sequence

_UTF16 = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _as_utf8(data: bytes) -> tuple[bytes, Callable[[bytes], bytes]]:
    """``data`` without its BOM, as UTF-8 bytes, and the function that encodes such bytes back like ``data``."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):], lambda body: codecs.BOM_UTF8 + body
    for bom, codec in _UTF16:
        if data.startswith(bom):
            body = data[len(bom):].decode(codec, "surrogatepass").encode("utf-8", "surrogatepass")
            return body, lambda out, bom=bom, codec=codec: bom + out.decode("utf-8", "surrogatepass").encode(
                codec, "surrogatepass")
    return data, lambda body: body


def _newline(data: bytes) -> bytes:
    return b"\r\n" if b"\r\n" in data else b"\n"


def _with_final_newline(data: bytes) -> bytes:
    return data if not data or data.endswith(b"\n") else data + _newline(data)


def ini_get(data: bytes, section: str, key: str) -> str | None:
    """Value of ``key`` in ``[section]`` of ini bytes (case-insensitive names), or None."""
    data, _ = _as_utf8(data)
    current = None
    for raw in data.splitlines():
        line = raw.decode("utf-8", "surrogateescape").strip()
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip().lower()
        elif current == section.lower() and "=" in line:
            name, value = line.split("=", 1)
            if name.strip().lower() == key.lower():
                return value
    return None


def ini_has_only_headers(data: bytes) -> bool:
    """True when ini bytes hold nothing but blank lines and ``[section]`` headers (any encoding above)."""
    data, _ = _as_utf8(data)
    return all(not line.strip() or (line.strip().startswith(b"[") and line.strip().endswith(b"]"))
               for line in data.splitlines())


def ini_set(data: bytes, section: str, values: Mapping[str, str | None]) -> bytes:
    """Set (or, for None, delete) keys of ``[section]``; every other line is kept byte-for-byte.

    New keys go after the section's last key line; a missing section is appended.
    """
    data, encode = _as_utf8(data)
    nl = _newline(data)
    lines = data.splitlines(keepends=True)
    pending = {k.lower(): (k, v) for k, v in values.items()}
    out: list[bytes] = []
    current, last_key_index, section_found = None, None, False
    for raw in lines:
        text = raw.decode("utf-8", "surrogateescape").strip()
        if text.startswith("[") and text.endswith("]"):
            current = text[1:-1].strip().lower()
            out.append(raw)
            if current == section.lower() and not section_found:
                section_found = True
                last_key_index = len(out)
            continue
        if current == section.lower() and "=" in text:
            name = text.split("=", 1)[0].strip().lower()
            if name in pending:
                key, value = pending.pop(name)
                ending = raw[len(raw.rstrip(b"\r\n")):] or nl
                if value is not None:
                    out.append(f"{text.split('=', 1)[0]}={value}".encode("utf-8", "surrogateescape") + ending)
                    last_key_index = len(out)
                continue
            out.append(raw)
            last_key_index = len(out)
            continue
        out.append(raw)
    new = [f"{k}={v}".encode("utf-8", "surrogateescape") + nl for k, v in pending.values() if v is not None]
    if new:
        if section_found:
            if last_key_index and not out[last_key_index - 1].endswith(b"\n"):
                out[last_key_index - 1] += nl
            out[last_key_index:last_key_index] = new
        else:
            if out and not out[-1].endswith(b"\n"):
                out[-1] += nl
            out += [f"[{section}]".encode("utf-8") + nl] + new
    return encode(b"".join(out))


def kb_update(data: bytes, wanted: Sequence[str], remove_ids: Sequence[str] = ()) -> bytes:
    """Add ``wanted`` lines (replacing a line with the same RS id) and drop lines with ``remove_ids``."""
    data, encode = _as_utf8(data)
    nl = _newline(data)
    wanted_by_id = {line.split()[3]: line for line in wanted}
    out, seen = [], set()
    for raw in data.splitlines(keepends=True):
        fields = raw.decode("utf-8", "surrogateescape").split()
        cmd_id = fields[3] if len(fields) > 3 and fields[0] == "SCR" else None
        if cmd_id in remove_ids:
            continue
        if cmd_id in wanted_by_id:
            if cmd_id in seen:
                continue
            seen.add(cmd_id)
            ending = raw[len(raw.rstrip(b"\r\n")):] or nl
            out.append(wanted_by_id[cmd_id].encode("utf-8") + ending)
            continue
        out.append(raw)
    result = b"".join(out)
    missing = [line for cmd_id, line in wanted_by_id.items() if cmd_id not in seen]
    if missing:
        result = _with_final_newline(result) + b"".join(m.encode("utf-8") + nl for m in missing)
    return encode(result)
