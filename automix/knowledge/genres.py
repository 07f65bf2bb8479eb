"""Genres and genre groups: the KDE paper's four groups plus automix's additions.

A user writes a genre in the project notes (``genre: Alt Rock``) or on the
command line; :func:`normalize_genre` turns it into an id and
:func:`genre_group` finds the group whose models mix it alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from automix.errors import ModelError


@dataclass(frozen=True)
class GenreGroup:
    """A group of genres mixed alike (the KDE paper's grouping)."""

    id: str
    display_name: str
    genres: tuple[str, ...]


GENRE_GROUPS: tuple[GenreGroup, ...] = (
    GenreGroup("alt_rock_blues", "Alt Rock · Blues · Country Rock · Indie · Funk · Reggae",
               ("alt_rock", "blues", "country_rock", "indie", "funk", "reggae")),
    GenreGroup("rock_punk_metal", "Rock · Punk · Metal", ("rock", "punk", "metal")),
    GenreGroup("pop_singer_songwriter", "Pop · Singer-Songwriter", ("pop", "singer_songwriter")),
    GenreGroup("acoustic_jazz_country", "Acoustic · Jazz · Country · Orchestral",
               ("acoustic", "jazz", "country", "orchestral")),
)
PAPER_GENRES: tuple[str, ...] = tuple(g for grp in GENRE_GROUPS for g in grp.genres)
GENRE_DISPLAY_NAMES: dict[str, str] = {
    "alt_rock": "Alt Rock", "blues": "Blues", "country_rock": "Country Rock", "indie": "Indie",
    "funk": "Funk", "reggae": "Reggae", "rock": "Rock", "punk": "Punk", "metal": "Metal",
    "pop": "Pop", "singer_songwriter": "Singer-Songwriter", "acoustic": "Acoustic", "jazz": "Jazz",
    "country": "Country", "orchestral": "Orchestral",
}
EXTRA_GENRES: dict[str, str] = {
    "folk": "acoustic_jazz_country", "world": "acoustic_jazz_country",
    "world_folk": "acoustic_jazz_country", "classical": "acoustic_jazz_country",
    "electronic": "pop_singer_songwriter", "hip_hop": "pop_singer_songwriter",
    "rnb": "pop_singer_songwriter", "soul": "alt_rock_blues",
}
"""automix's additions (not in the paper): genre id → group id."""
GENRE_ALIASES: dict[str, str] = {
    "alternative": "alt_rock", "alt": "alt_rock", "alternative_rock": "alt_rock", "altrock": "alt_rock",
    "indie_rock": "indie", "country_rock": "country_rock", "hard_rock": "rock", "classic_rock": "rock",
    "punk_rock": "punk", "heavy_metal": "metal", "singer_songwriter": "singer_songwriter",
    "songwriter": "singer_songwriter", "jazz_fusion": "jazz", "orchestra": "orchestral",
    "hiphop": "hip_hop", "rap": "hip_hop", "r_b": "rnb", "r_n_b": "rnb", "edm": "electronic",
    "dance": "electronic", "folk_rock": "folk",
}
_GROUP_BY_ID = {g.id: g for g in GENRE_GROUPS}


def normalize_genre(name: str) -> str:
    """Genre id of a user-written genre (``"Alt Rock"`` → ``alt_rock``, ``"World/Folk"`` → ``world_folk``).

    Group ids and ``all`` pass through. Raises ModelError for an empty name.
    """
    key = re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")
    if not key:
        raise ModelError(f"empty genre name {name!r}")
    return GENRE_ALIASES.get(key, key)


def genre_group(genre: str) -> GenreGroup | None:
    """The group of a genre id (or the group itself for a group id), None if it has none."""
    g = normalize_genre(genre)
    if g in _GROUP_BY_ID:
        return _GROUP_BY_ID[g]
    for grp in GENRE_GROUPS:
        if g in grp.genres:
            return grp
    if g in EXTRA_GENRES:
        return _GROUP_BY_ID[EXTRA_GENRES[g]]
    return None
