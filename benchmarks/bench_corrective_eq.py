"""Held-out check of the corrective EQ on the real mixed stems of ``../shared/audio``.

    python3 benchmarks/bench_corrective_eq.py [--shared ../shared/audio] [--copies 8] [--seed 0] [--cache DIR]

Leave-one-song-out: for each real song, the type target shapes are learned
from the other songs' mixed stems only (:func:`automix.knowledge.type_spectra.fit_type_spectra`,
as ``recipes/build_eq_targets.py`` does with all of them), then every stem of
the held-out song is

* left untouched: its corrective EQ should be ≈ 0 (an engineer already
  balanced it). Reported: median and 95th percentile of |EQ| over its 5
  filter gains, and the share of gains at the ± 6 dB limit (|g| ≥ 5.95 dB);
* degraded ``--copies`` times by a known random EQ (the layout filters,
  each gain uniform in ± 6 dB), then corrected. Band error = the band's level
  change against the untouched stem, in dB, with the mean over the 5 bands
  removed (a pure level change is not a spectral error); reported before
  and after the correction (median and 95th percentile of |error|), and
  the share of the deviation removed (1 − after / before, of the medians).

Each stem is decoded once into a long-term spectrum (20 ms frames, the
analysis features' own) cached outside the repository
(:mod:`automix.training.stem_spectra`); a degradation or a correction
multiplies that spectrum by the filters' power response, so no audio is
decoded twice. Prints one row per held-out song and the totals.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from automix.audio.bands import N_BANDS  # noqa: E402
from automix.audio.eq import eq_response_db, layout_bands  # noqa: E402
from automix.features.framing import band_masks  # noqa: E402
from automix.knowledge.type_spectra import band_shape_db, fit_type_spectra  # noqa: E402
from automix.plan.corrective_eq import MAX_EQ_DB, corrective_gains_db  # noqa: E402
from automix.training.stem_spectra import DEFAULT_CACHE, cached_spectrum, mixed_stems  # noqa: E402

LIMIT_DB = MAX_EQ_DB - 0.05
"""A filter gain at least this large (dB, absolute) counts as at the limit."""


def _bands(freqs: np.ndarray, power: np.ndarray) -> np.ndarray:
    return band_masks(freqs).astype(np.float64) @ power


def _through(freqs: np.ndarray, power: np.ndarray, gains_db: np.ndarray, sr: int) -> np.ndarray:
    return power * 10.0 ** (eq_response_db(layout_bands(gains_db), freqs, sr) / 10.0)


def _centred_change_db(after: np.ndarray, before: np.ndarray) -> np.ndarray:
    d = 10.0 * np.log10(np.maximum(after, 1e-30) / np.maximum(before, 1e-30))
    return d - d.mean()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "audio"))
    ap.add_argument("--copies", type=int, default=8, help="random degradations per stem")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", default=str(DEFAULT_CACHE))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    stems = mixed_stems(args.shared)
    spectra = [cached_spectrum(s.path, args.cache) for s in stems]
    t_decode = time.perf_counter() - t0
    shapes = band_shape_db(np.stack([s.band_energies() for s in spectra]))
    types = [s.type_id for s in stems]
    songs = sorted({s.song for s in stems})
    rng = np.random.default_rng(args.seed)
    print(f"{len(stems)} mixed stems of {len(songs)} songs (spectra ready in {t_decode:.1f} s); "
          f"{args.copies} degradations per stem, seed {args.seed}\n")
    header = ("held-out song", "stems", "|EQ| med", "|EQ| p95", "at limit", "err before med/p95",
              "err after med/p95", "removed")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    all_untouched, all_before, all_after, all_deg_eq = [], [], [], []
    for song in songs:
        held = [i for i, s in enumerate(stems) if s.song == song]
        train = [i for i, s in enumerate(stems) if s.song != song]
        table = fit_type_spectra(shapes[train], [types[i] for i in train])
        untouched, before, after = [], [], []
        for i in held:
            sp = spectra[i]
            g = corrective_gains_db(shapes[i], types[i], table)
            untouched.append(g)
            clean = sp.band_energies()
            for _ in range(args.copies):
                d = rng.uniform(-MAX_EQ_DB, MAX_EQ_DB, N_BANDS)
                degraded = _through(sp.freqs_hz, sp.power, d, sp.sample_rate)
                g_deg = corrective_gains_db(band_shape_db(_bands(sp.freqs_hz, degraded)), types[i], table)
                all_deg_eq.append(g_deg)
                fixed = _through(sp.freqs_hz, degraded, g_deg, sp.sample_rate)
                before.append(_centred_change_db(_bands(sp.freqs_hz, degraded), clean))
                after.append(_centred_change_db(_bands(sp.freqs_hz, fixed), clean))
        u, b, a = np.abs(np.stack(untouched)), np.abs(np.stack(before)), np.abs(np.stack(after))
        all_untouched.append(u)
        all_before.append(b)
        all_after.append(a)
        print(f"| {song} | {len(held)} | {np.median(u):.2f} | {np.percentile(u, 95):.2f} | "
              f"{100 * np.mean(u >= LIMIT_DB):.1f} % | {np.median(b):.2f} / {np.percentile(b, 95):.2f} | "
              f"{np.median(a):.2f} / {np.percentile(a, 95):.2f} | {100 * (1 - np.median(a) / np.median(b)):.0f} % |")
    u, b, a = (np.concatenate(x) for x in (all_untouched, all_before, all_after))
    deg_eq = np.abs(np.stack(all_deg_eq))
    print(f"| **all** | {len(stems)} | {np.median(u):.2f} | {np.percentile(u, 95):.2f} | "
          f"{100 * np.mean(u >= LIMIT_DB):.1f} % | {np.median(b):.2f} / {np.percentile(b, 95):.2f} | "
          f"{np.median(a):.2f} / {np.percentile(a, 95):.2f} | {100 * (1 - np.median(a) / np.median(b)):.0f} % |")
    print(f"\ndegraded stems: |EQ| median {np.median(deg_eq):.2f} dB, p95 {np.percentile(deg_eq, 95):.2f} dB, "
          f"at limit {100 * np.mean(deg_eq >= LIMIT_DB):.1f} % of gains")
    print(f"total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
