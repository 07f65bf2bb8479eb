"""One module per ``automix`` sub-command; see :mod:`automix.cli`."""
