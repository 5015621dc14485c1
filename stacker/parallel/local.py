"""The local backend: joblib on this machine's cores (loky processes or threads)."""

from __future__ import annotations

from typing import Any, Callable, Iterator

from stacker import progress
from stacker.parallel.seam import call
from stacker.parallel.shared import unwrap


def run_local(fn: Callable[..., Any], tasks: list[tuple], *, description: str, jobs: int | None, prefer: str,
              inner_threads: int | None) -> Iterator[Any]:
    """Yield ``fn(*task)`` in task order; ``jobs=1`` runs in this process, one call after another."""
    from joblib import Parallel, delayed, parallel_config

    n_jobs = -1 if jobs is None else jobs
    calls = (delayed(call)(fn, inner_threads, *unwrap(task)) for task in tasks)
    if prefer == "threads":
        config = parallel_config(backend="threading")
    else:  # loky workers start with inner_threads BLAS/OpenMP threads (joblib's own cap)
        config = parallel_config(backend="loky", inner_max_num_threads=inner_threads)
    with config:
        results = Parallel(n_jobs=n_jobs, return_as="generator")(calls)
        yield from progress.track(results, description=description, total=len(tasks))
