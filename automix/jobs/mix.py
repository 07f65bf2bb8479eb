"""The whole job for one project.

One job: read → check → resolve the genre (``--genre auto|NAME``) → analyse (feature cache)
→ plan → apply → save the project with its plan(s) (:mod:`automix.jobs.save_outputs`:
all of them or none, the failure reported file by file). Where the outputs go is
:mod:`automix.jobs.project_paths`; batches of projects are :mod:`automix.jobs.batch`.

A failing job raises :class:`~automix.errors.AutomixError` naming the project;
before saving, nothing but feature cache entries has been written.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path

from automix import rpp
from automix.errors import AutomixError, ModelError, ProjectError
from automix.features.analysis import analyse_project, check_project
from automix.features.cache import FeatureCache
from automix.jobs.outputs import check_job_outputs, job_inputs
from automix.jobs.project_paths import (
    base_path,
    cache_for,
    check_writable,
    default_output_for,
    output_path,
    plan_path_for,
)
from automix.jobs.report import format_plan_text
from automix.jobs.save_outputs import save_project
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
from automix.project.reader import project_from_document
from automix.util.lock import file_lock
from automix.util.outputs import PLAN_SUFFIXES, RPP_SUFFIXES
from automix.util.progress import Reporter

__all__ = ["MixOptions", "JobResult", "base_path", "cache_for", "check_writable", "default_output_for",
           "known_genres", "load_current_plan", "model_bank", "output_path", "plan_path_for", "plan_project",
           "read_project_document", "resolve_genre", "run_mix_job", "save_project"]

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
                 analysis_threads: int | None = None, cache: FeatureCache | None = None) -> PlanResult:
    """Analyse and plan one project (no writing except the feature cache: ``cache``, default the project's)."""
    reporter = reporter or Reporter.silent()
    check_project(project)
    genre, message = resolve_genre(genre_arg, project.genre, bank)
    reporter.note(message)
    if cache is None and use_cache and project.path is not None:
        cache = cache_for(project.path)
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
    cache = cache_for(path) if options.use_cache else None
    result = plan_project(project, bank, options.genre, use_eq=options.use_eq, use_pan=options.use_pan,
                          use_cache=options.use_cache, reporter=reporter, analysis_threads=options.analysis_threads,
                          cache=cache)
    plan = result.plan
    for note in apply_plan(doc, project, plan, ApplyOptions(pan=options.use_pan, eq=options.use_eq)):
        reporter.note(note + ("" if options.in_place else f" (the original {path.name} keeps it)"))
    if not options.dry_run:
        plans = [("plan", plan_path, plan)]
        if options.plan_out is not None:
            plans.append(("--plan-out plan", options.plan_out, plan))
        save_project(doc, path, out, plans=plans, cache=cache)
    elif options.plan_out is not None:
        save_plan(plan, options.plan_out)
    return JobResult(path, True, None if options.dry_run else out, None if options.dry_run else plan_path, plan,
                     format_plan_text(plan), tuple(reporter.notes), "", time.monotonic() - start)


def load_current_plan(project_path: Path, plan_arg: Path | None) -> MixPlan | None:
    """The plan given with ``--plan``, else the one saved beside the project, else None."""
    if plan_arg is not None:
        return load_plan(plan_arg)
    saved = plan_path_for(project_path)
    return load_plan(saved) if saved.is_file() else None
