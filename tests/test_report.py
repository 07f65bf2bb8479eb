"""The HTML report: parses, has its sections, names every track, works offline."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from automix.audio.spectrum import SpectrumAccumulator, average_spectrum
from automix.errors import AutomixError
from automix.jobs.report import build_report_html, write_report_html
from automix.plan.model import EqBand, MixPlan, RegionPlan, TrackPlan
from automix.project.model import Fade, Item, Project, Source, Take, Track
from automix.util.svgplot import nice_ticks

NAMES = ["Kick <in>", "Snare & Top", "Bass DI", "Gtr \"L\"", "Лид вокал"]
GUIDS = [f"{{0000000{i}-0000-0000-0000-000000000000}}" for i in range(len(NAMES))]


def _project() -> Project:
    tracks = []
    for i, (g, n) in enumerate(zip(GUIDS, NAMES)):
        src = Source("WAVE", "a.wav", Path("a.wav"), True)
        take = Take("t", 1.0, False, 0.0, 0.0, 1.0, True, 0.0, 0, src)
        item = Item(0.0, 90.0, 0.0, False, 1.0, Fade(), Fade(), False, (take,), 0)
        tracks.append(Track(i, g, n, 1.0, 0.0, False, False, 0, None, items=(item,)))
    return Project(Path("/songs/demo.rpp"), Path("/songs"), "7.18", 48000, 120.0, tuple(tracks), (), ())


def _plan() -> MixPlan:
    regions = []
    for k, (name, sec, a, b) in enumerate([("Intro", "intro", 0, 20), ("Verse", "verse", 20, 45),
                                           ("Chorus", "chorus", 45, 70), ("Outro", "outro", 75, 90)]):
        tracks = []
        for i, (g, n) in enumerate(zip(GUIDS, NAMES)):
            if k == 0 and i == 3:
                continue  # guitar silent in the intro
            eq = (EqBand("high_pass", 80.0, 0.0, 1.9), EqBand("band", 2500.0, 2.0 + k, 1.0)) if i == 4 else ()
            tracks.append(TrackPlan(g, n, "Type" + str(i), -10.0 + 3 * i - k, (i - 2) / 2.5, eq))
        regions.append(RegionPlan(name, sec, float(a), float(b), tuple(tracks)))
    return MixPlan("rock", "models/rock", tuple(regions))


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.stack, self.text, self.urls, self.svgs = set(), [], [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "svg":
            self.svgs += 1
        for key in ("src", "href", "xlink:href"):
            if key in a:
                self.urls.append(a[key])
        if tag not in ("meta", "br", "img", "link", "line", "circle", "rect", "polyline", "path", "input"):
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        a = dict(attrs)
        for key in ("src", "href"):
            if key in a:
                self.urls.append(a[key])

    def handle_endtag(self, tag):
        if tag in ("line", "circle", "rect", "polyline", "path"):
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def _parse(text: str) -> _Collector:
    c = _Collector()
    c.feed(text)
    c.close()
    assert c.stack == [], f"unclosed: {c.stack}"
    return c


def test_report_sections_names_and_offline(tmp_path):
    sr = 48000
    t = np.arange(sr) / sr
    before = [average_spectrum(np.sin(2 * np.pi * 1000 * t), sr)]
    after = [average_spectrum(0.5 * np.sin(2 * np.pi * 1000 * t), sr)]
    out = write_report_html(_project(), _plan(), tmp_path / "r.html", spectra_before=before, spectra_after=after,
                       stats={"Tracks within 3 dB": "9 / 9", "Worst error dB": 1.234})
    text = out.read_text(encoding="utf-8")
    c = _parse(text)
    assert {"overview", "gains", "stereo", "eq", "spectra"} <= c.ids
    body = "".join(c.text)
    for name in NAMES:
        assert name in body, name
    assert "rock" in body and "models/rock" in body and "1.23" in body and "9 / 9" in body
    assert c.urls == []
    assert "http" not in text and "url(" not in text and "@import" not in text
    assert c.svgs >= 1 + 4 + 1 + 1  # gain chart, 4 stereo fields, 1 EQ chart (only the vocal has EQ), spectra
    # heat-map: one cell per track and region, the missing guitar in the intro shown as a dash
    assert text.count('title="Gtr &quot;L&quot; in Intro"') == 0 and text.count("—</td>") == 1
    assert "+2.0 dB" in body  # the vocal in the intro: -10 + 3·4 - 0
    # identical inputs give identical bytes
    assert build_report_html(_project(), _plan(), spectra_before=before, spectra_after=after,
                             stats={"Tracks within 3 dB": "9 / 9", "Worst error dB": 1.234}) == text


def test_without_spectra_section_is_absent():
    c = _parse(build_report_html(_project(), _plan()))
    assert "spectra" not in c.ids and "eq" in c.ids


def test_gain_values_and_colours_in_table():
    text = build_report_html(_project(), _plan())
    # Kick in the intro: -10 dB → a blue cell; Лид вокал in the intro: +2 dB → an orange cell
    kick = re.search(r'<td style="([^"]+)" title="Kick &lt;in&gt; in Intro">-10.0 dB</td>', text)
    vox = re.search(r'<td style="([^"]+)" title="Лид вокал in Intro">\+2.0 dB</td>', text)
    assert kick and "hsl(214" in kick.group(1)
    assert vox and "hsl(18" in vox.group(1)


def test_average_spectrum_peak_and_flatness():
    sr = 44100
    rng = np.random.default_rng(0)
    t = np.arange(2 * sr) / sr
    spec = average_spectrum(np.stack([np.sin(2 * np.pi * 1000 * t)] * 2, 1), sr)
    peak_f = spec.freqs_hz[np.argmax(spec.level_db)]
    assert peak_f == pytest.approx(1000.0, rel=0.06)
    noise = average_spectrum(rng.standard_normal(4 * sr), sr)
    mid = (noise.freqs_hz > 100) & (noise.freqs_hz < 15000)
    assert np.ptp(noise.level_db[mid]) < 3.0
    with pytest.raises(AutomixError, match="at least 16 samples"):
        average_spectrum(np.zeros(3), sr)


def test_streamed_spectrum_is_welchs_for_any_block_sizes():
    from scipy.signal import welch

    rng = np.random.default_rng(3)
    x = rng.standard_normal((70001, 2)) * np.linspace(0.1, 1.0, 70001)[:, None] + 0.2  # with a DC offset
    acc = SpectrumAccumulator(44100)
    i = 0
    while i < x.shape[0]:
        k = int(rng.integers(1, 15000))
        acc.push(x[i:i + k])
        i += k
    f, p = acc.psd()
    f_ref, p_ref = welch(x.mean(axis=1), fs=44100, nperseg=8192, window="hann")
    np.testing.assert_allclose(f, f_ref)
    np.testing.assert_allclose(p, p_ref, rtol=1e-9, atol=1e-15 * p_ref.max())
    with pytest.raises(AutomixError, match="fewer than 8192"):
        SpectrumAccumulator(44100).psd()


def test_nice_ticks():
    assert nice_ticks(0, 100, 5) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(-12.5, 6.2, 5) == [-10, -5, 0, 5]


def test_unwritable_path_raises(tmp_path):
    with pytest.raises(AutomixError, match="cannot write report"):
        write_report_html(_project(), _plan(), tmp_path / "missing" / "r.html")


def test_empty_plan_still_gives_a_valid_page():
    for plan in (MixPlan("", "", ()), MixPlan("pop", "", (RegionPlan("A", "verse", 0.0, 10.0, ()),))):
        c = _parse(build_report_html(_project(), plan))
        assert {"overview", "gains", "stereo", "eq"} <= c.ids


def test_plain_text_table():
    from automix.jobs.report import format_eq, format_pan, format_plan_text

    assert [format_pan(p) for p in (0.0, -0.35, 1.0, 0.004)] == ["C", "L35", "R100", "C"]
    assert format_eq(()) == "flat"
    assert format_eq((EqBand("high_pass", 80.0, 0.0, 1.9), EqBand("band", 2500.0, 3.0, 1.0))) == \
        "HP 80 · PK 2.5k +3.0/1"
    text = format_plan_text(_plan())
    lines = text.splitlines()
    assert lines[0] == "genre: rock   model: models/rock"
    assert "Intro (intro, 0:00.0–0:20.0)" in lines
    row = next(ln for ln in lines if ln.strip().startswith("Kick <in>"))
    assert row.split()[-2:] == ["L80", "flat"] and "-10.0" in row
    # columns line up: in each region every gain ends at the same column
    start = lines.index("Chorus (chorus, 0:45.0–1:10.0)") + 2
    ends = {ln.index(f"{g:+.1f}") + len(f"{g:+.1f}")
            for ln, g in zip(lines[start:start + 5], (-12.0, -9.0, -6.0, -3.0, 0.0))}
    assert len(ends) == 1
