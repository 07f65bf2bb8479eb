"""Published mixing practice as data: typical levels and pan positions per track type.

Used to build prior training data for the shipped models (see the models
recipe) and as a sanity reference. Levels are dB relative to the lead vocal;
:func:`practice_relative_levels` turns them into levels relative to the mix
(the default model target). Pans are REAPER's −1 (left) … +1 (right);
``spread`` is how far apart several tracks of the type usually sit (0 = all
centred, 1 = hard left/right).

Sources (figures only, restated; each row names its source key):

``S1``
    "Mix Balance", PCB Studio (pcbstudio.sahakmetrey.com/mix-balance):
    suggested pre-master fader levels in dB re the master — main vocal −6,
    background vocals −10…−12, kick −8, snare −8, hi-hats/cymbals/overheads
    −14…−16, toms −12, bass −8, acoustic guitars (2 tracks) −12 each panned
    50–70 % L/R, piano −10…−12, strings −14 (wider than piano), electric
    piano −13; kick and snare centred, hats and cymbals spread. Taken here as
    levels re the lead vocal (fader figures: they assume similarly
    gain-staged tracks).
``S2``
    "Creating a Base Mix", Transparent Mastering
    (transparent-mastering.com/creating-a-basic-mix): lead vocal on top,
    backing vocals just behind it; kick and snare next, slightly under the
    vocal; bass just under the kick; hi-hat panned subtly to the drummer's
    side; overheads hard left/right; a pair of guitars hard left/right.
``S3``
    B. Owsinski, *The Mixing Engineer's Handbook*: kick, snare, bass and lead
    vocal are normally centred.
``A``
    automix's assumption where no source above gives a figure (by analogy
    with the nearest sourced type, stated in the row). Genre-group offsets
    (:data:`GENRE_GROUP_OFFSETS_DB`) are all ``A``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from automix.errors import ModelError
from automix.knowledge.genres import genre_group
from automix.knowledge.targets import normalize_relative_loudness


@dataclass(frozen=True)
class PracticeFigure:
    """Typical setting of one track type.

    Attributes:
        type_id: the track type.
        level_re_lead_db: level relative to the lead vocal, dB.
        pan: typical position of the type (of the pair's centre when spread).
        spread: typical pan offset of the outer tracks when there are several.
        level_source / pan_source: source keys (see the module docstring).
    """

    type_id: str
    level_re_lead_db: float
    pan: float
    spread: float
    level_source: str
    pan_source: str


PRACTICE: tuple[PracticeFigure, ...] = (
    PracticeFigure("lead_vox", 0.0, 0.0, 0.0, "S1 (reference)", "S3"),
    PracticeFigure("back_vox", -5.0, 0.0, 0.4, "S1: −10…−12 vs −6, mid −5; S2: just behind lead", "S1: slightly L/R"),
    PracticeFigure("kick", -2.0, 0.0, 0.0, "S1: −8 vs −6; S2: slightly under vocal", "S1, S3: centre"),
    PracticeFigure("snare", -2.0, 0.0, 0.0, "S1: −8 vs −6", "S1, S3: centre"),
    PracticeFigure("hihat", -9.0, 0.2, 0.0, "S1: −14…−16 vs −6, mid −9", "S2: subtle pan to one side"),
    PracticeFigure("overhead", -9.0, 0.0, 1.0, "S1: −14…−16 vs −6, mid −9", "S2: hard L/R"),
    PracticeFigure("tom", -6.0, 0.0, 0.6, "S1: −12 vs −6", "A: spread across the kit like the overheads"),
    PracticeFigure("drum_room", -10.0, 0.0, 1.0, "A: a little under the overheads", "A: like the overheads"),
    PracticeFigure("percussion", -9.0, 0.3, 0.5, "A: like hi-hats/cymbals (S1)", "A: off-centre"),
    PracticeFigure("bass", -3.0, 0.0, 0.0, "S1: −8 vs −6; S2: just under the kick", "S3: centre"),
    PracticeFigure("electric_guitar", -6.0, 0.0, 1.0, "A: as S1's guitars, −12 vs −6", "S2: pair hard L/R"),
    PracticeFigure("acoustic_guitar", -6.0, 0.0, 0.6, "S1: −12 vs −6", "S1: 50–70 % L/R"),
    PracticeFigure("keys", -5.0, 0.0, 0.3, "S1: piano −10…−12 vs −6, mid −5", "S1: narrower than strings"),
    PracticeFigure("synth", -7.0, 0.0, 0.5, "A: as S1's electric piano, −13 vs −6", "A: between piano and strings"),
    PracticeFigure("strings", -8.0, 0.0, 0.8, "S1: −14 vs −6", "S1: wide"),
    PracticeFigure("brass_winds", -7.0, 0.0, 0.4, "A: as S1's electric piano", "A"),
    PracticeFigure("fx", -12.0, 0.0, 0.7, "A: background element", "A"),
    PracticeFigure("drum_kit", 2.5, 0.0, 0.0, "A: power sum of S1's kick, snare, hats, toms, overheads", "S3: centre"),
    PracticeFigure("other", -8.0, 0.0, 0.4, "A", "A"),
)
_BY_TYPE = {p.type_id: p for p in PRACTICE}

GENRE_GROUP_OFFSETS_DB: dict[str, tuple[tuple[str, float], ...]] = {
    # A: louder guitars and drums, vocal a little less on top.
    "rock_punk_metal": (("electric_guitar", 2.0), ("kick", 1.0), ("snare", 1.0), ("drum_kit", 1.0),
                        ("overhead", 1.0), ("drum_room", 1.0)),
    # A: vocal-led, drums and guitars a little under it.
    "pop_singer_songwriter": (("electric_guitar", -1.0), ("back_vox", 1.0), ("synth", 2.0),
                              ("keys", 1.0)),
    # A: band genres between rock and pop.
    "alt_rock_blues": (("electric_guitar", 1.0), ("keys", 1.0)),
    # A: quieter drums (in jazz the drums are not the loudest element), acoustic instruments up.
    "acoustic_jazz_country": (("kick", -3.0), ("snare", -3.0), ("drum_kit", -3.0), ("overhead", -1.0),
                              ("acoustic_guitar", 2.0), ("strings", 2.0), ("brass_winds", 2.0),
                              ("keys", 1.0)),
}
"""Genre-group adjustments to :data:`PRACTICE` levels, dB (all automix assumptions, source ``A``)."""


def practice_figure(type_id: str) -> PracticeFigure:
    """The :class:`PracticeFigure` of a track type (ModelError if unknown)."""
    try:
        return _BY_TYPE[type_id]
    except KeyError:
        raise ModelError(f"no mixing-practice figure for track type {type_id!r}") from None


def typical_level_db(type_id: str, genre: str | None = None) -> float:
    """Typical level of a type relative to the lead vocal (dB), adjusted for the genre's group."""
    level = practice_figure(type_id).level_re_lead_db
    group = genre_group(genre) if genre else None
    if group is not None:
        level += dict(GENRE_GROUP_OFFSETS_DB.get(group.id, ())).get(type_id, 0.0)
    return level


def practice_relative_levels(track_types: Sequence[str], genre: str | None = None) -> np.ndarray:
    """Typical levels relative to the mix (dB) of the given types playing together.

    Shape (len(track_types),); their power sum is 0 dB (uncorrelated tracks).
    """
    levels = np.array([typical_level_db(t, genre) for t in track_types], dtype=float)
    return normalize_relative_loudness(levels)


def typical_pan(type_id: str) -> tuple[float, float]:
    """(pan, spread) typical of a type: its position and the outer offset of several tracks."""
    p = practice_figure(type_id)
    return p.pan, p.spread

