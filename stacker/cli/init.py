"""``stacker init``: write stacker.toml for a competition folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from stacker.cli._console import WorkspaceOption, console

COMMAND = "init"


def run(
    train: Annotated[Path, typer.Option(help="Train CSV: id column + 'tags' (space-separated) or one 0/1 column per label.")],
    test: Annotated[Path, typer.Option(help="CSV of the test ids (a Kaggle sample_submission).")],
    id_column: Annotated[str, typer.Option(help="Name of the id column in both CSVs.")] = "id",
    labels: Annotated[Optional[str], typer.Option(help="Comma-separated labels (default: inferred, sorted, from train).")] = None,
    metric: Annotated[str, typer.Option(help="f<beta>-samples|macro|micro, e.g. f2-samples (Planet).")] = "f2-samples",
    images: Annotated[str, typer.Option(help="Image folder for 'stacker train' (relative to the workspace).")] = "images",
    force: Annotated[bool, typer.Option(help="Rewrite an existing stacker.toml (its store, folds and stages were "
                                              "built for the old one).")] = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Create a workspace: check the train/test CSVs and write stacker.toml (relative paths)."""
    from stacker.data import Workspace

    options = {"id_column": id_column, "metric": metric, "images": images}
    if labels:
        options["labels"] = tuple(label.strip() for label in labels.split(",") if label.strip())
    ws = Workspace.init(workspace, train=train, test=test, force=force, **options)
    console.print(
        f"wrote {ws.root / 'stacker.toml'}: {len(ws.train_ids)} train ids, {len(ws.test_ids)} test ids, "
        f"{len(ws.labels)} labels ({', '.join(ws.labels)}), metric {ws.config.metric}"
    )
    console.print("next: stacker folds --k 5")
