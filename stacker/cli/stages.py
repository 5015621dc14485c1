"""``stacker stages``: every stage with its honest CV score, best first, and what ``submit --best`` would pick."""

from __future__ import annotations

from pathlib import Path

from stacker.cli._console import JsonOption, WorkspaceOption, console, print_json, print_table

COMMAND = "stages"


def run(json_output: JsonOption = False, workspace: WorkspaceOption = Path(".")) -> None:
    """Score every stage (level1, level2/*) out of fold with each decision rule (greedy, smooth, expected-f); best first."""
    from stacker.data import Workspace
    from stacker.submission.stages import choose_best, score_stages, stage_fold_sizes

    ws = Workspace.load(workspace)
    candidates = score_stages(ws)
    choice = choose_best(candidates, stage_fold_sizes(ws))
    if json_output:
        print_json(choice.to_dict())
        return
    print_stage_table(candidates, ws.metric.name)
    console.print(choice.summary(), highlight=False)


def print_stage_table(candidates, metric: str) -> None:
    """Candidates best first: stage, thresholds, CV score, fold standard error, per-fold scores."""
    ranked = sorted(enumerate(candidates), key=lambda ic: (-ic[1].out_of_fold, ic[0]))
    rows = [[c.source, c.method, c.out_of_fold, c.standard_error, " ".join(f"{s:.3f}" for s in c.fold_scores)]
            for _, c in ranked]
    print_table(f"stages by honest CV {metric} (each rule fitted on K-1 folds, scored on the held-out one)",
                ["stage", "rule", "CV", "± SE", "per fold"], rows)
