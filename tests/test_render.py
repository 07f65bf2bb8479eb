"""automix.audio.render against hand-computed expectations (files written by the tests)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from automix.audio.panlaw import take_pan_gains
from automix.audio.render import (
    RenderReport,
    render_file,
    render_track,
    render_track_full,
)
from automix.errors import MediaError
from automix.project.model import Fade, Item, Project, Source, Take, Track

SR = 8000


def _ramp_file(tmp_path: Path, n: int = SR, sr: int = SR, name: str = "ramp.wav", stereo: bool = False) -> Path:
    """Sample i of the file holds (i + 1) / 2**15 so every position is identifiable (16-bit exact)."""
    x = (np.arange(n) + 1) / 2.0 ** 15
    data = np.stack([x, -x], axis=1) if stereo else x
    p = tmp_path / name
    sf.write(p, data, sr, subtype="PCM_24")
    return p


def _take(path: Path | None, *, kind: str = "WAVE", soffs: float = 0.0, gain: float = 1.0, pan: float = 0.0,
          polarity: bool = False, rate: float = 1.0, preserve: bool = False, chanmode: int = 0) -> Take:
    src = Source(kind, str(path) if path else None, path, bool(path and path.exists()))
    return Take("t", gain, polarity, pan, soffs, rate, preserve, 0.0, chanmode, src)


def _item(take: Take, pos: float, length: float, *, loop: bool = False, gain: float = 1.0,
          fade_in: float = 0.0, fade_out: float = 0.0, muted: bool = False) -> Item:
    return Item(pos, length, 0.0, loop, gain, Fade(fade_in, 0), Fade(fade_out, 0), muted, (take,), 0, line=7)


def _project(tmp_path: Path, *items: Item, end_s: float | None = None) -> tuple[Project, Track]:
    track = Track(0, "{G}", "Gtr", 1.0, 0.0, False, False, 0, None, items=tuple(items))
    proj = Project(None, tmp_path, "7.0", SR, 120.0, (track,), (), ())
    return proj, track


def _ramp_values(idx: np.ndarray) -> np.ndarray:
    return (idx + 1) / 2.0 ** 15


def test_position_length_and_source_offset(tmp_path):
    p = _ramp_file(tmp_path)
    proj, tr = _project(tmp_path, _item(_take(p, soffs=0.25), pos=0.5, length=0.5))
    y = render_track_full(proj, tr)
    assert y.shape == (SR, 2) and y.dtype == np.float32
    assert np.all(y[: SR // 2] == 0.0)
    k = np.arange(SR // 2)
    np.testing.assert_allclose(y[SR // 2:, 0], _ramp_values(k + SR // 4), atol=1e-6)
    np.testing.assert_allclose(y[:, 0], y[:, 1])


def test_item_longer_than_source_is_silent_after_the_end_without_loop(tmp_path):
    p = _ramp_file(tmp_path, n=SR // 4)
    proj, tr = _project(tmp_path, _item(_take(p), pos=0.0, length=1.0))
    y = render_track_full(proj, tr)
    np.testing.assert_allclose(y[: SR // 4, 0], _ramp_values(np.arange(SR // 4)), atol=1e-6)
    assert np.all(y[SR // 4:] == 0.0)


def test_loop_repeats_the_source(tmp_path):
    n_src = 1000
    p = _ramp_file(tmp_path, n=n_src)
    proj, tr = _project(tmp_path, _item(_take(p, soffs=0.05), pos=0.0, length=1.0, loop=True))
    y = render_track_full(proj, tr)
    k = np.arange(SR)
    np.testing.assert_allclose(y[:, 0], _ramp_values((k + 400) % n_src), atol=1e-6)  # 0.05 s = 400 samples


def test_volumes_polarity_and_take_pan(tmp_path):
    p = _ramp_file(tmp_path)
    take = _take(p, gain=2.0, pan=0.5, polarity=True)
    proj, tr = _project(tmp_path, _item(take, pos=0.0, length=1.0, gain=0.25))
    y = render_track_full(proj, tr)
    x = _ramp_values(np.arange(SR))
    np.testing.assert_allclose(y[:, 0], -0.5 * 0.5 * x, atol=1e-6)  # item 0.25 × take 2, inverted, L × (1 − 0.5)
    np.testing.assert_allclose(y[:, 1], -0.5 * x, atol=1e-6)
    assert take_pan_gains(-1.0) == (1.0, 0.0) and take_pan_gains(0.0) == (1.0, 1.0)


def test_linear_fades(tmp_path):
    p = tmp_path / "ones.wav"
    sf.write(p, np.full(SR, 0.5), SR, subtype="FLOAT")
    proj, tr = _project(tmp_path, _item(_take(p), pos=0.0, length=1.0, fade_in=0.2, fade_out=0.4))
    y = render_track_full(proj, tr)[:, 0]
    assert y[int(0.1 * SR)] == pytest.approx(0.25, abs=1e-4)  # halfway through the fade-in
    assert y[int(0.2 * SR)] == pytest.approx(0.5, abs=1e-4)
    assert y[int(0.5 * SR)] == pytest.approx(0.5, abs=1e-4)
    assert y[int(0.8 * SR)] == pytest.approx(0.25, abs=1e-4)  # halfway through the fade-out
    assert y[0] == pytest.approx(0.0, abs=1e-6) and y[-1] == pytest.approx(0.5 / (0.4 * SR), abs=1e-4)


def test_play_rate_doubles_frequency_and_reports_preserve_pitch(tmp_path):
    t = np.arange(2 * SR) / SR
    p = tmp_path / "sine.wav"
    sf.write(p, 0.5 * np.sin(2 * np.pi * 200.0 * t), SR, subtype="FLOAT")
    report = RenderReport()
    proj, tr = _project(tmp_path, _item(_take(p, soffs=0.1, rate=2.0, preserve=True), pos=0.0, length=0.8))
    y = render_track_full(proj, tr, report=report)[:, 0]
    k = np.arange(int(0.8 * SR))
    expected = 0.5 * np.sin(2 * np.pi * 200.0 * (0.1 + 2.0 * k / SR))  # source time = soffs + rate·t
    np.testing.assert_allclose(y[50:-50], expected[50:-50], atol=2e-3)
    assert any("preserve-pitch" in a for a in report.approximations)


def test_other_sample_rate_is_resampled(tmp_path):
    t = np.arange(12000) / 12000
    p = tmp_path / "sine12k.wav"
    sf.write(p, 0.5 * np.sin(2 * np.pi * 440.0 * t), 12000, subtype="FLOAT")
    proj, tr = _project(tmp_path, _item(_take(p), pos=0.0, length=1.0))
    y = render_track_full(proj, tr)[:, 0]
    expected = 0.5 * np.sin(2 * np.pi * 440.0 * np.arange(SR) / SR)
    np.testing.assert_allclose(y[50:-50], expected[50:-50], atol=2e-3)


@pytest.mark.parametrize("rate", [1.0, 1.5])
def test_block_size_does_not_change_the_result(tmp_path, rate):
    p = _ramp_file(tmp_path)
    proj, tr = _project(tmp_path, _item(_take(p, rate=rate, pan=-0.3), pos=0.1, length=0.6, fade_in=0.05))
    a = np.concatenate(list(render_track(proj, tr, block_s=0.0371)))
    b = np.concatenate(list(render_track(proj, tr, block_s=10.0)))  # panned: the gain cache grows
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(b[int(0.2 * SR), 1] / b[int(0.2 * SR), 0], 0.7, rtol=1e-6)  # right × (1 − 0.3)


def test_every_block_is_a_new_array_the_caller_may_keep(tmp_path):
    p = _ramp_file(tmp_path, stereo=True)
    proj, tr = _project(tmp_path, _item(_take(p, pan=0.4), pos=0.0, length=1.0))
    blocks = list(render_track(proj, tr, block_s=0.25))
    kept = [b.copy() for b in blocks]
    for k, b in enumerate(blocks):
        assert b.flags.owndata and b.flags.writeable
        assert not any(np.shares_memory(b, other) for other in blocks[k + 1:])
    np.testing.assert_array_equal(np.concatenate(blocks), np.concatenate(kept))


def test_overlapping_items_sum_and_muted_or_midi_items_are_skipped(tmp_path):
    p = _ramp_file(tmp_path)
    a = _item(_take(p), pos=0.0, length=0.5)
    b = _item(_take(p), pos=0.25, length=0.5)
    muted = _item(_take(p), pos=0.0, length=1.0, muted=True)
    midi = _item(_take(None, kind="MIDI"), pos=0.0, length=1.0)
    proj, tr = _project(tmp_path, a, b, muted, midi)
    report = RenderReport()
    y = render_track_full(proj, tr, report=report)[:, 0]
    i = int(0.3 * SR)
    assert y[i] == pytest.approx(_ramp_values(i) + _ramp_values(i - SR // 4), abs=1e-6)
    assert len(report.skipped) == 2
    assert any("MIDI" in s for s in report.skipped) and any("muted" in s for s in report.skipped)
    assert all("'Gtr'" in s for s in report.skipped)


def test_stereo_source_and_channel_modes(tmp_path):
    p = _ramp_file(tmp_path, stereo=True)
    x = _ramp_values(np.arange(SR))
    for mode, (left, right) in {0: (x, -x), 1: (-x, x), 2: (0 * x, 0 * x), 3: (x, x), 4: (-x, -x)}.items():
        proj, tr = _project(tmp_path, _item(_take(p, chanmode=mode), pos=0.0, length=1.0))
        y = render_track_full(proj, tr)
        np.testing.assert_allclose(y[:, 0], left, atol=1e-6, err_msg=f"mode {mode}")
        np.testing.assert_allclose(y[:, 1], right, atol=1e-6, err_msg=f"mode {mode}")


def test_missing_media_names_the_file_and_track(tmp_path):
    missing = tmp_path / "gone.wav"
    proj, tr = _project(tmp_path, _item(_take(missing), pos=0.0, length=1.0))
    with pytest.raises(MediaError) as err:
        render_track_full(proj, tr)
    assert "gone.wav" in str(err.value) and "'Gtr'" in str(err.value)


def test_render_file_pads_to_length(tmp_path):
    p = _ramp_file(tmp_path, n=SR // 2)
    y = np.concatenate(list(render_file(p, length_s=1.0, block_s=0.3)))
    assert y.shape == (SR, 2)
    np.testing.assert_allclose(y[: SR // 2, 1], _ramp_values(np.arange(SR // 2)), atol=1e-6)
    assert np.all(y[SR // 2:] == 0)


def test_project_end_defines_the_length(tmp_path):
    p = _ramp_file(tmp_path)
    proj, tr = _project(tmp_path, _item(_take(p), pos=0.0, length=0.5))
    proj = replace(proj, regions=())
    assert render_track_full(proj, tr).shape == (SR // 2, 2)
    assert render_track_full(proj, tr, end_s=2.0).shape == (2 * SR, 2)
