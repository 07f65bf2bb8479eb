"""Track types: what instrument a track holds, from its (messy) name.

The KDE paper models 12 basic track types; real sessions also hold keys,
synths, strings, brass/winds, effects and whole drum kits on one track, so
automix knows 19 types (:data:`TRACK_TYPES`), each with a stable machine id
(``"kick"``, ``"lead_vox"`` …) and a display name.

Names are matched on their tokens against an instrument vocabulary by
:func:`automix.knowledge.track_names.type_from_name`; a name
that matches nothing is ``other``.

User override (wins over the name):

* a tag anywhere in the track name: ``Gtr DI [type: bass]``;
* or a line ``type: <name>`` in the track notes.

``<name>`` is a type id (``electric_guitar``), a display name
(``Electric Guitar``) or a spelling of either (``lead-vox``). An unknown
name raises :class:`~automix.errors.ProjectError` naming the track.

:func:`classify_project_tracks` types a project's audio tracks;
:func:`merge_type_features` builds each type's basic track features from its
tracks' features (levels add as powers, spectral features are power-weighted
means). Summing energies (``merge_by_type``) and spreading a type's
prediction back to its tracks (``spread_type_gain``, ``spread_type_pan``)
live in :mod:`automix.knowledge.targets`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from automix.errors import ProjectError
from automix.knowledge.targets import power_sum_db
from automix.knowledge.track_names import name_tokens, type_from_name
from automix.project.model import Project


@dataclass(frozen=True)
class TrackType:
    """One track type.

    Attributes:
        id: stable machine id (``lead_vox``), used in model files and plans.
        display_name: what a user reads (``Lead Vox``).
        basic: True for the 12 basic types of the KDE paper.
        family: coarse group (``drums``, ``bass``, ``guitars``, ``vocals``,
            ``keys``, ``orchestral``, ``fx``, ``other``).
    """

    id: str
    display_name: str
    basic: bool
    family: str


TRACK_TYPES: tuple[TrackType, ...] = (
    TrackType("kick", "Kick", True, "drums"),
    TrackType("snare", "Snare", True, "drums"),
    TrackType("hihat", "Hihat", True, "drums"),
    TrackType("tom", "Tom", True, "drums"),
    TrackType("drum_room", "DrumRoom", True, "drums"),
    TrackType("overhead", "Overhead", True, "drums"),
    TrackType("percussion", "Percussion", True, "drums"),
    TrackType("bass", "Bass", True, "bass"),
    TrackType("electric_guitar", "Electric Guitar", True, "guitars"),
    TrackType("acoustic_guitar", "Acoustic Guitar", True, "guitars"),
    TrackType("lead_vox", "Lead Vox", True, "vocals"),
    TrackType("back_vox", "Back Vox", True, "vocals"),
    TrackType("drum_kit", "Drum Kit", False, "drums"),
    TrackType("keys", "Keys/Piano", False, "keys"),
    TrackType("synth", "Synth", False, "keys"),
    TrackType("strings", "Strings", False, "orchestral"),
    TrackType("brass_winds", "Brass/Winds", False, "orchestral"),
    TrackType("fx", "FX", False, "fx"),
    TrackType("other", "Other", False, "other"),
)
"""Every track type, basic ones first. ``drum_kit`` is a whole kit (or several
drum pieces) on one track, e.g. a MUSDB ``drums`` stem or ``Kick+Snare+Toms``."""

TRACK_TYPE_IDS: tuple[str, ...] = tuple(t.id for t in TRACK_TYPES)
BASIC_TYPE_IDS: tuple[str, ...] = tuple(t.id for t in TRACK_TYPES if t.basic)
_BY_ID = {t.id: t for t in TRACK_TYPES}


@dataclass(frozen=True)
class TrackClassification:
    """The type of one track and why it was chosen.

    Attributes:
        type_id: one of :data:`TRACK_TYPE_IDS`.
        source: ``"override"`` (name tag or notes line), ``"name"`` (matched
            a rule) or ``"default"`` (nothing matched: ``other``).
        matched: the token or phrase that decided (or the override text).
    """

    type_id: str
    source: str
    matched: str


_TAG = re.compile(r"\[\s*type\s*[:=]\s*([^\]]*)\]", re.IGNORECASE)
_NOTES_LINE = re.compile(r"^\s*type\s*[:=]\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)


def parse_track_type(text: str, *, track: str | None = None) -> str:
    """Resolve a user-written type name to its id.

    Accepts an id (``back_vox``), a display name (``Back Vox``) or either
    spelled with other separators or case (``BACK-VOX``, ``Keys/Piano``).

    Raises:
        ProjectError: unknown type name (the message lists the known ids).
    """
    key = re.sub(r"[^0-9a-z]+", "", text.lower())
    for t in TRACK_TYPES:
        if key in (re.sub(r"[^0-9a-z]+", "", t.id), re.sub(r"[^0-9a-z]+", "", t.display_name.lower())):
            return t.id
    aliases = {"keys": "keys", "piano": "keys", "brass": "brass_winds", "winds": "brass_winds",
               "room": "drum_room", "drums": "drum_kit", "vocals": "lead_vox", "vox": "lead_vox",
               "backingvocals": "back_vox", "guitar": "electric_guitar", "hat": "hihat"}
    if key in aliases:
        return aliases[key]
    raise ProjectError(
        f"unknown track type {text.strip()!r} (known: {', '.join(TRACK_TYPE_IDS)})", track=track)


def track_type(type_id: str) -> TrackType:
    """The :class:`TrackType` with this id; ProjectError when unknown."""
    try:
        return _BY_ID[type_id]
    except KeyError:
        raise ProjectError(
            f"unknown track type id {type_id!r} (known: {', '.join(TRACK_TYPE_IDS)})") from None


def strip_type_tag(name: str) -> str:
    """The track name without a ``[type: …]`` override tag."""
    return " ".join(_TAG.sub(" ", name).split())


def classify_track(name: str, notes: str = "") -> TrackClassification:
    """The type of a track from its name, honouring the user's override.

    Args:
        name: the track name (``NAME``), a file name or an instrument label.
        notes: the track notes; a ``type: <name>`` line overrides the name.

    Raises:
        ProjectError: the override names an unknown type.
    """
    tag = _TAG.search(name)
    if tag:
        return TrackClassification(parse_track_type(tag.group(1), track=name), "override", tag.group(0))
    line = _NOTES_LINE.search(notes or "")
    if line:
        return TrackClassification(parse_track_type(line.group(1), track=name), "override", line.group(0).strip())
    type_id, matched = type_from_name(name)
    return TrackClassification(type_id, "name" if matched else "default", matched)


def track_type_of(name: str, notes: str = "") -> str:
    """Shortcut: the type id of :func:`classify_track`."""
    return classify_track(name, notes).type_id


@dataclass(frozen=True)
class ProjectTrackType:
    """The type of one audio track of a project.

    Attributes:
        track_index: the track's index in ``Project.tracks``.
        guid / name: the track's GUID and name.
        classification: its :class:`TrackClassification`.
        side_hint: −1/0/+1 from the name (see :func:`track_side_hint`).
    """

    track_index: int
    guid: str
    name: str
    classification: TrackClassification
    side_hint: int

    @property
    def type_id(self) -> str:
        """Shortcut for ``classification.type_id``."""
        return self.classification.type_id


def classify_project_tracks(project: Project) -> tuple[ProjectTrackType, ...]:
    """Types of the project's tracks that play audio (folder buses without items are skipped).

    Raises:
        ProjectError: a ``[type: …]`` tag names an unknown type (names the
            track and the project file).
    """
    out = []
    for t in project.audio_tracks:
        try:
            c = classify_track(t.name)
        except ProjectError as exc:
            raise ProjectError(exc.message, file=project.path, line=t.line, track=t.name) from None
        out.append(ProjectTrackType(t.index, t.guid, t.name, c, track_side_hint(t.name)))
    return tuple(out)


def track_side_hint(name: str) -> int:
    """−1 when a name says left (``OH L``, ``Gtr Left``), +1 right, 0 otherwise."""
    tokens = set(name_tokens(strip_type_tag(name)))
    left = bool(tokens & {"l", "left", "lft", "lt"})
    right = bool(tokens & {"r", "right", "rght", "rt"})
    return -1 if left and not right else (1 if right and not left else 0)


# ---------------------------------------------------------------- merging features of a type

LEVEL_WEIGHT_FEATURE = "rms_db"
"""Feature whose power weights the averaged features when tracks are merged."""


def _merge_rule(feature_name: str) -> str:
    """How a feature combines over tracks: ``power`` (levels), ``max`` or ``weighted`` mean."""
    if feature_name == "active_fraction":
        return "max"
    if (feature_name.endswith("_db") or feature_name.endswith("_lufs")) and "balance" not in feature_name:
        return "power"
    return "weighted"


def merge_type_features(vectors: np.ndarray, feature_names: Sequence[str], track_type_ids: Sequence[str],
                        model_types: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Features of each type's basic track from its tracks' features.

    Levels (names ending ``_db``/``_lufs``, not balances) add as powers —
    the level of the summed tracks, assuming uncorrelated signals;
    ``active_fraction`` takes the largest; every other feature (centroid,
    slope, spread, zcr, balance …) is the mean weighted by each track's
    power (from :data:`LEVEL_WEIGHT_FEATURE`). NaN values (a track never
    active) are left out.

    Args:
        vectors: (n_tracks, F) per-track features in ``feature_names`` order.
        feature_names: the F names (e.g. ``features.REGION_FEATURE_NAMES``).
        track_type_ids: type of each track.
        model_types: the model's fixed list of T types.

    Returns:
        ``(per_type, present)``: (T, F) merged features (NaN for absent
        types) and (T,) bool. Tracks of types the model lacks are ignored.
    """
    v = np.asarray(vectors, dtype=float)
    names = list(feature_names)
    if v.ndim != 2 or v.shape != (len(track_type_ids), len(names)):
        raise ProjectError(f"features of shape {v.shape} for {len(track_type_ids)} tracks × "
                           f"{len(names)} feature names")
    out = np.full((len(model_types), len(names)), np.nan)
    present = np.zeros(len(model_types), dtype=bool)
    weight_col = names.index(LEVEL_WEIGHT_FEATURE) if LEVEL_WEIGHT_FEATURE in names else None
    for k, t in enumerate(model_types):
        rows = v[[i for i, tt in enumerate(track_type_ids) if tt == t]]
        if rows.shape[0] == 0:
            continue
        present[k] = True
        if weight_col is not None:
            w = np.where(np.isfinite(rows[:, weight_col]), 10.0 ** (rows[:, weight_col] / 10.0), 0.0)
        else:
            w = np.ones(rows.shape[0])
        for j, name in enumerate(names):
            col = rows[:, j]
            ok = np.isfinite(col)
            if not ok.any():
                continue
            rule = _merge_rule(name)
            if rule == "power":
                out[k, j] = max(power_sum_db(col[ok]), float(col[ok].min()))
            elif rule == "max":
                out[k, j] = float(col[ok].max())
            else:
                wk = w[ok]
                out[k, j] = float(np.average(col[ok], weights=wk)) if wk.sum() > 0 else float(col[ok].mean())
    return out, present
