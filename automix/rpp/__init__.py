"""Lossless reading, editing and writing of REAPER chunk text (``.rpp`` files).

Mirrors :mod:`json` (``loads``/``dumps``/``load``; saving a file is
:func:`automix.project.save.save_document`) and ElementTree
(``find``/``findall``/``iter``); ``dumps(loads(text)) == text``.
"""

from automix.rpp.document import (
    RppDocument,
    decode_project_bytes,
    display_text,
    dumps,
    encode_project_text,
    load,
    loads,
)
from automix.rpp.tokens import format_number, format_value, quote, split_tokens
from automix.rpp.tree import Chunk, Line

__all__ = [
    "RppDocument", "Chunk", "Line", "loads", "dumps", "load", "decode_project_bytes", "encode_project_text",
    "display_text",
    "split_tokens", "quote", "format_value", "format_number",
]
