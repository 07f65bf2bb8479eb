# @description automix: Auto-mix project
# @version 0.1.0
# @author automix contributors
# @about
#   Sets a basic mix of the open project: per-track volume, pan and EQ for every
#   region (intro, verse, chorus ...), chosen by a model of how engineers mix the
#   project's genre (a 'genre: NAME' line in the project notes). Writes ordinary
#   volume/pan envelope points and one ReaEQ per track, as one undo step.
#   Needs the automix Python package installed for the Python that REAPER
#   uses, and Python ReaScript enabled: run `python3 install.py --enable-python`
#   from the automix folder (see README.md).
"""REAPER action "automix: Auto-mix project".

Calls :func:`automix.reaper.actions.auto_mix_project`.

Importing this file has no side effects; the action runs only when REAPER
executes it as ``__main__``.
"""

INSTALL_HINT = ("automix is not installed for the Python REAPER uses.\n"
                "Run: python3 install.py --enable-python  (in the automix folder), then restart REAPER.")


def main() -> None:
    """Run the action inside REAPER; report a missing automix install in a message box."""
    try:
        from automix.reaper import actions as reaper_actions
    except ImportError as exc:
        message = f"{INSTALL_HINT}\n\n({exc})"
        show = globals().get("RPR_ShowMessageBox")
        if show is None:
            try:  # REAPER's own ReaScript module, present only inside REAPER
                from reaper_python import RPR_ShowMessageBox as show
            except ImportError:
                show = None
        if show is not None:
            show(message, "automix: Auto-mix project", 0)
        else:
            print(message)
        return
    reaper_actions.auto_mix_project()


if __name__ == "__main__":  # REAPER runs a Python ReaScript as __main__
    main()
