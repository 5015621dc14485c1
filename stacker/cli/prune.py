"""``stacker prune``: list (or delete) models below the per-label quantile of F-beta on every label."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stacker.cli._console import JsonOption, WorkspaceOption, console, print_json, print_table

COMMAND = "prune"


def run(
    below: Annotated[str, typer.Option(
        help="'median' or a quantile in (0, 1): prune models below it on every label.")] = "median",
    delete: Annotated[bool, typer.Option("--delete", help="Remove the listed models from the OOF store.")] = False,
    json_output: JsonOption = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """List models whose per-label best F-beta is below the per-label quantile on EVERY label; --delete removes them."""
    from stacker.config import PruneConfig
    from stacker.data import Workspace
    from stacker.level1.prune import parse_quantile, prune_store

    ws = Workspace.load(workspace)
    report = prune_store(ws, PruneConfig(below=parse_quantile(below), delete=delete))
    if json_output:
        print_json({"pruned": report.pruned, "n_models": report.n_models, "quantile": report.quantile,
                    "cutoffs": report.cutoffs, "scores": report.scores, "deleted": report.deleted})
        return
    metric = f"F{ws.metric.beta:g}"
    rows = [[name, *report.scores[name].values()] for name in report.pruned]
    rows.append(["(cut-off)", *report.cutoffs.values()])
    print_table(f"{len(report.pruned)} of {report.n_models} models below the {report.quantile:g} quantile of "
                f"per-label {metric} on every label", ["model", *ws.labels], rows)
    if report.deleted:
        console.print(f"deleted {len(report.pruned)} models from {ws.store_location}")
    elif report.pruned:
        console.print("nothing deleted; pass --delete to remove them from the store")
