"""The three REAPER actions: what the scripts in ``reaper_scripts/`` call.

* :func:`auto_mix_project` — "automix: Auto-mix project": reads the open
  project, analyses and plans it exactly like ``automix mix`` does
  (:func:`automix.jobs.mix.plan_project`), applies the plan to the track chunks
  with the same edits (:func:`automix.plan.apply.apply_plan`) and writes the
  changed chunks back, as one undo step.
* :func:`resuggest_region` — "automix: Re-suggest region at edit cursor":
  the region under the edit cursor (or the one the time selection overlaps
  most) gets the next variant (the shared job :func:`automix.jobs.suggest.resuggest`);
  only that region's envelope points (and the EQ mean) change. Repeated runs
  cycle through the variants: the plan and the last variant of each region
  are kept in the project (``SetProjExtState``, section :data:`EXT_SECTION`),
  so they are saved with it and follow undo.
* :func:`learn_from_project` — "automix: Learn from this project": hands the
  saved project file to the training side's learn function, which updates
  the personal model folder.

Each builds the API object (:func:`automix.reaper.adapter.connect`) unless
given one, prints progress in REAPER's console and shows errors in a message
box. They never raise: the returned :class:`~automix.reaper.session.ActionOutcome`
says what happened.
"""

from __future__ import annotations

import base64
import json
import sys
import traceback
import zlib
from pathlib import Path
from typing import Any, Callable, Sequence

from automix.errors import AutomixError, PlanError, ProjectError, ReaperError
from automix.knowledge.sections import SongSection, section_index_at
from automix.plan.json_io import plan_to_dict
from automix.reaper.adapter import ReaperApi, TimeSelection, connect
from automix.reaper.session import (
    ActionOutcome,
    LiveProject,
    LiveTransaction,
    read_live_project,
    report_failure,
    run_undoable,
)

AUTO_MIX_TITLE = "automix: Auto-mix project"
RESUGGEST_TITLE = "automix: Re-suggest region at edit cursor"
LEARN_TITLE = "automix: Learn from this project"
"""Action names; also the undo-step names."""

EXT_SECTION = "automix"
"""Project ext-state section holding automix's live state."""

PLAN_KEY = "plan"
"""Ext-state key: the current mix plan (the plan JSON format, packed with :func:`pack_state`)."""

VARIANTS_KEY = "variants"
"""Ext-state key: ``{"<start ms>-<end ms>": last variant shown}``, packed."""

OPTIONS_KEY = "options"
"""Ext-state key: ``{"eq": bool, "pan": bool}`` the plan was made with, packed."""

STATE_PREFIX = "b64z:"
"""Marks a packed ext-state value (:func:`pack_state`)."""



# ---------------------------------------------------------------- helpers

class ConsoleStream:
    """A text stream writing whole lines to REAPER's console (for :class:`automix.util.progress.Reporter`)."""

    def __init__(self, api: ReaperApi) -> None:
        self.api = api
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text.replace("\r", "\n")
        while "\n" in self._pending:
            line, self._pending = self._pending.split("\n", 1)
            if line.strip():
                self.api.console(line)
        return len(text)

    def flush(self) -> None:
        if self._pending.strip():
            self.api.console(self._pending)
        self._pending = ""

    def isatty(self) -> bool:
        return False


def console_reporter(api: ReaperApi) -> Any:
    """A reporter printing notes and per-step details (no bars) in REAPER's console."""
    from automix.util.progress import Reporter
    return Reporter(quiet=False, verbose=True, stream=ConsoleStream(api), bars=False)


def _personal_models_dir() -> Path:
    from automix.models.bank import personal_models_dir
    return personal_models_dir()


def action_model_bank(models_dir: str | Path | None) -> Any:
    """``models_dir`` alone when given, else the personal models before the shipped ones."""
    from automix.jobs.mix import model_bank
    return model_bank(models_dir)


def pack_state(data: Any) -> str:
    """JSON-able data as an ext-state value: ``b64z:`` + base64 of zlib-compressed JSON.

    The value then holds no space, quote or line break, which REAPER would
    have to quote (lossily, for a name holding all three quote characters)
    when it saves the project.
    """
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return STATE_PREFIX + base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")


def unpack_state(value: str, *, file: str | Path | None = None) -> Any:
    """The data of :func:`pack_state` (plain JSON is accepted too); "" gives None.

    Raises:
        PlanError: the value is corrupt (names the project file).
    """
    if not value:
        return None
    try:
        if value.startswith(STATE_PREFIX):
            value = zlib.decompress(base64.b64decode(value[len(STATE_PREFIX):], validate=True)).decode("utf-8")
        return json.loads(value)
    except (ValueError, zlib.error) as exc:
        raise PlanError(f"automix's state stored in the project is unreadable ({exc}); run "
                        f"'{AUTO_MIX_TITLE}' again", file=file) from None


def stored_plan(api: ReaperApi, live: LiveProject) -> Any:
    """The plan the last auto-mix stored in the project.

    Raises:
        PlanError: none stored (run the auto-mix first) or it is unreadable.
    """
    from automix.plan.json_io import plan_from_json
    data = unpack_state(api.ext_state(EXT_SECTION, PLAN_KEY), file=live.project.path)
    if data is None:
        raise PlanError(f"this project has no automix plan yet: run '{AUTO_MIX_TITLE}' first",
                        file=live.project.path)
    return plan_from_json(json.dumps(data), file=live.project.path)


def _dict_state(api: ReaperApi, key: str, live: LiveProject) -> dict:
    value = unpack_state(api.ext_state(EXT_SECTION, key), file=live.project.path)
    return value if isinstance(value, dict) else {}


def region_key(start_s: float, end_s: float) -> str:
    """Ext-state key of a region: its bounds in milliseconds."""
    return f"{start_s * 1000:.0f}-{end_s * 1000:.0f}"


def target_section_index(sections: Sequence[SongSection], cursor_s: float, selection: TimeSelection,
                         file: str | Path | None = None) -> int:
    """The section to re-suggest: the one the time selection overlaps most, else the one under the cursor.

    Raises:
        ProjectError: the selection overlaps no section / the cursor is in none.
    """
    if not selection.is_empty:
        overlaps = [min(s.end_s, selection.end_s) - max(s.start_s, selection.start_s) for s in sections]
        best = max(range(len(sections)), key=lambda k: overlaps[k])
        if overlaps[best] > 0:
            return best
        raise ProjectError(f"the time selection {selection.start_s:g}–{selection.end_s:g} s overlaps no region",
                           file=file)
    found = section_index_at(sections, cursor_s)
    if found is None:
        names = ", ".join(f"{s.name} ({s.start_s:g}–{s.end_s:g} s)" for s in sections)
        raise ProjectError(f"the edit cursor at {cursor_s:g} s is in no region; put it inside one of: {names}",
                           file=file)
    return found


def _start(api: ReaperApi | None, title: str) -> ReaperApi | ActionOutcome:
    """The API object, or a failed outcome when REAPER cannot be reached (printed: there is no REAPER to show it)."""
    if api is not None:
        return api
    try:
        return connect()
    except AutomixError as exc:
        print(f"{title}: {exc}", file=sys.stderr)
        return ActionOutcome(False, str(exc), exc)


def _run(api: ReaperApi | None, title: str, body: Callable[[ReaperApi, LiveTransaction], str], *,
         undo: bool = True) -> ActionOutcome:
    """Run ``body`` in one undo block (``undo``) or, for an action that changes nothing, without one."""
    got = _start(api, title)
    if isinstance(got, ActionOutcome):
        return got
    reaper = got
    try:
        reaper.console(f"{title} …")
        if undo:
            outcome = run_undoable(reaper, title, lambda tx: body(reaper, tx))
        else:
            try:
                outcome = ActionOutcome(True, body(reaper, LiveTransaction(reaper)))
            except Exception as exc:  # the user must see every failure
                outcome = report_failure(reaper, title, exc, traceback.format_exc())
    except AutomixError as exc:  # the undo block could not even be opened (connection lost)
        print(f"{title}: {exc}", file=sys.stderr)
        return ActionOutcome(False, str(exc), exc)
    if outcome.ok:
        try:
            reaper.console(f"{title}: done. {outcome.summary}")
        except AutomixError:
            pass
    return outcome


# ---------------------------------------------------------------- actions

def auto_mix_project(api: ReaperApi | None = None, *, models_dir: str | Path | None = None, genre: str = "auto",
                     use_eq: bool = True, use_pan: bool = True) -> ActionOutcome:
    """Auto-mix the open project (one undo step); see the module docstring.

    Args:
        api: the REAPER API (default: connect to the running REAPER).
        models_dir: model folder (default: personal models, then the shipped ones).
        genre: ``auto`` (the ``genre:`` line of the project notes) or a genre name.
        use_eq / use_pan: as ``automix mix --no-eq / --no-pan``.
    """
    def body(reaper: ReaperApi, tx: LiveTransaction) -> str:
        from automix.jobs.mix import plan_project
        from automix.jobs.report import format_plan_text
        from automix.plan.apply import ApplyOptions, apply_plan

        live = read_live_project(reaper, progress=lambda m: reaper.console(f"automix: {m}"))
        reporter = console_reporter(reaper)
        result = plan_project(live.project, action_model_bank(models_dir), genre, use_eq=use_eq,
                              use_pan=use_pan, reporter=reporter)
        plan = result.plan
        apply_plan(live.document, live.project, plan, ApplyOptions(pan=use_pan, eq=use_eq))
        changed = tx.write_changed_tracks(live)
        tx.set_ext_state(EXT_SECTION, PLAN_KEY, pack_state(plan_to_dict(plan)))
        tx.set_ext_state(EXT_SECTION, VARIANTS_KEY, pack_state({}))
        tx.set_ext_state(EXT_SECTION, OPTIONS_KEY, pack_state({"eq": use_eq, "pan": use_pan}))
        for line in format_plan_text(plan).splitlines():
            reaper.console(line)
        return f"{changed} track(s) changed, {len(plan.regions)} region(s)."

    return _run(api, AUTO_MIX_TITLE, body)


def resuggest_region(api: ReaperApi | None = None, *, models_dir: str | Path | None = None,
                     genre: str = "auto") -> ActionOutcome:
    """Re-suggest the region under the edit cursor (or the time selection): next variant, one undo step.

    Only that region's envelope points and the automix EQ (the mean over
    regions) change. Running it again shows the next variant, after the
    last one the first again.
    """
    def body(reaper: ReaperApi, tx: LiveTransaction) -> str:
        from automix.features.analysis import project_sections
        from automix.jobs.mix import cache_for
        from automix.jobs.suggest import next_variant, resuggest, suggestion_genre

        live = read_live_project(reaper, progress=lambda m: reaper.console(f"automix: {m}"))
        project = live.project
        sections = project_sections(project)
        k = target_section_index(sections, live.cursor_s, live.time_selection, project.path)
        section = sections[k]
        current = stored_plan(reaper, live)
        options = _dict_state(reaper, OPTIONS_KEY, live)
        use_eq, use_pan = bool(options.get("eq", True)), bool(options.get("pan", True))
        bank = action_model_bank(models_dir)
        reporter = console_reporter(reaper)
        genre_id = suggestion_genre(genre, project, bank, current, reporter)
        variants = _dict_state(reaper, VARIANTS_KEY, live)
        key = region_key(section.start_s, section.end_s)
        last = variants.get(key, 0)
        variant, count = next_variant(bank, genre_id, section, last if isinstance(last, int) else None,
                                      file=project.path)
        cache = cache_for(project.path) if project.path is not None else None
        suggestion = resuggest(live.document, project, bank, genre_id, current, k, variant, use_eq=use_eq,
                               use_pan=use_pan, cache=cache, reporter=reporter)
        changed = tx.write_changed_tracks(live)
        variants[key] = variant
        tx.set_ext_state(EXT_SECTION, PLAN_KEY, pack_state(plan_to_dict(suggestion.plan)))
        tx.set_ext_state(EXT_SECTION, VARIANTS_KEY, pack_state(variants))
        return (f"region {section.name!r} ({section.start_s:g}–{section.end_s:g} s): variant {variant} of {count} "
                f"(0 = the auto-mix's choice, as 'automix suggest --variant'): {suggestion.source}; "
                f"{changed} track(s) changed.")

    return _run(api, RESUGGEST_TITLE, body)


def learn_from_project(api: ReaperApi | None = None, *, out_dir: str | Path | None = None) -> ActionOutcome:
    """Learn from the open (saved) project: its mix becomes training data for the personal model.

    Calls ``automix.training.fit.learn_from_projects([project_file], out_dir)``
    on the saved file (unsaved changes are not included: the console says so).
    Nothing in the project changes: no undo block is opened.
    """
    def body(reaper: ReaperApi, _tx: LiveTransaction) -> str:
        path = reaper.project_file()
        if path is None:
            raise ProjectError("the project has never been saved: save it, then run this action again")
        if not path.is_file():
            raise ProjectError("the saved project file is missing", file=path)
        if int(reaper.call("IsProjectDirty", reaper.project) or 0):
            reaper.console("automix: the project has unsaved changes; learning from the saved file "
                           "(save first to include them)")
        try:
            from automix.training import fit as training
        except ImportError as exc:
            raise ReaperError(f"this automix has no training module ({exc})") from exc
        learn = getattr(training, "learn_from_projects", None)
        if learn is None:
            raise ReaperError("this automix cannot learn yet: automix.training.fit.learn_from_projects is missing")
        target = Path(out_dir) if out_dir is not None else _personal_models_dir()
        reaper.console(f"automix: learning from {path} into {target}")
        result = learn([path], target)
        return f"models updated in {target}" + (f": {result}" if isinstance(result, str) and result else "")

    return _run(api, LEARN_TITLE, body, undo=False)


__all__ = ["auto_mix_project", "resuggest_region", "learn_from_project",
           "target_section_index", "region_key", "pack_state", "unpack_state", "EXT_SECTION", "PLAN_KEY",
           "VARIANTS_KEY", "OPTIONS_KEY",
           "AUTO_MIX_TITLE", "RESUGGEST_TITLE", "LEARN_TITLE"]
