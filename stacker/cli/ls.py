"""``stacker ls``: the stored models with their per-label and mean F-beta."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stacker.cli._console import JsonOption, WorkspaceOption, print_json, print_table

COMMAND = "ls"


def run(
    level1: Annotated[bool, typer.Option("--level1", help="List the level-1 candidates (bags) instead.")] = False,
    json_output: JsonOption = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """List stored models: name, arch, variant, seed, per-label best F-beta and its mean."""
    from stacker.data import Workspace
    from stacker.oof.leaderboard import store_leaderboard

    ws = Workspace.load(workspace)
    store = ws.level1_store() if level1 else ws.store()
    rows = store_leaderboard(store, ws.y, ws.labels, ws.metric.beta)
    if json_output:
        print_json(rows)
        return
    metric = f"F{ws.metric.beta:g}"
    columns = ["name", "arch", "variant", "seed", f"mean {metric}", *ws.labels]
    table = [[r["name"], r["arch"], r["variant"] or "-", "-" if r["seed"] is None else r["seed"], r["mean"],
              *r["per_label"].values()] for r in rows]
    where = "level-1 candidates" if level1 else "stored models"
    print_table(f"{len(rows)} {where} in {store.root} (per-label best {metric} out of fold)", columns, table)
