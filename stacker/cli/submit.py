"""``stacker submit``: write a submission from a stage's predictions, or check one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

from enum import Enum

import typer

from stacker.cli._console import WorkspaceOption, console

COMMAND = "submit"

Method = Enum("Method", {name: name for name in ("greedy", "smooth")}, type=str)


def run(
    source: Annotated[str, typer.Option(
        "--from", help="Stage folder with oof.parquet and test.parquet: level1 or level2/<learner>.")] = "level1",
    thresholds: Annotated[Method, typer.Option(help="Threshold method.")] = Method("greedy"),
    name: Annotated[Optional[str], typer.Option(
        help="File stem under submissions/ (default l1-<method> or l2-<learner>-<method>).")] = None,
    best: Annotated[bool, typer.Option(
        "--best", help="Submit the stage and thresholds with the best honest CV score (ignores --from and "
        "--thresholds); prints the comparison, its noise and the optimism of choosing.")] = False,
    check: Annotated[Optional[Path], typer.Option(
        "--check", help="Validate this CSV against the sample submission instead (exit 1 on failure).")] = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Threshold --from's predictions into submissions/NAME.csv + NAME.json, or validate a CSV with --check."""
    from stacker.config import SubmitConfig
    from stacker.data import Workspace
    from stacker.submission import check_submission, submit

    ws = Workspace.load(workspace)
    if check is not None:
        console.print(check_submission(ws, check).message, highlight=False)
        return
    result = submit(ws, SubmitConfig(source=source, thresholds=thresholds.value, name=name, best=best))
    if result.choice is not None:
        from stacker.cli.stages import print_stage_table

        print_stage_table(result.choice.candidates, ws.metric.name)
        console.print(result.choice.summary(), highlight=False)
    console.print(f"{result.csv} ({result.method} thresholds, cv {ws.metric.name} {result.cv_f2:.4f}); "
                  f"provenance {result.provenance}", highlight=False)
