"""Preview rendering: planned gain, ramps, pan law, per-region EQ, loudness normalisation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from automix.audio.eq import eq_response_db
from automix.audio.panlaw import track_pan_gains
from automix.jobs.preview import (
    TrackMixer,
    iter_mixes,
    render_mix,
    write_preview,
)
from automix.plan.apply import RAMP_S, apply_plan
from automix.plan.model import EqBand, MixPlan, RegionPlan, TrackPlan
from automix.project.model import Fade, Item, Project, Source, Take, Track

SR = 8000
GA = "{AAAAAAAA-0000-0000-0000-000000000001}"
GB = "{BBBBBBBB-0000-0000-0000-000000000002}"
GC = "{CCCCCCCC-0000-0000-0000-000000000003}"


def _plan(eq_b=()) -> MixPlan:
    return MixPlan("pop", "test", (
        RegionPlan("Intro", "intro", 0.0, 2.0, (TrackPlan(GA, "A", "Bass", -6.0, 0.0),
                                                TrackPlan(GB, "B", "Lead Vox", 0.0, -0.5))),
        RegionPlan("Chorus", "chorus", 2.0, 4.0, (TrackPlan(GA, "A", "Bass", 3.0, 0.5),
                                                  TrackPlan(GB, "B", "Lead Vox", 0.0, -0.5, eq_b))),
    ))


def apply_plan_to_stems(stems: dict[str, np.ndarray], plan: MixPlan | None, sample_rate: int) -> np.ndarray:
    """The product's per-track mixer on in-memory stems (faders at 0 dB, centre), summed: float64 (max n, 2)."""
    n = max(len(s) for s in stems.values())
    out = np.zeros((n, 2))
    for guid, stem in stems.items():
        x = np.asarray(stem, dtype=np.float64)
        x = np.stack([x, x], axis=1) if x.ndim == 1 else x
        out[: len(x)] += TrackMixer(plan, guid, sample_rate).process(x, 0)
    return out


def _rms(x):
    return float(np.sqrt(np.mean(np.square(x))))


def test_pan_law_constant_power_0db_centre():
    pans = np.linspace(-1.0, 1.0, 41)
    left, right = track_pan_gains(pans)
    np.testing.assert_allclose(left ** 2 + right ** 2, 2.0, rtol=1e-12)  # constant power
    c_left, c_right = track_pan_gains(0.0)
    assert float(c_left) == pytest.approx(1.0) and float(c_right) == pytest.approx(1.0)
    h_left, h_right = track_pan_gains(-1.0)
    assert 20 * np.log10(float(h_left)) == pytest.approx(3.01, abs=0.01) and float(h_right) == pytest.approx(0, abs=1e-12)
    assert np.all(np.diff(left) <= 0) and np.all(np.diff(right) >= 0)
    np.testing.assert_allclose(track_pan_gains(2.0), track_pan_gains(1.0))


def test_the_preview_plays_the_envelopes_the_writer_writes():
    from rpp_factory import FactoryItem, FactoryTrack, guid_for, project_text

    from automix import rpp
    from automix.project.edit import find_track
    from automix.project.reader import project_from_document

    regions = ((1, "Intro", 0.0, 1.0), (2, "Verse", 1.0, 1.5), (3, "Chorus", 2.0, 3.0))  # a gap before the chorus
    text = project_text([FactoryTrack("A", [FactoryItem(0.0, 3.0, "a.wav")])], regions=regions, version="7.18/win64")
    doc = rpp.loads(text, file="song.rpp")
    project = project_from_document(doc, None, Path("/tmp"))
    ga = guid_for("A")
    gains, pans = (-6.0, 4.0, -1.0), (0.0, 0.7, -0.3)
    plan = MixPlan("pop", "test", tuple(RegionPlan(name, name.lower(), a, b, (TrackPlan(ga, "A", "Bass", g, p),))
                                        for (_n, name, a, b), g, p in zip(regions, gains, pans)))
    apply_plan(doc, project, plan)
    track = find_track(doc, ga)
    vol = np.array([[float(v) for v in line.values[:2]] for line in track.find("VOLENV2").findall_lines("PT")])
    pan = np.array([[float(v) for v in line.values[:2]] for line in track.find("PANENV2").findall_lines("PT")])
    assert np.any(np.isclose(np.diff(vol[:, 0]), RAMP_S))  # the file holds ramps
    n = int(3.5 * SR)
    t = np.arange(n) / SR
    amp = np.interp(t, vol[:, 0], vol[:, 1])
    left, right = track_pan_gains(np.interp(t, pan[:, 0], -pan[:, 1]))  # the file stores pan negated
    mix = apply_plan_to_stems({ga: np.ones((n, 2), np.float32)}, plan, SR)
    np.testing.assert_allclose(mix[:, 0], amp * left, rtol=1e-6, atol=1e-9)  # file values have 6 digits or more
    np.testing.assert_allclose(mix[:, 1], amp * right, rtol=1e-6, atol=1e-9)


def test_gain_steps_with_ramp_ending_at_boundary_and_pan():
    n = 4 * SR
    stems = {GA: np.ones((n, 2), np.float32)}
    mix = apply_plan_to_stems(stems, _plan(), SR)
    assert mix.shape == (n, 2)
    intro = 10 ** (-6 / 20)
    chorus = 10 ** (3 / 20)
    np.testing.assert_allclose(mix[: int(1.98 * SR)], intro, rtol=1e-9)
    # chorus: pan +0.5 with the sine law: left √2·cos 67.5°, right √2·sin 67.5°
    np.testing.assert_allclose(mix[2 * SR:, 0], chorus * np.sqrt(2) * np.cos(np.radians(67.5)), rtol=1e-9)
    np.testing.assert_allclose(mix[2 * SR:, 1], chorus * np.sqrt(2) * np.sin(np.radians(67.5)), rtol=1e-9)
    # the step is a linear ramp over RAMP_S that ends at the boundary (gain and pan both ramp)
    mid = int(round((2.0 - RAMP_S / 2) * SR))
    expected_mid = (intro + chorus) / 2 * float(track_pan_gains(0.25)[1])
    assert mix[mid, 1] == pytest.approx(expected_mid, rel=1e-3)
    before = int(round((2.0 - RAMP_S) * SR)) - 1
    assert mix[before, 1] == pytest.approx(intro, rel=1e-9)
    # no click: the change is spread over the ramp; a hard step would make one sample jump by all of it
    total = abs(mix[-1, 1] - mix[0, 1])
    assert np.max(np.abs(np.diff(mix[:, 1]))) < total / (RAMP_S * SR) * 1.5


def test_per_region_eq_and_unplanned_track_untouched():
    n = 4 * SR
    t = np.arange(n) / SR
    sine = np.sin(2 * np.pi * 1000 * t)
    band = EqBand("band", 1000.0, 9.0, 1.0)
    plan = _plan(eq_b=(band,))
    out_b = apply_plan_to_stems({GB: sine}, plan, SR)
    expected_db = float(eq_response_db([band], np.array([1000.0]), SR)[0])
    assert expected_db == pytest.approx(9.0, abs=0.05)
    intro = out_b[int(0.5 * SR): int(1.9 * SR), 1]   # pan −0.5: right × √2·sin 22.5°
    chorus = out_b[int(2.5 * SR): int(3.9 * SR), 1]
    ratio_db = 20 * np.log10(_rms(chorus) / _rms(intro))
    assert ratio_db == pytest.approx(9.0, abs=0.1)
    assert _rms(intro) == pytest.approx(np.sqrt(2) * np.sin(np.radians(22.5)) * _rms(sine), rel=1e-3)
    out_c = apply_plan_to_stems({GC: sine}, plan, SR)
    np.testing.assert_allclose(out_c, np.stack([sine, sine], 1), atol=1e-12)


def test_blockwise_mixer_equals_whole():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4 * SR, 2))
    plan = _plan(eq_b=(EqBand("high_shelf", 2000.0, -6.0, 2.0),))
    whole = TrackMixer(plan, GB, SR).process(x, 0)
    mixer = TrackMixer(plan, GB, SR)
    parts = [mixer.process(x[i:i + 777], i) for i in range(0, len(x), 777)]
    np.testing.assert_allclose(np.concatenate(parts), whole, atol=1e-9)


def _write_project(tmp_path: Path) -> tuple[Project, dict[str, np.ndarray]]:
    t = np.arange(4 * SR) / SR
    rng = np.random.default_rng(7)
    signals = {GA: 0.3 * np.sin(2 * np.pi * 110 * t), GB: 0.1 * rng.standard_normal(len(t)),
               GC: 0.2 * np.sin(2 * np.pi * 440 * t)}
    tracks = []
    for i, (guid, sig) in enumerate(signals.items()):
        path = tmp_path / f"t{i}.wav"
        sf.write(path, sig.astype(np.float32), SR, subtype="FLOAT")
        src = Source(kind="WAVE", file_text=path.name, path=path, exists=True)
        take = Take("t", 1.0, False, 0.0, 0.0, 1.0, True, 0.0, 0, src)
        item = Item(0.0, 4.0, 0.0, False, 1.0, Fade(), Fade(), False, (take,), 0)
        tracks.append(Track(i, guid, "ABC"[i], 0.5 if guid == GC else 1.0, 0.0, False, False,
                            0, None, items=(item,)))
    project = Project(tmp_path / "p.rpp", tmp_path, "7.18", SR, 120.0, tuple(tracks), (), ())
    stems = {g: np.stack([s, s], 1).astype(np.float32).astype(np.float64) for g, s in signals.items()}
    return project, stems


def test_render_mix_matches_stem_mix_with_faders(tmp_path):
    project, stems = _write_project(tmp_path)
    plan = _plan(eq_b=(EqBand("band", 500.0, 4.0, 1.0),))
    mix = render_mix(project, plan, sample_rate=SR)
    stems_fader = dict(stems)
    stems_fader[GC] = stems[GC] * 0.5  # track C: fader at −6 dB, not in the plan
    expected = apply_plan_to_stems(stems_fader, plan, SR)
    assert mix.shape == expected.shape == (4 * SR, 2)
    np.testing.assert_allclose(mix, expected, atol=1e-5)
    plain = render_mix(project, None, sample_rate=SR)
    np.testing.assert_allclose(plain, stems[GA] + stems[GB] + 0.5 * stems[GC], atol=1e-6)


def test_one_pass_gives_the_unmixed_sum_and_the_mix_together(tmp_path):
    project, _ = _write_project(tmp_path)
    plan = _plan(eq_b=(EqBand("band", 500.0, 4.0, 1.0),))
    pairs = list(iter_mixes(project, [None, plan], sample_rate=SR, block_s=0.7))
    np.testing.assert_array_equal(np.concatenate([u for u, _ in pairs]), render_mix(project, None, sample_rate=SR))
    np.testing.assert_array_equal(np.concatenate([m for _, m in pairs]), render_mix(project, plan, sample_rate=SR))


def test_write_preview_streams_same_samples_and_normalises(tmp_path):
    pyln = pytest.importorskip("pyloudnorm")
    project, _ = _write_project(tmp_path)
    plan = _plan()
    ref = render_mix(project, plan, sample_rate=SR)
    summary = write_preview(project, plan, tmp_path / "mix.wav", sample_rate=SR)
    data, sr = sf.read(tmp_path / "mix.wav", dtype="float64")
    assert sr == SR and summary.duration_s == pytest.approx(4.0)
    np.testing.assert_allclose(data, ref, atol=1e-6)
    # loudness checked with an independent meter at 48 kHz (the stems are resampled)
    hi_sr = 48000
    norm = write_preview(project, plan, tmp_path / "mix_n.wav", sample_rate=hi_sr, normalize_lufs=-16.0,
                         subtype="PCM_24")
    data_n, sr_n = sf.read(tmp_path / "mix_n.wav", dtype="float64")
    assert sr_n == hi_sr and sf.info(tmp_path / "mix_n.wav").subtype == "PCM_24"
    assert pyln.Meter(hi_sr).integrated_loudness(data_n) == pytest.approx(-16.0, abs=0.1)
    assert norm.loudness_lufs == -16.0
    arr = render_mix(project, None, sample_rate=hi_sr, normalize_lufs=-20.0)
    assert pyln.Meter(hi_sr).integrated_loudness(arr) == pytest.approx(-20.0, abs=0.1)
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".wav" and p.name.startswith("mix")) == [
        "mix.wav", "mix_n.wav"]


def test_muted_and_solo_tracks(tmp_path):
    from dataclasses import replace

    project, stems = _write_project(tmp_path)
    muted = replace(project, tracks=(project.tracks[0], replace(project.tracks[1], muted=True), project.tracks[2]))
    np.testing.assert_allclose(render_mix(muted, None, sample_rate=SR), stems[GA] + 0.5 * stems[GC], atol=1e-6)
    solo = replace(project, tracks=(project.tracks[0], replace(project.tracks[1], soloed=True), project.tracks[2]))
    np.testing.assert_allclose(render_mix(solo, None, sample_rate=SR), stems[GB], atol=1e-6)


def test_preview_reproduces_the_demo_generators_intended_mix():
    """Per-section balances and pans of the synthetic demo song, mixed by the preview,
    equal the generator's own rendering of its intended mix (an independent implementation)."""
    synth = pytest.importorskip("automix.demo.synth")
    sr = 16000
    song = synth.synthesize_song(3, 20.0, sr)
    stems, regions = {}, []
    for k, part in enumerate(song.parts):
        audio = np.asarray(part.audio, dtype=np.float64)
        if audio.ndim == 1:
            # the generator pans mono parts with L = cos θ, R = sin θ (−3 dB at centre);
            # the preview's law is 0 dB at centre: that is the √2 between them
            audio = np.stack([audio, audio], axis=1) / np.sqrt(2)
        stems[f"{{{k:08d}}}"] = audio
    for s_index, section in enumerate(song.sections):
        tracks = tuple(TrackPlan(f"{{{k:08d}}}", p.name, p.track_type, p.balance_db[s_index], p.pan)
                       for k, p in enumerate(song.parts))
        regions.append(RegionPlan(section.name, section.kind, section.start_s, section.end_s, tracks))
    mix = apply_plan_to_stems(stems, MixPlan("demo", "truth", tuple(regions)), sr)
    intended = synth.render_intended_mix(song)
    n = min(len(mix), len(intended))
    residual_db = 10 * np.log10(np.sum((mix[:n] - intended[:n]) ** 2) / np.sum(intended[:n] ** 2))
    assert residual_db < -45.0  # measured −52 dB: only the 10 ms ramps differ (a linear balance law: −21 dB)
