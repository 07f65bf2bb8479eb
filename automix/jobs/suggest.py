"""Re-suggest one region: the job behind ``automix suggest`` and the REAPER action.

:func:`resuggest` is the shared part: analyse (through the feature cache),
plan the region with another variant (:func:`automix.plan.suggest.suggest_region`),
put it into the current plan and update only that region's envelope points
and the automix ReaEQ in the document, in memory. The caller decides which
region and variant, and where the result goes:

* :func:`suggest_in_file` (``automix suggest``): the region by name or time,
  the plan saved beside the project, the project saved atomically;
* the REAPER action (:mod:`automix.reaper.actions`): the region under the
  edit cursor, the next variant (:func:`next_variant`), the changed track
  chunks written back as one undo step.

Variant 0 is what the auto-mix chose; variant N is entry N of
:func:`automix.plan.sources.section_sources`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from automix.errors import PlanError
from automix.features.analysis import analyse_project, check_project, project_sections
from automix.features.cache import FeatureCache
from automix.jobs.mix import (
    cache_for,
    check_writable,
    load_current_plan,
    model_bank,
    output_path,
    plan_path_for,
    read_project_document,
    resolve_genre,
    save_project,
)
from automix.jobs.outputs import check_job_outputs, job_inputs
from automix.knowledge.sections import SongSection, section_index_at
from automix.models.bank import ALL, ModelBank
from automix.plan.apply import ApplyOptions, update_region
from automix.plan.json_io import check_plan_matches_project
from automix.plan.model import BOUNDS_TOLERANCE_S, MixPlan, RegionPlan, replace_region
from automix.plan.planner import make_plan
from automix.plan.sources import SectionSource, section_sources
from automix.plan.suggest import suggest_region
from automix.project.model import Project
from automix.rpp import RppDocument
from automix.util.lock import file_lock
from automix.util.outputs import PLAN_SUFFIXES, RPP_SUFFIXES, is_input
from automix.util.progress import Reporter


@dataclass(frozen=True)
class Suggestion:
    """One re-suggested region.

    Attributes:
        plan: the whole plan with the region replaced.
        region: the new region plan.
        previous: the region as it was in the current plan.
        source: what the variant's settings come from (e.g. ``model rock × all``).
        variant: the variant used (0 = the auto-mix's choice).
        section_index: index of the region among the song sections.
    """

    plan: MixPlan
    region: RegionPlan
    previous: RegionPlan
    source: str
    variant: int
    section_index: int


@dataclass(frozen=True)
class SuggestOptions:
    """Options of ``automix suggest`` (see the command's ``--help``); ``region`` or ``at_s`` picks the region."""

    region: str | None = None
    at_s: float | None = None
    variant: int = 1
    plan: Path | None = None
    genre: str = "auto"
    models_dir: Path | None = None
    use_pan: bool = True
    output: Path | None = None
    in_place: bool = False
    dry_run: bool = False
    force: bool = False  # replace an existing file of another kind (--force)


# ---------------------------------------------------------------- choices

def suggestion_genre(requested: str, project: Project, bank: ModelBank, current: MixPlan | None,
                     reporter: Reporter) -> str | None:
    """The genre to re-suggest with: ``auto`` keeps the current plan's genre (None = all genres).

    Without a current plan, or with an explicit genre, it is resolved as for
    ``automix mix`` (:func:`automix.jobs.mix.resolve_genre`) and the reporter
    notes where it came from.
    """
    if requested == "auto" and current is not None:
        return None if current.genre == ALL else current.genre
    genre, message = resolve_genre(requested, project.genre, bank)
    reporter.note(message)
    return genre


def pick_section(sections: tuple[SongSection, ...], *, region: str | None = None, at_s: float | None = None,
                 file: str | Path | None = None) -> int:
    """Index of the section named ``region`` (case-insensitive) or else containing ``at_s``.

    Raises:
        PlanError: no such region, several regions of that name, or no region
            at that time (naming the regions and their bounds).
    """
    listing = ", ".join(f"{s.name!r} ({s.start_s:g}–{s.end_s:g} s)" for s in sections)
    if region is not None:
        hits = [k for k, s in enumerate(sections) if s.name.strip().lower() == region.strip().lower()]
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise PlanError(f"no region named {region!r}; regions: {listing}", file=file)
        raise PlanError(f"{len(hits)} regions are named {region!r}; pick one with --at SECONDS: {listing}", file=file)
    if at_s is None:
        raise PlanError("say which region: a name or a time in seconds", file=file)
    k = section_index_at(sections, at_s)
    if k is None:
        raise PlanError(f"no region contains {at_s:g} s (song regions span "
                        f"{sections[0].start_s:g}–{sections[-1].end_s:g} s)", file=file)
    return k


def next_variant(bank: ModelBank, genre: str | None, section: SongSection, last: int | None, *,
                 file: str | Path | None = None) -> tuple[int, int]:
    """``(variant, count)``: the variant after ``last`` (1 when None), cycling through the section's ``count``.

    Raises:
        PlanError: the installed models give only one suggestion for the section.
    """
    count = len(section_sources(bank, genre, section.section))
    if count < 2:
        raise PlanError("automix has only one suggestion for this region with the installed models; "
                        "install or learn more models for more variants", file=file, region=section.name)
    return ((last + 1) % count if last is not None else 1), count


# ---------------------------------------------------------------- the shared job

def resuggest(document: RppDocument, project: Project, bank: ModelBank, genre: str | None,
              current: MixPlan | None, section_index: int, variant: int, *, use_eq: bool | None = None,
              use_pan: bool = True, cache: FeatureCache | None = None, plan_file: str | Path | None = None,
              reporter: Reporter | None = None) -> Suggestion:
    """Re-suggest section ``section_index`` with ``variant``; updates ``document`` in memory only.

    Args:
        document / project: the project's chunk tree and its model.
        current: the plan the document was mixed with; None plans the whole
            song first (noted by the reporter).
        use_eq: None: EQ when the current plan has any.
        cache: the feature cache (None: analyse without one).
        plan_file: where ``current`` came from, for error messages.

    Raises:
        PlanError: the plan does not fit the project, or the variant does not exist.
    """
    reporter = reporter or Reporter.silent()
    if current is not None:
        check_plan_matches_project(current, project, file=plan_file)
    analysis = analyse_project(project, cache=cache, use_cache=cache is not None, reporter=reporter)
    if current is None:
        reporter.note("no saved plan for this project; planned the whole song first")
        current = make_plan(analysis, bank, genre, use_pan=use_pan).plan
    if use_eq is None:
        use_eq = any(t.eq for r in current.regions for t in r.tracks)
    region, source = suggest_region(analysis, bank, genre, current, section_index, variant, use_eq=use_eq,
                                    use_pan=use_pan)
    plan = replace_region(current, region)
    update_region(document, project, plan, region, ApplyOptions(pan=use_pan, eq=use_eq))
    previous = next(r for r in current.regions if abs(r.start_s - region.start_s) <= BOUNDS_TOLERANCE_S
                    and abs(r.end_s - region.end_s) <= BOUNDS_TOLERANCE_S)
    return Suggestion(plan, region, previous, source, variant, section_index)


# ---------------------------------------------------------------- automix suggest

@dataclass(frozen=True)
class _SuggestionJob:
    """A project opened for ``automix suggest``: its document, model bank, current plan, genre, the picked section."""

    document: RppDocument
    project: Project
    bank: ModelBank
    current: MixPlan | None
    genre: str | None
    sections: tuple[SongSection, ...]
    index: int


def _open_suggestion(project_path: Path, options: SuggestOptions, reporter: Reporter) -> _SuggestionJob:
    """Read the project, its current plan and the models, and pick the section ``options`` names."""
    document, project = read_project_document(project_path)
    check_project(project)
    bank = model_bank(options.models_dir)
    current = load_current_plan(project_path, options.plan)
    genre = suggestion_genre(options.genre, project, bank, current, reporter)
    sections = project_sections(project)
    k = pick_section(sections, region=options.region, at_s=options.at_s, file=project_path)
    return _SuggestionJob(document, project, bank, current, genre, sections, k)


def list_variants(project_path: Path, options: SuggestOptions,
                  reporter: Reporter | None = None) -> tuple[SongSection, tuple[SectionSource, ...]]:
    """The region ``options`` picks and its variants (best first); reads no audio."""
    job = _open_suggestion(project_path, options, reporter or Reporter.silent())
    section = job.sections[job.index]
    return section, section_sources(job.bank, job.genre, section.section)


def suggest_in_file(project_path: Path, options: SuggestOptions,
                    reporter: Reporter | None = None) -> tuple[Suggestion, Path]:
    """Re-suggest one region of a project file; returns the suggestion and the project file written.

    The project goes where ``automix mix`` would write it (``-o``,
    ``--in-place`` or ``*.automix.rpp``), the plan beside it; nothing is
    written with ``dry_run`` or when anything fails.
    """
    reporter = reporter or Reporter.silent()
    job = _open_suggestion(project_path, options, reporter)
    document, project, bank, current, genre, k = job.document, job.project, job.bank, job.current, job.genre, job.index
    out = output_path(project_path, options.output, options.in_place)
    if not options.dry_run:
        check_writable(out.parent, "project")
        saved = plan_path_for(out)  # the plan suggest updates by design may be the one it read
        read = None if options.plan is None or is_input(saved, [options.plan]) else options.plan
        check_job_outputs(project, [("mixed project", out, RPP_SUFFIXES), ("plan", saved, PLAN_SUFFIXES)],
                          inputs=job_inputs(project, plan=read, model_dirs=bank.directories),
                          project_is_output=options.in_place or (options.output is None and out == project_path),
                          force=options.force)
    suggestion = resuggest(document, project, bank, genre, current, k, options.variant, use_pan=options.use_pan,
                           cache=cache_for(project_path), plan_file=options.plan or plan_path_for(project_path),
                           reporter=reporter)
    if not options.dry_run:
        with file_lock(out, what="project"):
            save_project(document, project_path, out, plans=[("plan", plan_path_for(out), suggestion.plan)])
    return suggestion, out


__all__ = ["Suggestion", "SuggestOptions", "suggestion_genre", "pick_section", "next_variant", "resuggest",
           "list_variants", "suggest_in_file"]
