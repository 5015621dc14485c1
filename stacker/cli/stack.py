"""``stacker stack``: the next layer, a learner per label on earlier stages' outputs -> level<N>/<name>/."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from stacker.cli._console import (
    JsonOption, NestedOutputsOption, Scaling, ScalingOption, WorkspaceOption, console, print_json, print_table,
)
from stacker.config import StackConfig
from stacker.level2.learners import list_learners
from stacker.stack.features import STACK_FEATURES

COMMAND = "stack"
_DEFAULT = StackConfig()
LearnerName = Enum("LearnerName", {name: name for name in list_learners()}, type=str)
FeatureSet = Enum("FeatureSet", {name: name for name in STACK_FEATURES}, type=str)


def run(
    sources: Annotated[Optional[str], typer.Option(
        "--from", help="Stage folders to stack, comma-separated; globs allowed (quote them: 'level2/*@*'); "
        "'level0/<name>' is one level-0 candidate of 'select' ('level0/*': every one). "
        "Default: every stage folder.")] = None,
    learner: Annotated[LearnerName, typer.Option(help="The learner of this layer.")] = LearnerName(_DEFAULT.learner),
    features: Annotated[FeatureSet, typer.Option(
        help="inputs: each input's column for the label; inputs+labels: every label's column of every input.")] = (
        FeatureSet(_DEFAULT.features)),
    scaling: ScalingOption = Scaling(_DEFAULT.scaling),
    param: Annotated[Optional[list[str]], typer.Option(
        "--param", help="Learner parameter KEY=VALUE (repeatable).")] = None,
    name: Annotated[Optional[str], typer.Option(
        help="Folder name inside level<N>/ (default: the learner's).")] = None,
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", min=-1, max=1024, help="Parallel (label, fold) fits; -1 for all cores.")] = 1,
    seed: Annotated[int, typer.Option(min=0, max=2**32 - 1, help="Random seed (results do not depend on --jobs).")] = 0,
    nested_outputs: NestedOutputsOption = True,
    json_output: JsonOption = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Stack stage outputs one layer up (nested CV on the same folds) -> level<N>/<name>/ (N above its inputs)."""
    from stacker.data import Workspace
    from stacker.level2.params import parse_params
    from stacker.stack import run_stack

    ws = Workspace.load(workspace)
    names = tuple(s.strip() for s in sources.split(",")) if sources is not None else ()
    config = StackConfig(sources=names, learner=learner.value, features=features.value,
                         params=parse_params(learner.value, param or []), name=name, jobs=jobs, seed=seed,
                         nested_outputs=nested_outputs, scaling=scaling.value)
    result = run_stack(ws, config)
    if json_output:
        print_json({"output": result.source, "layer": result.layer, "inputs": result.sources,
                    "params": result.params, "scores": result.scores})
        return
    print_table(f"{result.source}: {learner.value} on {len(result.sources)} stages ({features.value}), honest CV "
                f"F{ws.metric.beta:g} per label and {ws.metric.name} overall (thresholds fitted on K-1 folds)",
                result.columns, result.rows)
    written = sorted(p.name for p in result.output_dir.iterdir())
    console.print(f"wrote {result.output_dir}/: {', '.join(written)}; next: "
                  f"'stacker stages' or 'stacker submit --from {result.source}'")
