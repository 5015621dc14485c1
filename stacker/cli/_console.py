"""Terminal output shared by the command modules (rich console, tables, logging)."""

from __future__ import annotations

import json
import logging
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Sequence

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from stacker.level1.objectives import list_objectives
from stacker.stack.scaling import SCALINGS

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

WorkspaceOption = Annotated[
    Path,
    typer.Option("-w", "--workspace", help="Workspace folder (holds stacker.toml).", show_default="."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of a table.")]
Scaling = Enum("Scaling", {name: name for name in SCALINGS}, type=str)
ScalingOption = Annotated[Scaling, typer.Option(
    "--scaling", help="fold: align each input's log-odds in every fold to the average fold's mean and spread "
    "(no labels used; test rows unchanged), so fits that differ in calibration from fold to fold are combined "
    "on one scale; none: as they are.")]
# Choices come from level 1's registry: a newly registered objective is valid at once.
ObjectiveName = Enum("ObjectiveName", {name: name for name in list_objectives()}, type=str)
OBJECTIVE_HELP = "fbeta: F-beta at the exact best threshold (beta from the workspace metric); logloss; auc."
NestedOutputsOption = Annotated[bool, typer.Option(
    "--nested-outputs/--no-nested-outputs",
    help="Also write nested.parquet (each fold's predictions made without that fold: K-1 more, smaller fits per "
    "fold), so a stack or blend on this stage is honest for every fold.")]


def setup_logging(verbose: bool) -> None:
    """Route the library's log records to stderr through rich (once)."""
    root = logging.getLogger("stacker")
    if not any(isinstance(h, RichHandler) for h in root.handlers):
        handler = RichHandler(console=err_console, show_path=False, show_time=False, markup=False)
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a rich table; floats are shown with 4 decimals."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row))
    # A terminal wraps to its width; a pipe or file gets the table's natural width.
    (console if console.is_terminal else Console(width=100_000)).print(table)


def print_json(obj: Any) -> None:
    """Print ``obj`` as indented JSON on stdout, with no markup."""
    typer.echo(json.dumps(obj, indent=2, default=str))


def other_folds(n_folds: int) -> str:
    """``"4 folds"``, or ``"1 fold"`` with two folds: what each held-out fold's decisions were fitted on."""
    return f"{n_folds - 1} fold" + ("" if n_folds == 2 else "s")
