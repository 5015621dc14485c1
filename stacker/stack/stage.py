"""The ``stack`` stage: earlier stages' outputs in, the next layer out (``level<N>/<name>/``).

Stacking in layers: level-2 learners fitted on each input variant apart
(``level2/lightgbm@original``, ``level2/lightgbm@segmented``) are combined by a
learner one layer up. The inputs are any stage folders
(:mod:`stacker.data.stages`); for each label a level-2 learner (the same
registry as ``fit-l2``) is fitted with nested CV on the workspace folds
(:func:`stacker.level2.nested_cv`) on

- ``inputs``: each input's column for that label, or
- ``inputs+labels``: every label's column of every input.

The fit that predicts fold ``k`` trains on the inputs' *views* of fold ``k``
(their ``nested.parquet``: predictions made without fold ``k``'s labels at
every layer below), so each layer's OOF stays honest all the way up. With
``scaling="fold"`` (the default) each input's log-odds in every fold are first
aligned to the average fold's mean and spread (:mod:`stacker.stack.scaling`),
so the fits of different folds disagreeing on calibration do not mislead the layer.

The folder published (one atomic rename, :mod:`stacker.publish`) holds the
stage contract: ``oof.parquet`` / ``test.parquet``, ``nested.parquet`` (this
stack's own views, for the layer above), ``config.json`` (the
resolved config, the learner's parameters, ``inputs`` and the SHA-256 of every
file read) and ``scores.json`` (out-of-fold F-beta, greedy and smooth
thresholds with fold standard errors, of the stack and of each input). The
layer N is one above the highest input layer (and at least 2: level-0
candidates, ``--from 'level0/*'``, are layer 0), so stacks of stacks go to any depth.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from stacker import progress
from stacker.config import STAGE_NESTED_FILE, STAGE_OOF_FILE, STAGE_TEST_FILE, StackConfig
from stacker.data.metric import MetricSpec
from stacker.data.stages import (
    check_folder_name, input_fingerprints, missing_views_note, read_inputs, read_stage_json, read_views,
    resolve_sources, stage_layer,
)
from stacker.exceptions import ValidationError
from stacker.level2.learners import create_learner
from stacker.level2.nested import nested_cv, views_possible
from stacker.level2.summary import ScoreTable, layer_optimism, score_matrix
from stacker.oof.matrix import write_matrix, write_views
from stacker.stack.features import STACK_FEATURES, StackFeatures
from stacker.stack.scaling import apply_scaling, check_scaling
from stacker.publish import publishing, write_json

HONESTY = (
    "the fit that predicts fold k trained on each input's predictions made without fold k's labels at any layer "
    "(the inputs' nested views); test rows average the K fits; thresholds for fold k are fitted on the "
    "other folds of the stack's own view of fold k and scored on fold k"
)


@dataclass(frozen=True)
class StackResult(ScoreTable):
    """What ``stack`` produced.

    Attributes
    ----------
    output_dir : Path
        ``level<N>/<name>``.
    sources : list of str
        The input stage folders, in ``--from`` order.
    layer : int
        N.
    labels : list of str
    metric : MetricSpec
    params : dict
        The learner's resolved parameters.
    scores : dict
        ``{"level<N>/<name>" | source: score_matrix output}``: honest out-of-fold F-beta.
    """

    output_dir: Path
    sources: list[str]
    layer: int
    labels: list[str]
    metric: MetricSpec
    params: dict
    scores: dict

    @property
    def source(self) -> str:
        """The stage folder relative to the workspace, ``level<N>/<name>``."""
        return f"{self.output_dir.parent.name}/{self.output_dir.name}"


def run_stack(workspace, config: StackConfig = StackConfig()) -> StackResult:
    """Fit the next layer on ``config.sources`` and publish ``level<N>/<name>/``; see the module docstring."""
    learner = check_stack_config(config)
    name = check_folder_name(config.name or config.learner, "--name")
    sources = resolve_sources(workspace, config.sources, purpose="stack")
    layer = max(2, 1 + max(stage_layer(workspace.root, s) for s in sources))  # level-0 candidates alone: 2
    output = f"level{layer}/{name}"  # above every input, so a stack never feeds itself
    _check_not_fit_l2s(workspace, output, name)
    with progress.status(f"loading {len(sources)} stages"):
        oof, test = read_inputs(workspace, sources)
        views, missing = read_views(workspace, sources, oof)
    metric, folds = workspace.metric, np.asarray(workspace.folds, dtype=np.int64)
    features = StackFeatures(*apply_scaling(config.scaling, oof, views, test, folds), sources, workspace.labels,
                             config.features)
    make_views = config.nested_outputs and views_possible(workspace.n_folds)
    honesty = HONESTY + missing_views_note(missing, workspace.n_folds)
    result = nested_cv(features, workspace.y, folds, learner, n_jobs=config.jobs, seed=config.seed, views=make_views)
    stacked_oof = result.oof.astype(np.float32)  # as written: the score of exactly what 'submit' reads
    with progress.status("scoring the stack and its inputs out of fold"):
        scores = {output: score_matrix(workspace.y, stacked_oof, folds, metric, result.views)}
        scores.update({source: score_matrix(workspace.y, oof[i], folds, metric, views[i])
                       for i, source in enumerate(sources)})
        optimism = layer_optimism(workspace.y, result.in_sample, scores[output], folds, metric, f"level-{layer} fits")
    input_files = input_fingerprints(workspace, sources)
    output_dir = Path(workspace.root) / output
    with publishing(output_dir) as staging:
        write_matrix(staging / STAGE_OOF_FILE, stacked_oof, workspace.labels)
        write_matrix(staging / STAGE_TEST_FILE, result.test, workspace.labels)
        if make_views:
            write_views(staging / STAGE_NESTED_FILE, result.views, workspace.labels)
        write_json(staging / "config.json", {
            "config": asdict(config), "params": learner.get_params(), "inputs": sources, "input_files": input_files,
            "layer": layer, "metric": metric.name, "n_folds": workspace.n_folds,
            "features": {label: features.names(j) for j, label in enumerate(workspace.labels)},
            "inputs_without_views": missing, "views": make_views, "honesty": honesty,
        })
        write_json(staging / "scores.json", {"metric": metric.name, "labels": list(workspace.labels),
                                              "pipelines": scores, "optimism": optimism, "honesty": honesty})
    return StackResult(output_dir, sources, layer, list(workspace.labels), metric, learner.get_params(), scores)


def _check_not_fit_l2s(workspace, output: str, name: str) -> None:
    """Refuse to replace a stage ``fit-l2`` wrote (a stack straight on level 1 lands in ``level2/`` too)."""
    config = Path(workspace.root) / output / "config.json"
    if config.exists() and "sources" not in read_stage_json(config, "re-run 'stacker fit-l2'").get("config", {}):
        raise ValidationError(f"{output} holds the stage 'stacker fit-l2' wrote; this stack would replace it: pass "
                              f"--name (e.g. --name {name}-stack) to write level2/<name> beside it")


def check_stack_config(config: StackConfig):
    """Validate ``config`` (unknown learner or feature set list the valid ones); return the learner prototype."""
    if config.features not in STACK_FEATURES:
        raise ValidationError(f"unknown stack feature set {config.features!r}; choose one of: "
                              f"{', '.join(STACK_FEATURES)}")
    check_scaling(config.scaling)
    if isinstance(config.sources, str):
        raise ValidationError(f"sources must be a sequence of stage folders, not one string; found "
                              f"{config.sources!r} (use ({config.sources!r},) or split on commas)")
    return create_learner(config.learner, **config.params)
