"""``stacker thresholds``: greedy and smooth thresholds of a stage, compared out of fold."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stacker.cli._cluster import ClusterOption, on_cluster
from stacker.cli._console import JsonOption, WorkspaceOption, console, other_folds, print_json, print_table

COMMAND = "thresholds"


def run(
    source: Annotated[str, typer.Option(
        "--from", help="Stage folder holding oof.parquet: level1, level2/<learner>, level<N>/<name> or "
        "blend (level1/<group>, level2/<learner>@<group> after select --group; "
        "'stacker stages' lists them).")] = "level1",
    cluster: ClusterOption = None,
    json_output: JsonOption = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Per-label greedy/smooth thresholds of --from's OOF predictions, and which generalizes better (fit on K-1 folds, scored on the held-out fold)."""
    from stacker.config import ThresholdConfig
    from stacker.data import Workspace
    from stacker.thresholds.stage import evaluate_stage

    ws = Workspace.load(workspace)
    with on_cluster(ws, cluster):
        result = evaluate_stage(ws, source, ThresholdConfig())
    methods = result["methods"]
    if json_output:
        print_json(_jsonable(result))
        return
    print_table(f"{source}: thresholds per label ({ws.metric.name})", ["label", *methods],
                [[label, *(float(m["thresholds"][j]) for m in methods.values())]
                 for j, label in enumerate(result["labels"])])
    print_table(f"{ws.metric.name}: fitted on {other_folds(result['n_folds'])}, scored on the held-out one",
                ["method", "in-sample", "out-of-fold", "optimism"],
                [[name, m["in_sample"], m["out_of_fold"], m["in_sample"] - m["out_of_fold"]]
                 for name, m in methods.items()])
    console.print(f"best out of fold: {result['best']}", highlight=False)


def _jsonable(result: dict) -> dict:
    methods = {
        name: {**m, "thresholds": dict(zip(result["labels"], map(float, m["thresholds"]))),
               "fold_thresholds": m["fold_thresholds"].tolist()}
        for name, m in result["methods"].items()
    }
    return {**result, "methods": methods}
