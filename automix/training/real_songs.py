"""Real multitrack songs with a reference mix, read once and kept as features.

A :class:`RealSong` is a folder of stems whose real mix is known:

* ``unity`` songs: the stems summed at unity gain are the mix (the CC0
  producer sessions ``caesium-cc0`` and ``evr-cc0-*``, whose stems are the
  producer's post-fader bounces, the MUSDB18 previews, whose wet stems
  sum to the mixture, and LMMS demo songs rendered track by track,
  ``lmms-*``), so every stem's reference gain is 0 dB;
* ``estimated`` songs: stems and a separate mix file (MedleyDB); the
  reference gain of each stem is estimated against the mix by the estimation
  engine (one static gain per stem for the whole song).

:func:`discover_real_songs` finds the songs of a folder laid out like
``../shared/audio``. :func:`song_data` decodes a song's stems one at a time
and computes their features over a list of spans (whole song, equal parts),
cached as ``.npz`` (no pickle) in a folder outside the project, keyed on the
stems' paths, sizes and modification times and the spans, so a real
evaluation decodes the AAC stems once.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from automix.audio.io import audio_info, read_audio
from automix.errors import AutomixError, MediaError
from automix.features.region import REGION_FEATURE_NAMES
from automix.knowledge.track_types import classify_track
from automix.training.dataset import estimated_stem_truth, song_features
from automix.util.atomic import write_bytes_atomic

FEATURE_CACHE_VERSION = 2
"""Bumped when the cached content changes meaning."""

SECTION_LAYOUT: tuple[str, ...] = ("intro", "verse", "chorus", "verse", "chorus", "outro")
"""Section labels given to equal parts of a song in the multi-region evaluation."""

MUSDB_STEMS: tuple[tuple[str, str], ...] = (
    ("drums.wav", "Drums"), ("bass.wav", "Bass"), ("other.wav", "Other"), ("vocals.wav", "Vocals"))

KNOWN_GENRES: dict[str, str] = {
    "musdb7s-music-delta-80s-rock": "rock",
    "musdb7s-the-easton-ellises-falcon-69": "alt_rock",
    "medleydb-phoenix-scotchmorris-excerpt": "world_folk",
}
"""Genre of songs whose folder name does not say (data-set metadata, or automix's label)."""

MEDLEYDB_STEM_NAMES: dict[str, str] = {
    "Stem1.wav": "Acoustic Guitar", "Stem2.wav": "Flute", "Stem3.wav": "Violin", "Stem4.wav": "Main System"}
"""Instrument of the MedleyDB excerpt's stems (from its metadata file)."""


@dataclass(frozen=True)
class RealSong:
    """A real song: stems (file, track name) and how its reference mix is known.

    Attributes:
        name: the folder name (song id).
        folder: the song folder.
        genre: genre id.
        stems: (path, track name) per stem.
        reference: ``"unity"`` (stems sum to the mix) or ``"estimated"`` (``mix`` is the mix file).
        mix: the mix file of an ``estimated`` song.
    """

    name: str
    folder: Path
    genre: str
    stems: tuple[tuple[Path, str], ...]
    reference: str
    mix: Path | None = None

    @property
    def track_types(self) -> tuple[str, ...]:
        """Type id of each stem (from its name)."""
        return tuple(classify_track(n).type_id for _, n in self.stems)


def stem_track_name(file_stem: str) -> str:
    """Track name of a CC0 album stem file: ``6.Caesium_Stem_VOX LEAD_mobile`` → ``VOX LEAD``."""
    name = re.sub(r"^\d+\.[^_]+_Stem_", "", file_stem)
    name = re.sub(r"_mobile$", "", name)
    return name.replace("_", " ").strip()


def lmms_track_name(file_stem: str) -> str:
    """Track name of a rendered LMMS stem file: ``03 hihat_closed05.ogg`` → ``hihat closed05``."""
    name = re.sub(r"^\d+ ", "", file_stem)
    name = re.sub(r"\.(ogg|wav|flac|ds|xpf)$", "", name, flags=re.IGNORECASE)
    return name.replace("_", " ").strip() or file_stem


def discover_real_songs(audio_dir: str | Path) -> list[RealSong]:
    """The songs with a reference mix in ``audio_dir`` (a folder laid out like ``../shared/audio``, or the
    ``lmms-*`` song folders of ``recipes/render_lmms_stems.py``: ``stems/*.wav`` summing to ``mix.wav``)."""
    root = Path(audio_dir)
    if not root.is_dir():
        raise AutomixError(f"real-song folder not found: {root}", file=root)
    songs: list[RealSong] = []
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        if d.name == "caesium-cc0" or d.name.startswith("evr-cc0-"):
            stems = tuple((f, stem_track_name(f.stem)) for f in sorted(d.glob("*_Stem_*.m4a")))
            if stems:
                songs.append(RealSong(d.name, d, "electronic", stems, "unity"))
        elif d.name.startswith("musdb7s-"):
            if all((d / f).is_file() for f, _ in MUSDB_STEMS):
                songs.append(RealSong(d.name, d, KNOWN_GENRES.get(d.name, "rock"),
                                      tuple((d / f, n) for f, n in MUSDB_STEMS), "unity"))
        elif d.name.startswith("lmms-") and (d / "mix.wav").is_file():
            stems = tuple((f, lmms_track_name(f.stem)) for f in sorted((d / "stems").glob("*.wav")))
            if stems:
                songs.append(RealSong(d.name, d, "electronic", stems, "unity"))
        elif d.name.startswith("medleydb-") and (d / "Mix.wav").is_file():
            files = sorted((d / "Stems").glob("*.wav"))
            if files:
                songs.append(RealSong(d.name, d, KNOWN_GENRES.get(d.name, "world_folk"),
                                      tuple((f, MEDLEYDB_STEM_NAMES.get(f.name, f.stem)) for f in files),
                                      "estimated", d / "Mix.wav"))
    return songs


def equal_spans(duration_s: float, n_parts: int) -> list[tuple[str, float, float]]:
    """``n_parts`` equal spans covering ``[0, duration_s]``, named after :data:`SECTION_LAYOUT` (+ index)."""
    edges = np.linspace(0.0, duration_s, n_parts + 1)
    labels = [SECTION_LAYOUT[k % len(SECTION_LAYOUT)] for k in range(n_parts)]
    return [(f"{labels[k].capitalize()} {k + 1}", float(edges[k]), float(edges[k + 1])) for k in range(n_parts)]


@dataclass(frozen=True)
class SongData:
    """A song's stem features over its spans and the reference gains.

    Attributes:
        song: the song.
        spans: (name, start s, end s) per span.
        features: (n_stems, n_spans, F) raw stem features (:data:`REGION_FEATURE_NAMES`).
        reference_gain_db: (n_stems,) gain of each stem in the reference mix, dB.
        duration_s: length of the longest stem, s.
    """

    song: RealSong
    spans: tuple[tuple[str, float, float], ...]
    features: np.ndarray
    reference_gain_db: np.ndarray
    duration_s: float


def _cache_key(song: RealSong, n_parts: Sequence[int]) -> str:
    files = [p for p, _ in song.stems] + ([song.mix] if song.mix else [])
    parts = [FEATURE_CACHE_VERSION, list(REGION_FEATURE_NAMES), list(n_parts), song.reference]
    for p in files:
        st = os.stat(p)
        parts.append([str(Path(p).resolve()), st.st_size, int(st.st_mtime)])
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:24]


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/automix-eval`` (``~/.cache/automix-eval``): outside any project."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "automix-eval"


def song_data(song: RealSong, n_parts: Sequence[int] = (1, 6), *, cache_dir: str | Path | None = None) -> SongData:
    """Features of ``song``'s stems over the whole song and ``n`` equal parts for each ``n`` of ``n_parts``.

    Spans are ordered as ``n_parts`` lists them (``n_parts=(1, 6)`` gives the
    whole song, then six parts). Read from / written to ``cache_dir``
    (default :func:`default_cache_dir`; ``cache_dir=""`` disables the cache).
    """
    cache = None if cache_dir == "" else Path(cache_dir or default_cache_dir())
    key = _cache_key(song, n_parts)
    path = cache / f"{song.name}-{key}.npz" if cache is not None else None
    if path is not None and path.is_file():
        with np.load(path, allow_pickle=False) as z:
            spans = tuple((str(n), float(a), float(b)) for n, a, b in zip(z["span_names"], z["span_start"],
                                                                         z["span_end"]))
            return SongData(song, spans, z["features"], z["reference_gain_db"], float(z["duration_s"]))
    duration = max(audio_info(p).duration_s for p, _ in song.stems)
    spans = tuple(s for n in n_parts for s in (equal_spans(duration, n) if n > 1
                                                 else [("(whole song)", 0.0, duration)]))
    feats = np.stack([_stem_features(p, spans) for p, _ in song.stems])
    ref = _reference_gains(song, spans) if song.reference == "estimated" else np.zeros(len(song.stems))
    data = SongData(song, spans, feats, ref, duration)
    if path is not None:
        buf = io.BytesIO()
        np.savez(buf, features=feats, reference_gain_db=ref, duration_s=np.float64(duration),
                 span_names=np.array([s[0] for s in spans]), span_start=np.array([s[1] for s in spans]),
                 span_end=np.array([s[2] for s in spans]))
        cache.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, buf.getvalue())
    return data


def _stem_features(path: Path, spans: Sequence[tuple[str, float, float]]) -> np.ndarray:
    """(n_spans, F) features of one stem file (decoded whole, then released)."""
    audio, sr = read_audio(path)
    return song_features([audio], sr, spans)[0]


def _reference_gains(song: RealSong, spans: Sequence[tuple[str, float, float]]) -> np.ndarray:
    """(n_stems,) static gain of each stem in the song's mix file, estimated over the whole song."""
    mix, sr = read_audio(song.mix)
    audio = []
    for p, name in song.stems:
        x, rate = read_audio(p)
        if rate != sr:
            raise MediaError(f"stem sample rate {rate} Hz differs from the mix's {sr} Hz", file=p, track=name)
        audio.append(x)
    n = min([a.shape[0] for a in audio] + [mix.shape[0]])
    gains, _p, _e = estimated_stem_truth([nm for _, nm in song.stems], [a[:n] for a in audio], mix[:n], sr,
                                         [("(whole song)", 0.0, n / sr)])
    return np.nan_to_num(gains[0], nan=0.0)
