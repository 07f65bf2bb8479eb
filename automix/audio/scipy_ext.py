"""Compiled extension modules of the installed scipy, loaded by file without importing their packages.

Importing ``scipy.fft`` costs 0.3–0.5 s per process and ``scipy.signal``
about 1 s (they load ``scipy.special``, ``scipy.linalg`` … and copy numpy's
namespace for the array API); the few compiled kernels automix needs from
them load in a few milliseconds on their own. :func:`load_scipy_extension`
finds ``<scipy>/<folder>/<name><suffix>`` for the interpreter's extension
suffixes and executes it as the module it was built as (``scipy.<folder
dotted>.<name>``), without putting it in ``sys.modules``. Callers fall back to
the public scipy function when it returns None (another scipy layout).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path
from types import ModuleType


def load_scipy_extension(folder: str, name: str) -> ModuleType | None:
    """The extension module ``<scipy>/<folder>/<name>``, or None when it is missing or does not load.

    ``folder`` is a path inside the scipy package (``"fft/_pocketfft"``);
    ``name`` the module's own name (its ``PyInit_`` symbol).
    """
    spec = importlib.util.find_spec("scipy")  # locates the package without importing it
    if spec is None or spec.origin is None:
        return None
    base = Path(spec.origin).parent / folder
    full_name = ".".join(("scipy", *Path(folder).parts, name))
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = base / f"{name}{suffix}"
        if not path.is_file():
            continue
        try:
            loader = importlib.machinery.ExtensionFileLoader(full_name, str(path))
            module_spec = importlib.util.spec_from_file_location(full_name, str(path), loader=loader)
            module = importlib.util.module_from_spec(module_spec)
            loader.exec_module(module)
        except (ImportError, OSError):
            return None
        return module
    return None
