"""Run one function over many items: in this process, in a local process pool, or on a Dask cluster.

The batch code of automix (``mix`` over projects, ``train`` / ``learn`` /
``evaluate`` over songs) hands :func:`run_tasks` one picklable function and
a list of items; the same function runs whatever the place:

* ``scheduler=None, jobs=1``: one after the other in this process;
* ``scheduler=None, jobs=N``: ``N`` processes of this machine
  (:class:`concurrent.futures.ProcessPoolExecutor`);
* ``scheduler="local:N"``: a Dask ``LocalCluster`` of ``N`` single-threaded
  worker processes, started and stopped here;
* ``scheduler="tcp://host:8786"`` (or ``host:8786``): the workers of a running
  Dask cluster (``dask scheduler`` + ``dask worker ADDRESS``). Workers read the
  items' files themselves, so they must see the same paths (shared storage).

Results come back in the order of the items. An :class:`~automix.errors.AutomixError`
raised by the function is raised here unchanged (the first in item order) and
is not retried; any other exception is retried once on Dask (``retries=1``).
A task whose worker process dies is run again once: on another Dask worker
(``local:N`` clusters allow one such failure; a running cluster applies its
own ``distributed.scheduler.allowed-failures``), or locally in a process of
its own (a dead process breaks the whole local pool: every unfinished task of
that pool runs again, each alone, so that a task that kills its process again
is told apart from the others). When it is lost again, ``on_lost(item, message)`` gives its result,
or :class:`WorkerLostError` is raised.

Dask is the optional extra ``automix-reaper[dask]``; asking for a scheduler
without it raises :class:`DaskMissingError` naming the extra.

The process pool (``multiprocessing``, sockets, pickling: about 30 ms to
import), ``logging`` and ``uuid`` are imported by the functions that use them,
so that mixing one project in this process does not pay for them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from automix.errors import AutomixError

T = TypeVar("T")
R = TypeVar("R")

DASK_EXTRA = "automix-reaper[dask]"
"""The pip extra that installs Dask's distributed scheduler."""

LOCAL_PREFIX = "local:"
"""``--scheduler local:N`` starts a Dask LocalCluster of N workers."""

TASK_RETRIES = 1
"""Times a task whose function raised something other than AutomixError is run again on Dask."""

LOCAL_ALLOWED_FAILURES = 1
"""Worker deaths a task survives on a ``local:N`` cluster (it is run again once)."""

CONNECT_TIMEOUT_S = 10.0
"""How long to wait for a running Dask scheduler to answer."""

SCHEDULER_HELP = ("run on Dask: 'local:N' starts N local worker processes, or the address of a running "
                  "scheduler (tcp://host:8786) whose workers see the same files (needs pip install "
                  f"'{DASK_EXTRA}')")
"""The ``--scheduler`` help text shared by the commands."""


class DaskMissingError(AutomixError):
    """``--scheduler`` was given but Dask's distributed scheduler is not installed."""


class SchedulerError(AutomixError):
    """A ``--scheduler`` value that is not an address, or a scheduler that cannot be reached."""


class WorkerLostError(AutomixError):
    """A task's worker process died more often than the scheduler allows."""


@dataclass(frozen=True)
class _Raised:
    """An AutomixError a task raised, carried back as a value (so that Dask does not retry it)."""

    error: AutomixError


def parse_scheduler(text: str) -> str:
    """Check a ``--scheduler`` value: ``local:N`` (N >= 1) or a Dask address; returns it stripped.

    Raises:
        SchedulerError: anything else (names the value).
    """
    value = (text or "").strip()
    if value.lower().startswith(LOCAL_PREFIX):
        count = value[len(LOCAL_PREFIX):]
        if not count.isdigit() or int(count) < 1:
            raise SchedulerError(f"--scheduler local:N needs a number of workers N >= 1, got {text!r}")
        return f"{LOCAL_PREFIX}{int(count)}"
    if not re.fullmatch(r"([a-z][a-z0-9+]*://)?[^\s/:]+(:\d+)?/?", value):
        raise SchedulerError(f"--scheduler must be 'local:N' or a Dask scheduler address such as "
                             f"tcp://host:8786, got {text!r}")
    return value


def local_workers(scheduler: str | None) -> int | None:
    """N of ``local:N``; None for a remote address or no scheduler."""
    if scheduler is not None and scheduler.lower().startswith(LOCAL_PREFIX):
        return int(parse_scheduler(scheduler)[len(LOCAL_PREFIX):])
    return None


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise DaskMissingError(f"--scheduler needs Dask's distributed scheduler: pip install '{DASK_EXTRA}'") \
            from None
    return distributed


@contextmanager
def dask_client(scheduler: str) -> Iterator[Any]:
    """A ``distributed.Client`` for ``local:N`` (a LocalCluster started and closed here) or an address."""
    import logging

    scheduler = parse_scheduler(scheduler)
    distributed = _import_distributed()
    n = local_workers(scheduler)
    if n is not None:
        with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                      silence_logs=logging.CRITICAL,
                                      scheduler_kwargs={"allowed_failures": LOCAL_ALLOWED_FAILURES}) as cluster, \
                distributed.Client(cluster) as client:
            yield client
        return
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise SchedulerError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
    with client:
        yield client


def _call(fn: Callable[[T], R], item: T) -> R | _Raised:
    """Run ``fn(item)`` on a worker; an AutomixError comes back as a value."""
    try:
        return fn(item)
    except AutomixError as exc:
        return _Raised(exc)


def run_tasks(fn: Callable[[T], R], items: Sequence[T], *, jobs: int = 1, scheduler: str | None = None,
              on_done: Callable[[int, R], None] | None = None,
              on_lost: Callable[[T, str], R] | None = None) -> list[R]:
    """``[fn(item) for item in items]``, run where the module docstring says.

    Args:
        fn: a picklable function (module level, or a ``functools.partial`` of one).
        items: picklable arguments, one task each.
        jobs: local processes when ``scheduler`` is None.
        scheduler: None, ``local:N`` or a Dask scheduler address.
        on_done: called as ``on_done(index, result)`` as each task completes (progress).
        on_lost: the result of a task whose worker died again after its retry, from
            ``(item, message)``; None raises :class:`WorkerLostError` instead.

    Returns:
        The results in the order of ``items``.
    """
    if scheduler is not None:
        return _run_dask(fn, items, scheduler, on_done, on_lost)
    results: list[Any] = [None] * len(items)
    if jobs <= 1 or len(items) <= 1:
        for i, item in enumerate(items):
            results[i] = _call(fn, item)
            _finish(results, i, on_done)
        return _unwrap(results)
    lost = _run_pool(fn, items, range(len(items)), min(jobs, len(items)), results, on_done)
    if lost:  # a dead process broke the pool: its unfinished tasks run again, each in a process of its own
        with ThreadPoolExecutor(min(jobs, len(lost))) as threads:
            for i, (ok, value) in zip(lost, threads.map(lambda i: _run_alone(fn, items[i]), lost)):
                results[i] = value if ok else _lost(items[i], "its worker process died while running it, "
                                                              "also when run again", on_lost)
                _finish(results, i, on_done)
    return _unwrap(results)


def _run_pool(fn: Callable[[Any], Any], items: Sequence[Any], which: Iterable[int], jobs: int,
              results: list[Any], on_done: Callable[[int, Any], None] | None) -> list[int]:
    """Run ``items[i]`` for ``i`` in ``which`` in a pool of ``jobs`` processes; returns the indices lost with it."""
    from concurrent.futures.process import BrokenProcessPool, ProcessPoolExecutor

    lost = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(_call, fn, items[i]): i for i in which}
        for future in as_completed(futures):
            i = futures[future]
            try:
                results[i] = future.result()
            except BrokenProcessPool:
                lost.append(i)
                continue
            _finish(results, i, on_done)
    return sorted(lost)


def _run_alone(fn: Callable[[Any], Any], item: Any) -> tuple[bool, Any]:
    """``(True, result)`` of ``fn(item)`` run in a process of its own, ``(False, None)`` when that process dies."""
    from concurrent.futures.process import BrokenProcessPool, ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1) as pool:
        try:
            return True, pool.submit(_call, fn, item).result()
        except BrokenProcessPool:
            return False, None


def _lost(item: Any, message: str, on_lost: Callable[[Any, str], Any] | None) -> Any:
    """The result of a task lost twice with its worker, or WorkerLostError."""
    if on_lost is None:
        raise WorkerLostError(message, file=str(item))
    return on_lost(item, message)


def _finish(results: list[Any], i: int, on_done: Callable[[int, Any], None] | None) -> None:
    if on_done is not None and not isinstance(results[i], _Raised):
        on_done(i, results[i])


def _unwrap(results: list[Any]) -> list[Any]:
    for r in results:
        if isinstance(r, _Raised):
            raise r.error
    return results


def _run_dask(fn: Callable[[T], R], items: Sequence[T], scheduler: str,
              on_done: Callable[[int, R], None] | None, on_lost: Callable[[T, str], R] | None) -> list[R]:
    import uuid

    distributed = _import_distributed()
    results: list[Any] = [None] * len(items)
    with dask_client(scheduler) as client:
        run_id = uuid.uuid4().hex
        futures = [client.submit(_call, fn, item, key=f"automix-task-{i}-{run_id}", retries=TASK_RETRIES,
                                 pure=False) for i, item in enumerate(items)]
        index = {f.key: i for i, f in enumerate(futures)}
        for future in distributed.as_completed(futures):
            i = index[future.key]
            try:
                results[i] = future.result()
            except distributed.KilledWorker as exc:
                results[i] = _lost(items[i], f"its Dask worker process died while running it, also when run "
                                             f"again ({exc})", on_lost)
            _finish(results, i, on_done)
    return _unwrap(results)
