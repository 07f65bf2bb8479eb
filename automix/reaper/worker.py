"""The worker process: analysis, planning and learning for the REAPER actions, outside REAPER.

Run as ``<worker python> -m automix.reaper.worker <job folder>`` by the action
(:mod:`automix.reaper.runner`). It reads ``request.json`` (the action, its
options and the project snapshot), does the heavy work with numpy, scipy and
the models, appends progress lines to ``progress.txt`` and writes
``result.json`` once (see :mod:`automix.reaper.job_files`):

* ``mix`` — plans the snapshot exactly like ``automix mix``
  (:func:`automix.jobs.mix.plan_project`), applies the plan to the track
  chunks with the same edits (:func:`automix.plan.apply.apply_plan`) and
  returns the changed chunks and the plan to store;
* ``resuggest`` — the region under the edit cursor (or the one the time
  selection overlaps most) gets its next variant through the shared
  re-suggest job (:mod:`automix.jobs.suggest`);
* ``learn`` — hands the saved project file to
  :func:`automix.training.fit.learn_from_projects`.

Every failure becomes a result with the message (an :class:`AutomixError`)
or an internal error with its traceback; the exit status is 0 whenever a
result was written.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Sequence, TextIO

from automix.errors import AutomixError, PlanError, ProjectError
from automix.features.analysis import project_sections
from automix.jobs.mix import cache_for, model_bank, plan_project
from automix.jobs.report import format_plan_text
from automix.jobs.suggest import next_variant, resuggest, suggestion_genre
from automix.knowledge.sections import SongSection, section_index_at
from automix.models.bank import personal_models_dir
from automix.plan.apply import ApplyOptions, apply_plan
from automix.plan.json_io import plan_from_json, plan_to_dict
from automix.reaper.job_files import (
    PROGRESS_FILE,
    JobResult,
    read_request,
    write_result,
)
from automix.reaper.live_project import (
    LiveProject,
    changed_tracks,
    live_project_from_snapshot,
)
from automix.reaper.snapshot import ProjectSnapshot, snapshot_from_json
from automix.reaper.value_checks import value_checks
from automix.reaper.state import (
    AUTO_MIX_TITLE,
    OPTIONS_KEY,
    PLAN_KEY,
    VARIANTS_KEY,
    pack_state,
    region_key,
    unpack_state,
)
from automix.training.fit import learn_from_projects
from automix.util.progress import Reporter


def target_section_index(sections: Sequence[SongSection], cursor_s: float, selection: tuple[float, float],
                         file: str | Path | None = None) -> int:
    """The section to re-suggest: the one the time selection overlaps most, else the one under the cursor.

    Raises:
        ProjectError: the selection overlaps no section / the cursor is in none.
    """
    start_s, end_s = selection
    if end_s > start_s:
        overlaps = [min(s.end_s, end_s) - max(s.start_s, start_s) for s in sections]
        best = max(range(len(sections)), key=lambda k: overlaps[k])
        if overlaps[best] > 0:
            return best
        raise ProjectError(f"the time selection {start_s:g}–{end_s:g} s overlaps no region", file=file)
    found = section_index_at(sections, cursor_s)
    if found is None:
        names = ", ".join(f"{s.name} ({s.start_s:g}–{s.end_s:g} s)" for s in sections)
        raise ProjectError(f"the edit cursor at {cursor_s:g} s is in no region; put it inside one of: {names}",
                           file=file)
    return found


def _models_dir(options: dict) -> Path | None:
    value = options.get("models_dir")
    return Path(value) if value else None


def _stored(live: LiveProject, key: str) -> Any:
    return unpack_state(live.snapshot.ext_state.get(key, ""), file=live.project.path)


def _checks(tracks: dict[int, str]) -> dict[int, tuple]:
    """The values REAPER must read back of every changed track (:mod:`automix.reaper.value_checks`)."""
    return {index: tuple(value_checks(text)) for index, text in tracks.items()}


def run_mix(snapshot: ProjectSnapshot, options: dict, reporter: Reporter) -> JobResult:
    """The auto-mix (see the module docstring)."""

    use_eq, use_pan = bool(options.get("eq", True)), bool(options.get("pan", True))
    live = live_project_from_snapshot(snapshot)
    result = plan_project(live.project, model_bank(_models_dir(options)), options.get("genre", "auto"),
                          use_eq=use_eq, use_pan=use_pan, reporter=reporter)
    plan = result.plan
    apply_plan(live.document, live.project, plan, ApplyOptions(pan=use_pan, eq=use_eq))
    tracks = changed_tracks(live)
    state = {PLAN_KEY: pack_state(plan_to_dict(plan)), VARIANTS_KEY: pack_state({}),
             OPTIONS_KEY: pack_state({"eq": use_eq, "pan": use_pan})}
    return JobResult(True, f"{len(tracks)} track(s) changed, {len(plan.regions)} region(s).", tracks,
                     _checks(tracks), state, tuple(format_plan_text(plan).splitlines()))


def run_resuggest(snapshot: ProjectSnapshot, options: dict, reporter: Reporter) -> JobResult:
    """The re-suggestion of one region (see the module docstring)."""

    live = live_project_from_snapshot(snapshot)
    project = live.project
    sections = project_sections(project)
    k = target_section_index(sections, snapshot.cursor_s, snapshot.time_selection, project.path)
    section = sections[k]
    data = _stored(live, PLAN_KEY)
    if data is None:
        raise PlanError(f"this project has no automix plan yet: run '{AUTO_MIX_TITLE}' first", file=project.path)
    current = plan_from_json(json.dumps(data), file=project.path)
    stored_options = _stored(live, OPTIONS_KEY)
    stored_options = stored_options if isinstance(stored_options, dict) else {}
    use_eq, use_pan = bool(stored_options.get("eq", True)), bool(stored_options.get("pan", True))
    bank = model_bank(_models_dir(options))
    genre_id = suggestion_genre(options.get("genre", "auto"), project, bank, current, reporter)
    variants = _stored(live, VARIANTS_KEY)
    variants = variants if isinstance(variants, dict) else {}
    key = region_key(section.start_s, section.end_s)
    last = variants.get(key, 0)
    variant, count = next_variant(bank, genre_id, section, last if isinstance(last, int) else None,
                                  file=project.path)
    cache = cache_for(project.path) if project.path is not None else None
    suggestion = resuggest(live.document, project, bank, genre_id, current, k, variant, use_eq=use_eq,
                           use_pan=use_pan, cache=cache, reporter=reporter)
    tracks = changed_tracks(live)
    variants[key] = variant
    state = {PLAN_KEY: pack_state(plan_to_dict(suggestion.plan)), VARIANTS_KEY: pack_state(variants)}
    return JobResult(True, f"region {section.name!r} ({section.start_s:g}–{section.end_s:g} s): variant {variant} "
                           f"of {count} (0 = the auto-mix's choice, as 'automix suggest --variant'): "
                           f"{suggestion.source}; {len(tracks)} track(s) changed.", tracks, _checks(tracks), state)


def run_learn(snapshot: ProjectSnapshot, options: dict, reporter: Reporter) -> JobResult:
    """Learning from the saved project file (see the module docstring)."""
    if not snapshot.project_file:
        raise ProjectError("the project has never been saved: save it, then run this action again")
    path = Path(snapshot.project_file)
    if not path.is_file():
        raise ProjectError("the saved project file is missing", file=path)
    target = Path(options["out_dir"]) if options.get("out_dir") else personal_models_dir()
    reporter.note(f"learning from {path} into {target}")
    result = learn_from_projects([path], target)
    return JobResult(True, f"models updated in {target}" + (f": {result}" if isinstance(result, str) and result
                                                             else ""))


JOBS: dict[str, Callable[[ProjectSnapshot, dict, Reporter], JobResult]] = {
    "mix": run_mix, "resuggest": run_resuggest, "learn": run_learn}
"""Action name → job."""


def run_job(folder: Path, progress: TextIO) -> JobResult:
    """Read the request in ``folder`` and run it; every failure becomes a failed result."""
    reporter = Reporter(quiet=False, verbose=True, stream=progress, bars=False)
    try:
        action, options, snapshot = read_request(folder)
        return JOBS[action](snapshot_from_json(snapshot), options, reporter)
    except AutomixError as exc:
        return JobResult(False, error=str(exc))
    except Exception as exc:  # a bug: the user sees it in REAPER, with the traceback in the console
        return JobResult(False, error=f"internal error ({type(exc).__name__}): {exc}", internal=True,
                         details=traceback.format_exc())


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m automix.reaper.worker <job folder>``; 0 when a result was written, else 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or not Path(args[0]).is_dir():
        print(f"usage: python -m automix.reaper.worker <job folder>; got {args!r}", file=sys.stderr)
        return 2
    folder = Path(args[0])
    with open(folder / PROGRESS_FILE, "a", encoding="utf-8", buffering=1) as progress:
        result = run_job(folder, progress)
    write_result(folder, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
