"""Write small REAPER-style projects (and tiny WAV files) for tests.

Everything here is generated; nothing is copied from real projects.

Typical use::

    from rpp_factory import FactoryItem, FactoryTrack, write_project  # tests/ is on sys.path
    path = write_project(tmp_path / "song.rpp",
                         [FactoryTrack("Kick", items=[FactoryItem(0.0, 2.0, "media/kick.wav")])],
                         regions=[(1, "Verse", 0.0, 8.0)], marker_format="7")
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import soundfile as sf

from automix.rpp.tokens import format_value, join_tokens


def guid_for(text: str) -> str:
    """A deterministic ``{GUID}`` for a name."""
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "automix-test/" + text)).upper() + "}"


@dataclass
class FactoryTake:
    """One take: ``file`` (None = no source chunk), ``kind`` the SOURCE type.

    ``section`` = (start_s, length_s) wraps the source in a SECTION; ``reverse``
    sets its MODE bit 2.
    """

    file: str | None
    kind: str = "WAVE"
    name: str = ""
    volume_amp: float = 1.0
    pan: float = 0.0
    source_offset_s: float = 0.0
    play_rate: float = 1.0
    section: tuple[float, float] | None = None
    reverse: bool = False


@dataclass
class FactoryItem:
    """A media item; ``file`` makes a single take, ``takes`` several (``active`` = selected one)."""

    position_s: float
    length_s: float
    file: str | None = None
    kind: str = "WAVE"
    volume_amp: float = 1.0
    muted: bool = False
    fade_in_s: float = 0.0
    fade_out_s: float = 0.0
    takes: list[FactoryTake] | None = None
    active: int = 0
    section: tuple[float, float] | None = None

    def all_takes(self) -> list[FactoryTake]:
        if self.takes is not None:
            return self.takes
        return [FactoryTake(self.file, self.kind, name=Path(self.file or "").name, section=self.section)]


@dataclass
class FactoryTrack:
    """A track; ``isbus`` = (1, 1) opens a folder, (2, -1) closes one."""

    name: str
    items: list[FactoryItem] = field(default_factory=list)
    volume_amp: float = 1.0
    pan: float = 0.0
    muted: bool = False
    soloed: bool = False
    isbus: tuple[int, int] = (0, 0)
    guid: str | None = None
    body_lines: list[str] = field(default_factory=list)
    """Extra raw lines/chunks placed after MAINSEND (e.g. an FXCHAIN text), indented by the factory."""


def _line(depth: int, *values: object) -> str:
    return "  " * depth + join_tokens(values)


def _source_lines(take: FactoryTake, depth: int) -> list[str]:
    inner = []
    if take.kind in ("MIDI",):
        inner = [_line(depth, "<SOURCE", "MIDI"), _line(depth + 1, "HASDATA", 1, 960, "QN"),
                 _line(depth + 1, "E", 960, "b0", "7b", "00"), _line(depth, ">")]
    elif take.kind == "MP3":
        inner = [_line(depth, "<SOURCE", "MP3"), _line(depth + 1, "FILE", take.file, 1), _line(depth, ">")]
    else:
        inner = [_line(depth, "<SOURCE", take.kind), _line(depth + 1, "FILE", take.file), _line(depth, ">")]
    if take.section is None:
        return inner
    start, length = take.section
    body = [_line(depth + 1, "LENGTH", length), _line(depth + 1, "STARTPOS", start),
            _line(depth + 1, "OVERLAP", 0.01)]
    if take.reverse:
        body.append(_line(depth + 1, "MODE", 2))
    return ([_line(depth, "<SOURCE", "SECTION")] + body + ["  " + s for s in inner] + [_line(depth, ">")])


def _item_lines(item: FactoryItem, n: int, track_name: str) -> list[str]:
    d = 3
    out = [_line(2, "<ITEM"), _line(d, "POSITION", item.position_s), _line(d, "SNAPOFFS", 0),
           _line(d, "LENGTH", item.length_s), _line(d, "LOOP", 0), _line(d, "ALLTAKES", 0),
           _line(d, "FADEIN", 1, item.fade_in_s, 0, 1, 0, 0, 0), _line(d, "FADEOUT", 1, item.fade_out_s, 0, 1, 0, 0, 0),
           _line(d, "MUTE", int(item.muted), 0), _line(d, "SEL", 0),
           _line(d, "IGUID", guid_for(f"{track_name}/item{n}")), _line(d, "IID", n + 1)]
    for k, take in enumerate(item.all_takes()):
        if k == 0:
            out += [_line(d, "NAME", take.name),
                    _line(d, "VOLPAN", item.volume_amp, take.pan, take.volume_amp, -1)]
        else:
            out += [_line(d, "TAKE", "SEL") if k == item.active else _line(d, "TAKE"),
                    _line(d, "NAME", take.name), _line(d, "TAKEVOLPAN", take.pan, take.volume_amp, -1)]
        out += [_line(d, "SOFFS", take.source_offset_s), _line(d, "PLAYRATE", take.play_rate, 1, 0, -1, 0, 0.0025),
                _line(d, "CHANMODE", 0), _line(d, "GUID", guid_for(f"{track_name}/item{n}/take{k}"))]
        if take.file is not None or take.kind == "MIDI":
            out += _source_lines(take, d)
    out.append(_line(2, ">"))
    return out


def _marker_lines(regions: Sequence[tuple[int, str, float, float]], markers: Sequence[tuple[int, str, float]],
                  marker_format: str) -> list[str]:
    entries: list[tuple[float, int, str]] = []
    for number, name, start, end in regions:
        g = guid_for(f"region{number}")
        if marker_format == "5":
            start_line = _line(1, "MARKER", number, start, name, 1, 0, 1, "R")
            end_line = _line(1, "MARKER", number, end, "", 1, 0, 1, "R")
        elif marker_format == "6":
            start_line = _line(1, "MARKER", number, start, name, 1, 0, 1, "R", g)
            end_line = _line(1, "MARKER", number, end, "", 1, 0, 1, "R", g)
        elif marker_format == "7":
            start_line = _line(1, "MARKER", number, start, name, 1, 25166079, 1, "R", g, 0)
            end_line = _line(1, "MARKER", number, end, "", 1)
        else:
            raise ValueError(f"marker_format must be '5', '6' or '7', got {marker_format!r}")
        entries += [(start, 1, start_line), (end, 0, end_line)]
    for number, name, pos in markers:
        entries.append((pos, 1, _line(1, "MARKER", number, pos, name, 0, 0, 1, "B", guid_for(f"m{number}"), 0)))
    entries.sort(key=lambda e: (e[0], e[1]))
    return [e[2] for e in entries]


def project_text(tracks: Sequence[FactoryTrack], *, regions: Sequence[tuple[int, str, float, float]] = (),
                 markers: Sequence[tuple[int, str, float]] = (), marker_format: str = "7",
                 sample_rate: int = 44100, tempo_bpm: float = 120, version: str = "7.18/win64",
                 notes: str | None = None, newline: str = "\n") -> str:
    """The text of a REAPER-style project with these tracks, regions and markers."""
    lines = [f'<REAPER_PROJECT 0.1 "{version}" 1727695451', _line(1, "RIPPLE", 0),
             _line(1, "AUTOXFADE", 129), _line(1, "PANLAW", 1), _line(1, "PANMODE", 3)]
    if notes is not None:
        lines.append(_line(1, "<NOTES", 0, 2))
        lines += ["    |" + text for text in notes.split("\n")]
        lines.append(_line(1, ">"))
    lines += [_line(1, "SAMPLERATE", sample_rate, 0, 0), _line(1, "TEMPO", tempo_bpm, 4, 4),
              _line(1, "MASTER_VOLUME", 1, 0, -1, -1, 1)]
    lines += _marker_lines(regions, markers, marker_format)
    for t in tracks:
        guid = t.guid or guid_for(t.name)
        lines += [_line(1, "<TRACK", guid), _line(2, "NAME", t.name), _line(2, "PEAKCOL", 16576),
                  _line(2, "VOLPAN", t.volume_amp, t.pan, -1, -1, 1),
                  _line(2, "MUTESOLO", int(t.muted), 2 if t.soloed else 0, 0),
                  _line(2, "ISBUS", *t.isbus), _line(2, "TRACKID", guid), _line(2, "MAINSEND", 1, 0)]
        lines += ["    " + s for s in t.body_lines]
        for n, item in enumerate(t.items):
            lines += _item_lines(item, n, t.name)
        lines.append(_line(1, ">"))
    lines.append(">")
    return newline.join(lines) + newline


def write_project(path: Path, tracks: Sequence[FactoryTrack], **kwargs: object) -> Path:
    """Write :func:`project_text` to ``path`` (UTF-8, bytes exactly as generated); returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(project_text(tracks, **kwargs).encode("utf-8"))  # type: ignore[arg-type]
    return path


def write_wav(path: Path, seconds: float = 0.1, sample_rate: int = 44100, freq_hz: float = 440.0) -> Path:
    """Write a mono 16-bit sine WAV (for media-exists checks)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    sf.write(str(path), 0.5 * np.sin(2 * np.pi * freq_hz * t), sample_rate, subtype="PCM_16")
    return path


__all__ = ["FactoryTake", "FactoryItem", "FactoryTrack", "project_text", "write_project", "write_wav",
           "guid_for", "format_value"]
