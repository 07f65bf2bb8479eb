#!/usr/bin/env python3
"""Install automix into REAPER: ``python3 install.py [--enable-python] [--dry-run] [--uninstall]``.

Copies the actions in ``reaper_scripts/`` into REAPER's resource folder,
registers them in ``reaper-kb.ini``, optionally enables Python ReaScript in
``reaper.ini`` (REAPER loads the base interpreter's shared libpython), makes
sure the worker interpreter (this Python, or its virtual environment) has automix
and records it in ``automix.json`` in the resource folder. All the logic lives
in :mod:`automix.reaper.installer`; run with ``--help`` for the options.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    """Run the installer from this checkout; returns the exit status."""
    sys.path.insert(0, str(HERE))
    from automix.reaper.installer import main as installer_main

    return installer_main(argv, scripts_dir=HERE / "reaper_scripts", package_source=HERE)


if __name__ == "__main__":
    sys.exit(main())
