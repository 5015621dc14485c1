"""``stacker report``: a static HTML report of every stage that has run, in report/."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stacker.cli._console import WorkspaceOption, console
from stacker.config import ReportConfig

COMMAND = "report"
_DEFAULT = ReportConfig()


def run(
    max_models: Annotated[int, typer.Option(help="Models shown in the leaderboard and similarity heatmaps.")]
    = _DEFAULT.max_models,
    bins: Annotated[int, typer.Option(max=1000, help="Histogram bins on [0, 1].")] = _DEFAULT.bins,
    dpi: Annotated[int, typer.Option(max=1200, help="Resolution of the PNG figures.")] = _DEFAULT.dpi,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Write report/index.html: leaderboard, model similarity, selection trace, histograms, threshold curves, CV summary."""
    from stacker.data import Workspace
    from stacker.exceptions import ValidationError
    from stacker.report import build_report

    for option, value in (("--max-models", max_models), ("--bins", bins), ("--dpi", dpi)):
        if value < 1:
            raise ValidationError(f"{option} must be a positive integer; got {value}")
    page = build_report(Workspace.load(workspace), ReportConfig(max_models=max_models, bins=bins, dpi=dpi))
    console.print(f"report: {page}")
    console.print(f"open it with: xdg-open {page}  (or file://{page.resolve()})", highlight=False)
