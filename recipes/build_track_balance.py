"""Build ``models/balance/track_balance.json``: the track-level balance model, fitted on real mixes.

    python3 recipes/build_track_balance.py [--shared ../shared/audio] [--out models] [--cache DIR]

Reads every real song with a reference mix under ``--shared``
(:func:`automix.training.real_songs.discover_real_songs`: the CC0 producer
sessions, the MUSDB18 previews, the MedleyDB excerpt), their stem features
over the whole song and six equal parts (cached in ``--cache``, default
``~/.cache/automix-eval``, outside the repository), and fits
:mod:`automix.models.track_balance` on all of them, the ridge strength chosen
by leave-one-song-out (:func:`automix.training.real_eval.track_balance_of`).
Deterministic: the same audio gives the same file. ``recipes/build_shipped_models.py``
writes the same file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from automix.models.track_balance import DESCRIPTOR_NAMES, save_track_balance  # noqa: E402
from automix.training.real_eval import LAYOUTS, track_balance_of  # noqa: E402
from automix.training.real_songs import discover_real_songs, song_data  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "audio")
    ap.add_argument("--out", type=Path, default=ROOT / "models")
    ap.add_argument("--cache", type=Path, default=None)
    args = ap.parse_args(argv)
    datas = [song_data(s, LAYOUTS, cache_dir=args.cache) for s in discover_real_songs(args.shared)]
    model = track_balance_of(datas)
    path = save_track_balance(model, args.out)
    slopes = ", ".join(f"{n} {c:.3f}" for n, c in zip(DESCRIPTOR_NAMES, model.coef))
    print(f"wrote {path}: {slopes} dB per unit; ridge {model.ridge:g}; {model.n_regions} regions of "
          f"{model.n_songs} songs; leave-one-song-out {model.loso_error_db:.2f} dB vs equal loudness "
          f"{model.equal_error_db:.2f} dB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
