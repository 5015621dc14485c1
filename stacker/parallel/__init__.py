"""The one execution seam: every stage's fan-out (labels, folds, runs) goes through here.

A stage calls :func:`map_tasks` (or :func:`iter_tasks`) with a module-level
function and a list of argument tuples; results come back in task order,
never in completion order, so outputs do not depend on scheduling. Two
backends run the tasks:

- local (default): joblib on this machine's cores, processes (loky) or
  threads as the stage prefers, exactly as before a cluster existed;
- Dask: when a cluster is connected with :func:`connect` (the CLI's
  ``--cluster tcp://host:port`` or ``local:N``, or ``cluster`` in
  stacker.toml), every task is a Dask future with its own key, and large
  arrays wrapped in :class:`Shared` are scattered once.

Stages never import Dask themselves.
"""

from stacker.parallel.session import active_client, connect, describe_cluster
from stacker.parallel.seam import iter_tasks, map_tasks
from stacker.parallel.shared import Shared
from stacker.parallel.spec import ClusterSpec, parse_cluster

__all__ = [
    "ClusterSpec", "Shared", "active_client", "connect", "describe_cluster", "iter_tasks", "map_tasks",
    "parse_cluster",
]
