"""Where a section's settings come from: a bank model or the published practice figures.

:func:`section_sources` lists a section's candidate sources, best first
(``automix suggest --variant N`` picks entry N); :func:`section_noise_db`
is the leave-one-song-out level error a source's model records, the
evidence :func:`automix.plan.balance.song_balance` weighs section moves by.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from automix.errors import ModelError
from automix.knowledge.genres import genre_group, normalize_genre
from automix.models.bank import BankChoice, ModelBank, fallback_chain


@dataclass(frozen=True)
class SectionSource:
    """What sets a section's per-type settings: a bank model (``choice``) or the practice figures (None)."""

    choice: BankChoice | None
    genre: str | None

    @property
    def key(self) -> str:
        """Identity for de-duplication: the model file, or ``practice``."""
        return str(self.choice.entry.path) if self.choice is not None else "practice"

    def describe(self) -> str:
        """One line for the user."""
        if self.choice is None:
            return f"published mixing practice ({self.genre or 'any genre'})"
        return self.choice.describe()


def section_sources(bank: ModelBank, genre: str | None, section: str) -> tuple[SectionSource, ...]:
    """Candidate sources for a section, best first (variant N = entry N).

    The models found along the fallback chain of ``genre``, then the first
    model on the chain of each other genre of the genre's group, then the
    published practice figures. Duplicates (same file) appear once.
    """
    out: list[SectionSource] = []
    seen: set[str] = set()

    def add(src: SectionSource) -> None:
        if src.key not in seen:
            seen.add(src.key)
            out.append(src)

    usable = [e for e in bank.entries() if e.info is not None]
    for gk, sk in fallback_chain(genre, section):
        for entry in usable:
            if normalize_genre(entry.info.genre) == gk and entry.info.section == sk:
                add(SectionSource(BankChoice(entry, gk, sk, (genre, section), ()), genre))
    group = genre_group(genre) if genre else None
    for other in (group.genres if group else ()):
        if other == genre:
            continue
        try:
            add(SectionSource(bank.find(other, section), other))
        except ModelError:
            continue
    add(SectionSource(None, genre))
    return tuple(out)


def section_noise_db(source: SectionSource) -> float:
    """Leave-one-song-out RMS level error (dB) recorded in the section's model, NaN when none."""
    if source.choice is None or source.choice.entry.info is None:
        return math.nan
    mse = source.choice.entry.info.evaluation.get("loocv_level_mse_db2")
    return math.sqrt(mse) if mse is not None and mse >= 0 else math.nan
