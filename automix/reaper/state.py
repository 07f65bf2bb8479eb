"""automix's own state kept in the REAPER project (``SetProjExtState``, section :data:`EXT_SECTION`).

Saved with the project and part of its undo history: the current mix plan,
the last variant shown per region, the options the plan was made with.
Values are packed (:func:`pack_state`) so they hold no space, quote or line
break that REAPER would have to quote when it saves the project.

Standard library only: read inside REAPER, written by the worker.
"""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path
from typing import Any

from automix.errors import PlanError

EXT_SECTION = "automix"
"""Project ext-state section holding automix's live state."""

PLAN_KEY = "plan"
"""Ext-state key: the current mix plan (the plan JSON format, packed)."""

VARIANTS_KEY = "variants"
"""Ext-state key: ``{"<start ms>-<end ms>": last variant shown}``, packed."""

OPTIONS_KEY = "options"
"""Ext-state key: ``{"eq": bool, "pan": bool}`` the plan was made with, packed."""

STATE_KEYS = (PLAN_KEY, VARIANTS_KEY, OPTIONS_KEY)
"""Every key automix stores."""

STATE_PREFIX = "b64z:"
"""Marks a packed ext-state value (:func:`pack_state`)."""

AUTO_MIX_TITLE = "automix: Auto-mix project"
RESUGGEST_TITLE = "automix: Re-suggest region at edit cursor"
LEARN_TITLE = "automix: Learn from this project"
"""Action names; also the undo-step names."""


def pack_state(data: Any) -> str:
    """JSON-able data as an ext-state value: ``b64z:`` + base64 of zlib-compressed JSON."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return STATE_PREFIX + base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")


def unpack_state(value: str, *, file: str | Path | None = None) -> Any:
    """The data of :func:`pack_state` (plain JSON is accepted too); "" gives None.

    Raises:
        PlanError: the value is corrupt (names the project file).
    """
    if not value:
        return None
    try:
        if value.startswith(STATE_PREFIX):
            value = zlib.decompress(base64.b64decode(value[len(STATE_PREFIX):], validate=True)).decode("utf-8")
        return json.loads(value)
    except (ValueError, zlib.error) as exc:
        raise PlanError(f"automix's state stored in the project is unreadable ({exc}); run "
                        f"'{AUTO_MIX_TITLE}' again", file=file) from None


def region_key(start_s: float, end_s: float) -> str:
    """Ext-state key of a region: its bounds in milliseconds."""
    return f"{start_s * 1000:.0f}-{end_s * 1000:.0f}"


__all__ = ["pack_state", "unpack_state", "region_key", "EXT_SECTION", "PLAN_KEY", "VARIANTS_KEY", "OPTIONS_KEY",
           "STATE_KEYS", "AUTO_MIX_TITLE", "RESUGGEST_TITLE", "LEARN_TITLE"]
