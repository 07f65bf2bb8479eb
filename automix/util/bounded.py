"""Reading files whose size and shape a hostile or broken file could make unbounded.

* :func:`read_bytes_bounded`: a whole file, refusing one larger than a cap
  (never more than ``max_bytes + 1`` bytes are read, so ``/dev/zero`` or a
  FIFO cannot exhaust memory).
* :func:`json_depth_exceeds`: whether JSON text nests deeper than a limit,
  checked before parsing (Python's parser recurses once per level and would
  raise ``RecursionError`` on 100,000 nested ``[``).
* :func:`read_json_object_bounded`: a small JSON file that must hold one
  object, read with both limits above.
* :func:`read_npz_arrays`: named arrays of an ``.npz`` (a zip of ``.npy``
  members) without ever decompressing members that were not asked for, and
  only after checking, from the zip directory and each ``.npy`` header, that
  the arrays fit a byte budget.

Every refusal raises the :class:`~automix.errors.AutomixError` subclass the
caller passes, naming the file and the limit.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from automix.errors import AutomixError

_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _size_text(n_bytes: int) -> str:
    if n_bytes >= 1 << 20:
        return f"{n_bytes / (1 << 20):.0f} MiB"
    return f"{n_bytes / (1 << 10):.0f} KiB"


def read_bytes_bounded(path: str | Path, max_bytes: int, error: type[AutomixError], what: str) -> bytes:
    """The bytes of ``path``; ``error`` when it holds more than ``max_bytes``.

    Args:
        path: the file (regular file, FIFO or device: only ``max_bytes + 1`` bytes are read).
        max_bytes: the largest accepted size.
        error: the AutomixError subclass to raise (for a missing file too).
        what: the kind of file, for the message (``"plan"``, ``"model description"``).

    Raises:
        ``error`` naming the file and the limit; ``FileNotFoundError`` is left
        to the caller to phrase (it is the common case, not an attack).
    """
    with open(path, "rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise error(f"{what} larger than the {_size_text(max_bytes)} automix accepts", file=path)
    return data


def json_depth_exceeds(text: str, max_depth: int) -> bool:
    """True when arrays/objects in ``text`` nest deeper than ``max_depth`` (strings are skipped)."""
    depth = 0
    for m in _JSON_TOKENS.finditer(text):
        tok = m.group()
        if tok in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif tok in "]}":
            depth -= 1
    return False


def read_json_object_bounded(path: str | Path, max_bytes: int, max_depth: int, error: type[AutomixError],
                             what: str) -> dict:
    """The JSON object in ``path``, read with :func:`read_bytes_bounded` and checked by :func:`json_depth_exceeds`.

    Args:
        path: the file (UTF-8 JSON).
        max_bytes: the largest accepted size.
        max_depth: the deepest accepted nesting of arrays/objects.
        error: the AutomixError subclass to raise.
        what: the kind of file, for the message (``"model description"``, ``"role model"``).

    Raises:
        ``error`` naming the file: missing, unreadable, not UTF-8, too large,
        nested too deep, invalid JSON (with its line) or not a JSON object.
    """
    try:
        text = read_bytes_bounded(path, max_bytes, error, what).decode("utf-8")
    except FileNotFoundError:
        raise error(f"{what} not found", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read {what}: {exc}", file=path) from None
    if json_depth_exceeds(text, max_depth):
        raise error(f"{what} nests deeper than {max_depth} levels", file=path)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"corrupt or truncated {what} (invalid JSON at line {exc.lineno} column {exc.colno}: "
                    f"{exc.msg})", file=path, line=exc.lineno) from None
    if not isinstance(doc, dict):
        raise error(f"{what} is not a JSON object (found {type(doc).__name__})", file=path)
    return doc


def _npy_header(raw: io.BytesIO) -> tuple[tuple[int, ...], np.dtype]:
    version = np.lib.format.read_magic(raw)
    if version == (1, 0):
        shape, _fortran, dtype = np.lib.format.read_array_header_1_0(raw)
    else:
        shape, _fortran, dtype = np.lib.format.read_array_header_2_0(raw)
    return shape, dtype


def read_npz_arrays(path: str | Path, names: Iterable[str], max_bytes: int, error: type[AutomixError],
                    *, required: bool = True) -> dict[str, np.ndarray]:
    """The arrays ``names`` of the ``.npz`` at ``path``, nothing else decompressed.

    Args:
        path: the ``.npz`` file.
        names: array names (the member ``NAME.npy``); other members are never read.
        max_bytes: budget for the decompressed arrays together, checked on the
            zip directory's sizes before decompressing and on each ``.npy``
            header before allocating.
        error: the AutomixError subclass to raise.
        required: False = names absent from the file are left out of the result.

    Returns:
        name → array (never object arrays: ``allow_pickle=False``).

    Raises:
        ``error`` for a corrupt zip, a missing array (when ``required``), an
        array over budget or whose header disagrees with its size;
        ``FileNotFoundError`` when ``path`` does not exist.
    """
    wanted = list(dict.fromkeys(names))
    out: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            members = {}
            for name in wanted:
                try:
                    members[name] = zf.getinfo(f"{name}.npy")
                except KeyError:
                    if required:
                        raise error(f"arrays lack {name!r}", file=path) from None
            declared = sum(info.file_size for info in members.values())
            if declared > max_bytes:
                raise error(f"arrays declare {declared} bytes, more than the {_size_text(max_bytes)} "
                            f"automix reads", file=path)
            for name, info in members.items():
                with zf.open(info) as fh:
                    raw = io.BytesIO(fh.read(info.file_size + 1))
                shape, dtype = _npy_header(raw)
                if dtype.hasobject:
                    raise error(f"array {name!r} holds Python objects (would need pickle)", file=path)
                need = math.prod(shape) * dtype.itemsize
                if need > len(raw.getbuffer()) - raw.tell():
                    raise error(f"array {name!r}: header says shape {shape} ({need} bytes), "
                                f"the file holds fewer", file=path)
                raw.seek(0)
                out[name] = np.lib.format.read_array(raw, allow_pickle=False)
    except (AutomixError, FileNotFoundError):
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError, RuntimeError) as exc:
        raise error(f"cannot read arrays: {exc}", file=path) from None
    return out
