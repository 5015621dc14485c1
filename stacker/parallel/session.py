"""Connect to a Dask cluster for the duration of a block; the seam sends tasks there while it is open."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

from stacker.exceptions import ClusterError
from stacker.parallel.spec import ClusterSpec, parse_cluster

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0  # a scheduler that does not answer (or has no worker) in this time is an error

_clients: list = []  # the innermost open connection is the active one


def active_client():
    """The ``distributed.Client`` tasks go to, or None for the local joblib backend."""
    return _clients[-1] if _clients else None


@contextmanager
def connect(cluster: str | ClusterSpec | None, *, timeout: float | None = None) -> Iterator[object | None]:
    """Run every :func:`~stacker.parallel.map_tasks` inside the block on ``cluster``.

    Parameters
    ----------
    cluster : str, ClusterSpec or None
        ``tcp://host:port`` (an existing scheduler), ``local:N`` (a LocalCluster
        of N single-threaded worker processes, closed with the block) or None
        (no cluster: the block runs on local cores as without it).
    timeout : float, optional
        Seconds to reach the scheduler and see one worker (default ``CONNECT_TIMEOUT_S``).

    Yields the ``distributed.Client`` (None without a cluster). The cluster and
    its dashboard address are logged once, at INFO.
    """
    spec = cluster if isinstance(cluster, ClusterSpec) or cluster is None else parse_cluster(cluster)
    if spec is None:
        yield None
        return
    timeout = CONNECT_TIMEOUT_S if timeout is None else timeout
    local_cluster, client = _open(spec, timeout)
    _clients.append(client)
    try:
        log.info("%s", describe_cluster(client, spec))
        yield client
    finally:
        _clients.remove(client)
        client.close()
        if local_cluster is not None:
            local_cluster.close()


def _open(spec: ClusterSpec, timeout: float):
    from distributed import Client, LocalCluster

    if spec.local_workers is not None:
        cluster = LocalCluster(n_workers=spec.local_workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0", host="127.0.0.1")  # ":0": any free port
        return cluster, Client(cluster)
    try:
        client = Client(spec.address, timeout=f"{timeout}s")
    except (OSError, TimeoutError) as e:
        raise ClusterError(
            f"cannot reach a Dask scheduler at {spec.address} within {timeout:g} s ({type(e).__name__}); start "
            f"one with 'dask scheduler' and workers with 'dask worker {spec.address}', check the address, or "
            f"leave out --cluster to run on local cores"
        ) from e
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError) as e:
        client.close()
        raise ClusterError(
            f"the Dask scheduler at {spec.address} has no workers after {timeout:g} s; start some with "
            f"'dask worker {spec.address}' (add '--resources GPU=1' on GPU machines)"
        ) from e
    return None, client


def describe_cluster(client, spec: ClusterSpec | str) -> str:
    """One line: the scheduler, its workers and threads, and the dashboard address when it has one."""
    info = client.scheduler_info()
    workers = info.get("workers", {})
    threads = sum(w.get("nthreads", 0) for w in workers.values())
    where = f"dashboard {client.dashboard_link}" if "dashboard" in info.get("services", {}) else "no dashboard"
    return (f"dask cluster {spec}: scheduler {client.scheduler.address}, {len(workers)} workers, "
            f"{threads} threads; {where}")
