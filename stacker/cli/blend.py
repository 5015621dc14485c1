"""``stacker blend``: per-label Caruana blend (greedy, with replacement) of stage outputs -> blend/."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from stacker.cli._cluster import ClusterOption, on_cluster
from stacker.cli._console import (OBJECTIVE_HELP, JsonOption, ObjectiveName, Scaling, ScalingOption, WorkspaceOption,
                                  console, print_json, print_table)
from stacker.config import BlendConfig

COMMAND = "blend"
_DEFAULT = BlendConfig()


def run(
    sources: Annotated[Optional[str], typer.Option(
        "--from", help="Stage folders to blend, comma-separated; globs allowed (quote them: 'level2/*'); "
        "'level0/<name>' is one level-0 candidate of 'select' ('level0/*': every one, a per-label Caruana over "
        "the models themselves). Default: every stage folder (level1, level2/*).")] = None,
    per_label: Annotated[int, typer.Option(
        help="Most additions per label (an input added twice counts twice).", min=1)] = _DEFAULT.per_label,
    replacement: Annotated[bool, typer.Option(
        "--replacement/--no-replacement", help="Let an input be added again (Caruana): weights are counts "
        "over additions.")] = _DEFAULT.replacement,
    scaling: ScalingOption = Scaling(_DEFAULT.scaling),
    objective: Annotated[ObjectiveName, typer.Option(help="What each addition must improve: " + OBJECTIVE_HELP)] = (
        ObjectiveName(_DEFAULT.objective)),
    cluster: ClusterOption = None,
    json_output: JsonOption = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Blend stage outputs per label (Caruana additions), weights chosen without each fold -> blend/."""
    from stacker.blend import run_blend
    from stacker.data import Workspace

    ws = Workspace.load(workspace)
    names = tuple(s.strip() for s in sources.split(",")) if sources is not None else ()
    with on_cluster(ws, cluster):
        config = BlendConfig(sources=names, per_label=per_label, replacement=replacement, scaling=scaling.value,
                             objective=objective.value)
        result = run_blend(ws, config)
    if json_output:
        print_json({"document": result.document, "scores": result.scores})
        return
    _print_result(result)


def _print_result(result) -> None:
    document = result.document
    nested = document["nested"]
    rows = [[label, ", ".join(f"{name} {w:.2f}" for name, w in entry["weights"].items()), entry["in_sample"],
             nested["per_label"][label]["held_out"]] for label, entry in document["per_label"].items()]
    print_table(f"blend of {len(result.sources)} inputs per label (weights on every row; held-out: weights chosen "
                f"without each fold)", ["label", "weights", "in-sample", "held-out"], rows)
    scores = [[name, *(v for m in ("greedy", "smooth") for v in (s[m]["out_of_fold"], s[m]["standard_error"]))]
              for name, s in result.scores.items()]
    print_table(f"honest CV {result.metric.name} of the blend and its inputs (thresholds fitted on K-1 folds, scored "
                f"on the held-out one)", ["stage", "greedy", "± SE", "smooth", "± SE"], scores)
    mean = nested["mean"]
    console.print(f"nested over {nested['folds']} folds: mean in-sample {mean['in_sample']:.4f}, held-out "
                  f"{mean['held_out']:.4f} (optimism of choosing weights {mean['in_sample'] - mean['held_out']:+.4f})")
    written = sorted(p.name for p in result.output_dir.iterdir())
    console.print(f"wrote {result.output_dir}/: {', '.join(written)}; next: 'stacker stages' or "
                  f"'stacker submit --from blend'")
