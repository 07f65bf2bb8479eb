"""Which numbers of an edited track chunk the REAPER side reads back, and what the formulas say they mean.

Runs in the worker (it parses chunks and decodes ReaEQ states);
:mod:`automix.reaper.readback` does the reading inside REAPER. For one track
chunk, :func:`value_checks` lists

* ``volume``: points of ``VOLENV2`` (amplitude; dB = 20·log10(amplitude));
* ``fx_envelope``: points of every ``PARMENV`` of the automix ReaEQ
  (dB = :func:`~automix.project.reaeq.gain_envelope_db`, the inverse of the
  headless formula :func:`~automix.project.reaeq.gain_envelope_value`);
* ``fx_param``: the gain of every automix ReaEQ band without an envelope
  (linear gain in the plug-in state; dB = 20·log10(gain)).

Every envelope point is listed with its line in the chunk text (the action
may rewrite its value when REAPER maps dB differently from the formula,
:mod:`automix.reaper.calibration`); the read-back reads only a few of them
(:func:`~automix.reaper.readback.guard_checks`).
"""

from __future__ import annotations

from automix.project.edit import automix_eq_fx_index, find_automix_eq, parse_track_chunk
from automix.project.reaeq import AUTOMIX_EQ_RENAME, band_gain_param, decode_reaeq, gain_envelope_db
from automix.reaper.readback import ValueCheck, amplitude_db
from automix.rpp import Chunk, split_tokens

VOLUME_ENVELOPE_TAG = "VOLENV2"


def _points(env: Chunk) -> list[tuple[float, float, int]]:
    """(time_s, value, 1-based line in the chunk text) of the envelope's ``PT`` lines, in file order."""
    out = []
    for line in env.findall_lines("PT"):
        toks = split_tokens(line.content)
        out.append((float(toks[1]), float(toks[2]), int(line.line or -1)))
    return out


def _parameter(env: Chunk) -> int | None:
    head = env.args[0] if env.args else ""
    try:
        return int(head.split(":")[0])
    except ValueError:
        return None


def value_checks(chunk_text: str) -> list[ValueCheck]:
    """What to read back of one edited track chunk (see the module docstring)."""
    track = parse_track_chunk(chunk_text)
    checks: list[ValueCheck] = []
    volume = track.find(VOLUME_ENVELOPE_TAG)
    if volume is not None:
        for k, (time_s, amp, line) in enumerate(_points(volume)):
            checks.append(ValueCheck("volume", amplitude_db(amp), amp, point=k, time_s=time_s,
                                     what="the volume envelope", line=line))
    vst = find_automix_eq(track)
    fx = automix_eq_fx_index(track)
    if vst is None or fx is None:
        return checks
    chain = track.find("FXCHAIN")
    start = chain.index(vst)
    enveloped: set[int] = set()
    for node in chain.children[start + 1:]:
        if isinstance(node, Chunk) and node.tag != "PARMENV":
            break  # the next plug-in: its envelopes are not automix's
        if not isinstance(node, Chunk):
            continue
        param = _parameter(node)
        if param is None:
            continue
        enveloped.add(param)
        band = (param - 1) // 3 + 1
        for k, (time_s, value, line) in enumerate(_points(node)):
            checks.append(ValueCheck("fx_envelope", gain_envelope_db(value), value, fx=fx, param=param, point=k,
                                     time_s=time_s, what=f"the ReaEQ {AUTOMIX_EQ_RENAME!r} band {band} gain "
                                                         f"envelope (FX {fx + 1}, parameter {param})", line=line))
    state = decode_reaeq([n.content for n in vst.lines])
    for k, band in enumerate(state.bands):
        param = band_gain_param(k)
        if param in enveloped:
            continue
        checks.append(ValueCheck("fx_param", band.gain_db, band.gain_amp, fx=fx, param=param,
                                 what=f"the ReaEQ {AUTOMIX_EQ_RENAME!r} band {k + 1} gain (FX {fx + 1}, "
                                      f"parameter {param})"))
    return checks


__all__ = ["value_checks"]
