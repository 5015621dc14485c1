"""``stacker select``: bag the stored runs, then pick per label the models whose average scores best."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from stacker.cli._cluster import ClusterOption, on_cluster
from stacker.cli._console import (OBJECTIVE_HELP, JsonOption, ObjectiveName, WorkspaceOption, console, print_json,
                                  print_table)
from stacker.config import SelectConfig
from stacker.level1 import BAG_MODES, list_methods

COMMAND = "select"

# Choices come from the registries: a newly registered method is valid at once.
Method = Enum("Method", {name: name for name in list_methods()}, type=str)
BagMode = Enum("BagMode", {name: name for name in BAG_MODES}, type=str)
_DEFAULT = SelectConfig()


def run(
    beam: Annotated[int, typer.Option(help="Beam width (method beam).", min=1)] = _DEFAULT.beam,
    per_label: Annotated[int, typer.Option(help="Most models averaged for one label.", min=1)] = _DEFAULT.per_label,
    bag: Annotated[BagMode, typer.Option(help="Group runs into bags by arch+variant, by arch, or not at all.")] = (
        BagMode(_DEFAULT.bag)),
    bag_top: Annotated[Optional[int], typer.Option(
        help="Keep only the K best runs of each bag (mean over labels of the objective).", min=1)] = _DEFAULT.bag_top,
    method: Annotated[Method, typer.Option(help="Search: greedy forward, beam search, random-restart greedy.")] = (
        Method(_DEFAULT.method)),
    restarts: Annotated[int, typer.Option(help="Greedy runs in all (method random-greedy).", min=1)] = (
        _DEFAULT.restarts),
    seed: Annotated[int, typer.Option(
        min=0, max=2**32 - 1, help="Random seed (method random-greedy).")] = _DEFAULT.seed,
    objective: Annotated[ObjectiveName, typer.Option(help=OBJECTIVE_HELP)] = ObjectiveName(_DEFAULT.objective),
    nested: Annotated[bool, typer.Option(
        "--nested/--no-nested", help="Repeat selection inside each outer fold (default): honest level-1 OOF, "
        "per-fold level-2 features, and the held-out score of selection.")] = _DEFAULT.nested,
    jobs: Annotated[Optional[int], typer.Option(
        "--jobs", "-j", help="Labels selected in parallel (default: one per CPU core).", min=1)] = _DEFAULT.jobs,
    group: Annotated[Optional[str], typer.Option(
        help="One selection per value of this run.json key (variant, arch, or any key), each on that value's "
        "runs alone: level1/<value>/.")] = _DEFAULT.group,
    cluster: ClusterOption = None,
    json_output: JsonOption = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Bag runs, select per label (greedy/beam/random-greedy), write level1/selection.json, oof and test averages."""
    from stacker.data import Workspace
    from stacker.level1.stage import run_grouped_selection, run_selection

    ws = Workspace.load(workspace)
    config = SelectConfig(method=method.value, beam=beam, per_label=per_label, bag=bag.value, bag_top=bag_top,
                          restarts=restarts, seed=seed, objective=objective.value, nested=nested, jobs=jobs,
                          group=group)
    with on_cluster(ws, cluster):
        reports = [run_selection(ws, config)] if group is None else run_grouped_selection(ws, config)
    if json_output:
        print_json(reports[0].selection if group is None else {r.group: r.selection for r in reports})
        return
    for report in reports:
        _print_report(report, ws.metric.name)


def _print_report(report, metric: str) -> None:
    selection = report.selection
    nested = selection.get("nested")
    columns = ["label", "models", "in-sample", *(["held-out"] if nested else []), "threshold"]
    rows = []
    for label, entry in selection["per_label"].items():
        held_out = [nested["per_label"][label]["held_out"]] if nested else []
        rows.append([label, ", ".join(entry["models"]), entry["score"], *held_out, entry["threshold"]])
    config = selection["config"]
    where = "" if report.group is None else f"{config['group']} {report.group}: "
    title = (f"{where}{config['method']} selection, objective {config['objective']} (metric {metric}), "
             f"{len(report.candidates)} candidates, up to {config['per_label']} per label")
    print_table(title, columns, rows)
    if nested:
        mean = nested["mean"]
        optimism = mean["in_sample"] - mean["held_out"]
        console.print(f"nested over {nested['folds']} folds: mean in-sample {mean['in_sample']:.4f}, "
                      f"held-out {mean['held_out']:.4f} (selection optimism {optimism:+.4f})")
    paths = report.paths
    console.print(f"wrote {paths['selection']}, {paths['oof'].name}, {paths['test'].name}; "
                  f"level-1 store {paths['store']}")
