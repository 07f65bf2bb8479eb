"""The genre × section model bank: which model mixes a given song section.

Genres are those of the KDE paper, in its four groups (:data:`GENRE_GROUPS`):

* Alt Rock · Blues · Country Rock · Indie · Funk · Reggae (``alt_rock_blues``)
* Rock · Punk · Metal (``rock_punk_metal``)
* Pop · Singer-Songwriter (``pop_singer_songwriter``)
* Acoustic · Jazz · Country · Orchestral (``acoustic_jazz_country``)

automix adds a few common genre names to the closest group
(:data:`EXTRA_GENRES`: folk and world → acoustic group, electronic, hip-hop
and R&B → pop group, soul → the funk group). Any other genre name is still
valid (a personal model may be called ``synthwave``); it just has no group.

A model is stored for a *genre key* (a genre id, a group id or ``all``) and a
*section key* (a section id or ``all``). :func:`fallback_chain` lists the keys
tried, most specific first::

    (genre, section) → (group, section) → (genre, all) → (group, all)
    → (all, section) → (all, all)

A :class:`ModelBank` searches one or more folders (earlier folders win at the
same step of the chain) and reports which model it chose and why.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from automix.errors import ModelError
from automix.knowledge.genres import genre_group, normalize_genre
from automix.knowledge.sections import SECTION_IDS
from automix.models.files import LoadedModel, ModelInfo, load_model, read_model_info
from automix.models.genre_guess import GenreProfiles, load_profiles
from automix.models.roles import EQUAL_SHARES, RoleModel, load_role_model
from automix.models.track_balance import EQUAL_LOUDNESS, TrackBalanceModel, load_track_balance

T = TypeVar("T")

ALL = "all"
"""Genre or section key of a model trained on every genre / every section."""


def _check_section(section: str | None) -> str | None:
    if section is not None and section != ALL and section not in SECTION_IDS:
        raise ModelError(f"unknown section {section!r} (known: {', '.join(SECTION_IDS)}, {ALL})")
    return section


def fallback_chain(genre: str | None, section: str | None) -> tuple[tuple[str, str], ...]:
    """The (genre key, section key) pairs to try, most specific first, without repeats."""
    _check_section(section)
    g = normalize_genre(genre) if genre else None
    grp = genre_group(g).id if g and genre_group(g) else None
    sec = section if section and section != ALL else None
    steps: list[tuple[str | None, str | None]] = [
        (g, sec), (grp, sec), (g, ALL), (grp, ALL), (ALL, sec), (ALL, ALL)]
    chain: list[tuple[str, str]] = []
    for gk, sk in steps:
        if gk is None or sk is None:
            continue
        if (gk, sk) not in chain:
            chain.append((gk, sk))
    return tuple(chain)


@dataclass(frozen=True)
class BankEntry:
    """One model file found in a bank folder.

    Attributes:
        path: the JSON file.
        info: its description, or None when it could not be read.
        error: why it could not be read ("" when fine).
    """

    path: Path
    info: ModelInfo | None
    error: str = ""


@dataclass(frozen=True)
class BankChoice:
    """The model chosen for a song section and how it was found.

    Attributes:
        entry: the chosen model file.
        genre_key / section_key: the keys it is stored under.
        requested: the (genre, section) asked for.
        tried: the chain steps tried before it, as ``genre×section`` strings.
    """

    entry: BankEntry
    genre_key: str
    section_key: str
    requested: tuple[str | None, str | None]
    tried: tuple[str, ...]

    @property
    def is_exact(self) -> bool:
        """True when no fallback was needed."""
        return not self.tried

    def describe(self) -> str:
        """One line for reports: which model and why."""
        used = f"{self.genre_key} × {self.section_key} ({self.entry.path.name})"
        if self.is_exact:
            return f"model {used}"
        return f"model {used}, after no model for {', '.join(self.tried)}"


PERSONAL_MODELS_ENV = "AUTOMIX_PERSONAL_MODELS"
"""Environment variable naming the personal model folder (overrides the per-user default)."""


def personal_models_dir() -> Path:
    """The user's own model folder, written by ``automix learn`` and the "Learn" action.

    ``$AUTOMIX_PERSONAL_MODELS`` if set, else ``automix/models`` in the per-user
    data folder (``%APPDATA%`` on Windows, ``~/Library/Application Support`` on
    macOS, ``$XDG_DATA_HOME`` or ``~/.local/share`` elsewhere). It may not exist.
    """
    if os.environ.get(PERSONAL_MODELS_ENV):
        return Path(os.environ[PERSONAL_MODELS_ENV]).expanduser()
    if sys.platform.startswith("win"):
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "automix" / "models"


def default_model_dirs() -> list[Path]:
    """Where models are looked up without ``--models``: the personal folder first, then the shipped one."""
    return [personal_models_dir(), installed_models_dir()]


def installed_models_dir() -> Path:
    """The shipped models: the checkout's ``models/`` folder, or its installed copy.

    In a source checkout (and an editable install) that is ``models/`` beside
    the ``automix`` package; a regular install carries the same files as the
    package data of ``automix.shipped_models`` (see pyproject.toml).
    """
    checkout = Path(__file__).resolve().parents[2] / "models"
    if checkout.is_dir():
        return checkout
    return Path(__file__).resolve().parents[1] / "shipped_models"


class ModelBank:
    """Model files in one or more folders.

    Args:
        directories: folders to search, earlier ones first (e.g. a personal
            model folder before the shipped ``models/``). Missing folders hold
            no models.
    """

    def __init__(self, directories: Sequence[str | Path]):
        self.directories = tuple(Path(d) for d in directories)
        self._entries: tuple[BankEntry, ...] | None = None
        self._loaded: dict[Path, LoadedModel] = {}

    def entries(self) -> tuple[BankEntry, ...]:
        """Every ``*.json`` model file of the folders (unreadable ones with their error)."""
        if self._entries is None:
            found: list[BankEntry] = []
            for d in self.directories:
                if not d.is_dir():
                    continue
                for path in sorted(d.glob("*.json")):
                    try:
                        info = read_model_info(path)
                        normalize_genre(info.genre)
                        _check_section(info.section)
                        found.append(BankEntry(path, info))
                    except ModelError as exc:
                        found.append(BankEntry(path, None, f"{path}: {exc.message}"))
            self._entries = tuple(found)
        return self._entries

    def find(self, genre: str | None, section: str | None) -> BankChoice:
        """The most specific readable model for ``genre`` × ``section``.

        Raises:
            ModelError: no model on the fallback chain (lists what was tried).
        """
        chain = fallback_chain(genre, section)
        usable = [e for e in self.entries() if e.info is not None]
        tried: list[str] = []
        for gk, sk in chain:
            for entry in usable:
                info = entry.info
                assert info is not None
                if normalize_genre(info.genre) == gk and info.section == sk:
                    return BankChoice(entry, gk, sk, (genre, section), tuple(tried))
            tried.append(f"{gk}×{sk}")
        where = ", ".join(str(d) for d in self.directories) or "(no folders)"
        raise ModelError(f"no model for genre {genre!r} section {section!r} in {where} "
                         f"(tried {', '.join(tried) or 'nothing'})")

    def _first_found(self, load: Callable[[Path], T | None]) -> T | None:
        """What ``load`` finds in the first of :attr:`directories` that holds it, else None."""
        return next((found for found in map(load, self.directories) if found is not None), None)

    def genre_profiles(self) -> GenreProfiles | None:
        """The genre profiles (genre from the audio) of the first folder that holds them, else None."""
        return self._first_found(load_profiles)

    def role_model(self) -> RoleModel:
        """The role model (shares within a type) of the first folder that holds one, else equal shares."""
        found = self._first_found(load_role_model)
        return EQUAL_SHARES if found is None else found

    def track_balance_model(self) -> TrackBalanceModel:
        """The track balance model of the first folder that holds one, else equal loudness."""
        found = self._first_found(load_track_balance)
        return EQUAL_LOUDNESS if found is None else found

    def load(self, choice: BankChoice) -> LoadedModel:
        """Load (once) the model of a :class:`BankChoice`."""
        path = choice.entry.path
        if path not in self._loaded:
            self._loaded[path] = load_model(path)
        return self._loaded[path]
