"""Song sections: region names → intro, verse, pre-chorus, chorus … .

A REAPER user marks song parts with regions named however they like
(``Verse 1``, ``VS2``, ``CHORUS x2``, ``Refrain``, ``Hook``, ``Pre-Chorus``,
``Break``, ``A Loop``, ``Pickup``, ``Fadeout`` …). :func:`section_of_name`
maps a name to one of :data:`SECTION_IDS`; the first section word of the name
decides (``Outro Chorus`` → outro), a name with none is ``other``.

Letter names follow the songwriting shorthand ABABCB: ``A`` = verse,
``B`` = chorus, ``C`` = bridge (``A Loop``, ``A2`` → verse), but only as the
first word of the name (``Team A End`` → outro).

:func:`song_sections` turns a project's regions into :class:`SongSection`
records; a project without regions is one ``other`` section covering the
whole song (the model bank then falls back to the genre's model).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from automix.errors import ProjectError
from automix.knowledge.track_names import name_tokens
from automix.project.model import Region

SECTION_IDS: tuple[str, ...] = (
    "intro", "verse", "pre_chorus", "chorus", "bridge", "solo", "breakdown", "outro", "other",
)
SECTION_DISPLAY_NAMES: dict[str, str] = {
    "intro": "Intro", "verse": "Verse", "pre_chorus": "Pre-Chorus", "chorus": "Chorus",
    "bridge": "Bridge", "solo": "Solo", "breakdown": "Breakdown", "outro": "Outro", "other": "Other",
}
WHOLE_SONG_NAME = "(whole song)"
"""Name of the single section of a project that has no regions."""

_PHRASES: dict[str, str] = {
    # two-word phrases (checked before single words at the same position)
    "pre chorus": "pre_chorus", "pre hook": "pre_chorus", "pre refrain": "pre_chorus",
    "build up": "pre_chorus", "middle 8": "bridge", "middle eight": "bridge", "mid 8": "bridge",
    "fade out": "outro", "fade in": "intro", "count in": "intro", "break down": "breakdown",
    "lead break": "solo", "guitar solo": "solo", "gtr solo": "solo",
}
_WORDS: dict[str, str] = {
    "intro": "intro", "introduction": "intro", "opening": "intro", "pickup": "intro",
    "pickups": "intro", "prelude": "intro",
    "verse": "verse", "verses": "verse", "vs": "verse", "vrs": "verse", "v": "verse",
    "strophe": "verse", "couplet": "verse", "a": "verse", "rap": "verse",
    "prechorus": "pre_chorus", "pre": "pre_chorus", "pc": "pre_chorus", "prehook": "pre_chorus",
    "buildup": "pre_chorus", "build": "pre_chorus", "lift": "pre_chorus", "climb": "pre_chorus",
    "chorus": "chorus", "choruses": "chorus", "ch": "chorus", "cho": "chorus", "chr": "chorus",
    "chrs": "chorus", "refrain": "chorus", "hook": "chorus", "drop": "chorus", "b": "chorus",
    "bridge": "bridge", "br": "bridge", "brdg": "bridge", "brg": "bridge", "c": "bridge",
    "m8": "bridge", "interlude": "bridge",
    "solo": "solo", "solos": "solo", "instrumental": "solo", "inst": "solo",
    "breakdown": "breakdown", "break": "breakdown", "bkdn": "breakdown", "breakdwn": "breakdown",
    "stop": "breakdown", "stops": "breakdown",
    "outro": "outro", "ending": "outro", "end": "outro", "coda": "outro", "fadeout": "outro",
    "fade": "outro", "tag": "outro", "postlude": "outro",
}


def section_of_name(name: str) -> str:
    """The section id (one of :data:`SECTION_IDS`) a region name stands for."""
    tokens = name_tokens(name)
    for i, tok in enumerate(tokens):
        if i + 1 < len(tokens):
            pair = f"{tok} {tokens[i + 1]}"
            if pair in _PHRASES:
                return _PHRASES[pair]
        if len(tok) == 1 and i > 0:
            continue  # a lone letter names a section only at the start ("A Loop", not "Team A End")
        section = _WORDS.get(tok)
        if section:
            return section
    return "other"


@dataclass(frozen=True)
class SongSection:
    """A stretch of the song mixed with one section model.

    Attributes:
        section: one of :data:`SECTION_IDS`.
        name: the region name as the user wrote it (or :data:`WHOLE_SONG_NAME`).
        start_s / end_s: bounds on the timeline in seconds.
        region_number: the REAPER region number, None for the whole-song section.
    """

    section: str
    name: str
    start_s: float
    end_s: float
    region_number: int | None = None

    @property
    def length_s(self) -> float:
        """Section length in seconds."""
        return self.end_s - self.start_s


def song_sections(regions: Sequence[Region], song_end_s: float, *, file: str | None = None) -> tuple[SongSection, ...]:
    """One :class:`SongSection` per region, sorted by start; one whole-song section without regions.

    Args:
        regions: the project's regions.
        song_end_s: end of the song (last item or region end), seconds.
        file: the project file, only for error messages.

    Raises:
        ProjectError: a region whose end is not after its start (names the region).
    """
    for r in regions:
        if not r.end_s > r.start_s:
            raise ProjectError(f"region ends at {r.end_s} s, not after its start {r.start_s} s",
                               file=file, line=r.line, region=r.name)
    if not regions:
        return (SongSection("other", WHOLE_SONG_NAME, 0.0, max(float(song_end_s), 0.0), None),)
    ordered = sorted(regions, key=lambda r: (r.start_s, r.number))
    return tuple(SongSection(section_of_name(r.name), r.name, r.start_s, r.end_s, r.number)
                 for r in ordered)


class Span(Protocol):
    """Anything with bounds on the timeline in seconds (:class:`SongSection`, a plan's regions)."""

    start_s: float
    end_s: float


def section_index_at(sections: Sequence[Span], time_s: float) -> int | None:
    """Index of the section containing ``time_s``, or None.

    Start inclusive, end exclusive: a boundary belongs to the section it
    starts. Where spans overlap, the one listed last (for sorted sections: the
    one starting last) wins.
    """
    found = None
    for k, s in enumerate(sections):
        if s.start_s <= time_s < s.end_s:
            found = k
    return found
