"""One unreadable media file skips its track, not the project (issue 14, item 9).

The file exists but cannot be read: the OS refuses it (permission denied), its
header is garbage, its header is cut short, or it is cut in the middle of its
compressed data (the header reads, decoding fails). The other tracks are mixed
as when that track is absent, the track's chunk comes back byte-identical,
and a note names the track, the file and the reason.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from test_heard import SECONDS, SR, TONES, _planned, _song

import automix.features.mixable as mixable
from automix import rpp
from automix.cli import main
from automix.errors import MediaError, ProjectError
from automix.features.mixable import require_media
from automix.jobs.mix import MixOptions, run_mix_job
from automix.project.reader import read_project

KINDS = ("permission denied", "garbage fmt chunk", "header cut short", "FLAC cut in the middle")


def _break(folder: Path, kind: str, monkeypatch) -> tuple[Path, str]:
    """Make the Gtr track's media unreadable in one way; (its path, a word the reason must contain)."""
    media = folder / "media" / "Gtr.wav"
    if kind == "permission denied":
        if os.geteuid() != 0:
            media.chmod(0)
        else:  # root reads any file: make the OS refusal happen where automix opens the file
            real_open = open

            def refusing_open(path, *args, **kwargs):
                if Path(path) == media.resolve() or Path(path) == media:
                    raise PermissionError(13, "Permission denied", str(path))
                return real_open(path, *args, **kwargs)

            monkeypatch.setattr(mixable, "open", refusing_open, raising=False)
        return media, "Permission denied"
    if kind == "garbage fmt chunk":
        data = media.read_bytes()
        media.write_bytes(data[:12] + b"fmt " + struct.pack("<I", 16) + b"\xff" * 16 + data[36:])
        return media, "cannot decode audio"
    if kind == "header cut short":
        media.write_bytes(media.read_bytes()[:30])
        return media, "cannot decode audio"
    flac = media.with_suffix(".flac")
    t = np.arange(int(SECONDS * SR)) / SR
    sf.write(str(flac), TONES["Gtr"][1] * np.sin(2 * np.pi * TONES["Gtr"][0] * t), SR)
    flac.write_bytes(flac.read_bytes()[: flac.stat().st_size // 2])
    project = folder / "song.rpp"
    project.write_text(project.read_text().replace("media/Gtr.wav", "media/Gtr.flac"))
    return flac, "lost sync"


def _gtr_chunk(path: Path) -> str:
    doc = rpp.load(path)
    return next(rpp.dumps(t) for t in doc.iter("TRACK") if t.get_values("NAME") == ["Gtr"])


@pytest.mark.parametrize("kind", KINDS)
def test_an_unreadable_file_skips_its_track_and_says_why(tmp_path, monkeypatch, kind):
    song = _song(tmp_path / "song")
    media, reason = _break(song.parent, kind, monkeypatch)
    result = run_mix_job(song, MixOptions(use_eq=False, use_pan=False, use_cache=False))
    planned = _planned(result)
    assert set(planned) == {"Bass", "Lead Vox", "Kick"}
    said = [n for n in result.notes if n.startswith("track 'Gtr': media file ")]
    assert len(said) == 1 and str(media) in said[0] and reason in said[0], result.notes
    assert said[0].endswith("track skipped and left untouched")
    assert _gtr_chunk(result.output) == _gtr_chunk(song)
    # the others are mixed as when that track is not heard (muted)
    muted = _song(tmp_path / "muted")
    text = muted.read_text()
    at = text.index("MUTESOLO 0", text.index("NAME Gtr"))
    muted.write_text(text[:at] + "MUTESOLO 1" + text[at + len("MUTESOLO 0"):])
    reference = _planned(run_mix_job(muted, MixOptions(use_eq=False, use_pan=False, use_cache=False)))
    assert planned == pytest.approx(reference, abs=0.01)


def test_the_cli_exits_0_and_prints_the_note(tmp_path, monkeypatch, capsys):
    song = _song(tmp_path / "song")
    media, _ = _break(song.parent, "garbage fmt chunk", monkeypatch)
    assert main(["mix", str(song), "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert f"track 'Gtr': media file {media} unreadable (cannot decode audio" in err and "Traceback" not in err


def test_a_project_whose_every_file_is_unreadable_is_refused_naming_them(tmp_path):
    song = _song(tmp_path / "song")
    for m in (song.parent / "media").glob("*.wav"):
        m.write_bytes(m.read_bytes()[:30])
    with pytest.raises(ProjectError, match=r"no audio track can be mixed: track 'Bass': media file .*Bass\.wav "
                                           r"unreadable \(cannot decode audio"):
        run_mix_job(song, MixOptions(dry_run=True, use_cache=False))


def test_training_refuses_an_unreadable_stem(tmp_path):
    song = _song(tmp_path / "song")
    (song.parent / "media" / "Gtr.wav").write_bytes(b"RIFF\x00\x00")
    with pytest.raises(MediaError, match=r"track 'Gtr': media file .*Gtr\.wav unreadable: cannot decode audio"):
        require_media(read_project(song))


def test_render_leaves_out_the_unreadable_track_and_says_so(tmp_path, monkeypatch, capsys):
    import numpy as np
    import soundfile as sf

    song = _song(tmp_path / "song")
    media, _ = _break(song.parent, "garbage fmt chunk", monkeypatch)
    out = tmp_path / "preview.wav"
    assert main(["render", str(song), "-o", str(out), "--unmixed"]) == 0
    err = capsys.readouterr().err
    assert f"track 'Gtr': media file {media} unreadable (cannot decode audio" in err
    x, sr = sf.read(out)
    mid = x[int(1.5 * sr): int(2.5 * sr), 0]
    spectrum = np.abs(np.fft.rfft(mid)) * 2 / len(mid)
    assert 20 * np.log10(spectrum[int(TONES["Bass"][0])] / TONES["Bass"][1]) == pytest.approx(0.0, abs=0.1)
    assert spectrum[int(TONES["Gtr"][0])] < 1e-6  # the guitar is left out
