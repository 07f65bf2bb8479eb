"""ReaEQ state codec: corpus round trip, generated blocks, validation."""

from __future__ import annotations

import base64
import math
import struct
from pathlib import Path

import pytest

from automix import rpp
from automix.errors import ProjectEditError, ProjectParseError
from automix.project.reaeq import (
    BAND_TYPES,
    DEFAULT_TAIL,
    HEADER_MAGIC,
    REAEQ_VST_ID,
    EqBandSetting,
    decode_reaeq,
    encode_reaeq,
    new_reaeq_state,
    plugin_file_for_platform,
    vst_plugin_id_token,
    with_bands,
)

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "rpp-corpus"

BANDS = [EqBandSetting("low_shelf", 120.0, -3.0, 2.0), EqBandSetting("band", 245.0, 6.0, 2.0),
         EqBandSetting("band", 1000.0, 0.0, 1.5, enabled=False), EqBandSetting("high_shelf", 6000.0, 2.5, 2.0),
         EqBandSetting("high_pass", 40.0, 0.0, 0.7)]


def corpus_reaeq_blocks() -> list[tuple[str, list[str]]]:
    blocks = []
    for path in sorted(CORPUS.glob("**/*.rpp")):
        for vst in rpp.load(path).iter("VST"):
            args = vst.args
            if len(args) > 1 and args[1].lower().startswith("reaeq"):
                blocks.append((f"{path.name}:{vst.line}", [n.content for n in vst.lines]))
    return blocks


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/rpp-corpus not present (fresh clone)")
def test_every_corpus_reaeq_decodes_and_reencodes_identically() -> None:
    blocks = corpus_reaeq_blocks()
    assert len(blocks) >= 20
    for where, lines in blocks:
        state = decode_reaeq(lines)
        assert encode_reaeq(state) == lines, where
        assert 1 <= len(state.bands) <= 16, where
        for band in state.bands:
            assert 10.0 <= band.freq_hz <= 24000.0 and band.bw_oct > 0, where


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/rpp-corpus not present (fresh clone)")
def test_generated_id_token_and_header_match_reaper_written_ones() -> None:
    ids = {vst.args[4] for path in CORPUS.glob("*.rpp") for vst in rpp.load(path).iter("VST")
           if len(vst.args) > 4 and vst.args[1].lower().startswith("reaeq")}
    assert ids == {vst_plugin_id_token()}
    _, lines = corpus_reaeq_blocks()[1]
    real = decode_reaeq(lines)
    fresh = new_reaeq_state(BANDS)
    assert (real.header.input_masks, real.header.output_masks) == (fresh.header.input_masks, fresh.header.output_masks)
    assert real.header.field_a == fresh.header.field_a


def test_new_state_layout_and_gain_conversion() -> None:
    lines = encode_reaeq(new_reaeq_state(BANDS))
    assert all(len(base64.b64decode(x)) <= 96 for x in lines)
    data = b"".join(base64.b64decode(x) for x in lines)
    vst_id, magic, n_in = struct.unpack_from("<iIi", data, 0)
    assert (vst_id, magic, n_in) == (REAEQ_VST_ID, HEADER_MAGIC, 2)
    assert data[:4] == b"qeer"
    state = decode_reaeq(lines)
    chunk_size = state.header.chunk_size
    assert chunk_size == 8 + 33 * len(BANDS) + len(DEFAULT_TAIL)
    assert [b.type_code for b in state.bands] == [BAND_TYPES[b.band_type] for b in BANDS]
    for want, got in zip(BANDS, state.bands):
        assert got.freq_hz == want.freq_hz and got.bw_oct == want.bw_oct and got.enabled == want.enabled
        assert math.isclose(got.gain_db, want.gain_db, abs_tol=1e-9)
    assert math.isclose(state.bands[1].gain_amp, 1.9952623149688795, rel_tol=1e-12)  # +6 dB ≈ ×1.995
    assert state.program.startswith(b"\x00Program 1\x00")


def test_with_bands_keeps_header_tail_and_program() -> None:
    original = new_reaeq_state(BANDS)
    changed = with_bands(original, BANDS[:2])
    again = decode_reaeq(encode_reaeq(changed))
    assert len(again.bands) == 2 and again.tail == original.tail and again.program == original.program
    assert again.header.chunk_size == 8 + 2 * 33 + len(original.tail)


@pytest.mark.parametrize("lines, fragment", [
    (["!!!not base64!!!"], "not base64"),
    ([base64.b64encode(b"abcd" * 20).decode()], "not a ReaEQ header"),
    ([base64.b64encode(struct.pack("<iIi", REAEQ_VST_ID, HEADER_MAGIC, 2)).decode()], "truncated"),
])
def test_bad_state_raises_parse_error(lines: list[str], fragment: str) -> None:
    with pytest.raises(ProjectParseError, match=fragment):
        decode_reaeq(lines)


@pytest.mark.parametrize("band, fragment", [
    (EqBandSetting("wobble", 100.0, 0.0, 1.0), "unknown EQ band type 'wobble'"),
    (EqBandSetting("band", -5.0, 0.0, 1.0), "frequency"),
    (EqBandSetting("band", 100.0, 40.0, 1.0), "gain"),
    (EqBandSetting("band", 100.0, 0.0, math.nan), "bandwidth"),
])
def test_bad_band_raises_edit_error(band: EqBandSetting, fragment: str) -> None:
    with pytest.raises(ProjectEditError, match=fragment):
        new_reaeq_state([band])


@pytest.mark.parametrize("hint, name", [("win", "reaeq.dll"), ("7.18/win64", "reaeq.dll"), ("OSX64", "reaeq.vst.dylib"),
                                        ("6.25-beta/macOS-arm64", "reaeq.vst.dylib"), ("linux-x86_64", "reaeq.vst.so"),
                                        ("darwin", "reaeq.vst.dylib"), ("6.04/x64", "reaeq.dll")])
def test_plugin_file_for_platform(hint: str, name: str) -> None:
    assert plugin_file_for_platform(hint) == name


def test_unknown_platform_raises() -> None:
    with pytest.raises(ProjectEditError, match="amiga"):
        plugin_file_for_platform("amiga")
