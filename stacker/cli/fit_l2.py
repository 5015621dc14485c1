"""``stacker fit-l2``: level-2 learners with nested CV, then the greedy and smooth submissions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

from enum import Enum

import typer

from stacker.cli._cluster import ClusterOption, on_cluster
from stacker.cli._console import JsonOption, NestedOutputsOption, WorkspaceOption, console, print_json, print_table
from stacker.config import L2Config
from stacker.level2.features import FEATURE_SETS
from stacker.level2.learners import list_learners

COMMAND = "fit-l2"

# Choices come from the registry: a newly registered learner is a valid --learner at once.
LearnerName = Enum("LearnerName", {name: name for name in list_learners()}, type=str)
FeatureSet = Enum("FeatureSet", {name: name for name in FEATURE_SETS}, type=str)


def run(
    learner: Annotated[LearnerName, typer.Option(help="Level-2 learner.")] = LearnerName("lightgbm"),
    features: Annotated[FeatureSet, typer.Option(
        help="all-models: every candidate's column for the label; all-models+labels: plus every label's level-1 "
        "output; selected: that label's chosen models; all-labels: every label's level-1 output plus those. "
        "Selection-based features of each fold come from the selection made without that fold.",
    )] = FeatureSet(L2Config.features),
    param: Annotated[Optional[list[str]], typer.Option(
        "--param", help="Learner parameter KEY=VALUE (repeatable), e.g. --param num_leaves=7.")] = None,
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", min=-1, max=1024, help="Parallel (label, fold) fits; -1 for all cores.")] = 1,
    seed: Annotated[int, typer.Option(min=0, max=2**32 - 1, help="Random seed (results do not depend on --jobs).")] = 0,
    group: Annotated[Optional[str], typer.Option(
        help="Fit on each group of a grouped level 1 ('stacker select --group KEY', the same KEY): "
        "level2/LEARNER@<value>/.")] = None,
    cluster: ClusterOption = None,
    nested_outputs: NestedOutputsOption = True,
    json_output: JsonOption = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Fit one learner per label on level-1 outputs with nested CV; write level2/LEARNER and two submissions."""
    from stacker.data import Workspace
    from stacker.level2.params import parse_params
    from stacker.submission import fit_l2_and_submit

    ws = Workspace.load(workspace)
    learner, features = learner.value, features.value
    config = L2Config(learner=learner, features=features, params=parse_params(learner, param or []),
                      jobs=jobs, seed=seed, group=group,
                      nested_outputs=nested_outputs)
    with on_cluster(ws, cluster):
        outcomes = fit_l2_and_submit(ws, config)
    if json_output:
        documents = [{"output": str(o.level2.output_dir), "params": o.level2.params, "scores": o.level2.scores,
                      "best_single": o.level2.best_single,
                      "submissions": [{"csv": str(s.csv), "method": s.method, "cv_f2": s.cv_f2}
                                      for s in o.submissions]} for o in outcomes]
        print_json(documents[0] if group is None else documents)
        return
    for outcome in outcomes:
        result = outcome.level2
        print_table(f"level-2 {result.output_dir.name} ({features}): out-of-fold F{ws.metric.beta:g} per label and "
                    f"{ws.metric.name} overall, thresholds fitted on K-1 folds",
                    result.columns, result.rows)
        console.print(f"level-2 predictions: {result.output_dir}")
        for s in outcome.submissions:
            console.print(f"submission ({s.method}): {s.csv}  cv {ws.metric.name} {s.cv_f2:.4f}")
