"""``map_tasks`` / ``iter_tasks``: run a function over argument tuples, results in task order."""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

from stacker.exceptions import ValidationError
from stacker.parallel.session import active_client

PREFER = ("processes", "threads")


def iter_tasks(
    fn: Callable[..., Any], tasks: Sequence[tuple], *, description: str, jobs: int | None = 1,
    prefer: str = "processes", inner_threads: int | None = None, resources: dict[str, float] | None = None,
) -> Iterator[Any]:
    """Yield ``fn(*task)`` for each task, in task order, on the active backend.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled to processes and cluster workers).
    tasks : sequence of tuple
        Positional arguments of each call; :class:`~stacker.parallel.Shared`
        arguments are sent once and passed to ``fn`` as their values.
    description : str
        Progress-bar text (also the prefix of the Dask task keys).
    jobs : int or None, default 1
        Local backend only: parallel calls (None or -1: one per CPU core; 1: in
        this process, one after another). A cluster uses all its workers.
    prefer : {"processes", "threads"}
        Local backend only: joblib's loky processes or threads.
    inner_threads : int, optional
        Cap BLAS/OpenMP threads inside each call (``threadpoolctl``), on either backend.
    resources : dict, optional
        Dask worker resources each task needs, e.g. ``{"GPU": 1}``; ignored locally.

    A task that raises stops the iteration with that exception (the first
    failing task in task order); tasks not yet started are cancelled.
    """
    if prefer not in PREFER:
        raise ValidationError(f"prefer must be one of {PREFER}; found {prefer!r}")
    tasks = [tuple(t) for t in tasks]
    client = active_client()
    if client is None:
        from stacker.parallel.local import run_local

        return run_local(fn, tasks, description=description, jobs=jobs, prefer=prefer, inner_threads=inner_threads)
    from stacker.parallel.cluster import run_on_cluster

    return run_on_cluster(client, fn, tasks, description=description, inner_threads=inner_threads,
                          resources=resources)


def map_tasks(fn: Callable[..., Any], tasks: Sequence[tuple], **options) -> list:
    """``list(iter_tasks(fn, tasks, **options))``: every result, in task order."""
    return list(iter_tasks(fn, tasks, **options))


def call(fn: Callable[..., Any], inner_threads: int | None, *args) -> Any:
    """``fn(*args)``, with BLAS/OpenMP capped at ``inner_threads`` when given (runs where the task runs)."""
    if inner_threads is None:
        return fn(*args)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=inner_threads):
        return fn(*args)
