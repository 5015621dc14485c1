"""``stacker submit``: write a submission from a stage's predictions, or check one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

from enum import Enum

import typer

from stacker.cli._console import WorkspaceOption, console
from stacker.decide import list_rules
from stacker.submission.submit import METHODS

COMMAND = "submit"

# Choices come from the registry: a newly registered rule is a valid --rule at once.
RuleName = Enum("RuleName", {name: name for name in list_rules()}, type=str)
Method = Enum("Method", {name: name for name in METHODS}, type=str)


def run(
    source: Annotated[str, typer.Option(
        "--from", help="Stage folder with oof.parquet and test.parquet: level1, level2/<learner>, "
        "level<N>/<name> or blend (level1/<group>, level2/<learner>@<group> after select --group; "
        "'stacker stages' lists them).")] = "level1",
    rule: Annotated[Optional[RuleName], typer.Option(
        help="Decision rule (compare them with 'stacker decide'). [default: greedy]")] = None,
    thresholds: Annotated[Optional[Method], typer.Option(
        help="Alias of --rule for the per-label threshold rules greedy and smooth.")] = None,
    name: Annotated[Optional[str], typer.Option(
        help="File stem under submissions/ (default: the stage and rule, e.g. l1-greedy, "
        "l2-lightgbm-smooth, level3-logistic-expected-f, blend-smooth; 'best' with --best).")] = None,
    best: Annotated[bool, typer.Option(
        "--best", help="Submit the stage and rule with the best honest CV score (ignores --from, --rule and "
        "--thresholds); prints the comparison, its noise and the optimism of choosing.")] = False,
    check: Annotated[Optional[Path], typer.Option(
        "--check", help="Validate this CSV against the sample submission instead (exit 1 on failure); a relative "
        "path not found from here is looked up in the workspace, as oof-collect's RUNS.")] = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Decide --from's predictions with a rule into submissions/NAME.csv + NAME.json, or validate a CSV with --check."""
    from stacker.config import SubmitConfig
    from stacker.data import Workspace
    from stacker.submission import check_submission, submit

    if rule is not None and thresholds is not None and rule.value != thresholds.value:
        raise typer.BadParameter(f"--rule {rule.value} and --thresholds {thresholds.value} disagree; give one of them",
                                 param_hint="--rule")
    ws = Workspace.load(workspace)
    if check is not None:
        if not check.is_absolute() and not check.exists():
            check = ws.root / check
        console.print(check_submission(ws, check).message, highlight=False)
        return
    chosen = (rule or thresholds or RuleName(SubmitConfig.rule)).value
    result = submit(ws, SubmitConfig(source=source, rule=chosen, name=name, best=best))
    if result.choice is not None:
        from stacker.cli.stages import print_stage_table

        print_stage_table(ws, result.choice.candidates)
        console.print(result.choice.summary(), highlight=False)
    console.print(f"{result.csv} (rule {result.method}, cv {ws.metric.name} {result.cv_f2:.4f}); "
                  f"provenance {result.provenance}", highlight=False)
