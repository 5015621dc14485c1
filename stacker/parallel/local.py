"""The local backend: joblib on this machine's cores (loky processes or threads)."""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from stacker import progress
from stacker.parallel.seam import call
from stacker.parallel.shared import Shared, unwrap


def run_local(fn: Callable[..., Any], tasks: list[tuple], *, description: str, jobs: int | None, prefer: str,
              inner_threads: int | None) -> Iterator[Any]:
    """Yield ``fn(*task)`` in task order; ``jobs=1`` runs in this process, one call after another."""
    from joblib import Parallel, delayed, parallel_config

    n_jobs = -1 if jobs is None else jobs
    if prefer == "threads":
        config = parallel_config(backend="threading")
    else:  # loky workers start with inner_threads BLAS/OpenMP threads (joblib's own cap)
        config = parallel_config(backend="loky", inner_max_num_threads=inner_threads)
    with config, _values(tasks, to_processes=prefer == "processes" and n_jobs != 1) as tasks:
        calls = (delayed(call)(fn, inner_threads, *task) for task in tasks)
        results = Parallel(n_jobs=n_jobs, return_as="generator")(calls)
        yield from progress.track(results, description=description, total=len(tasks))


@contextmanager
def _values(tasks: list[tuple], *, to_processes: bool) -> Iterator[list[tuple]]:
    """The tasks with each :class:`Shared` argument replaced by its value.

    For worker processes each distinct value is written once to a temporary
    file and memory-mapped (its arrays, however deeply nested, read-only), so
    joblib sends every task a reference to that file instead of hashing and
    copying the value once per task.
    """
    if not to_processes:
        yield [unwrap(task) for task in tasks]
        return
    import joblib

    with tempfile.TemporaryDirectory(prefix="stacker-shared-", ignore_cleanup_errors=True) as folder:
        mapped: dict[int, Any] = {}
        for value in (a.value for task in tasks for a in task if isinstance(a, Shared)):
            if id(value) not in mapped:
                path = Path(folder) / f"{len(mapped)}.pkl"
                joblib.dump(value, path)
                mapped[id(value)] = joblib.load(path, mmap_mode="r")
        yield [tuple(mapped[id(a.value)] if isinstance(a, Shared) else a for a in task) for task in tasks]
