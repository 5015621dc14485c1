"""``stacker oof-collect``: validate run folders and ingest them into the OOF store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from stacker.cli._cluster import ClusterOption, on_cluster
from stacker.cli._console import WorkspaceOption, console, err_console

COMMAND = "oof-collect"


def run(
    runs: Annotated[str, typer.Argument(
        help="Folder of run folders (or one run folder); also any fsspec URL, e.g. s3://bucket/runs/.")] = "runs",
    replace: Annotated[bool, typer.Option(help="Replace stored models whose name is reused with new content.")] = False,
    wait: Annotated[float, typer.Option(
        help="Seconds to wait while another process writes the store (0: refuse at once).", min=0)] = 0.0,
    cluster: ClusterOption = None,
    workspace: WorkspaceOption = Path("."),
) -> int:
    """Validate every run folder under RUNS and store each valid one (atomically); exit 1 if any was rejected."""
    from stacker.config import CollectConfig
    from stacker.data import Workspace
    from stacker.oof.collect import collect_runs, resolve_runs_dir

    ws = Workspace.load(workspace)
    with on_cluster(ws, cluster):
        report = collect_runs(ws, resolve_runs_dir(ws, runs), CollectConfig(replace=replace, wait=wait))
    for outcome in ("added", "replaced", "repaired", "unchanged"):
        names = getattr(report, outcome)
        if names:
            console.print(f"{outcome:9} {len(names):4}  {', '.join(names)}")
    for name, reason in report.rejected.items():
        err_console.print(f"[red]rejected[/red] {escape(name)}: {escape(reason)}", highlight=False, markup=True)
    store = ws.store()
    console.print(f"store {store.root}: {len(store.names())} models; {len(report.rejected)} runs rejected")
    return 0 if report.ok else 1
