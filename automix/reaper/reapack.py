"""The ReaPack index of automix's REAPER actions (``reaper_scripts/index.xml``), as reapack-index writes it.

ReaPack installs the packages an ``index.xml`` lists; each automix script
carries its metadata in a comment header (``@description``, ``@version``,
``@author``, ``@about``). :func:`reapack_index_xml` builds the index from those
headers the way reapack-index does:

- ``<index version="1" name=… commit=…>``, one ``<category>`` per folder (the
  scripts' folder relative to the repository: ``reaper_scripts``), one
  ``<reapack name=<file> type="script" desc=<@description>>`` per script;
- ``@about`` converted to RTF (reapack-index runs it through pandoc) in the
  package's ``<metadata><description>`` CDATA;
- ``<version name author time>`` with ``<source main="main">`` URLs pinned to a
  commit: ``https://github.com/<owner>/<repo>/raw/<commit>/<path>``, ``time`` the
  commit's time in UTC (ISO 8601).

The commit is the last one that changed a script (``git log -1 -- reaper_scripts/*.py``),
so the index is regenerated after a script changes, never edited by hand::

    python3 -m automix.reaper.reapack [--repo-url https://github.com/OWNER/REPO] [--commit SHA]

ReaPack installs the scripts to ``<REAPER resource>/Scripts/<index name>/<category>/``.
"""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from automix.errors import InstallError
from automix.reaper.installer import ACTIONS

REPOSITORY_URL = "https://github.com/automix-reaper/automix"
"""The public repository ReaPack downloads the scripts from (``/raw/<commit>/<path>`` is appended)."""

INDEX_NAME = "automix"
"""The index's name: ReaPack installs into ``Scripts/<INDEX_NAME>/<category>/``."""


def script_metadata(path: Path) -> dict[str, str]:
    """The ReaPack header tags (``@description``, ``@version`` …) of a script; ``@about`` keeps its line breaks."""
    tags: dict[str, str] = {}
    current = None
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        m = re.match(r"#\s*@(\w+)\s*(.*)$", line)
        if m:
            current = m.group(1)
            tags[current] = m.group(2).strip()
        elif current == "about":
            tags["about"] = (tags["about"] + "\n" + line[1:].strip()).strip("\n")
    return tags


def _rtf_escape(text: str) -> str:
    out = []
    for char in text:
        if char in "\\{}":
            out.append("\\" + char)
        elif ord(char) > 127:  # RTF \uN? takes signed 16-bit UTF-16 code units
            units = char.encode("utf-16-le")
            for i in range(0, len(units), 2):
                code = int.from_bytes(units[i:i + 2], "little")
                out.append(f"\\u{code if code < 32768 else code - 65536}?")
        else:
            out.append(char)
    return "".join(out)


def about_rtf(about: str) -> str:
    """``@about`` text (CommonMark paragraphs, `code` spans) as a standalone RTF document, as pandoc writes it."""
    paragraphs = [" ".join(line.strip() for line in block.splitlines())
                  for block in re.split(r"\n\s*\n", about.strip()) if block.strip()]
    body = []
    for paragraph in paragraphs:
        parts = re.split(r"`([^`]*)`", paragraph)
        text = "".join(_rtf_escape(part) if i % 2 == 0 else "{\\f1 " + _rtf_escape(part) + "}"
                       for i, part in enumerate(parts))
        body.append("{\\pard \\ql \\f0 \\sa180 \\li0 \\fi0 " + text + "\\par}")
    return ("{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 \\fswiss Helvetica;}{\\f1 \\fmodern Courier;}}\n"
            "{\\colortbl;\\red255\\green0\\blue0;\\red0\\green0\\blue255;}\n"
            "\\widowctrl\\hyphauto\n\n" + "\n".join(body) + "\n}")


def git_commit_of(scripts_dir: Path) -> tuple[str, datetime]:
    """(sha, commit time UTC) of the last commit that changed a script in ``scripts_dir``."""
    scripts_dir = Path(scripts_dir).resolve()
    try:
        done = subprocess.run(["git", "log", "-1", "--format=%H %ct", "--", "*.py"], cwd=scripts_dir,
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise InstallError(f"cannot run git to find the scripts' commit ({exc}); pass --commit", file=scripts_dir)
    fields = done.stdout.split()
    if done.returncode != 0 or len(fields) != 2:
        raise InstallError("the scripts are not in a git checkout with history (or not committed yet); "
                           "commit them, or pass --commit", file=scripts_dir)
    return fields[0], datetime.fromtimestamp(int(fields[1]), tz=timezone.utc)


def _commit_time(scripts_dir: Path, commit: str) -> datetime:
    """The time of ``commit`` (UTC), or now when git does not know it."""
    try:
        done = subprocess.run(["git", "show", "-s", "--format=%ct", commit], cwd=scripts_dir,
                              capture_output=True, text=True, timeout=60)
        return datetime.fromtimestamp(int(done.stdout.strip()), tz=timezone.utc)
    except (OSError, subprocess.SubprocessError, ValueError):
        return datetime.now(timezone.utc)


def _repo_relative(scripts_dir: Path) -> str:
    """The scripts folder relative to the repository root (``reaper_scripts``), with ``/``."""
    try:
        done = subprocess.run(["git", "rev-parse", "--show-prefix"], cwd=scripts_dir, capture_output=True,
                              text=True, timeout=60)
        prefix = done.stdout.strip().strip("/") if done.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        prefix = ""
    return prefix or Path(scripts_dir).resolve().name


def reapack_index_xml(scripts_dir: Path, commit: str, time: datetime, repo_url: str = REPOSITORY_URL,
                      category: str | None = None) -> str:
    """The ReaPack ``index.xml`` listing every automix script, sources pinned to ``commit``."""
    if not re.fullmatch(r"[0-9a-f]{40}", commit):
        raise InstallError(f"the commit must be a full 40-digit git sha, got {commit!r}")
    category = category or _repo_relative(Path(scripts_dir))
    stamp = time.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             f'<index version="1" name={quoteattr(INDEX_NAME)} commit={quoteattr(commit)}>',
             f"  <category name={quoteattr(category)}>"]
    for script_name, action_name in ACTIONS:
        path = Path(scripts_dir) / script_name
        meta = script_metadata(path)
        for tag in ("version", "description", "author"):
            if not meta.get(tag):
                raise InstallError(f"ReaScript has no @{tag} header", file=path)
        url = f"{repo_url.rstrip('/')}/raw/{commit}/{quote(category + '/' + script_name)}"
        lines += [
            f'    <reapack name={quoteattr(script_name)} type="script" desc={quoteattr(meta["description"])}>',
            "      <metadata>",
            f"        <description><![CDATA[{about_rtf(meta.get('about', action_name))}]]></description>",
            "      </metadata>",
            f'      <version name={quoteattr(meta["version"])} author={quoteattr(meta["author"])} '
            f'time="{stamp}">',
            f'        <source main="main">{escape(url)}</source>',
            "      </version>",
            "    </reapack>",
        ]
    lines += ["  </category>", "</index>"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python3 -m automix.reaper.reapack [--repo-url URL] [--commit SHA] [--scripts DIR]``: rewrite ``DIR/index.xml``."""
    import argparse

    from automix.util.atomic import write_text_atomic

    parser = argparse.ArgumentParser(prog="python3 -m automix.reaper.reapack", description=main.__doc__)
    parser.add_argument("--repo-url", default=REPOSITORY_URL, help="the public GitHub repository's URL")
    parser.add_argument("--commit", help="pin the sources to this commit (default: the last one changing a script)")
    parser.add_argument("--scripts", type=Path, default=Path(__file__).resolve().parents[2] / "reaper_scripts",
                        help="the reaper_scripts/ folder (default: the checkout's)")
    args = parser.parse_args(argv)
    target = args.scripts / "index.xml"
    try:
        if not args.scripts.is_dir():
            raise InstallError("the scripts folder does not exist", file=args.scripts)
        if args.commit:
            commit, time = args.commit, _commit_time(args.scripts, args.commit)
        else:
            commit, time = git_commit_of(args.scripts)
        write_text_atomic(target, reapack_index_xml(args.scripts, commit, time, args.repo_url))
    except InstallError as exc:
        print(f"automix.reaper.reapack: error: {exc}")
        return 2
    except OSError as exc:
        print(f"automix.reaper.reapack: error: {exc.filename or target}: {exc.strerror or exc}")
        return 2
    print(f"wrote {target} (sources pinned to {commit})")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
