"""The whole job for one project, and batches of projects.

One job: read → check → resolve the genre (``--genre auto|NAME``) → analyse (feature cache)
→ plan → apply → save.

Where things go (``song.rpp``):

* the mixed project: ``-o OUT``, or ``--in-place`` (the original is kept as
  ``song.rpp-bak``), or by default ``song.automix.rpp`` next to the original
  — the original is never modified unless asked. A project already named
  ``*.automix.rpp`` is automix's own output and is updated in place.
* the plan: ``song.automix-plan.json`` beside the project (shared by
  ``song.rpp`` and ``song.automix.rpp``; ``suggest``, ``render`` and
  ``report`` read it), and ``--plan-out`` if given.
* the feature cache: ``song.rpp.automix-cache/`` (also shared).

A failing job raises :class:`~automix.errors.AutomixError` before anything is
written. :func:`run_batch` runs several projects in local processes or on a
Dask cluster (one task per project), reports each failure and finishes the others.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from automix import rpp
from automix.errors import (
    AutomixError,
    ModelError,
    OutputError,
    ProjectError,
    ProjectWriteError,
)
from automix.features.analysis import analyse_project, check_project
from automix.features.cache import FeatureCache, cache_folder_for
from automix.jobs.outputs import check_job_outputs, job_inputs
from automix.jobs.report import format_plan_text
from automix.knowledge.genres import (
    EXTRA_GENRES,
    GENRE_GROUPS,
    PAPER_GENRES,
    normalize_genre,
)
from automix.models.bank import ALL, ModelBank, default_model_dirs
from automix.plan.apply import ApplyOptions, apply_plan
from automix.plan.json_io import load_plan, save_plan
from automix.plan.model import MixPlan
from automix.plan.planner import PlanResult, make_plan
from automix.project.model import Project
from automix.project.reader import project_from_document, resolve_media_path
from automix.project.save import save_document
from automix.util.distribute import local_workers, run_tasks
from automix.util.lock import file_lock
from automix.util.outputs import PLAN_SUFFIXES, RPP_SUFFIXES, check_writable_folder
from automix.util.progress import Reporter

OUTPUT_SUFFIX = ".automix"
"""Inserted before ``.rpp`` in the default output name."""

PLAN_SUFFIX = ".automix-plan.json"


@dataclass(frozen=True)
class MixOptions:
    """Options of ``automix mix`` (see the command's ``--help``)."""

    genre: str = "auto"
    models_dir: Path | None = None
    output: Path | None = None
    in_place: bool = False
    plan_out: Path | None = None
    dry_run: bool = False
    use_eq: bool = True
    use_pan: bool = True
    use_cache: bool = True
    force: bool = False  # replace an existing file of another kind (--force)
    analysis_threads: int | None = None  # tracks analysed at once; None: one per core (at most 4)


@dataclass(frozen=True)
class JobResult:
    """Outcome of one project: ``ok``, where things were written, the plan table, notes or the error."""

    project: Path
    ok: bool
    output: Path | None = None
    plan_path: Path | None = None
    plan: MixPlan | None = None
    table: str = ""
    notes: tuple[str, ...] = ()
    error: str = ""
    seconds: float = 0.0


# ---------------------------------------------------------------- paths

def base_path(project_path: str | Path) -> Path:
    """``song.automix.rpp`` → ``song.rpp``; other paths unchanged."""
    p = Path(project_path)
    if p.stem.lower().endswith(OUTPUT_SUFFIX):
        return p.with_name(p.stem[: -len(OUTPUT_SUFFIX)] + p.suffix)
    return p


def default_output_for(project_path: str | Path) -> Path:
    """``song.rpp`` → ``song.automix.rpp``; an ``*.automix.rpp`` project maps to itself."""
    p = Path(project_path)
    if p.stem.lower().endswith(OUTPUT_SUFFIX):
        return p
    return p.with_name(p.stem + OUTPUT_SUFFIX + (p.suffix or ".rpp"))


def plan_path_for(project_path: str | Path) -> Path:
    """Where the current plan of a project is kept: ``song.automix-plan.json``."""
    b = base_path(project_path)
    return b.with_name(b.stem + PLAN_SUFFIX)


def cache_for(project_path: str | Path) -> FeatureCache:
    """The feature cache shared by a project and its automix output."""
    return FeatureCache(cache_folder_for(base_path(project_path)))


def output_path(project_path: Path, output: Path | None, in_place: bool) -> Path:
    """The file a job writes (see the module docstring); ``output`` may be a folder."""
    if in_place:
        if output is not None:
            raise ProjectError("give either -o/--output or --in-place, not both")
        return project_path
    if output is None:
        return default_output_for(project_path)
    return output / default_output_for(project_path).name if output.is_dir() else output


def check_writable(folder: Path, what: str) -> None:
    """Raise ProjectWriteError unless a file can be created in ``folder``."""
    try:
        check_writable_folder(folder, what)
    except OutputError as exc:
        raise ProjectWriteError(exc.message, file=exc.file) from None


def rebase_media_paths(doc: rpp.RppDocument, source_folder: Path, out_folder: Path) -> int:
    """Rewrite relative media ``FILE`` paths so they resolve from ``out_folder``; returns how many changed.

    Needed when a project is written into another folder (``-o``): REAPER
    resolves relative paths against the project's own folder. Absolute paths
    are left alone; the separator style (``\\`` or ``/``) of each path is kept.
    """
    changed = 0
    for source in doc.iter("SOURCE"):
        line = source.find_line("FILE")
        if line is None or not line.values:
            continue
        text = line.values[0]
        unix = text.replace("\\", "/")
        if not text or unix.startswith("/") or re.match(r"^[A-Za-z]:/", unix):
            continue
        target = resolve_media_path(text, source_folder.resolve())
        new = os.path.relpath(target, out_folder.resolve()).replace(os.sep, "/")
        if "\\" in text:
            new = new.replace("/", "\\")
        if new != text:
            line.values = [new, *line.values[1:]]
            changed += 1
    return changed


def save_project(doc: rpp.RppDocument, source: Path, out: Path) -> None:
    """Save atomically with backups (:mod:`automix.project.save`); a new ``out`` gets ``source``'s
    permissions plus the owner's write permission, so later runs can update it.

    Written into another folder than ``source``'s, relative media paths are
    rebased (:func:`rebase_media_paths`) so the media still resolve.
    """
    if source.parent.resolve() != out.parent.resolve():
        rebase_media_paths(doc, source.parent, out.parent)
    existed = out.exists()
    save_document(doc, out, keep_backup=existed)
    if not existed:
        try:
            os.chmod(out, stat.S_IMODE(os.stat(source).st_mode) | stat.S_IWUSR)
        except OSError:
            pass


def model_bank(models_dir: str | Path | None) -> ModelBank:
    """The bank of ``--models DIR``, else the personal models before the shipped ``models/``."""
    if models_dir is not None:
        d = Path(models_dir)
        if not d.is_dir():
            raise AutomixError("model folder not found", file=d)
        return ModelBank([d])
    return ModelBank(default_model_dirs())


# ---------------------------------------------------------------- genre (--genre auto|NAME)

def known_genres(bank: ModelBank | None = None) -> tuple[str, ...]:
    """Genre ids automix accepts: the papers', automix's additions, group ids and the bank's own."""
    names = set(PAPER_GENRES) | set(EXTRA_GENRES) | {g.id for g in GENRE_GROUPS}
    if bank is not None:
        names |= {normalize_genre(e.info.genre) for e in bank.entries() if e.info is not None}
    names.discard(ALL)
    return tuple(sorted(names))


def resolve_genre(requested: str | None, project_genre: str | None, bank: ModelBank | None) -> tuple[str | None, str]:
    """The genre to mix with and a sentence saying where it came from.

    Args:
        requested: ``--genre`` (None or ``auto``: from the project notes).
        project_genre: the ``genre:`` line of the project notes, if any.

    Returns:
        (genre id, or None for the all-genre models; message).

    Raises:
        ModelError: an explicitly requested genre automix does not know (lists the known ones).
    """
    known = known_genres(bank)
    if requested and requested.strip().lower() != "auto":
        g = normalize_genre(requested)
        if g == ALL:
            return None, "genre: all (models trained on every genre), from --genre"
        if g not in known:
            raise ModelError(f"unknown genre {requested!r}; known genres: {', '.join(known)} (or 'all', 'auto')")
        return g, f"genre: {g} (from --genre)"
    if project_genre:
        g = normalize_genre(project_genre)
        if g in known:
            return g, f"genre: {g} (from the project notes)"
        return None, (f"the project notes say genre {project_genre!r}, which automix does not know; "
                      f"assumed all genres (known: {', '.join(known)})")
    return None, ("no 'genre:' line in the project notes and no --genre: the genre is guessed from the "
                  "instruments (else the models trained on every genre); add a line 'genre: rock' to the notes "
                  "or pass --genre")


# ---------------------------------------------------------------- one job

def read_project_document(path: str | Path) -> tuple[rpp.RppDocument, Project]:
    """Parse a project file and build its model."""
    p = Path(path)
    if not p.is_file():
        raise ProjectError("project file not found", file=p)
    doc = rpp.load(p)
    return doc, project_from_document(doc, p, p.parent.resolve())


def plan_project(project: Project, bank: ModelBank, genre_arg: str | None, *, use_eq: bool = True,
                 use_pan: bool = True, use_cache: bool = True, reporter: Reporter | None = None,
                 analysis_threads: int | None = None) -> PlanResult:
    """Analyse and plan one project (no writing except the feature cache)."""
    reporter = reporter or Reporter.silent()
    check_project(project)
    genre, message = resolve_genre(genre_arg, project.genre, bank)
    reporter.note(message)
    cache = cache_for(project.path) if use_cache and project.path is not None else None
    analysis = analyse_project(project, cache=cache, use_cache=use_cache, reporter=reporter,
                               threads=analysis_threads)
    result = make_plan(analysis, bank, genre, use_eq=use_eq, use_pan=use_pan)
    if result.genre_note:
        reporter.note(result.genre_note)
    for note in analysis.notes + result.plan.notes:
        reporter.note(note)
    result = replace(result, plan=replace(result.plan, notes=result.plan.notes + analysis.notes))
    for sec, src in zip(analysis.sections, result.sources):
        reporter.detail(f"{sec.name}: {src}")
    for entry in bank.entries():
        if entry.info is None:
            reporter.note(f"model file not used: {entry.error}")
    missing = [sec.name for sec, src in zip(analysis.sections, result.sources) if src.startswith("published")]
    if missing:
        where = ", ".join(str(d) for d in bank.directories)
        broken = sum(e.info is None for e in bank.entries())
        reporter.note(f"no usable model in {where} for {', '.join(missing)}"
                      f"{f' ({broken} unreadable model file(s), above)' if broken else ''}: used published mixing "
                      f"practice figures there (pass --models DIR for a trained model folder)")
    return result


def run_mix_job(project_path: str | Path, options: MixOptions, reporter: Reporter | None = None) -> JobResult:
    """Mix one project; raises AutomixError (nothing written) on failure, naming the project.

    While it runs, the file it writes is locked (:func:`automix.util.lock.file_lock`):
    a second run writing the same file is refused.
    """
    try:
        path = Path(project_path)
        writes = None if options.dry_run else output_path(path, options.output, options.in_place)
        with nullcontext() if writes is None else file_lock(writes, what="mixed project"):
            return _mix_job(path, options, reporter)
    except AutomixError as exc:
        if exc.file is not None:
            raise
        raise type(exc)(exc.message, file=project_path, line=exc.line, track=exc.track,
                        region=exc.region) from exc


def _mix_job(project_path: Path, options: MixOptions, reporter: Reporter | None) -> JobResult:
    reporter = reporter or Reporter.silent()
    start = time.monotonic()
    path = Path(project_path)
    doc, project = read_project_document(path)
    out = output_path(path, options.output, options.in_place)
    plan_path = plan_path_for(out)
    if not options.dry_run:
        check_writable(out.parent, "mixed project")
        if options.plan_out is not None:
            check_writable(options.plan_out.parent, "plan")
    bank = model_bank(options.models_dir)
    writes = None if options.dry_run else out
    check_job_outputs(project, [("mixed project", writes, RPP_SUFFIXES),
                                ("plan", None if writes is None else plan_path, PLAN_SUFFIXES),
                                ("--plan-out plan", options.plan_out, PLAN_SUFFIXES)],
                      inputs=job_inputs(project, model_dirs=bank.directories),
                      project_is_output=options.in_place or (options.output is None and out == path),
                      force=options.force)
    result = plan_project(project, bank, options.genre, use_eq=options.use_eq, use_pan=options.use_pan,
                          use_cache=options.use_cache, reporter=reporter, analysis_threads=options.analysis_threads)
    plan = result.plan
    for note in apply_plan(doc, project, plan, ApplyOptions(pan=options.use_pan, eq=options.use_eq)):
        reporter.note(note + ("" if options.in_place else f" (the original {path.name} keeps it)"))
    if not options.dry_run:
        save_project(doc, path, out)
        save_plan(plan, plan_path)
        if options.plan_out is not None:
            save_plan(plan, options.plan_out)
    elif options.plan_out is not None:
        save_plan(plan, options.plan_out)
    return JobResult(path, True, None if options.dry_run else out, None if options.dry_run else plan_path, plan,
                     format_plan_text(plan), tuple(reporter.notes), "", time.monotonic() - start)


def mix_one(project_path: Path, options: MixOptions) -> JobResult:
    """:func:`run_mix_job` with errors turned into a failed :class:`JobResult` (for batches)."""
    reporter = Reporter(quiet=True)
    start = time.monotonic()
    try:
        return run_mix_job(project_path, options, reporter)
    except AutomixError as exc:
        return JobResult(Path(project_path), False, notes=tuple(reporter.notes), error=str(exc),
                         seconds=time.monotonic() - start)


# ---------------------------------------------------------------- batches

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


def load_current_plan(project_path: Path, plan_arg: Path | None) -> MixPlan | None:
    """The plan given with ``--plan``, else the one saved beside the project, else None."""
    if plan_arg is not None:
        return load_plan(plan_arg)
    saved = plan_path_for(project_path)
    return load_plan(saved) if saved.is_file() else None
