"""``python -m automix`` runs the command line."""

import sys

from automix.cli import main

sys.exit(main())
