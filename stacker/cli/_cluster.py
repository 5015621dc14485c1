"""``--cluster``: the option every fanning-out command shares, and the block it opens."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

ClusterOption = Annotated[Optional[str], typer.Option(
    "--cluster", help="Run the tasks on a Dask cluster: tcp://host:port (a running scheduler) or local:N (N worker "
    "processes here). Default: 'cluster' in stacker.toml, else local cores.")]


def on_cluster(workspace, cluster: str | None):
    """A context manager: the given ``--cluster``, else the workspace's ``cluster`` setting, else none."""
    from stacker import config as cfg
    from stacker.parallel import connect
    from stacker.parallel.spec import parse_cluster

    if cluster is None and workspace.config.cluster:
        return connect(parse_cluster(workspace.config.cluster, f"{workspace.root / cfg.CONFIG_FILE}: cluster"))
    return connect(cluster)
