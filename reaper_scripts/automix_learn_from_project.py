# @description automix: Learn from this project
# @version 0.1.0
# @author automix contributors
# @about
#   Learns from the open, finished project: its faders, pans, volume/pan
#   envelopes and ReaEQ bands are exact examples of how you mix. They are added
#   to your personal automix model, used by the other automix actions.
#   Set up with `python3 install.py --enable-python`, run from the automix folder
#   with the Python (or virtual environment) that has automix: it enables Python
#   ReaScript and records in automix.json, in REAPER's resource folder, the
#   interpreter that runs automix's analysis as a separate worker process and
#   the folder REAPER's Python imports automix's thin REAPER layer from (standard
#   library only; nothing is installed into REAPER's own Python). See README.md.
"""REAPER action "automix: Learn from this project".

Calls :func:`automix.reaper.actions.learn_from_project` with REAPER's ``defer`` and
``atexit`` (:func:`automix.reaper.host.timers`): the learning runs in automix's
worker process while REAPER stays usable; the project does not change. Only the standard library and automix's thin live
layer are imported here.

Importing this file has no side effects; the action runs only when REAPER
executes it as ``__main__``.
"""

INSTALL_HINT = ("automix is not set up for this REAPER: its Python could not import automix's REAPER layer "
                "from the folder recorded in automix.json (REAPER's resource folder).\n"
                "Run: python3 install.py --enable-python  (in the automix folder, with the Python or "
                "virtual environment that has automix: it becomes automix's worker), then restart REAPER.")


def _add_automix_to_path() -> None:
    """Put the folder holding the automix package, as install.py recorded it in the REAPER resource
    folder's ``automix.json`` (``package_path``), on ``sys.path``; nothing happens when there is none."""
    import json
    import os
    import sys

    folders = []
    resource = globals().get("RPR_GetResourcePath")
    if resource is not None:
        folders.append(resource())
    here = os.path.dirname(os.path.abspath(globals().get("__file__") or "."))
    folders += [here, os.path.dirname(here), os.path.dirname(os.path.dirname(here)),
                os.path.dirname(os.path.dirname(os.path.dirname(here)))]
    for folder in folders:
        try:
            with open(os.path.join(folder, "automix.json"), "rb") as fh:
                package_path = json.loads(fh.read(65536).decode("utf-8-sig")).get("package_path")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(package_path, str) and package_path not in sys.path:
            sys.path.insert(0, package_path)
        return


def main() -> None:
    """Run the action inside REAPER; report a missing automix install in a message box."""
    _add_automix_to_path()
    try:
        from automix.reaper import actions as reaper_actions
        from automix.reaper.host import timers
    except ImportError as exc:
        message = f"{INSTALL_HINT}\n\n({exc})"
        show = globals().get("RPR_ShowMessageBox")
        if show is None:
            try:  # REAPER's own ReaScript module, present only inside REAPER
                from reaper_python import RPR_ShowMessageBox as show
            except ImportError:
                show = None
        if show is not None:
            show(message, "automix: Learn from this project", 0)
        else:
            print(message)
        return
    reaper_actions.learn_from_project(**timers(globals()))


if __name__ == "__main__":  # REAPER runs a Python ReaScript as __main__
    main()
