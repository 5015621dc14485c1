"""``stacker folds``: the one persisted multi-label stratified fold assignment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stacker.cli._console import WorkspaceOption, console

COMMAND = "folds"


def run(
    k: Annotated[int, typer.Option("--k", help="Number of folds.")] = 5,
    seed: Annotated[int, typer.Option(min=0, max=2**32 - 1, help="Random seed of the stratified split.")] = 0,
    force: Annotated[bool, typer.Option(help="Overwrite an existing, different folds file.")] = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Write folds.csv (<id>,fold): iterative multi-label stratification, seeded."""
    from stacker.config import FoldsConfig
    from stacker.data import Workspace
    from stacker.data.folds import assign_folds

    ws = Workspace.load(workspace)
    folds = assign_folds(ws, FoldsConfig(k=k, seed=seed), force=force)
    sizes = ", ".join(str(int((folds == f).sum())) for f in range(k))
    console.print(f"wrote {ws.folds_path}: {k} folds of {sizes} rows (seed {seed})")
