"""automix.estimate.finished_mix on real recordings from ../shared/audio (skipped without ../shared).

MUSDB previews: the mixture is (close to) the plain sum of the four stems, so
every estimated gain must be within 0.5 dB of 0 dB. MedleyDB excerpt: a real
engineer's mix (processing, bleed, a room system track); the figures are
printed (run with ``-s``) and only physical facts documented with the data
are asserted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from automix.audio.io import read_audio
from automix.estimate.alignment import detect_alignment
from automix.estimate.finished_mix import estimate_from_arrays

AUDIO = Path(__file__).resolve().parents[2] / "shared" / "audio"
MUSDB = sorted(AUDIO.glob("musdb7s-*")) if AUDIO.is_dir() else []
MEDLEY = AUDIO / "medleydb-phoenix-scotchmorris-excerpt"


def _load(folder: Path, names: list[str]) -> list[tuple[str, np.ndarray]]:
    return [(n, read_audio(folder / f"{n}.wav")[0]) for n in names]


@pytest.mark.skipif(not MUSDB, reason="needs ../shared/audio/musdb7s-*")
@pytest.mark.parametrize("folder", MUSDB, ids=lambda p: p.name)
def test_musdb_stems_sum_to_the_mixture_at_0_db(folder):
    stems = _load(folder, ["drums", "bass", "other", "vocals"])
    mix, sr = read_audio(folder / "mixture.wav")
    est = estimate_from_arrays(stems, mix, sr)
    (region,) = est.regions
    print(f"\n{folder.name}: residual {region.residual_db:.1f} dB")
    for t in region.tracks:
        print(f"  {t.track:8s} gain {t.gain_db:+.2f} dB pan {t.pan:+.3f} eq {np.round(t.eq_db, 1)}")
        assert t.gain_db == pytest.approx(0.0, abs=0.5), t
        assert t.pan == pytest.approx(0.0, abs=0.03), t
    assert not [a for a in est.alignments if a.changes_signal]
    assert region.residual_db < -15.0


@pytest.mark.skipif(not MEDLEY.is_dir(), reason="needs ../shared/audio/medleydb-phoenix-scotchmorris-excerpt")
def test_medleydb_excerpt_stems_and_raw_tracks_against_the_real_mix():
    mix, sr = read_audio(MEDLEY / "Mix.wav")
    stems = _load(MEDLEY / "Stems", ["Stem1", "Stem2", "Stem3", "Stem4"])
    raws = _load(MEDLEY / "Raw", ["Raw1", "Raw2", "Raw3", "Raw4", "Raw4_2"])
    by_stems = estimate_from_arrays(stems, mix, sr)
    by_raws = estimate_from_arrays(raws, mix, sr)
    for label, est in (("stems", by_stems), ("raw", by_raws)):
        (region,) = est.regions
        print(f"\nMedleyDB {label} vs Mix.wav: residual {region.residual_db:.1f} dB; {list(est.warnings)}")
        for t in region.tracks:
            eq = None if t.eq_db is None else np.round(t.eq_db, 1)
            print(f"  {t.track:7s} gain {t.gain_db:+.2f} dB pan {t.pan:+.2f} eq {eq} {t.reasons}")
    # documented with the data: Raw1 is polarity-flipped and 47 samples late relative to its stem
    a = detect_alignment(stems[0][1], raws[0][1], sr, track="Raw1")
    assert (a.offset_samples, a.polarity) == (-47, -1) or (a.offset_samples, a.polarity) == (47, -1)
    al = {x.track: x for x in by_raws.alignments}
    assert al["Raw1"].polarity == -1  # found against the mix too
    # processed stems explain the real mix much better than the raw tracks
    assert by_stems.regions[0].residual_db < by_raws.regions[0].residual_db - 5.0
    assert all(t.gain_db is not None and abs(t.gain_db) < 12.0 for t in by_stems.regions[0].tracks)
