"""``stacker stages``: every stage with its inputs and honest CV score, best first, and what ``submit --best`` picks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stacker.cli._console import JsonOption, WorkspaceOption, console, print_json, print_table

COMMAND = "stages"


def run(
    nested: Annotated[bool, typer.Option(
        "--nested", help="Also show each stage's score with its own choices (selection, blend weights, fits) made "
        "on every row, its nested score (made without each fold) and the difference: the optimism of that layer.")
    ] = False,
    json_output: JsonOption = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Score every stage (level1, level2/*, level3/*, blend) out of fold with each decision rule; best first."""
    from stacker.data import Workspace
    from stacker.submission.stages import choose_best, score_stages, stage_fold_sizes, stage_rows

    ws = Workspace.load(workspace)
    candidates = score_stages(ws)
    choice = choose_best(candidates, stage_fold_sizes(ws))
    if json_output:
        print_json({**choice.to_dict(), "stages": stage_rows(ws, candidates)})
        return
    print_stage_table(ws, candidates, nested)
    console.print(choice.summary(), highlight=False)


def print_stage_table(ws, candidates, nested: bool = False) -> None:
    """One row per stage, best first: layer, inputs, CV per rule, the best rule's SE and, ``nested``, the optimism."""
    from stacker.submission.stages import CHOICE_RULES, stage_rows

    rows = stage_rows(ws, candidates)
    rules = [r for r in CHOICE_RULES if any(r in row for row in rows)]
    metric = ws.metric.name
    columns = ["stage", "layer", "inputs", *rules, "± SE"]
    if nested:
        columns += ["choices", "in-sample", "nested", "optimism"]
    table = []
    for row in rows:
        line = [row["stage"], row["layer"], ", ".join(row["inputs"]), *(row.get(r) for r in rules), row["se"]]
        if nested:
            line += [row["what"] or "not recorded", *(_dash(row[key]) for key in ("in_sample", "nested", "optimism"))]
        table.append(line)
    title = f"stages by honest CV {metric} (each rule fitted on K-1 folds, scored on the held-out one)"
    if nested:
        title += "; in-sample: the stage's own choices made on every row, nested: made without each fold"
    print_table(title, columns, table)


def _dash(value):
    return "—" if value is None else value
