"""Direct ctypes calls into REAPER for outputs its Python bindings drop.

REAPER's generated Python bindings (``reaper_python.py``) pass a ``char**``
output argument as a NULL pointer and return the caller's argument
unchanged, so ``EnumProjectMarkers3`` gives every marker and region the name
"" in Python. REAPER's own function table (``reaper_python._ft``: function
name → address) lets us call the C function ourselves with a real
``const char*`` slot for the name, as reapy does for the MIDI functions the
bindings get wrong.

C signature used (REAPER SDK, ``reaper_plugin_functions.h``)::

    int EnumProjectMarkers3(ReaProject* proj, int idx, bool* isrgnOut, double* posOut,
                            double* rgnendOut, const char** nameOut,
                            int* markrgnindexnumberOut, int* colorOut);

Standard library only: this runs inside REAPER's embedded Python.
"""

from __future__ import annotations

import ctypes
from typing import Any, Mapping

from automix.errors import ReaperError

ENUM_MARKERS_FUNCTION = "EnumProjectMarkers3"
"""The function whose name output is read natively."""

_ENUM_MARKERS_TYPE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_uint64, ctypes.c_int, ctypes.c_void_p,
                                      ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                      ctypes.c_void_p)
"""``EnumProjectMarkers3`` as ctypes sees it (every output is a pointer)."""


def has_native_marker_names(function_table: Mapping[str, Any] | None) -> bool:
    """True when ``function_table`` (``reaper_python._ft``) holds ``EnumProjectMarkers3``'s address."""
    return bool(function_table) and bool(function_table.get(ENUM_MARKERS_FUNCTION))


def enum_marker_name(function_table: Mapping[str, Any], enum_index: int, project: int = 0) -> str:
    """The name of marker/region ``enum_index`` (enumeration order), read through a real ``char**``.

    Args:
        function_table: REAPER's function table (name → address).
        enum_index: 0-based enumeration index, as ``EnumProjectMarkers3``'s ``idx``.
        project: the ``ReaProject*`` as an integer; 0 = the active project.

    Raises:
        ReaperError: the function is missing, there is no such marker, or the name is not UTF-8.
    """
    address = function_table.get(ENUM_MARKERS_FUNCTION) if function_table else None
    if not address:
        raise ReaperError(f"REAPER's function table has no {ENUM_MARKERS_FUNCTION}")
    func = _ENUM_MARKERS_TYPE(int(address))
    is_region = ctypes.c_byte(0)
    pos = ctypes.c_double(0.0)
    end = ctypes.c_double(0.0)
    name = ctypes.c_char_p(None)
    number = ctypes.c_int(0)
    color = ctypes.c_int(0)
    found = func(ctypes.c_uint64(project), ctypes.c_int(enum_index), ctypes.byref(is_region),
                 ctypes.byref(pos), ctypes.byref(end), ctypes.byref(name), ctypes.byref(number),
                 ctypes.byref(color))
    if not found:
        raise ReaperError(f"REAPER has no marker or region at enumeration index {enum_index}")
    raw = name.value or b""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ReaperError(f"the name of marker/region {number.value} is not UTF-8: {raw!r}") from None


__all__ = ["enum_marker_name", "has_native_marker_names", "ENUM_MARKERS_FUNCTION"]
