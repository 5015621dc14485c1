"""``stacker demo``: build the digits-mosaic task and run every stage on it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from stacker.cli._console import console, print_table

COMMAND = "demo"


def run(
    directory: Annotated[Path, typer.Argument(help="New or empty folder for the demo workspace.")],
    small: Annotated[bool, typer.Option("--small", help="Reduced size (CI's end-to-end test, about 2 minutes).")]
    = False,
) -> None:
    """Build a multi-label digits task offline and run folds, CNN + scikit-learn runs, collect, select, fit-l2, submit, report."""
    from stacker.demo import run_demo

    # Per-epoch lines still go to each run's train.log; the terminal shows one line per step and per fold.
    level0 = logging.getLogger("stacker.level0")
    level0.propagate = False
    try:
        result = run_demo(directory, small=small)
    finally:
        level0.propagate = True
    best, single = result.scores, result.scores["best single model"]
    rows = [[stage, by_method["greedy"], by_method["smooth"], result.standard_errors[stage], best[stage] - single]
            for stage, by_method in result.threshold_scores.items()]
    print_table(f"honest CV {result.metric} of each stage (thresholds fitted on K-1 folds, scored on the held-out one)",
                ["stage", "greedy thresholds", "smooth thresholds", "± SE (folds)", "best vs best single"], rows)
    console.print(f"best single model: {result.best_model}")
    console.print(f"submit --best: {result.choice.summary()}", highlight=False)
    console.print(f"workspace:   {result.root}")
    for path in result.submissions:
        console.print(f"submission:  {path}  (provenance: {path.with_suffix('.json').name})", highlight=False)
    console.print(f"report:      {result.report}", highlight=False)
    total = sum(result.seconds.values())
    console.print(f"done in {total:.0f} s; next: open the report, or try 'stacker ls -w {result.root}'", highlight=False)
