"""The Dask backend: one keyed future per task, shared arrays scattered once, results in task order."""

from __future__ import annotations

import re
import uuid
from typing import Any, Callable, Iterator

from stacker import progress
from stacker.exceptions import ClusterError
from stacker.parallel.seam import call
from stacker.parallel.shared import Shared


def run_on_cluster(client, fn: Callable[..., Any], tasks: list[tuple], *, description: str,
                   inner_threads: int | None, resources: dict[str, float] | None) -> Iterator[Any]:
    """Submit every task, then yield results in task order while a progress bar counts completions.

    A failed task raises its own exception (the first failure in task order);
    on any exit the futures not yet finished are cancelled and scattered data is released.
    """
    from distributed import as_completed

    _check_resources(client, resources, description)
    prefix = f"{_slug(description)}-{uuid.uuid4().hex[:8]}"
    scattered = _scatter(client, tasks)
    futures = [
        client.submit(call, fn, inner_threads, *(scattered.get(id(a), a) for a in task), key=f"{prefix}-{i}",
                      resources=resources, pure=False)
        for i, task in enumerate(tasks)
    ]
    index = {f.key: i for i, f in enumerate(futures)}
    done: dict[int, Any] = {}
    next_up = 0
    try:
        for future in progress.track(as_completed(futures), description=description, total=len(futures)):
            done[index[future.key]] = future
            while next_up in done:
                result = _result(done.pop(next_up), description)
                yield result
                futures[next_up] = None  # release the result on the workers once it is here
                next_up += 1
    finally:
        pending = [f for f in futures if f is not None]
        if pending and client.status == "running":  # left unfinished and collected after its client closed: no-op
            client.cancel(pending)
        scattered.clear()


def _result(future, description: str) -> Any:
    """The task's result or its own exception; the cluster losing the task is a ClusterError."""
    from concurrent.futures import CancelledError

    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker as e:
        raise ClusterError(
            f"{description}: task {future.key} ended every worker that ran it ({e}); a worker probably ran out of "
            f"memory: give workers more (dask worker --memory-limit) or run without --cluster"
        ) from e
    except CancelledError as e:
        raise ClusterError(
            f"{description}: the cluster dropped task {future.key} ({e}); check that the scheduler and its "
            f"workers are still up, then run the command again"
        ) from e


def _check_resources(client, resources: dict[str, float] | None, description: str) -> None:
    """Refuse tasks no worker could ever run (they would wait forever)."""
    if not resources:
        return
    offered = [w.get("resources", {}) for w in client.scheduler_info().get("workers", {}).values()]
    if not any(all(r.get(name, 0) >= amount for name, amount in resources.items()) for r in offered):
        wanted = " ".join(f"{name}={amount:g}" for name, amount in resources.items())
        raise ClusterError(
            f"{description}: each task needs worker resources {wanted}, and no worker of the cluster offers them "
            f"(found {offered[:3]}); start workers with 'dask worker SCHEDULER --resources \"{wanted}\"' or "
            f"train on the CPU with --device cpu"
        )


def _scatter(client, tasks: list[tuple]) -> dict[int, Any]:
    """Scatter each distinct :class:`Shared` value once, to every worker; map ``id(shared)`` to its future.

    Two ``Shared`` objects wrapping the same value (the same array given to several labels) share one copy.
    """
    wrappers = {id(a): a for task in tasks for a in task if isinstance(a, Shared)}
    values = {id(s.value): s.value for s in wrappers.values()}
    if not values:
        return {}
    futures = dict(zip(values, client.scatter(list(values.values()), broadcast=True, hash=False)))
    return {key: futures[id(s.value)] for key, s in wrappers.items()}


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:40] or "task"
