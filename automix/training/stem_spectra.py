"""Long-term spectra of the real mixed stems in ``../shared/audio``, decoded once and cached.

A stem's long-term spectrum is the mean over its 20 ms frames of the
Hann-windowed power spectrum of its mono downmix
(:func:`automix.features.framing.frame_spectrum`: the same frames and
normalisation as the analysis features, so its band sums equal the mean of
the features' ``band_energy`` rows), shape ``(n_bins,)`` with bin frequencies
``(n_bins,)`` Hz at the file's own sample rate. Its band energies (5,) are
what the corrective EQ reads; the fine bins let a benchmark apply a known
EQ to the stem without decoding it again (power × |H(f)|²).

Which files are *mixed* stems, and their track types:

* ``evr-cc0-*`` and ``caesium-cc0``: every ``*_Stem_*`` file (producer
  post-fader bounces; the stems at unity are the producer's mix); type from
  the name (:func:`automix.knowledge.track_types.classify_track`).
* ``musdb7s-*``: the wet stems ``drums`` (drum kit), ``bass``, ``vocals``
  (lead vox), ``other``.
* ``medleydb-*``: ``Stems/StemN.wav``, type from the instrument the
  metadata gives for stem N.

The cache holds one ``.npz`` per file, keyed on the file's path, size and
modification time, in a folder outside the repository.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from automix.audio.bands import N_BANDS
from automix.audio.io import audio_info, iter_blocks
from automix.errors import AutomixError, MediaError
from automix.features.framing import band_masks, frame_signal, frame_spectrum
from automix.knowledge.track_types import classify_track
from automix.util.atomic import atomic_path

FRAME_S = 0.02
"""Frame length of the long-term spectrum (s): the analysis features' frames."""

BLOCK_S = 10.0
"""Decoding block (s)."""

MUSDB_TYPES = {"drums": "drum_kit", "bass": "bass", "vocals": "lead_vox", "other": "other"}
"""Track type of each MUSDB wet stem."""

DEFAULT_CACHE = Path(os.environ.get("AUTOMIX_SPECTRA_CACHE", Path.home() / ".cache" / "automix" / "stem-spectra"))
"""Where decoded spectra are kept (outside the repository); ``AUTOMIX_SPECTRA_CACHE`` overrides it."""


@dataclass(frozen=True)
class MixedStem:
    """One real mixed stem: ``song`` (folder name), ``name``, ``path``, ``type_id``."""

    song: str
    name: str
    path: Path
    type_id: str


@dataclass(frozen=True)
class StemSpectrum:
    """Long-term power spectrum of a stem: ``freqs_hz`` (m,), ``power`` (m,) mean square per bin."""

    freqs_hz: np.ndarray
    power: np.ndarray
    sample_rate: int

    def band_energies(self) -> np.ndarray:
        """Mean square per sub-band of :mod:`automix.audio.bands`, shape (5,)."""
        return band_masks(self.freqs_hz).astype(np.float64) @ self.power


def _medleydb_instruments(folder: Path) -> dict[int, str]:
    """Stem number → instrument name from a MedleyDB ``*_METADATA.yaml`` (the flat layout it uses)."""
    out: dict[int, str] = {}
    for meta in folder.glob("*_METADATA.yaml"):
        stem: int | None = None
        for line in meta.read_text(encoding="utf-8").splitlines():
            m = re.match(r"^  S(\d+):\s*$", line)
            if m:
                stem = int(m.group(1))
                continue
            m = re.match(r"^    instrument:\s*(.+?)\s*$", line)
            if m and stem is not None:
                out[stem] = m.group(1).strip("'\"")
                stem = None
    return out


def mixed_stems(shared_audio: str | Path) -> list[MixedStem]:
    """Every real mixed stem under ``shared_audio`` (see the module docstring), sorted by song and name."""
    root = Path(shared_audio)
    if not root.is_dir():
        raise MediaError("folder of real recordings not found", file=root)
    out: list[MixedStem] = []
    for song in sorted(p for p in root.iterdir() if p.is_dir()):
        if song.name.startswith(("evr-cc0-", "caesium-cc0")):
            for f in sorted(song.glob("*_Stem_*")):
                name = re.sub(r"_mobile$", "", f.stem.split("_Stem_", 1)[1])
                out.append(MixedStem(song.name, name, f, classify_track(name).type_id))
        elif song.name.startswith("musdb7s-"):
            for stem, type_id in MUSDB_TYPES.items():
                if (song / f"{stem}.wav").is_file():
                    out.append(MixedStem(song.name, stem, song / f"{stem}.wav", type_id))
        elif song.name.startswith("medleydb-"):
            instruments = _medleydb_instruments(song)
            for f in sorted((song / "Stems").glob("Stem*.wav")):
                number = int(re.sub(r"\D", "", f.stem) or 0)
                instrument = instruments.get(number, f.stem)
                out.append(MixedStem(song.name, instrument, f, classify_track(instrument).type_id))
    return out


def long_term_spectrum(path: str | Path) -> StemSpectrum:
    """Decode ``path`` block by block and average its 20 ms frame power spectra (mono downmix)."""
    info = audio_info(path)
    block = int(round(BLOCK_S * info.sample_rate))
    frame = int(round(FRAME_S * info.sample_rate))
    block -= block % frame  # whole frames per block: no frame is lost between blocks
    total: np.ndarray | None = None
    count = 0
    freqs = np.fft.rfftfreq(frame, 1.0 / info.sample_rate)
    for x in iter_blocks(path, block):
        if x.shape[0] < frame:
            continue
        framed = frame_signal(x, sample_rate=info.sample_rate, frame_s=FRAME_S)
        p = frame_spectrum(framed).power.sum(axis=0, dtype=np.float64)  # silent frames: no power
        total = p if total is None else total + p
        count += framed.n_frames
    if total is None or count == 0:
        raise MediaError(f"shorter than one {FRAME_S * 1000:g} ms frame", file=path)
    return StemSpectrum(freqs, total / count, info.sample_rate)


def cached_spectrum(path: str | Path, cache_dir: str | Path = DEFAULT_CACHE) -> StemSpectrum:
    """:func:`long_term_spectrum`, read from / written to ``cache_dir`` (key: path, size, mtime)."""
    p = Path(path).resolve()
    st = p.stat()
    key = hashlib.sha1(f"{p}|{st.st_size}|{st.st_mtime_ns}|{FRAME_S}".encode()).hexdigest()[:20]
    cache = Path(cache_dir) / f"{key}.npz"
    if cache.is_file():
        with np.load(cache, allow_pickle=False) as z:
            return StemSpectrum(z["freqs_hz"], z["power"], int(z["sample_rate"]))
    spec = long_term_spectrum(p)
    cache.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(cache, suffix=".npz") as tmp:
        np.savez(tmp, freqs_hz=spec.freqs_hz, power=spec.power, sample_rate=spec.sample_rate)
    return spec


def band_energy_table(stems: list[MixedStem], cache_dir: str | Path = DEFAULT_CACHE) -> np.ndarray:
    """Band energies (n_stems, 5) of the stems, through the cache."""
    rows = [cached_spectrum(s.path, cache_dir).band_energies() for s in stems]
    if any(r.shape != (N_BANDS,) for r in rows):
        raise AutomixError("band energies of unexpected shape")
    return np.stack(rows) if rows else np.zeros((0, N_BANDS))
