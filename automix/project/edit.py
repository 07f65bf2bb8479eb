"""Edits automix makes on a REAPER *track chunk*.

The same functions serve a whole project (a ``<TRACK`` chunk found with
:func:`find_track`) and the live mode (the text of ``GetTrackStateChunk``
parsed with :func:`parse_track_chunk`, written back with :func:`dumps` and
``SetTrackStateChunk``). Every edit *replaces*: running it twice with the same
arguments leaves the same text as running it once.

Units: times in seconds, volumes as linear amplitude (1 = 0 dB), pans in the
track convention −1 (left) … +1 (right); the pan envelope is written with the
sign inverted, as REAPER stores it.
"""

from __future__ import annotations

import math
import uuid
from typing import Mapping, Sequence

from automix.errors import ProjectEditError
from automix.project.model import EnvelopePoint
from automix.project.reaeq import (
    AUTOMIX_EQ_RENAME,
    GAIN_ENVELOPE_RANGE,
    PLUGIN_FILES,
    EqBandSetting,
    decode_reaeq,
    encode_reaeq,
    new_reaeq_state,
    plugin_file_for_platform,
    vst_plugin_id_token,
    with_bands,
)
from automix.rpp import Chunk, Line, RppDocument, dumps, loads
from automix.rpp.tokens import format_number

MAX_VOLUME_AMP = 3.981071705534973
"""REAPER's fader maximum, +12 dB, as amplitude."""

TRACK_CHILD_ORDER: tuple[str, ...] = (
    "NAME", "PEAKCOL", "BEAT", "AUTOMODE", "VOLPAN", "MUTESOLO", "IPHASE", "PLAYOFFS", "ISBUS", "BUSCOMP",
    "SHOWINMIX", "FREEMODE", "SEL", "REC", "VU", "TRACKHEIGHT", "INQ", "NCHAN", "FX", "TRACKID", "PERF",
    "MIDIOUT", "AUXRECV", "MAINSEND", "HWOUT", "VOLENV2", "PANENV2", "WIDTHENV2", "VOLENV", "PANENV",
    "WIDTHENV", "VOLENV3", "MUTEENV", "FXCHAIN", "ITEM",
)
"""Order of a track's children as REAPER writes them (observed)."""

_FX_TAGS = frozenset({"VST", "JS", "AU", "CLAP", "DX", "LV2", "CONTAINER", "VIDEO_EFFECT"})
_GUID_NAMESPACE = uuid.UUID("6f0d8a52-4f3c-4a59-9b7e-2d1f3e6a9c10")


def parse_track_chunk(text: str) -> Chunk:
    """Parse a track chunk as returned by ``GetTrackStateChunk`` (root ``<TRACK``)."""
    return loads(text, root_tags=("TRACK",)).root


def track_name(track_chunk: Chunk) -> str:
    """The track's ``NAME`` ("" if none), for messages."""
    values = track_chunk.get_values("NAME")
    return values[0] if values else ""


def track_guid(track_chunk: Chunk) -> str:
    """The track GUID from ``<TRACK {…}`` or ``TRACKID``."""
    if track_chunk.args:
        return track_chunk.args[0]
    values = track_chunk.get_values("TRACKID")
    return values[0] if values else ""


def find_track(doc: RppDocument, guid: str) -> Chunk:
    """The ``<TRACK`` chunk with this GUID (case-insensitive).

    Raises:
        ProjectEditError: no such track.
    """
    wanted = guid.upper()
    for chunk in doc.root.findall("TRACK"):
        if track_guid(chunk).upper() == wanted:
            return chunk
    raise ProjectEditError(f"no track with GUID {guid}", file=doc.file)


def _stable_guid(track_chunk: Chunk, purpose: str) -> str:
    """A GUID derived from the track GUID, so re-runs write the same text."""
    value = uuid.uuid5(_GUID_NAMESPACE, f"{track_guid(track_chunk).upper()}/{purpose}")
    return "{" + str(value).upper() + "}"


def _error(track_chunk: Chunk, message: str) -> ProjectEditError:
    return ProjectEditError(message, line=track_chunk.line, track=track_name(track_chunk) or None)


def _check_points(track_chunk: Chunk, points: Sequence[EnvelopePoint], lo: float, hi: float, what: str) -> None:
    if not points:
        raise _error(track_chunk, f"{what} envelope needs at least one point")
    previous = -math.inf
    for p in points:
        if not (math.isfinite(p.time_s) and p.time_s >= 0):
            raise _error(track_chunk, f"{what} envelope point time must be >= 0 s, got {p.time_s!r}")
        if p.time_s < previous:
            raise _error(track_chunk, f"{what} envelope points must be in time order ({p.time_s} s after {previous} s)")
        if not (math.isfinite(p.value) and lo <= p.value <= hi):
            raise _error(track_chunk, f"{what} envelope value {p.value!r} at {p.time_s} s is outside [{lo}, {hi}]")
        previous = p.time_s


def _set_envelope(track_chunk: Chunk, tag: str, values: Sequence[tuple[float, float, int]],
                  extra: Sequence[tuple[str, tuple]]) -> Chunk:
    env = track_chunk.find(tag)
    if env is None:
        env = Chunk(tag)
        env.append(Line.from_values("EGUID", [_stable_guid(track_chunk, tag)]))
        for key, vals in (("ACT", (1, -1)), ("VIS", (1, 1, 1)), ("LANEHEIGHT", (0, 0)), ("ARM", (0,)),
                          ("DEFSHAPE", (0, -1, -1)), *extra):
            env.append(Line.from_values(key, vals))
        track_chunk.insert_ordered(env, TRACK_CHILD_ORDER)
    else:
        for node in env.findall_lines("PT"):
            env.remove(node)
        act = env.find_line("ACT")
        if act is not None and act.values[:1] != ["1"]:
            act.values = ["1", *act.values[1:]]
    children = env.children
    pos = next((i for i, c in enumerate(children) if isinstance(c, Chunk)), len(children))
    for k, (t, v, shape) in enumerate(values):
        env.insert(pos + k, Line(f"PT {format_number(t)} {format_number(v)} {int(shape)}"))
    return env


def set_volume_envelope(track_chunk: Chunk, points: Sequence[EnvelopePoint]) -> Chunk:
    """Replace (or create) the track's ``VOLENV2`` with these amplitude points.

    Args:
        track_chunk: a ``<TRACK`` chunk.
        points: time-ordered points, ``value`` a linear amplitude in [0, +12 dB].

    Returns:
        The envelope chunk.
    """
    _check_points(track_chunk, points, 0.0, MAX_VOLUME_AMP, "volume")
    return _set_envelope(track_chunk, "VOLENV2", [(p.time_s, p.value, p.shape) for p in points],
                         [("VOLTYPE", (1,))])


def set_pan_envelope(track_chunk: Chunk, points: Sequence[EnvelopePoint]) -> Chunk:
    """Replace (or create) the track's ``PANENV2``; ``value`` is track pan −1 left … +1 right.

    The file stores the sign-inverted value (+1 = left); this function inverts it.
    """
    _check_points(track_chunk, points, -1.0, 1.0, "pan")
    return _set_envelope(track_chunk, "PANENV2", [(p.time_s, -p.value + 0.0, p.shape) for p in points], [])


def set_track_volume_pan(track_chunk: Chunk, volume_amp: float | None = None, pan: float | None = None) -> None:
    """Set the fader volume (amplitude) and/or pan (−1 left … +1 right) in ``VOLPAN``."""
    if volume_amp is not None and not (math.isfinite(volume_amp) and 0 <= volume_amp <= MAX_VOLUME_AMP):
        raise _error(track_chunk, f"track volume {volume_amp!r} outside [0, {MAX_VOLUME_AMP}] (amplitude)")
    if pan is not None and not (math.isfinite(pan) and -1 <= pan <= 1):
        raise _error(track_chunk, f"track pan {pan!r} outside [-1, 1]")
    line = track_chunk.find_line("VOLPAN")
    values = line.values if line is not None else ["1", "0", "-1", "-1", "1"]
    while len(values) < 2:
        values.append("0")
    if volume_amp is not None:
        values[0] = format_number(volume_amp)
    if pan is not None:
        values[1] = format_number(pan + 0.0)
    if line is None:
        track_chunk.insert_ordered(Line.from_values("VOLPAN", values), TRACK_CHILD_ORDER)
    elif values != line.values:
        line.values = values


def _is_automix_eq(node: object) -> bool:
    if not isinstance(node, Chunk) or node.tag != "VST":
        return False
    args = node.args
    return len(args) > 3 and args[1].lower().startswith("reaeq") and args[3] == AUTOMIX_EQ_RENAME


def find_automix_eq(track_chunk: Chunk) -> Chunk | None:
    """The automix-owned ReaEQ ``<VST`` chunk of the track, or None."""
    chain = track_chunk.find("FXCHAIN")
    if chain is None:
        return None
    return next((c for c in chain.findall("VST") if _is_automix_eq(c)), None)


def automix_eq_fx_index(track_chunk: Chunk) -> int | None:
    """0-based index of the automix ReaEQ in the track's FX chain (REAPER's ``TrackFX_*`` fx argument), or None."""
    chain = track_chunk.find("FXCHAIN")
    if chain is None:
        return None
    index = 0
    for node in chain.children:
        if isinstance(node, Chunk) and node.tag in _FX_TAGS:
            if _is_automix_eq(node):
                return index
            index += 1
    return None


def platform_hint_for(doc: RppDocument) -> str:
    """Platform for a new ReaEQ: from an existing ReaEQ's file name, else the header version."""
    for vst in doc.iter("VST"):
        args = vst.args
        if len(args) > 1 and args[1].lower().startswith("reaeq"):
            for platform, name in PLUGIN_FILES.items():
                if args[1].lower() == name:
                    return platform
    args = doc.root.args
    return args[1] if len(args) > 1 else "win"


def upsert_automix_eq(track_chunk: Chunk, bands: Sequence[EqBandSetting], *, platform_hint: str) -> Chunk:
    """Insert or update the one automix-owned ReaEQ of the track.

    The automix instance is the ReaEQ whose rename field is
    :data:`~automix.project.reaeq.AUTOMIX_EQ_RENAME`; other ReaEQs are left alone.
    An existing instance keeps its header, tail and program block; only the
    bands change. A new one goes at the end of the FX chain (created if absent).

    Returns:
        The ``<VST`` chunk.
    """
    existing = find_automix_eq(track_chunk)
    if existing is not None:
        old_lines = existing.lines
        state = with_bands(decode_reaeq([n.content for n in old_lines]), list(bands))
        new_lines = encode_reaeq(state)
        if new_lines != [n.content for n in old_lines]:
            for node in old_lines:
                existing.remove(node)
            for text in new_lines:
                existing.append(Line(text))
        return existing
    state = new_reaeq_state(list(bands))
    plugin_file = plugin_file_for_platform(platform_hint)
    chain = track_chunk.find("FXCHAIN")
    if chain is None:
        chain = Chunk("FXCHAIN", (), [Line.from_values(k, v) for k, v in
                                      (("SHOW", (0,)), ("LASTSEL", (0,)), ("DOCKED", (0,)))])
        track_chunk.insert_ordered(chain, TRACK_CHILD_ORDER)
    vst = Chunk("VST", ["VST: ReaEQ (Cockos)", plugin_file, "0", AUTOMIX_EQ_RENAME, vst_plugin_id_token(), ""],
                [Line(text) for text in encode_reaeq(state)])
    chain.append(Line.from_values("BYPASS", (0, 0, 0)))
    chain.append(vst)
    chain.append(Line.from_values("FLOATPOS", (0, 0, 0, 0)))
    chain.append(Line.from_values("FXID", [_stable_guid(track_chunk, "automix EQ")]))
    chain.append(Line.from_values("WAK", (0, 0)))
    return vst


def _fx_block(chain: Chunk, vst: Chunk) -> tuple[int, int]:
    """``(start, end)`` child indices of ``vst``'s block in ``chain``: its BYPASS line, the plug-in chunk,
    then FLOATPOS/FXID/PARMENV/WAK … up to the next FX (or BYPASS line)."""
    children = chain.children
    i = chain.index(vst)
    start = i - 1 if i > 0 and isinstance(children[i - 1], Line) and children[i - 1].key == "BYPASS" else i
    end = i + 1
    while end < len(children):
        node = children[end]
        if isinstance(node, Chunk) and node.tag in _FX_TAGS or isinstance(node, Line) and node.key == "BYPASS":
            break
        end += 1
    return start, end


def remove_automix_eq(track_chunk: Chunk) -> bool:
    """Remove the automix ReaEQ and its BYPASS/FLOATPOS/FXID/WAK/PARMENV lines; True if one was removed."""
    vst = find_automix_eq(track_chunk)
    if vst is None:
        return False
    chain = track_chunk.find("FXCHAIN")
    assert chain is not None
    start, end = _fx_block(chain, vst)
    for node in chain.children[start:end]:
        chain.remove(node)
    return True


def set_automix_eq_envelopes(track_chunk: Chunk, envelopes: Mapping[int, Sequence[EnvelopePoint]]) -> None:
    """Replace the parameter envelopes (``<PARMENV``) of the track's automix ReaEQ with ``envelopes``.

    Args:
        track_chunk: a ``<TRACK`` chunk holding an automix ReaEQ (see :func:`upsert_automix_eq`).
        envelopes: ReaEQ parameter index → time-ordered points whose values are already in the
            envelope's domain (:func:`~automix.project.reaeq.gain_envelope_value` for band gains,
            within :data:`~automix.project.reaeq.GAIN_ENVELOPE_RANGE`). Empty: every PARMENV of
            the automix ReaEQ is removed.

    Every PARMENV of the automix ReaEQ is replaced, never stacked; other plug-ins' envelopes are
    untouched. The envelopes go after the block's ``FXID`` line (before ``WAK``), as REAPER writes them.
    """
    vst = find_automix_eq(track_chunk)
    if vst is None:
        if envelopes:
            raise _error(track_chunk, "ReaEQ envelopes need the automix ReaEQ, which this track does not have")
        return
    chain = track_chunk.find("FXCHAIN")
    assert chain is not None
    lo, hi, default = GAIN_ENVELOPE_RANGE
    for index, points in envelopes.items():
        _check_points(track_chunk, points, lo, hi, f"ReaEQ parameter {index}")
    start, end = _fx_block(chain, vst)
    for node in [n for n in chain.children[start:end] if isinstance(n, Chunk) and n.tag == "PARMENV"]:
        chain.remove(node)
    start, end = _fx_block(chain, vst)
    block = chain.children[start:end]
    fxid = next((k for k, n in enumerate(block) if isinstance(n, Line) and n.key == "FXID"), None)
    pos = start + (fxid + 1 if fxid is not None else len(block))
    for index in sorted(envelopes):
        env = Chunk("PARMENV", [str(index), format_number(lo), format_number(hi), format_number(default)])
        env.append(Line.from_values("EGUID", [_stable_guid(track_chunk, f"automix EQ parameter {index}")]))
        for key, vals in (("ACT", (1, -1)), ("VIS", (1, 1, 1)), ("LANEHEIGHT", (0, 0)), ("ARM", (0,)),
                          ("DEFSHAPE", (0, -1, -1))):
            env.append(Line.from_values(key, vals))
        for p in envelopes[index]:
            env.append(Line(f"PT {format_number(p.time_s)} {format_number(p.value)} {int(p.shape)}"))
        chain.insert(pos, env)
        pos += 1


__all__ = [
    "parse_track_chunk", "dumps", "find_track", "track_guid", "set_volume_envelope", "set_pan_envelope",
    "set_track_volume_pan", "upsert_automix_eq", "remove_automix_eq", "find_automix_eq", "set_automix_eq_envelopes",
    "automix_eq_fx_index",
    "platform_hint_for", "EqBandSetting", "TRACK_CHILD_ORDER",
]
