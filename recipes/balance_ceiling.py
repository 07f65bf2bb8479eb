"""How far per-stem descriptors can explain real mixes' balance: the in-sample ceiling.

    python3 recipes/balance_ceiling.py [--shared ../shared/audio] [--extra-real DIR] [--cache DIR]

Every real song with a reference mix (:func:`automix.training.real_songs.discover_real_songs`) gives,
per region of the one-region and six-region layouts, each playing stem's loudness in the mix relative
to the mean of the playing stems (dB, the measure of ``automix evaluate --real``). A linear model of
level-independent descriptors of the stem (:data:`AUDIO_DESCRIPTORS`, centred over the region's
playing stems; with ``types`` also one indicator per track type, i.e. a learned level per type) is
fitted by least squares on **every** song, the scored ones included — a model that has seen the
answers. Its balance error over the songs, against equal loudness, is the most any model of these
descriptors could reach; the leave-one-song-out figure of the same model (ridge chosen from
:data:`~automix.models.track_balance.RIDGE_GRID` by the held-out error itself, so still optimistic) is
printed beside it. ``README.md`` (mixing quality) quotes the figures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from automix.audio.bands import BAND_NAMES  # noqa: E402
from automix.features.region import REGION_FEATURE_NAMES  # noqa: E402
from automix.knowledge.track_types import TRACK_TYPE_IDS  # noqa: E402
from automix.models.track_balance import (  # noqa: E402
    DESCRIPTOR_NAMES,
    RIDGE_GRID,
    BalanceRegion,
    loso_error_db,
    mean_balance_error_db,
    ridge_coef,
    track_descriptors,
)
from automix.training.real_eval import LAYOUTS, layout_spans, reference_levels  # noqa: E402
from automix.training.real_songs import SongData, discover_real_songs, song_data  # noqa: E402
from automix.training.samples import playing_matrix  # noqa: E402

AUDIO_DESCRIPTORS = (*DESCRIPTOR_NAMES, "log2_centroid", "low_band_share_db",
                     "high_band_share_db", "active_fraction", "slope_db_per_oct")
"""Per-stem descriptors of the ceiling model (none depends on the recording level)."""

IN_SAMPLE_RIDGE = 1e-6
"""Ridge of the in-sample fit: only there to keep collinear columns solvable."""

_F = {n: i for i, n in enumerate(REGION_FEATURE_NAMES)}


def audio_descriptors(features: np.ndarray, types: list[str], genre: str) -> np.ndarray:
    """(n, len(AUDIO_DESCRIPTORS)) descriptors of ``n`` playing stems from their region features (n, F)."""
    f = np.asarray(features, dtype=float)
    bands = np.stack([f[:, _F[f"band_db_{b}"]] for b in BAND_NAMES], axis=1)
    total = 10.0 * np.log10(np.sum(10.0 ** (bands / 10.0), axis=1))
    centroid = np.nan_to_num(f[:, _F["centroid_hz"]], nan=1000.0)
    cols = [np.log2(np.maximum(centroid, 20.0)), np.maximum(bands[:, 0] - total, -40.0),
            np.maximum(bands[:, -1] - total, -40.0), f[:, _F["active_fraction"]],
            np.nan_to_num(f[:, _F["slope_db_per_oct"]])]
    return np.concatenate([track_descriptors(f, types, genre), np.stack(cols, axis=1)], axis=1)


def song_regions(data: SongData, n_regions: int, with_types: bool) -> list[BalanceRegion]:
    """The song's regions of one layout as centred descriptor rows and centred reference levels."""
    ref = reference_levels(data)
    playing = playing_matrix(ref)
    types = list(data.song.track_types)
    out = []
    for k in layout_spans(data, n_regions):
        idx = np.flatnonzero(playing[:, k])
        if idx.size < 2:
            continue
        x = audio_descriptors(data.features[idx, k], [types[i] for i in idx], data.song.genre)
        if with_types:
            x = np.concatenate([x, np.array([[float(types[i] == t) for t in TRACK_TYPE_IDS] for i in idx])], axis=1)
        y = ref[idx, k]
        out.append(BalanceRegion(x - x.mean(axis=0), y - y.mean()))
    return out


def ceiling_line(datas: list[SongData], n_regions: int, with_types: bool) -> str:
    """One line of figures (dB, and ratios to equal loudness) for one layout and descriptor set."""
    songs = {d.song.name: song_regions(d, n_regions, with_types) for d in datas}
    songs = {s: r for s, r in songs.items() if r}
    width = next(iter(songs.values()))[0].x.shape[1]
    zero = np.zeros(width)
    equal = float(np.mean([mean_balance_error_db(r, zero) for r in songs.values()]))
    coef = ridge_coef(list(songs.values()), IN_SAMPLE_RIDGE)
    in_sample = float(np.mean([mean_balance_error_db(r, coef) for r in songs.values()]))
    held_out = min(loso_error_db(songs, lam) for lam in RIDGE_GRID)
    worse = sum(mean_balance_error_db(r, coef) > mean_balance_error_db(r, zero) for r in songs.values())
    return (f"| {n_regions} | {'audio + type' if with_types else 'audio'} ({width}) | {len(songs)} | {equal:.2f} | "
            f"{in_sample:.2f} ({in_sample / equal:.2f}) | {worse} | {held_out:.2f} ({held_out / equal:.2f}) |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "audio")
    ap.add_argument("--extra-real", type=Path, action="append", default=[], metavar="DIR",
                    help="another folder of real songs (e.g. the LMMS songs of recipes/render_lmms_stems.py)")
    ap.add_argument("--cache", type=Path, default=None)
    args = ap.parse_args(argv)
    songs = [s for d in (args.shared, *args.extra_real) for s in discover_real_songs(d)]
    datas = [song_data(s, LAYOUTS, cache_dir=args.cache) for s in songs]
    print("| regions | descriptors (columns) | songs | equal loudness dB | fitted on every song, scored songs "
          "included (/ equal) | songs worse than equal loudness | leave-one-song-out, best ridge (/ equal) |")
    print("|---|---|---|---|---|---|---|")
    for n in LAYOUTS:
        for with_types in (False, True):
            print(ceiling_line(datas, n, with_types))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
