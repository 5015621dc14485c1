"""``stacker decide``: decision rules of a stage compared out of fold, table printed and saved as decide.json."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stacker.cli._cluster import ClusterOption, on_cluster
from stacker.cli._console import JsonOption, WorkspaceOption, console, other_folds, print_json, print_table
from stacker.config import DecideConfig
from stacker.decide import list_rules

COMMAND = "decide"


def run(
    source: Annotated[str, typer.Option(
        "--from", help="Stage folder holding oof.parquet: level1, level2/<learner>, level<N>/<name> or "
        "blend (level1/<group>, level2/<learner>@<group> after select --group; "
        "'stacker stages' lists them).")] = "level1",
    rules: Annotated[str, typer.Option(
        help=f"Comma-separated decision rules to compare; registered: {', '.join(list_rules())}.")]
        = ",".join(DecideConfig.rules),
    cluster: ClusterOption = None,
    json_output: JsonOption = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Compare decision rules on --from's OOF predictions (each fitted on K-1 folds, scored on the held-out one); write <stage>/decide.json."""
    from stacker.data import Workspace
    from stacker.decide.stage import decide_stage, decisions_path, rule_rows

    ws = Workspace.load(workspace)
    names = tuple(name.strip() for name in rules.split(",") if name.strip())
    with on_cluster(ws, cluster):
        document = decide_stage(ws, source, DecideConfig(rules=names))
    if json_output:
        print_json(document)
        return
    print_table(f"{source}: {ws.metric.name} of each decision rule, fitted on {other_folds(document['n_folds'])} "
                f"and scored on the held-out one", ["rule", "out-of-fold", "fold SE", "diff vs best", "± SE"],
                rule_rows(document))
    for reason in document["not_applicable"].values():
        console.print(f"not applicable: {reason}", highlight=False)
    console.print(f"best out of fold: {document['best']}; a difference within about 2 SE of 0 is noise; "
                  f"saved {decisions_path(ws, source)}", highlight=False)

