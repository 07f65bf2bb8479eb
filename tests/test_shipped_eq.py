"""Known-truth EQ test of the shipped corrective EQ (always runs: the song is synthesised, no ../shared).

A demo song with another seed than any training song is written twice: as
generated, and with one track ("Lead Vocal") re-recorded through a known
spectral deviation — +6 dB in the high band, the
:data:`automix.audio.bands.EQ_BAND_LAYOUT` high shelf. Both are mixed with the
shipped target shapes (``models/eq/type_spectra.json``). Between the two
plans, the deviated track's high band must be cut by a sizeable part of the
deviation (at least :data:`MIN_EXTRA_CUT_DB` more than without it). The
corrective EQ aims at the lead vocals of real mixes, not at the recording
before the deviation: the synthesised vocal's highs sit about 4.5 dB under
theirs, so with +6 dB they are only about 1.5 dB over the target, and the
correction is shrunk by the spread of real vocals' highs (weight 0.45,
``automix.plan.corrective_eq``); a real-like vocal gets a larger cut
(``tests/test_corrective_eq.py``). Its other bands must barely move,
and every other track must keep exactly the EQ it had (each track's EQ comes
from its own spectrum). Every track has one EQ for the whole song, and the
untouched tracks' EQ stays gentle: at most :data:`GENTLE_P95_DB` in 95 % of
their band gains, none at the ± 6 dB limit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import soundfile as sf

from automix.audio.bands import BAND_NAMES
from automix.demo.project import write_demo
from automix.jobs.mix import MixOptions, run_mix_job
from automix.training.augment import apply_band_gains

SEED = 3
DURATION_S = 16.0
DEVIATED = "Lead Vocal"
DEVIATION_DB = np.array([0.0, 0.0, 0.0, 0.0, 6.0])
MIN_EXTRA_CUT_DB = 1.5
OTHER_BANDS_MOVE_DB = 1.0
GENTLE_P95_DB = 3.5
LIMIT_DB = 5.95
HIGH = BAND_NAMES.index("high")


def _plan(folder, deviate: bool):
    files = write_demo(folder, SEED, DURATION_S)
    if deviate:
        media = [p for p in files.media_paths if p.stem.endswith(DEVIATED.lower().replace(" ", "-"))]
        assert len(media) == 1
        audio, sr = sf.read(media[0])
        sf.write(media[0], apply_band_gains(audio, sr, DEVIATION_DB), sr, subtype="FLOAT")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = run_mix_job(files.project_path, MixOptions(dry_run=True))
    assert result.ok, result.error
    return result.plan


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    return (_plan(tmp_path_factory.mktemp("eq_clean"), False),
            _plan(tmp_path_factory.mktemp("eq_deviated"), True))


def _eq(plan, name: str) -> np.ndarray:
    """(n_regions, 5) planned EQ gains (dB) of one track."""
    return np.array([[b.gain_db for b in next(t for t in r.tracks if t.name == name).eq]
                     for r in plan.regions])


def _names(plan) -> list[str]:
    return [t.name for t in plan.regions[0].tracks]


def test_deviated_track_gets_a_sizeable_high_band_cut(plans, capsys):
    clean, deviated = _eq(plans[0], DEVIATED), _eq(plans[1], DEVIATED)
    with capsys.disabled():
        print(f"\n{DEVIATED} EQ (dB) as recorded {clean[0]}, with +6 dB highs {deviated[0]}")
    assert deviated.shape == (len(plans[1].regions), 5)
    assert np.all(deviated[:, HIGH] <= clean[:, HIGH] - MIN_EXTRA_CUT_DB)
    assert np.all(deviated[:, HIGH] >= -LIMIT_DB)
    others = [b for b in range(5) if b != HIGH]
    assert np.max(np.abs(deviated[:, others] - clean[:, others])) <= OTHER_BANDS_MOVE_DB


def test_one_eq_per_track_for_the_song(plans):
    for plan in plans:
        for name in _names(plan):
            eq = _eq(plan, name)
            assert np.array_equal(eq, np.broadcast_to(eq[0], eq.shape)), name


def test_other_tracks_keep_their_own_eq(plans):
    for name in _names(plans[0]):
        if name != DEVIATED:
            assert np.array_equal(_eq(plans[0], name), _eq(plans[1], name)), name


def test_untouched_tracks_get_a_gentle_eq(plans, capsys):
    values = np.abs(np.stack([_eq(plans[0], n)[0] for n in _names(plans[0])]))  # (tracks, bands)
    with capsys.disabled():
        print(f"untouched demo tracks: max |EQ| {values.max():.2f} dB, 95th percentile "
              f"{np.percentile(values, 95):.2f} dB, median {np.median(values):.2f} dB")
    assert np.percentile(values, 95) <= GENTLE_P95_DB
    assert values.max() < LIMIT_DB
