"""The ReaPack index of automix's REAPER actions (``reaper_scripts/index.xml``).

ReaPack installs scripts listed in an ``index.xml``; each script carries its
metadata in a comment header (``@description``, ``@version``, ``@author``,
``@about``). :func:`reapack_index_xml` builds the index from those headers,
so ``index.xml`` is regenerated, never edited by hand. The committed index
points at :data:`REAPACK_BASE_URL`; whoever hosts a fork regenerates it with
the raw URL of their own ``reaper_scripts/`` folder::

    python3 -m automix.reaper.reapack --base-url https://example.org/automix/reaper_scripts/
"""

from __future__ import annotations

import re
from pathlib import Path

from automix.errors import InstallError
from automix.reaper.installer import ACTIONS

REAPACK_BASE_URL = "https://raw.githubusercontent.com/automix-reaper/automix/main/reaper_scripts/"
"""Where ReaPack downloads the scripts from (the repository's raw ``reaper_scripts/`` folder)."""


def script_metadata(path: Path) -> dict[str, str]:
    """The ReaPack header tags (``@description``, ``@version`` …) of a script; multi-line ``@about`` joined."""
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
            tags["about"] = (tags["about"] + "\n" + line[1:].strip()).strip()
    return tags


def reapack_index_xml(scripts_dir: Path, base_url: str = REAPACK_BASE_URL) -> str:
    """The ReaPack ``index.xml`` listing every automix script (version from each script's header)."""
    from xml.sax.saxutils import escape, quoteattr

    lines = ['<?xml version="1.0" encoding="utf-8"?>', '<index version="1" name="automix">',
             '  <category name="Mixing">']
    for script_name, action_name in ACTIONS:
        meta = script_metadata(Path(scripts_dir) / script_name)
        if "version" not in meta:
            raise InstallError("ReaScript has no @version header", file=Path(scripts_dir) / script_name)
        lines += [
            f'    <reapack name={quoteattr(script_name)} type="script" desc={quoteattr(action_name)}>',
            "      <metadata>",
            f"        <description><![CDATA[{meta.get('about', action_name).replace(']]>', ']] >')}]]></description>",
            "      </metadata>",
            f'      <version name={quoteattr(meta["version"])} author={quoteattr(meta.get("author", ""))}>',
            f'        <source main="main">{escape(base_url + script_name)}</source>',
            "      </version>",
            "    </reapack>",
        ]
    lines += ["  </category>", "</index>"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python3 -m automix.reaper.reapack [--base-url URL] [--scripts DIR]``: rewrite ``DIR/index.xml``."""
    import argparse

    from automix.util.atomic import write_text_atomic

    parser = argparse.ArgumentParser(prog="python3 -m automix.reaper.reapack", description=main.__doc__)
    parser.add_argument("--base-url", default=REAPACK_BASE_URL, help="raw URL of the reaper_scripts/ folder")
    parser.add_argument("--scripts", type=Path, default=Path(__file__).resolve().parents[2] / "reaper_scripts",
                        help="the reaper_scripts/ folder (default: the checkout's)")
    args = parser.parse_args(argv)
    base = args.base_url if args.base_url.endswith("/") else args.base_url + "/"
    target = args.scripts / "index.xml"
    try:
        write_text_atomic(target, reapack_index_xml(args.scripts, base))
    except OSError as exc:
        print(f"automix.reaper.reapack: error: {exc.filename or target}: {exc.strerror or exc}")
        return 2
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
