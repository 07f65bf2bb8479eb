"""A per-project feature cache, so re-runs and suggestions do not decode audio again.

Layout (a folder next to the project, see :func:`cache_folder_for`)::

    song.rpp
    song.rpp.automix-cache/
        index.json              {"format": 1, "entries": {key: {"arrays": [...], "bytes": n}}}
        <key>.npz               one entry: named numpy arrays (no pickled objects)

Keys come from :func:`media_key`: a SHA-256 over each media file's resolved
path, size, modification time (ns) and a digest of its first and last
:data:`CONTENT_PROBE_BYTES` bytes, the feature-set version and the render
parameters. Editing, replacing or touching a media file therefore changes the
key — also a file rewritten with the same size and mtime (a restored backup, a
copy with ``cp -p``) whose head or tail differs; stale entries are simply
never asked for again (:meth:`FeatureCache.prune` removes entries not in a set
of live keys).

Robustness: every write goes to a temporary file in the folder and is moved
into place with :func:`os.replace`, so readers never see half a file. Entries
are not fsynced (after a power failure one may be empty: it is then read as
unreadable, discarded and analysed again); inside :meth:`FeatureCache.batch`
(one analysis run) the index is written, and fsynced, once at the end. An
entry that cannot be read (truncated, corrupt, not an ``.npz``, arrays over
:data:`MAX_CACHE_ENTRY_BYTES`) is deleted and reported as a miss, with the
reason in :attr:`FeatureCache.warnings`; only the arrays asked for are
decompressed; a broken index is rebuilt. An unwritable folder makes
:meth:`FeatureCache.put` return False instead of failing: the cache is an
optimisation, never a reason for a run to fail.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from automix.errors import AutomixError, MediaError
from automix.project.model import Track
from automix.util.atomic import atomic_path, write_text_atomic
from automix.util.bounded import read_npz_arrays

FEATURE_SET_VERSION = 2
"""Bump when feature computation changes, so old entries stop matching."""

CACHE_FORMAT = 1
"""Version of the cache folder layout (``index.json`` ``format`` field)."""

CACHE_SUFFIX = ".automix-cache"

CONTENT_PROBE_BYTES = 64 << 10
"""Bytes read from the start and from the end of each media file for the key (128 KiB a file:
about 1 ms, against seconds to decode it again)."""

MAX_CACHE_ENTRY_BYTES = 16 << 20
"""Largest total of an entry's decompressed arrays (bytes). An entry holds sections × features
floats: 1,000 sections × 20 features is 160 KiB, so real entries stay far below."""

_KEY_RE = re.compile(r"^[0-9a-f]{16,64}$")

ParamValue = str | int | float | bool | None


def cache_folder_for(project_path: str | Path) -> Path:
    """The cache folder of a project: ``<project file>.automix-cache`` beside it."""
    p = Path(project_path)
    return p.with_name(p.name + CACHE_SUFFIX)


def track_media_paths(track: Track) -> list[Path]:
    """The media files a track's playing items read (for :func:`media_key`)."""
    paths = []
    for item in track.audio_items:
        src = item.active_take.source if item.active_take is not None else None
        if src is not None and src.path is not None:
            paths.append(Path(src.path))
    return paths


def content_digest(path: str | Path, size: int) -> str:
    """SHA-256 (hex) of the first and last :data:`CONTENT_PROBE_BYTES` of a ``size``-byte file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        h.update(fh.read(CONTENT_PROBE_BYTES))
        if size > CONTENT_PROBE_BYTES:
            fh.seek(max(size - CONTENT_PROBE_BYTES, CONTENT_PROBE_BYTES))
            h.update(fh.read(CONTENT_PROBE_BYTES))
    return h.hexdigest()


def media_key(paths: Iterable[str | Path], params: Mapping[str, ParamValue],
              *, feature_set_version: int = FEATURE_SET_VERSION) -> str:
    """A cache key for features computed from ``paths`` with ``params``.

    Args:
        paths: the media files read (order does not matter; duplicates ignored).
        params: render/feature parameters (sample rate, frame size, track
            GUID, region bounds …); values must be JSON scalars.
        feature_set_version: the version of the feature code.

    Returns:
        64 hexadecimal characters.

    Raises:
        MediaError when a file does not exist.
    """
    files = []
    for p in sorted({str(Path(p).resolve()) for p in paths}):
        try:
            st = os.stat(p)
            probe = content_digest(p, st.st_size)
        except OSError as exc:
            raise MediaError(f"cannot read media file: {exc.strerror or exc}", file=p) from None
        files.append([p, st.st_size, st.st_mtime_ns, probe])
    clean: dict[str, ParamValue] = {}
    for name, value in params.items():
        if isinstance(value, np.generic):
            value = value.item()
        if not isinstance(value, (str, int, float, bool)) and value is not None:
            raise TypeError(f"cache parameter {name!r} must be a JSON scalar, got {type(value).__name__}")
        clean[str(name)] = value
    payload = json.dumps({"files": files, "params": clean, "features": feature_set_version},
                         sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class FeatureCache:
    """Named-array entries stored as ``.npz`` files under one folder.

    Args:
        folder: the cache folder (created on the first :meth:`put`).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.hits = 0
        self.misses = 0
        self.stored = 0
        self.store_errors: list[str] = []  # why an entry could not be stored, one per failed put
        self.warnings: list[str] = []
        self._pending_index: list[Callable[[dict], object]] | None = None  # changes held by batch()

    # -- paths
    def _entry_path(self, key: str) -> Path:
        if not _KEY_RE.match(key):
            raise ValueError(f"invalid cache key {key!r} (expected hexadecimal from media_key)")
        return self.folder / f"{key}.npz"

    @property
    def index_path(self) -> Path:
        """The JSON index file."""
        return self.folder / "index.json"

    # -- reading
    def get(self, key: str, names: Sequence[str] | None = None) -> dict[str, np.ndarray] | None:
        """The arrays ``names`` (default: every array) stored under ``key``.

        Returns None on a miss, and on an unreadable entry or one over
        :data:`MAX_CACHE_ENTRY_BYTES` (then deleted, the reason appended to
        :attr:`warnings`). Arrays not in ``names`` are never decompressed.
        """
        path = self._entry_path(key)
        try:
            if names is None:
                with zipfile.ZipFile(path) as zf:
                    names = [n[:-4] for n in zf.namelist() if n.endswith(".npy")]
            arrays = read_npz_arrays(path, names, MAX_CACHE_ENTRY_BYTES, MediaError)
        except FileNotFoundError:
            self.misses += 1
            return None
        except (AutomixError, OSError, zipfile.BadZipFile) as exc:
            self.warnings.append(f"{path}: unreadable feature cache entry discarded "
                                 f"({exc.message if isinstance(exc, AutomixError) else exc})")
            self._discard(key)
            self.misses += 1
            return None
        self.hits += 1
        return arrays

    def __contains__(self, key: str) -> bool:
        return self._entry_path(key).is_file()

    def get_or_compute(self, key: str, compute: Callable[[], Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """``get(key)``, or call ``compute()``, store its arrays and return them."""
        hit = self.get(key)
        if hit is not None:
            return hit
        arrays = {name: np.asarray(a) for name, a in compute().items()}
        self.put(key, arrays)
        return arrays

    # -- writing
    def put(self, key: str, arrays: Mapping[str, np.ndarray]) -> bool:
        """Store ``arrays`` (name → numeric array) under ``key`` atomically.

        Returns:
            True when stored, False when the folder is not writable.

        Raises:
            ValueError for object arrays (they would need pickling) or bad names.
        """
        path = self._entry_path(key)
        clean: dict[str, np.ndarray] = {}
        for name, a in arrays.items():
            arr = np.asarray(a)
            if arr.dtype.hasobject:
                raise ValueError(f"cache entry {name!r}: object arrays cannot be stored without pickling")
            if not name.isidentifier():
                raise ValueError(f"cache entry name {name!r} must be an identifier")
            clean[name] = arr
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with atomic_path(path, durable=False) as tmp, open(tmp, "wb") as fh:
                np.savez(fh, **clean)
            size = path.stat().st_size
        except OSError as exc:
            self.store_errors.append(exc.strerror or str(exc))
            return False
        self.stored += 1
        self._update_index(lambda entries: entries.__setitem__(key, {"arrays": sorted(clean), "bytes": size}))
        return True

    def store_summary(self) -> str:
        """A sentence on this object's writes: how many entries were stored and why others were not ('' if none)."""
        tried = self.stored + len(self.store_errors)
        if not tried:
            return ""
        if not self.store_errors:
            return f"feature cache {self.folder}: {self.stored} entr{'y' if self.stored == 1 else 'ies'} written"
        reasons = ", ".join(dict.fromkeys(self.store_errors))
        return (f"feature cache {self.folder}: {self.stored} of {tried} entries written, {len(self.store_errors)} "
                f"not ({reasons}): those tracks are analysed again next time")

    def _discard(self, key: str) -> None:
        try:
            self._entry_path(key).unlink(missing_ok=True)
        except OSError:
            pass
        self._update_index(lambda entries: entries.pop(key, None))

    # -- index
    def read_index(self) -> dict[str, dict]:
        """The index entries (key → {"arrays": names, "bytes": size}); {} when absent or broken."""
        try:
            data = json.loads(self.index_path.read_text(encoding="utf-8"))
            entries = data["entries"]
            if data.get("format") != CACHE_FORMAT or not isinstance(entries, dict):
                return {}
            return entries
        except (OSError, ValueError, KeyError, TypeError):
            return {}

    @contextmanager
    def batch(self) -> Iterator[FeatureCache]:
        """Hold index changes made inside the block and write the index once when it ends.

        An analysis of 16 tracks then writes (and fsyncs) the index once
        instead of 16 times. The entries themselves are written at once, so a
        run that stops half-way keeps what it analysed (the index is only a
        hint: it is rebuilt from the entries when missing). Nested blocks
        write at the end of the outermost one.
        """
        if self._pending_index is not None:
            yield self
            return
        self._pending_index = []
        try:
            yield self
        finally:
            changes, self._pending_index = self._pending_index, None
            if changes:
                self._update_index(lambda entries: [change(entries) for change in changes])

    def _update_index(self, change: Callable[[dict], object]) -> None:
        """Read-modify-write the index atomically; entries on disk are the truth, so races only lose hints.

        Inside :meth:`batch` the change is held until the batch ends.
        """
        if self._pending_index is not None:
            self._pending_index.append(change)
            return
        entries = self.read_index()
        if not entries:
            entries = {p.stem: {"arrays": [], "bytes": p.stat().st_size}
                       for p in self.folder.glob("*.npz") if _KEY_RE.match(p.stem)} if self.folder.is_dir() else {}
        change(entries)
        text = json.dumps({"format": CACHE_FORMAT, "entries": entries}, sort_keys=True, indent=1)
        try:
            write_text_atomic(self.index_path, text)
        except OSError:
            pass

    def prune(self, live_keys: Iterable[str]) -> int:
        """Delete every entry whose key is not in ``live_keys``; returns how many were removed."""
        live = set(live_keys)
        removed = 0
        if not self.folder.is_dir():
            return 0
        for p in self.folder.glob("*.npz"):
            if p.stem not in live:
                try:
                    p.unlink()
                    removed += 1
                except OSError:
                    pass
        for p in self.folder.glob(".*.tmp"):
            p.unlink(missing_ok=True)
        self._update_index(lambda entries: [entries.pop(k) for k in list(entries) if k not in live])
        return removed
