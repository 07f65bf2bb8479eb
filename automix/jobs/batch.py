"""Batches of projects: each mixed by :func:`automix.jobs.mix.run_mix_job`, in local processes or on Dask.

:func:`run_batch` runs one task per project (``--jobs N`` local processes, or
a Dask scheduler), reports each failure and finishes the others; results come
back in the order the projects were given.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

from automix.errors import AutomixError, ProjectError
from automix.jobs.mix import JobResult, MixOptions, run_mix_job
from automix.jobs.project_paths import OUTPUT_SUFFIX
from automix.util.distribute import local_workers, run_tasks
from automix.util.progress import Reporter


def mix_one(project_path: Path, options: MixOptions) -> JobResult:
    """:func:`run_mix_job` with errors turned into a failed :class:`JobResult` (for batches)."""
    reporter = Reporter(quiet=True)
    start = time.monotonic()
    try:
        return run_mix_job(project_path, options, reporter)
    except AutomixError as exc:
        return JobResult(Path(project_path), False, notes=tuple(reporter.notes), error=str(exc),
                         seconds=time.monotonic() - start)


def collect_projects(paths: Sequence[str | Path]) -> list[Path]:
    """Project files from files and folders (a folder gives its ``*.rpp``, not automix outputs)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(f for f in p.glob("*.rpp") if f.is_file() and not f.stem.lower().endswith(OUTPUT_SUFFIX)
                            and f.suffix.lower() == ".rpp")
        else:
            found.append(p)
    if not found:
        raise ProjectError(f"no .rpp projects in {', '.join(map(str, paths))}")
    return list(dict.fromkeys(found))


def run_batch(paths: Sequence[str | Path], options: MixOptions, *, jobs: int = 1, scheduler: str | None = None,
              reporter: Reporter | None = None,
              job: Callable[[Path, MixOptions], JobResult] = mix_one) -> list[JobResult]:
    """Mix several projects; every project gets a result, failures included, in the order given.

    Args:
        jobs: projects mixed at once in local processes (when ``scheduler`` is None).
        scheduler: ``local:N`` or a Dask scheduler address: one task per project on
            its workers (see :mod:`automix.util.distribute`); the workers must see the
            projects and their media at the same paths.
        job: the function run per project (:func:`mix_one`).
    """
    reporter = reporter or Reporter.silent()
    projects = collect_projects(paths)
    if options.output is not None and len(projects) > 1 and not options.output.is_dir():
        raise ProjectError("with several projects, -o must be an existing folder", file=options.output)
    if options.plan_out is not None and len(projects) > 1:
        raise ProjectError("--plan-out works with one project; plans are also saved beside each project")
    sharing = local_workers(scheduler) if scheduler is not None else (min(jobs, len(projects)) if jobs > 1 else None)
    if sharing is not None and options.analysis_threads is None:  # the processes share this machine's cores
        options = replace(options, analysis_threads=max(1, (os.cpu_count() or 1) // sharing))
    with reporter.progress(len(projects), "mixing projects") as bar:
        return run_tasks(partial(job, options=options), projects, jobs=jobs, scheduler=scheduler,
                         on_done=lambda i, res: bar.advance(what=res.project.name),
                         on_lost=lambda project, message: JobResult(Path(project), False, error=message))


def batch_summary(results: Sequence[JobResult]) -> str:
    """Lines summarising a batch: one per project, then totals."""
    lines = []
    for r in results:
        if r.ok:
            where = r.output if r.output is not None else "(dry run, nothing written)"
            lines.append(f"  ok      {r.project}  ->  {where}  ({r.seconds:.1f} s)")
        else:
            lines.append(f"  FAILED  {r.project}: {r.error}")
    failed = sum(not r.ok for r in results)
    lines.append(f"{len(results) - failed} of {len(results)} projects mixed, {failed} failed")
    return "\n".join(lines) + "\n"
