"""Where REAPER keeps its resource folder (``reaper.ini``, ``Scripts/``, ``reaper-kb.ini``).

Standard places: ``%APPDATA%\\REAPER`` (Windows), ``~/Library/Application
Support/REAPER`` (macOS), ``$XDG_CONFIG_HOME/REAPER`` or ``~/.config/REAPER``
(Linux); a portable install keeps ``reaper.ini`` beside the REAPER program
and is its own resource folder. :func:`find_resource_path` takes an explicit
folder first, then a portable install in the working folder, then the
standard one for the platform.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Mapping

from automix.errors import InstallError


def default_resource_paths(platform: str = sys.platform, env: Mapping[str, str] = os.environ,
                           home: Path | None = None) -> list[Path]:
    """REAPER's standard resource folder for ``platform`` (may not exist)."""
    home = home if home is not None else Path.home()
    if platform.startswith("win"):
        appdata = env.get("APPDATA")
        return [Path(appdata) / "REAPER"] if appdata else [home / "AppData" / "Roaming" / "REAPER"]
    if platform == "darwin":
        return [home / "Library" / "Application Support" / "REAPER"]
    config = env.get("XDG_CONFIG_HOME")
    paths = [Path(config) / "REAPER"] if config else []
    return paths + [home / ".config" / "REAPER"]


def is_portable_install(folder: Path) -> bool:
    """True for a portable REAPER folder: ``reaper.ini`` beside the REAPER program."""
    return (folder / "reaper.ini").is_file() and any(
        (folder / exe).exists() for exe in ("reaper.exe", "reaper", "REAPER.app", "REAPER64.app"))


def find_resource_path(explicit: str | Path | None = None, *, platform: str = sys.platform,
                       env: Mapping[str, str] = os.environ, home: Path | None = None,
                       cwd: Path | None = None) -> Path:
    """The REAPER resource folder: ``explicit``, else a portable install in ``cwd``, else the standard one."""
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_dir():
            raise InstallError("the given REAPER resource path is not a folder", file=path)
        return path.resolve()
    cwd = cwd if cwd is not None else Path.cwd()
    if is_portable_install(cwd):
        return cwd.resolve()
    tried = default_resource_paths(platform, env, home)
    for path in tried:
        if path.is_dir():
            return path.resolve()
    raise InstallError("REAPER's resource folder was not found (looked in "
                       + ", ".join(str(p) for p in tried)
                       + "); start REAPER once, or pass --resource-path (Options > Show resource path)")


__all__ = ["default_resource_paths", "is_portable_install", "find_resource_path"]
