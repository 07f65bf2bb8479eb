"""The project model: typed, read-only records describing a REAPER project.

These records are what the rest of automix consumes (rendering, features,
planning, reports). They are built from the lossless chunk tree by
:mod:`automix.project.reader` (headless ``.rpp`` files) or by the live REAPER
backend, and never written back directly: edits go through
:mod:`automix.project.edit` on the chunk tree so untouched text stays byte-identical.

Units: times in seconds (``*_s``), gains as linear amplitude (``*_amp``,
1.0 = 0 dB), pans in REAPER's track convention −1 (left) … +1 (right).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MAX_TIMELINE_S = 6 * 3600.0
"""Largest time (seconds) automix accepts for a position, length or offset in a project: a
six-hour live recording fits; analysis keeps ~16 floats per 20 ms frame, so one track of that
length holds ~140 MB, where ``LENGTH 1e12`` would ask for terabytes."""

MIN_PLAY_RATE = 0.01
MAX_PLAY_RATE = 100.0
"""Item play rates automix renders (``PLAYRATE``): far beyond any musical use (4 octaves is 16×);
a higher rate would make the renderer read that many times more source per block."""

MIN_SAMPLE_RATE_HZ = 4000
MAX_SAMPLE_RATE_HZ = 768000
"""Sample rates (project and media) automix accepts: from below telephone audio (8 kHz) to the
highest rate audio interfaces offer; a 1 Hz file would make every resampling ratio degenerate."""

AUTOMATION_MODES: dict[int, str] = {0: "trim/read", 1: "read", 2: "touch", 3: "write", 4: "latch",
                                     5: "latch preview"}
"""A track's ``AUTOMODE`` value → REAPER's name for it (0, trim/read, is REAPER's default)."""

AUDIO_SOURCE_KINDS = frozenset({"WAVE", "FLAC", "MP3", "VORBIS", "OPUS", "WAVPACK", "AIFF", "VIDEO"})
"""Source types (the ``<SOURCE KIND`` token) that hold decodable audio. REAPER writes ``.m4a``,
``.mp4`` and ``.mov`` items (and other video containers) as ``VIDEO``: automix plays their first
audio stream (a ``VIDEO`` file without one is skipped when rendering)."""


@dataclass(frozen=True)
class Source:
    """The media source of a take.

    Attributes:
        kind: REAPER source type of the innermost real source (``WAVE``,
            ``FLAC``, ``MP3``, ``MIDI``, ``LTC`` …). A ``SECTION`` wrapper is
            resolved to the source it wraps; see ``section_*``.
        file_text: the ``FILE`` value exactly as written in the project, or
            ``None`` for sources without a file (in-project MIDI, LTC, CLICK).
        path: ``file_text`` resolved against the project folder (accepting
            ``\\`` and ``/``), or ``None``.
        exists: whether ``path`` exists on disk (False when ``path`` is None).
        section_start_s: for a ``SECTION`` source, where in the wrapped source
            the section starts; 0.0 otherwise.
        section_length_s: for a ``SECTION`` source, its length (0.0 = to the
            end of the source); 0.0 otherwise.
        reversed: True when a ``SECTION`` source plays the wrapped source
            backwards (``MODE`` with bit 2 set).
        line: 1-based line of the ``<SOURCE`` chunk in the project text.
    """

    kind: str
    file_text: str | None = None
    path: Path | None = None
    exists: bool = False
    section_start_s: float = 0.0
    section_length_s: float = 0.0
    reversed: bool = False
    line: int | None = None

    @property
    def is_audio(self) -> bool:
        """True when the source is an audio file type automix can render."""
        return self.kind in AUDIO_SOURCE_KINDS


@dataclass(frozen=True)
class Take:
    """One take of an item.

    Attributes:
        name: the take's ``NAME``.
        gain_amp: take volume as a non-negative linear amplitude.
        polarity_inverted: True when REAPER stores the take volume negative.
        pan: take pan, −1 (left) … +1 (right).
        source_offset_s: ``SOFFS``, where in the source playback starts.
        play_rate: ``PLAYRATE`` first field (1.0 = normal speed).
        preserve_pitch: ``PLAYRATE`` second field (1 = keep pitch).
        pitch_semitones: ``PLAYRATE`` third field (pitch shift).
        channel_mode: ``CHANMODE`` (0 normal, 1 reverse stereo, 2 mono mix,
            3 left only, 4 right only …).
        source: the take's media source.
    """

    name: str
    gain_amp: float
    polarity_inverted: bool
    pan: float
    source_offset_s: float
    play_rate: float
    preserve_pitch: bool
    pitch_semitones: float
    channel_mode: int
    source: Source


@dataclass(frozen=True)
class Fade:
    """An item fade: ``length_s`` seconds with REAPER fade ``shape`` (0 = linear)."""

    length_s: float = 0.0
    shape: int = 0


@dataclass(frozen=True)
class Item:
    """A media item on a track.

    Attributes:
        position_s: timeline start.
        length_s: timeline length.
        snap_offset_s: ``SNAPOFFS``.
        loop: whether the source loops to fill the item.
        gain_amp: item volume (``VOLPAN`` first field), linear amplitude.
        fade_in / fade_out: the item's fades.
        muted: ``MUTE`` first field.
        takes: every take, in file order.
        active_take_index: index into ``takes`` of the playing take.
        guid: the item's ``IGUID`` (or ``GUID``), "" if absent.
        line: 1-based line of the ``<ITEM`` chunk.
    """

    position_s: float
    length_s: float
    snap_offset_s: float
    loop: bool
    gain_amp: float
    fade_in: Fade
    fade_out: Fade
    muted: bool
    takes: tuple[Take, ...]
    active_take_index: int
    guid: str = ""
    line: int | None = None

    @property
    def end_s(self) -> float:
        """Timeline end of the item."""
        return self.position_s + self.length_s

    @property
    def active_take(self) -> Take | None:
        """The playing take, or None for an empty item."""
        if not self.takes:
            return None
        return self.takes[self.active_take_index]


@dataclass(frozen=True)
class EnvelopePoint:
    """An automation point: ``value`` at ``time_s`` with REAPER ``shape`` (0 linear, 1 square)."""

    time_s: float
    value: float
    shape: int = 0


@dataclass(frozen=True)
class Envelope:
    """A track envelope as stored in the file.

    Attributes:
        tag: chunk name (``VOLENV2``, ``PANENV2`` …).
        active: ``ACT`` first field.
        points: the ``PT`` lines. Volume points are linear amplitude; pan
            points are sign-inverted relative to track pan (+1 = left), as in
            the file.
        line: 1-based line of the chunk.
    """

    tag: str
    active: bool
    points: tuple[EnvelopePoint, ...]
    line: int | None = None


@dataclass(frozen=True)
class FxInfo:
    """One plug-in in a track's FX chain.

    Attributes:
        kind: chunk tag (``VST``, ``JS``, ``AU``, ``CLAP`` …).
        name: the plug-in name as written (e.g. ``VST: ReaEQ (Cockos)``).
        rename: the user's rename field ("" if none).
        bypassed: from the ``BYPASS`` line preceding it.
        is_reaeq: True for a ReaEQ instance.
        is_automix: True when this is the ReaEQ automix owns on the track.
        line: 1-based line of the FX chunk.
    """

    kind: str
    name: str
    rename: str
    bypassed: bool
    is_reaeq: bool
    is_automix: bool
    line: int | None = None


@dataclass(frozen=True)
class Track:
    """A track of the project.

    Attributes:
        index: 0-based position among the project's tracks.
        guid: the track GUID (``<TRACK {…}`` or ``TRACKID``), braces included.
        name: ``NAME`` ("" if unnamed).
        volume_amp: fader (``VOLPAN`` first field), linear amplitude.
        pan: fader pan, −1 (left) … +1 (right).
        muted / soloed: ``MUTESOLO`` fields.
        folder_depth_change: ``ISBUS`` second field (+1 opens a folder,
            negative closes folders).
        parent_index: index of the enclosing folder track, or None.
        envelopes: volume/pan envelopes present on the track, by tag.
        fx: plug-ins of the track FX chain, in order.
        items: the track's media items, in file order.
        line: 1-based line of the ``<TRACK`` chunk.
        automation_mode: ``AUTOMODE`` (a key of :data:`AUTOMATION_MODES`; 0 when absent).
    """

    index: int
    guid: str
    name: str
    volume_amp: float
    pan: float
    muted: bool
    soloed: bool
    folder_depth_change: int
    parent_index: int | None
    envelopes: dict[str, Envelope] = field(default_factory=dict)
    fx: tuple[FxInfo, ...] = ()
    items: tuple[Item, ...] = ()
    line: int | None = None
    automation_mode: int = 0

    @property
    def is_folder(self) -> bool:
        """True when the track opens a folder."""
        return self.folder_depth_change > 0

    @property
    def audio_items(self) -> tuple[Item, ...]:
        """Unmuted items whose active take has an audio source."""
        return tuple(
            it for it in self.items
            if not it.muted and it.active_take is not None and it.active_take.source.is_audio
        )

    @property
    def has_audio(self) -> bool:
        """True when at least one unmuted item plays audio."""
        return bool(self.audio_items)


@dataclass(frozen=True)
class Marker:
    """A project marker (not a region)."""

    number: int
    position_s: float
    name: str
    line: int | None = None


@dataclass(frozen=True)
class Region:
    """A project region: two ``MARKER`` lines with the same number.

    Attributes:
        number: the region number shown in REAPER.
        name: the region name (from the start line).
        start_s / end_s: region bounds on the timeline.
        line: 1-based line of the start ``MARKER`` line.
    """

    number: int
    name: str
    start_s: float
    end_s: float
    line: int | None = None

    @property
    def length_s(self) -> float:
        """Region length in seconds."""
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Project:
    """A REAPER project.

    Attributes:
        path: the ``.rpp`` file (None for a live project never saved).
        folder: the project folder against which media paths resolve.
        reaper_version: the version string of the header, e.g. ``7.18/win64``.
        sample_rate: ``SAMPLERATE`` first field in Hz (REAPER's default 44100
            when the project does not set one).
        tempo_bpm: ``TEMPO`` first field.
        tracks: every track, in order.
        markers: markers that are not regions, sorted by position.
        regions: regions, sorted by start.
        notes: the project notes (``<NOTES`` ``|`` lines joined by "\\n").
        genre: the ``genre: <name>`` line of the notes, or None.
    """

    path: Path | None
    folder: Path
    reaper_version: str
    sample_rate: int
    tempo_bpm: float
    tracks: tuple[Track, ...]
    markers: tuple[Marker, ...]
    regions: tuple[Region, ...]
    notes: str = ""
    genre: str | None = None

    @property
    def audio_tracks(self) -> tuple[Track, ...]:
        """Tracks that play audio (not folders without items, not MIDI-only)."""
        return tuple(t for t in self.tracks if t.has_audio)

    def folder_parents(self, track: Track) -> tuple[Track, ...]:
        """The folder tracks enclosing ``track``, innermost first."""
        out: list[Track] = []
        index = track.parent_index
        while index is not None and 0 <= index < len(self.tracks) and len(out) < len(self.tracks):
            out.append(self.tracks[index])
            index = self.tracks[index].parent_index
        return tuple(out)

    def muted_by(self, track: Track) -> Track | None:
        """The track that silences ``track``: itself when muted, else its innermost muted folder parent."""
        if track.muted:
            return track
        return next((p for p in self.folder_parents(track) if p.muted), None)

    @property
    def mix_tracks(self) -> tuple[Track, ...]:
        """Audio tracks a listener hears: not muted, not under a muted folder (solo is not considered)."""
        return tuple(t for t in self.audio_tracks if self.muted_by(t) is None)

    @property
    def end_s(self) -> float:
        """End of the last item or region, whichever is later (0.0 if empty)."""
        ends = [it.end_s for t in self.tracks for it in t.items]
        ends += [r.end_s for r in self.regions]
        return max(ends, default=0.0)

    def track_by_guid(self, guid: str) -> Track | None:
        """The track with this GUID (case-insensitive), or None."""
        g = guid.upper()
        for t in self.tracks:
            if t.guid.upper() == g:
                return t
        return None
