"""Saving a mixed project together with its plan(s): all of them or none, and an exact report.

:func:`save_project` writes, for a project saved to ``out``:

1. the backups of ``out`` when it exists (``.automix-original.rpp-bak``
   the first time, ``.rpp-bak`` always; :mod:`automix.project.save`),
2. each plan file (the plan beside the project, ``--plan-out``),
3. the project itself,

each first to a temporary file beside its target
(:class:`~automix.util.atomic.StagedWrites`). Only when every temporary is
fully on disk are they renamed over their targets, in that order, the project
last. A full disk (or any write error) while writing the temporaries leaves
every file as it was; a rename refused halfway (rare: renames need no space)
leaves the files before it replaced and the rest as they were. Either way
:class:`~automix.errors.ProjectWriteError` says which file failed and why, and
the state of every output: the project (the old one or the new mix), each
backup, each plan, and the feature cache entries this run wrote.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from automix import rpp
from automix.errors import ProjectWriteError
from automix.features.cache import FeatureCache
from automix.jobs.project_paths import rebase_media_paths
from automix.plan.json_io import plan_to_json
from automix.plan.model import MixPlan
from automix.project.save import PROJECT_WHAT, backups_to_make, encode_for_save, stage_backups
from automix.util.atomic import StagedWrites, check_replaceable, real_target


def save_project(doc: rpp.RppDocument, source: Path, out: Path, *,
                 plans: Sequence[tuple[str, Path, MixPlan]] = (), cache: FeatureCache | None = None) -> None:
    """Save ``doc`` to ``out`` with its backups and the ``plans`` (what, path, plan), all or none.

    A new ``out`` gets ``source``'s permissions plus the owner's write
    permission, so later runs can update it. Written into another folder than
    ``source``'s, relative media paths are rebased. ``cache``: the feature
    cache this run wrote, reported when the save fails.

    Raises:
        ProjectWriteError: nothing could be saved, or not all of it; the
            message names the failing file and the state of every output.
    """
    if source.parent.resolve() != out.parent.resolve():
        rebase_media_paths(doc, source.parent, out.parent)
    target = real_target(out)
    existed = target.exists()
    data = encode_for_save(rpp.dumps(doc), out)
    texts = [(what, real_target(path), plan_to_json(plan).encode("utf-8")) for what, path, plan in plans]
    outputs = [(PROJECT_WHAT, target), *backups_to_make(target), *((w, p) for w, p, _ in texts)]
    existing = {p for _, p in outputs if p.exists()}
    try:
        check_replaceable(target)
    except OSError as exc:
        raise ProjectWriteError(f"could not save project: {exc.strerror or exc}", file=out) from None
    staged = StagedWrites()
    try:
        stage_backups(staged, target)
        for what, path, text in texts:
            staged.stage_bytes(path, what, text)
        staged.stage_bytes(target, PROJECT_WHAT, data)
        staged.commit()
    except OSError as exc:
        staged.discard()
        raise ProjectWriteError(_failure_message(exc, staged, outputs, existing, cache), file=out) from None
    if not existed:
        try:
            os.chmod(target, stat.S_IMODE(os.stat(source).st_mode) | stat.S_IWUSR)
        except OSError:
            pass


def _failure_message(exc: OSError, staged: StagedWrites, outputs: list[tuple[str, Path]], existing: set[Path],
                     cache: FeatureCache | None) -> str:
    """What failed, then the state of every output (see the module docstring)."""
    target = outputs[0][1]
    what, path = staged.failed if staged.failed is not None else ("file", Path(exc.filename or "?"))
    step = "renaming into place" if staged.committed or any(f.target == path for f in staged.staged) else "writing"
    written = {f.target for f in staged.committed}
    states = []
    for w, p in outputs:
        if p in written:
            state = "the new mix" if w == PROJECT_WHAT else "written"
        elif p in existing:
            state = "the project as it was, unchanged" if w == PROJECT_WHAT else "unchanged"
        else:
            state = "not written"
        states.append(f"{w} {p.name if p.parent == target.parent else p}: {state}")
    if cache is not None:
        summary = cache.store_summary()
        states.append(summary or f"feature cache {cache.folder}: nothing written by this run")
    head = "nothing was replaced" if not written else f"{len(written)} of {len(outputs)} file(s) replaced"
    return (f"could not save the mix: {exc.strerror or exc} while {step} the {what} {path}; {head}. "
            + "; ".join(states))
