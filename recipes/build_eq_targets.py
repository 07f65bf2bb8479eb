"""Build ``models/eq/type_spectra.json``: each track type's target spectral shape, learned from real mixes.

    python3 recipes/build_eq_targets.py [--shared ../shared/audio] [--out models/eq/type_spectra.json]
                                        [--cache DIR]

Reads every real *mixed* stem under ``--shared`` (the evr-cc0 and Caesium
producer stems, the MUSDB wet stems, the MedleyDB stems: see
:mod:`automix.training.stem_spectra`), decodes each once into a long-term
spectrum kept in ``--cache`` (outside the repository), and fits the per type ×
band mean and spread of the stems' shapes with the published-practice prior
(:func:`automix.knowledge.type_spectra.fit_type_spectra`). Deterministic: the
same audio gives the same file. The provenance (songs, stems per type) is
written into the file.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from automix.knowledge.type_spectra import (  # noqa: E402
    PRIOR_EXAMPLES,
    PRIOR_SPREAD_DB,
    band_shape_db,
    fit_type_spectra,
    write_type_spectra,
)
from automix.training.stem_spectra import DEFAULT_CACHE, band_energy_table, mixed_stems  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "audio"))
    ap.add_argument("--out", default=str(ROOT / "models" / "eq" / "type_spectra.json"))
    ap.add_argument("--cache", default=str(DEFAULT_CACHE))
    args = ap.parse_args(argv)
    stems = mixed_stems(args.shared)
    shapes = band_shape_db(band_energy_table(stems, args.cache))
    types = [s.type_id for s in stems]
    songs = sorted({s.song for s in stems})
    per_type = Counter(types)
    provenance = {
        "recipe": "recipes/build_eq_targets.py",
        "what": "per track type x band: mean and spread of the band level re the stem's total (dB) over "
                "real mixed stems (long-term spectrum, 20 ms Hann frames, mono downmix), combined with "
                f"the published-practice prior (automix.knowledge.type_spectra; weight {PRIOR_EXAMPLES:g} stems, "
                f"spread {PRIOR_SPREAD_DB:g} dB)",
        "songs": songs,
        "n_stems": len(stems),
        "stems_per_type": dict(sorted(per_type.items())),
    }
    spectra = fit_type_spectra(shapes, types, provenance=provenance)
    path = write_type_spectra(spectra, args.out)
    print(f"wrote {path}: {len(stems)} stems of {len(songs)} songs")
    for i, t in enumerate(spectra.type_ids):
        print(f"  {t:16s} n={int(spectra.n_examples[i]):3d}  mean {np.round(spectra.mean_db[i], 1)}  "
              f"spread {np.round(spectra.spread_db[i], 1)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
