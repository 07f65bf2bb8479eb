"""``--jobs N`` and ``--scheduler local:N|ADDRESS``: where the projects or songs of a command run.

Shared by ``mix`` (one task per project) and ``train`` / ``learn`` / ``evaluate``
(one task per song); see :mod:`automix.util.distribute`.
"""

from __future__ import annotations

import argparse

from automix.errors import AutomixError
from automix.util.distribute import SCHEDULER_HELP, parse_scheduler


def add_parallel_arguments(p: argparse.ArgumentParser, what: str) -> None:
    """Add ``--jobs`` and ``--scheduler``; ``what`` names the unit of work (``projects``, ``songs``)."""
    p.add_argument("--jobs", type=int, default=1, metavar="N", help=f"{what} processed in parallel on this "
                   "machine (default 1)")
    p.add_argument("--scheduler", metavar="local:N|ADDRESS", help=SCHEDULER_HELP)


def parallel_from_args(args: argparse.Namespace) -> tuple[int, str | None]:
    """``(jobs, scheduler)`` checked: jobs >= 1, a valid scheduler, not both.

    Raises:
        AutomixError: a bad value (named), or both options given.
    """
    jobs = int(getattr(args, "jobs", 1))
    value = getattr(args, "scheduler", None)
    if jobs < 1:
        raise AutomixError(f"--jobs must be >= 1, got {jobs}")
    scheduler = None if value is None else parse_scheduler(value)
    if scheduler is not None and jobs != 1:
        raise AutomixError("give either --jobs (local processes) or --scheduler (Dask), not both")
    return jobs, scheduler
