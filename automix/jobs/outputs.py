"""The output checks of the commands that read a project (mix, apply, suggest, render, report).

Applies :mod:`automix.util.outputs` with the project's own inputs: the
``.rpp``, every take's media (:func:`automix.project.files.project_files`),
the plan being read and the model files of the bank in use. The project file
itself may be an output only when the user asked for it (``--in-place``, or
automix's own ``*.automix.rpp`` updated in place).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from automix.errors import OutputError
from automix.project.files import project_files
from automix.project.model import Project
from automix.util.outputs import (
    check_distinct_outputs,
    check_output_file,
    files_in,
    is_input,
)

MODEL_SUFFIXES = (".json", ".npz")


def job_inputs(project: Project, *, plan: Path | None = None, model_dirs: Iterable[Path] = ()) -> list[Path]:
    """Every file a job on ``project`` reads: project, media, the plan read, the model files."""
    found = project_files(project)
    if plan is not None:
        found.append(Path(plan))
    found += files_in(model_dirs, MODEL_SUFFIXES)
    return list(dict.fromkeys(found))


def check_job_outputs(project: Project, outputs: Sequence[tuple[str, Path | None, Sequence[str]]], *,
                      inputs: Sequence[Path], project_is_output: bool = False, force: bool = False) -> None:
    """Refuse (OutputError) any output that the policy of :mod:`automix.util.outputs` forbids.

    Args:
        project: the project the job reads.
        outputs: (what, path or None when not written, suffixes of that kind) per output.
        inputs: from :func:`job_inputs`.
        project_is_output: the user asked to rewrite the project file itself.
        force: the user's ``--force``.
    """
    own = Path(project.path) if project.path is not None else None
    written: dict[str, Path] = {}
    for what, path, suffixes in outputs:  # the same file twice with the same kind of content is one write
        if path is not None and not any(_same(path, p) and s == suffixes for w, p, s in outputs if w in written):
            written[what] = path
    check_distinct_outputs(written)
    for what, path, suffixes in outputs:
        if path is None:
            continue
        this_inputs = list(inputs)
        if own is not None and project_is_output and _same(path, own):
            this_inputs = [p for p in this_inputs if not _same(p, own)]
        elif own is not None and _same(path, own) and suffixes == (".rpp",):
            raise OutputError(f"refusing to write the {what} over the project it was read from; "
                              "use --in-place to modify the project itself (a backup is kept)", file=path)
        check_output_file(path, what, inputs=this_inputs, suffixes=suffixes, force=force)


def _same(a: Path, b: Path) -> bool:
    return is_input(a, [b]) is not None
