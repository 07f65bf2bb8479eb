# @description automix: Re-suggest region at edit cursor
# @version 0.1.0
# @author automix contributors
# @about
#   Re-suggests the mix of the region under the edit cursor (or the time
#   selection): only that region's volume/pan points and EQ change. Running it
#   again cycles through the next-best variants. One undo step.
#   Needs the automix Python package installed for the Python that REAPER
#   uses, and Python ReaScript enabled: run `python3 install.py --enable-python`
#   from the automix folder (see README.md).
"""REAPER action "automix: Re-suggest region at edit cursor".

Calls :func:`automix.reaper.actions.resuggest_region`.

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
            show(message, "automix: Re-suggest region at edit cursor", 0)
        else:
            print(message)
        return
    reaper_actions.resuggest_region()


if __name__ == "__main__":  # REAPER runs a Python ReaScript as __main__
    main()
