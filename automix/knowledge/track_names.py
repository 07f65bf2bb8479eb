"""Track and region names as tokens, and the instrument vocabulary matched against them.

Names are matched on their *tokens*: ``01_KickTrigger`` → ``01 kick trigger``,
``16_LeadVoxDT`` → ``16 lead vox dt``, ``OH L`` → ``oh l``. Ordered rules pick
the type (drum pieces before ``drum``, ``bass drum`` before ``bass``, vocal
words before instrument words …) in :func:`type_from_name`. The type registry,
the user's overrides and the per-project classification are in
:mod:`automix.knowledge.track_types`.
"""

from __future__ import annotations

import re

# ---------------------------------------------------------------- tokens

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")


def name_tokens(name: str) -> tuple[str, ...]:
    """Lower-case word tokens of a track or region name.

    Splits on anything not a (Unicode) letter or digit, on lower→upper case changes
    (``KickTrigger``) and on letter↔digit changes (``Tom1``, ``VS2``); an
    all-capital word stays whole (``BGVOX``).
    """
    words = re.split(r"[\W_]+", name)
    tokens: list[str] = []
    for word in words:
        if not word:
            continue
        tokens.extend(p.lower() for p in _CAMEL.split(word) if p)
    return tuple(tokens)


def _phrases(tokens: tuple[str, ...]) -> set[str]:
    """Single tokens, adjacent pairs joined by a space, and pairs glued together."""
    out = set(tokens)
    for a, b in zip(tokens, tokens[1:]):
        out.add(f"{a} {b}")
        out.add(a + b)
    return out


# ---------------------------------------------------------------- rules

_DRUM_PIECES: dict[str, frozenset[str]] = {
    "kick": frozenset({"kick", "kik", "kck", "bd", "k", "kicktrigger", "kickdrum", "bass drum",
                       "kick drum", "bassdrum", "kick in", "kick out"}),
    "snare": frozenset({"snare", "snr", "sn", "sd", "snare drum", "snares", "rimshot"}),
    "tom": frozenset({"tom", "toms", "floor tom", "rack tom", "ft", "floortom", "racktom"}),
    "hihat": frozenset({"hihat", "hh", "hat", "hats", "hi hat", "high hat", "hihats",
                        "hi hats", "highhat"}),
}
_ROOM = frozenset({"room", "rooms", "rm", "drumroom", "drum room", "amb room", "kit room"})
_OVERHEAD = frozenset({"oh", "ohs", "overhead", "overheads", "cymbal", "cymbals", "crash", "ride",
                       "cym", "cyms"})
_PERCUSSION = frozenset({"perc", "percussion", "tamb", "tambourine", "tamborine", "shaker",
                         "shakers", "conga", "congas", "bongo", "bongos", "cowbell", "clap",
                         "claps", "handclap", "handclaps", "tabla", "cajon", "timbale",
                         "timbales", "triangle", "auxiliary percussion", "guiro", "maracas",
                         "woodblock", "snap", "snaps", "timpani", "djembe"})
_DRUM_KIT = frozenset({"drum", "drums", "kit", "drumkit", "drumset", "drum set", "drum kit",
                       "beat", "beats", "break", "breaks", "breakbeat", "drum machine",
                       "drumloop", "drum loop", "powerdrumkit", "elite drums", "drumbus"})
_VOCAL = frozenset({"vox", "vocal", "vocals", "voc", "vocs", "vo", "voice", "voices", "singer",
                    "vocalist", "vocalists", "vx", "lv", "lvox", "leadvox", "rap", "sing",
                    "male singer", "female singer", "leadvocal", "vocal map"})
_BACKING = frozenset({"bv", "bvs", "bgv", "bgvs", "bgvox", "bvox", "backing", "backings",
                      "backs", "bkg", "bck", "bk", "back", "backup", "harmony", "harmonies",
                      "harm", "choir", "bg", "ooh", "oohs", "aah", "aahs", "gang", "chorus",
                      "adlib", "adlibs", "bgvocals", "backingvox", "backingvocals"})
_BASS = frozenset({"bass", "bs", "bas", "sub", "subbass", "sub bass", "upright bass", "contrabass",
                   "double bass", "electric bass", "bassgtr", "bass gtr", "basses", "808"})
_GUITAR = frozenset({"gtr", "guitar", "guitars", "gtrs", "git", "gtr1", "egtr", "agtr",
                     "elecgtr", "acgtr", "electric guitar", "acoustic guitar", "eg", "ag",
                     "lap steel", "pedal steel", "dobro"})
_BACKING_WEAK = frozenset({"bg", "back", "bk", "gang", "chorus"})
"""Backing words that mean backing vocals only next to a vocal word (film "BG" = backgrounds)."""
_ACOUSTIC = frozenset({"ac", "acc", "acou", "acous", "acoustic", "acgtr", "agtr", "ag",
                       "nylon", "classical", "12string", "12 string", "ukulele", "uke", "a gtr", "a guitar",
                       "banjo", "mandolin", "acoustic guitar"})
_ACOUSTIC_ALONE = frozenset({"acoustic", "ukulele", "uke", "banjo", "mandolin", "acgtr",
                             "agtr", "nylon", "12 string", "12string"})
_KEYS = frozenset({"keys", "key", "piano", "pno", "pn", "rhodes", "wurli", "wurlitzer", "organ",
                   "hammond", "b3", "epiano", "ep", "clav", "clavinet", "harpsichord",
                   "celesta", "glockenspiel", "glock", "vibraphone", "vibes", "marimba",
                   "xylophone", "mellotron", "electric piano", "tack piano", "keyboard",
                   "keyboards", "grand", "upright piano", "accordion", "real keys"})
_SYNTH = frozenset({"synth", "synths", "syn", "sy", "synthesizer", "synthesiser", "pad", "pads",
                    "arp", "arps", "minilogue", "moog", "juno", "prophet", "absynth",
                    "reasynth", "serum", "massive", "sylenth", "pluck", "plucks", "sequence",
                    "seq", "lead synth", "polysynth", "monosynth", "stab", "stabs"})
_STRINGS = frozenset({"strings", "string", "str", "strs", "violin", "violins", "vln", "vl",
                      "viola", "violas", "vla", "cello", "cellos", "vc", "vlc", "fiddle",
                      "harp", "orchestra", "orch", "string section", "quartet", "ensemble"})
_BRASS_WINDS = frozenset({"brass", "horn", "horns", "trumpet", "trumpets", "tpt", "trp",
                          "trombone", "trombones", "tbn", "tuba", "sax", "saxes", "saxophone",
                          "alto sax", "tenor sax", "bari sax", "flute", "flutes", "flt", "fl",
                          "clarinet", "clarinets", "oboe", "bassoon", "winds", "woodwind",
                          "woodwinds", "harmonica", "piccolo", "cornet", "flugelhorn",
                          "french horn", "whistle", "recorder", "bagpipes"})
_FX = frozenset({"fx", "sfx", "efx", "effect", "effects", "riser", "risers", "sweep", "sweeps",
                 "whoosh", "noise", "impact", "impacts", "reverse", "build", "buildup",
                 "scratch", "scratches", "turntable", "turntables", "dj", "vinyl", "foley",
                 "thunder", "reverb", "verb", "delay", "dly", "echo", "atmos", "atmosphere",
                 "ambience", "texture", "textures", "drone", "downlifter", "uplifter",
                 "processed sound", "fx processed", "glitch"})
_LEAD_ALONE = frozenset({"lead", "ld", "dbl", "double", "dt", "melody", "topline"})

_RULES: tuple[tuple[str, frozenset[str]], ...] = (
    ("drum_room", _ROOM),
    ("overhead", _OVERHEAD),
    ("hihat", _DRUM_PIECES["hihat"]),
    ("kick", _DRUM_PIECES["kick"]),
    ("snare", _DRUM_PIECES["snare"]),
    ("tom", _DRUM_PIECES["tom"]),
    ("percussion", _PERCUSSION),
    ("drum_kit", _DRUM_KIT),
)
_INSTRUMENT_RULES: tuple[tuple[str, frozenset[str]], ...] = (
    ("bass", _BASS),
    ("keys", _KEYS),
    ("synth", _SYNTH),
    ("strings", _STRINGS),
    ("brass_winds", _BRASS_WINDS),
    ("fx", _FX),
)


def type_from_name(name: str) -> tuple[str, str]:
    """``(type id, deciding token or phrase)`` from a track name alone; ``("other", "")`` if nothing matches."""
    phrases = _phrases(name_tokens(name))

    def hit(words: frozenset[str]) -> str | None:
        found = sorted(phrases & words, key=lambda w: (-len(w), w))
        return found[0] if found else None

    pieces = [p for p, words in _DRUM_PIECES.items() if hit(words)]
    # "bass drum" is a kick, not a bass; "snare drum" a snare, not a kit.
    if len(pieces) >= 2 and not hit(_VOCAL):
        return ("drum_kit", "+".join(pieces))
    vocal = hit(_VOCAL)
    backing = hit(_BACKING) if vocal else hit(_BACKING - _BACKING_WEAK)
    if vocal or (backing and not hit(_GUITAR | _BASS | _KEYS | _SYNTH | _STRINGS)):
        if backing:
            return ("back_vox", backing)
        return ("lead_vox", vocal or "")
    for type_id, words in _RULES:
        found = hit(words - {"k"})  # a lone "k" is a kick only beside another piece (K & SN)
        if found:
            return (type_id, found)
    bass = hit(_BASS)
    guitar = hit(_GUITAR)
    if bass:
        return ("bass", bass)
    if guitar:
        acoustic = hit(_ACOUSTIC)
        if acoustic:
            return ("acoustic_guitar", acoustic)
        return ("electric_guitar", guitar)
    acoustic_alone = hit(_ACOUSTIC_ALONE)
    if acoustic_alone:
        return ("acoustic_guitar", acoustic_alone)
    for type_id, words in _INSTRUMENT_RULES:
        found = hit(words)
        if found:
            return (type_id, found)
    lead = hit(_LEAD_ALONE)
    if lead:
        return ("lead_vox", lead)
    return ("other", "")
