"""One pan per track for the whole song.

Engineers set a pan once per song: :func:`song_pans` gives every track one
position, from its type's position over the song (the section models'
predictions, length-weighted) spread over *all* the type's tracks of the song
(:func:`automix.knowledge.targets.spread_type_pan`), so that:

* tracks of one type that form pairs are mirrored around the centre
  (left/right hints in names such as ``OH L`` honoured) and keep their side
  in every section;
* kick, snare, bass and lead vocal (:data:`CENTRED_TYPES`) sit in the
  centre, unless the user's own fader pan puts them elsewhere.

Pans run from −1 (left) to +1 (right).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from automix.knowledge.practice import typical_pan
from automix.knowledge.targets import spread_type_pan
from automix.knowledge.track_types import track_side_hint

CENTRED_TYPES: tuple[str, ...] = ("kick", "snare", "bass", "lead_vox")
"""Types kept in the centre (Owsinski, *The Mixing Engineer's Handbook*), unless the user panned them."""

MAX_PAN_SPREAD = 0.8
"""Largest pan offset given to the outer tracks of a type with several tracks."""

USER_PAN_EPS = 1e-3
"""A fader pan further than this from the centre is the user's own choice."""


def song_pans(track_types: Sequence[str], track_names: Sequence[str], fader_pans: Sequence[float],
              type_pans: Mapping[str, float]) -> np.ndarray:
    """One pan per track, shape ``(n_tracks,)``.

    Args:
        track_types: type id per track.
        track_names: track names (for left/right hints).
        fader_pans: each track's own pan in the project (−1 … +1).
        type_pans: each type's position over the song (missing types: the practice position).
    """
    types = list(track_types)
    out = np.zeros(len(types))
    for t in dict.fromkeys(types):
        members = [i for i, tt in enumerate(types) if tt == t]
        if t in CENTRED_TYPES:
            for i in members:
                out[i] = fader_pans[i] if abs(fader_pans[i]) > USER_PAN_EPS else 0.0
            continue
        position, spread = typical_pan(t)
        centre = 0.0 if len(members) > 1 else float(np.clip(type_pans.get(t, position), -1.0, 1.0))
        hints = [track_side_hint(track_names[i]) for i in members]
        out[members] = spread_type_pan(centre, len(members), width=min(spread, MAX_PAN_SPREAD), side_hints=hints)
    return out
