"""Build the project model (:mod:`automix.project.model`) from a parsed ``.rpp`` document.

Reads sample rate, tempo, notes/genre, tracks (volume, pan, mute/solo, folder
structure, volume/pan envelopes, FX list), items with their takes and sources
(media paths resolved against the project folder, ``\\`` or ``/``, through
``SECTION`` wrappers, missing files flagged) and markers/regions in the
REAPER 5.x, 6.x and 7.x ``MARKER`` formats. Bad values raise
:class:`~automix.errors.ProjectParseError` naming the file, line and track,
also values beyond the limits of :mod:`automix.project.model`
(:data:`~automix.project.model.MAX_TIMELINE_S` for positions, lengths and
offsets, the play-rate and sample-rate ranges), which would otherwise make
rendering unbounded.
"""

from __future__ import annotations

import math
import re
from pathlib import Path, PurePosixPath

from automix import rpp
from automix.errors import ProjectParseError
from automix.project.model import (
    MAX_PLAY_RATE,
    MAX_SAMPLE_RATE_HZ,
    MAX_TIMELINE_S,
    MIN_PLAY_RATE,
    MIN_SAMPLE_RATE_HZ,
    Envelope,
    EnvelopePoint,
    Fade,
    FxInfo,
    Item,
    Marker,
    Project,
    Region,
    Source,
    Take,
    Track,
)
from automix.project.reaeq import AUTOMIX_EQ_RENAME
from automix.rpp import Chunk, Line, RppDocument, display_text, split_tokens

DEFAULT_SAMPLE_RATE = 44100
DEFAULT_TEMPO_BPM = 120.0
ENVELOPE_TAGS = ("VOLENV2", "PANENV2", "VOLENV", "PANENV", "VOLENV3")
FX_TAGS = frozenset({"VST", "JS", "AU", "CLAP", "DX", "LV2", "CONTAINER", "VIDEO_EFFECT"})
_RENAME_FIELD = {"VST": 3, "JS": 1, "AU": 2, "CLAP": 2, "LV2": 2, "DX": 2}
_GENRE = re.compile(r"^\s*genre\s*:\s*(.*?)\s*$", re.IGNORECASE)
_EMBEDDED_KEY = re.compile(r"[ \t]{2,}(?=[A-Z][A-Z0-9_]*(?:[ \t]|$))")


class _Ctx:
    """Where we are, for error messages."""

    def __init__(self, file: str | None, track: str | None = None) -> None:
        self.file = file
        self.track = track

    def error(self, message: str, line: int | None) -> ProjectParseError:
        return ProjectParseError(message, file=self.file, line=line, track=self.track)


def property_lines(chunk: Chunk) -> list[tuple[str, list[str], int | None]]:
    """(key, values, line) of a chunk's property lines, splitting tool-written lines.

    Some tools write two properties on one line (``POSITION 1          SNAPOFFS 0``);
    such a line is split where a run of 2+ spaces precedes an upper-case key.
    """
    out: list[tuple[str, list[str], int | None]] = []
    for node in chunk.lines:
        out.extend(line_properties(node))
    return out


def line_properties(node: Line) -> list[tuple[str, list[str], int | None]]:
    """(key, values, line) of one line: one entry, several for a tool-written double line, none if blank."""
    content = node.content
    toks = split_tokens(content)
    if not toks:
        return []
    if "  " in content or "\t\t" in content:
        parts = _EMBEDDED_KEY.split(content.strip())
        if len(parts) > 1:
            split = [split_tokens(p) for p in parts]
            if sum(split, []) == toks:
                return [(t[0], t[1:], node.line) for t in split if t]
    return [(toks[0], toks[1:], node.line)]


def _props(chunk: Chunk) -> dict[str, tuple[list[str], int | None]]:
    """First occurrence of each property key → (values, line)."""
    found: dict[str, tuple[list[str], int | None]] = {}
    for key, values, line in property_lines(chunk):
        found.setdefault(key, (values, line))
    return found


def _num(props: dict, key: str, index: int, default: float, ctx: _Ctx, what: str | None = None) -> float:
    """Field ``index`` of property ``key`` as a float (``default`` when absent)."""
    if key not in props:
        return default
    values, line = props[key]
    if index >= len(values):
        return default
    text = values[index]
    try:
        value = float(text)
    except ValueError:
        raise ctx.error(f"{what or key}: expected a number, got {text!r}", line) from None
    if not math.isfinite(value):
        raise ctx.error(f"{what or key}: expected a finite number, got {text!r}", line)
    return value


def _time(props: dict, key: str, index: int, ctx: _Ctx, what: str | None = None) -> float:
    """Field ``index`` of ``key`` as seconds (0.0 when absent), within ±:data:`MAX_TIMELINE_S`."""
    value = _num(props, key, index, 0.0, ctx, what)
    if abs(value) > MAX_TIMELINE_S:
        raise ctx.error(f"{what or key} {value:g} s is beyond the {MAX_TIMELINE_S / 3600:g} hours "
                        f"automix accepts", props[key][1])
    return value


def _int(props: dict, key: str, index: int, default: int, ctx: _Ctx) -> int:
    value = _num(props, key, index, float(default), ctx)
    return int(value)


def _str(props: dict, key: str, index: int = 0, default: str = "") -> str:
    if key not in props or index >= len(props[key][0]):
        return default
    return props[key][0][index]


def resolve_media_path(file_text: str, folder: Path) -> Path:
    """Resolve a ``FILE`` value (``\\`` or ``/``, relative or absolute) against ``folder``."""
    text = file_text.replace("\\", "/")
    if text.startswith("/") or re.match(r"^[A-Za-z]:/", text):
        return Path(text)
    return folder.joinpath(*PurePosixPath(text).parts)


def _source(chunk: Chunk, folder: Path, ctx: _Ctx) -> Source:
    kind = chunk.args[0] if chunk.args else ""
    props = _props(chunk)
    if kind == "SECTION":
        inner = chunk.find("SOURCE")
        if inner is None:
            raise ctx.error("SECTION source without an inner <SOURCE", chunk.line)
        wrapped = _source(inner, folder, ctx)
        mode = _int(props, "MODE", 0, 0, ctx)
        return Source(kind=wrapped.kind, file_text=wrapped.file_text, path=wrapped.path,
                      exists=wrapped.exists, section_start_s=_time(props, "STARTPOS", 0, ctx, "section STARTPOS"),
                      section_length_s=_time(props, "LENGTH", 0, ctx, "section LENGTH"), reversed=bool(mode & 2),
                      line=chunk.line)
    file_text = _str(props, "FILE", 0, "") or None
    path = None
    exists = False
    if file_text is not None:
        path = resolve_media_path(file_text, folder)
        exists = path.is_file()
        if not exists:
            beside = folder / PurePosixPath(file_text.replace("\\", "/")).name
            if beside.is_file():  # REAPER also finds media moved next to the project
                path, exists = beside, True
    return Source(kind=kind, file_text=file_text, path=path, exists=exists, line=chunk.line)


def _take(props: dict, source_chunk: Chunk | None, first: bool, folder: Path, ctx: _Ctx) -> Take:
    if first:
        pan = _num(props, "VOLPAN", 1, 0.0, ctx)
        amp = _num(props, "VOLPAN", 2, 1.0, ctx)
    else:
        pan = _num(props, "TAKEVOLPAN", 0, 0.0, ctx)
        amp = _num(props, "TAKEVOLPAN", 1, 1.0, ctx)
    source = _source(source_chunk, folder, ctx) if source_chunk is not None else Source(kind="")
    rate = _num(props, "PLAYRATE", 0, 1.0, ctx)
    if not MIN_PLAY_RATE <= rate <= MAX_PLAY_RATE:
        raise ctx.error(f"PLAYRATE {rate:g} outside the {MIN_PLAY_RATE:g} … {MAX_PLAY_RATE:g} automix renders",
                        props["PLAYRATE"][1])
    return Take(name=display_text(_str(props, "NAME")), gain_amp=abs(amp), polarity_inverted=amp < 0, pan=pan,
                source_offset_s=_time(props, "SOFFS", 0, ctx),
                play_rate=rate,
                preserve_pitch=_num(props, "PLAYRATE", 1, 1.0, ctx) != 0,
                pitch_semitones=_num(props, "PLAYRATE", 2, 0.0, ctx),
                channel_mode=_int(props, "CHANMODE", 0, 0, ctx), source=source)


def _item(chunk: Chunk, folder: Path, ctx: _Ctx) -> Item:
    # Split the item's children into takes: lines before the first TAKE line are take 0.
    groups: list[tuple[dict, Chunk | None]] = []
    current: dict = {}
    source: Chunk | None = None
    active = 0
    item_props: dict = {}
    take_count = 0
    for node in chunk.children:
        if isinstance(node, Chunk):
            if node.tag == "SOURCE" and source is None:
                source = node
            continue
        for key, values, line in line_properties(node):
            if key == "TAKE":
                groups.append((current, source))
                take_count += 1
                if "SEL" in values:
                    active = take_count
                current, source = {}, None
                continue
            current.setdefault(key, (values, line))
            if not groups:
                item_props.setdefault(key, (values, line))
    groups.append((current, source))
    takes = tuple(_take(p, s, i == 0, folder, ctx) for i, (p, s) in enumerate(groups)
                  if i == 0 and (s is not None or "NAME" in p) or i > 0)
    if active >= len(takes):
        active = 0
    fade_in = Fade(_time(item_props, "FADEIN", 1, ctx), _int(item_props, "FADEIN", 0, 0, ctx))
    fade_out = Fade(_time(item_props, "FADEOUT", 1, ctx), _int(item_props, "FADEOUT", 0, 0, ctx))
    return Item(position_s=_time(item_props, "POSITION", 0, ctx),
                length_s=_time(item_props, "LENGTH", 0, ctx),
                snap_offset_s=_time(item_props, "SNAPOFFS", 0, ctx),
                loop=_num(item_props, "LOOP", 0, 0.0, ctx) != 0,
                gain_amp=_num(item_props, "VOLPAN", 0, 1.0, ctx), fade_in=fade_in, fade_out=fade_out,
                muted=_num(item_props, "MUTE", 0, 0.0, ctx) != 0, takes=takes, active_take_index=active,
                guid=_str(item_props, "IGUID") or _str(item_props, "GUID"), line=chunk.line)


def _envelope(chunk: Chunk, ctx: _Ctx) -> Envelope:
    points = []
    active = True
    for key, values, line in property_lines(chunk):
        if key == "ACT" and values:
            active = values[0] != "0"
        elif key == "PT":
            p = {"PT": (values, line)}
            points.append(EnvelopePoint(_num(p, "PT", 0, 0.0, ctx, "envelope point time"),
                                        _num(p, "PT", 1, 0.0, ctx, "envelope point value"),
                                        _int(p, "PT", 2, 0, ctx)))
    return Envelope(tag=chunk.tag, active=active, points=tuple(points), line=chunk.line)


def _fx_list(chain: Chunk | None) -> tuple[FxInfo, ...]:
    if chain is None:
        return ()
    out = []
    bypassed = False
    for node in chain.children:
        if isinstance(node, Line):
            if node.key == "BYPASS":
                vals = node.values
                bypassed = bool(vals) and vals[0] != "0"
            continue
        if node.tag not in FX_TAGS:
            continue
        args = node.args
        name = args[0] if args else ""
        k = _RENAME_FIELD.get(node.tag)
        rename = args[k] if k is not None and k < len(args) else ""
        is_reaeq = node.tag == "VST" and (len(args) > 1 and args[1].lower().startswith("reaeq")
                                          or "ReaEQ" in name)
        out.append(FxInfo(kind=node.tag, name=name, rename=rename, bypassed=bypassed, is_reaeq=is_reaeq,
                          is_automix=is_reaeq and rename == AUTOMIX_EQ_RENAME, line=node.line))
        bypassed = False
    return tuple(out)


def _track(chunk: Chunk, index: int, parent: int | None, folder: Path, file: str | None) -> Track:
    props = _props(chunk)
    name = _str(props, "NAME")
    exact = chunk.find("NAME")  # REAPER's exact copy of a name holding all three quote characters
    if exact is not None:
        name = "\n".join(n.content[1:] for n in exact.lines if n.content.startswith("|"))
    name = display_text(name)
    ctx = _Ctx(file, name or f"#{index + 1}")
    guid = chunk.args[0] if chunk.args else _str(props, "TRACKID")
    envelopes = {c.tag: _envelope(c, ctx) for c in chunk.children
                 if isinstance(c, Chunk) and c.tag in ENVELOPE_TAGS}
    items = tuple(_item(c, folder, ctx) for c in chunk.findall("ITEM"))
    mute_solo = props.get("MUTESOLO", ([], None))[0]
    return Track(index=index, guid=guid, name=name, volume_amp=_num(props, "VOLPAN", 0, 1.0, ctx),
                 pan=_num(props, "VOLPAN", 1, 0.0, ctx),
                 muted=bool(mute_solo) and mute_solo[0] != "0",
                 soloed=len(mute_solo) > 1 and mute_solo[1] != "0",
                 folder_depth_change=_int(props, "ISBUS", 1, 0, ctx), parent_index=parent,
                 envelopes=envelopes, fx=_fx_list(chunk.find("FXCHAIN")), items=items, line=chunk.line,
                 automation_mode=_int(props, "AUTOMODE", 0, 0, ctx))


def _markers_regions(root: Chunk, ctx: _Ctx) -> tuple[tuple[Marker, ...], tuple[Region, ...]]:
    markers: list[Marker] = []
    regions: list[Region] = []
    open_regions: dict[int, tuple[str, float, int | None]] = {}
    for key, values, line in property_lines(root):
        if key != "MARKER":
            continue
        if len(values) < 2:
            raise ctx.error(f"MARKER line needs a number and a position, got {values!r}", line)
        p = {"M": (values, line)}
        number = _int(p, "M", 0, 0, ctx)
        pos = _time(p, "M", 1, ctx, "marker position")
        name = display_text(values[2]) if len(values) > 2 else ""
        flags = _int(p, "M", 3, 0, ctx)
        if not flags & 1:
            markers.append(Marker(number, pos, name, line))
        elif number in open_regions:
            start_name, start, start_line = open_regions.pop(number)
            if pos < start:
                raise ctx.error(f"region {number} ends at {pos} s before it starts at {start} s", line)
            regions.append(Region(number, start_name, start, pos, start_line))
        else:
            open_regions[number] = (name, pos, line)
    if open_regions:
        number, (name, _start, line) = next(iter(open_regions.items()))
        raise ctx.error(f"region {number} ({name!r}) has a start MARKER line but no end line", line)
    markers.sort(key=lambda m: m.position_s)
    regions.sort(key=lambda r: r.start_s)
    return tuple(markers), tuple(regions)


def project_from_document(doc: RppDocument, path: Path | None, folder: Path) -> Project:
    """The project model of a parsed document; ``folder`` resolves relative media paths."""
    root = doc.root
    file = str(path) if path is not None else doc.file
    ctx = _Ctx(file)
    props = _props(root)
    notes_chunk = root.find("NOTES")
    notes = ""
    if notes_chunk is not None:
        notes = "\n".join(n.content[1:] if n.content.startswith("|") else n.content
                          for n in notes_chunk.lines)
    notes = display_text(notes)
    genre = None
    for text in notes.split("\n"):
        m = _GENRE.match(text)
        if m and m.group(1):
            genre = m.group(1)
            break
    tracks = []
    folders: list[int] = []
    for i, chunk in enumerate(root.findall("TRACK")):
        track = _track(chunk, i, folders[-1] if folders else None, folder, file)
        tracks.append(track)
        if track.folder_depth_change > 0:
            folders.append(i)
        elif track.folder_depth_change < 0:
            del folders[track.folder_depth_change:]
    markers, regions = _markers_regions(root, ctx)
    args = root.args
    sample_rate = int(_num(props, "SAMPLERATE", 0, DEFAULT_SAMPLE_RATE, ctx)) or DEFAULT_SAMPLE_RATE
    if not MIN_SAMPLE_RATE_HZ <= sample_rate <= MAX_SAMPLE_RATE_HZ:
        raise ctx.error(f"SAMPLERATE {sample_rate} Hz outside the {MIN_SAMPLE_RATE_HZ} … {MAX_SAMPLE_RATE_HZ} Hz "
                        f"automix accepts", props["SAMPLERATE"][1])
    return Project(path=path, folder=folder, reaper_version=args[1] if len(args) > 1 else "",
                   sample_rate=sample_rate,
                   tempo_bpm=_num(props, "TEMPO", 0, DEFAULT_TEMPO_BPM, ctx), tracks=tuple(tracks),
                   markers=markers, regions=regions, notes=notes, genre=genre)


def read_project(path: str | Path) -> Project:
    """Load and model a ``.rpp`` file; media resolves against its folder."""
    p = Path(path)
    doc = rpp.load(p)
    return project_from_document(doc, p, p.parent.resolve() if p.parent else Path.cwd())
