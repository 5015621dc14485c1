"""The ``stack`` stage: earlier stages' outputs in, the next layer out (``level<N>/<name>/``).

Stacking in layers: level-2 learners fitted on each input variant apart
(``level2/lightgbm@original``, ``level2/lightgbm@segmented``) are combined by a
learner one layer up. The inputs are any stage folders
(:mod:`stacker.data.stages`); for each label a level-2 learner (the same
registry as ``fit-l2``) is fitted with nested CV on the workspace folds
(:func:`stacker.level2.nested_cv`) on

- ``inputs``: each input's column for that label, or
- ``inputs+labels``: every label's column of every input.

The folder published (one atomic rename, :mod:`stacker.publish`) holds the
stage contract: ``oof.parquet`` / ``test.parquet``, ``config.json`` (the
resolved config, the learner's parameters, ``inputs`` and the SHA-256 of every
file read) and ``scores.json`` (out-of-fold F-beta, greedy and smooth
thresholds with fold standard errors, of the stack and of each input). The
layer N is one above the highest input layer, so stacks of stacks go to any depth.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from stacker import progress
from stacker.config import STAGE_OOF_FILE, STAGE_TEST_FILE, StackConfig
from stacker.data.metric import MetricSpec
from stacker.data.stages import check_folder_name, read_inputs, resolve_sources, stage_layer
from stacker.exceptions import ValidationError
from stacker.level2.features import LabelFeatures, StaticFeatures
from stacker.level2.learners import create_learner
from stacker.level2.nested import nested_cv
from stacker.level2.summary import ScoreTable, layer_optimism, score_matrix
from stacker.oof.matrix import write_matrix
from stacker.publish import file_sha256, publishing, write_json

STACK_FEATURES = ("inputs", "inputs+labels")
HONESTY = (
    "each input's OOF is that stage's own honest OOF; this layer's fits are nested on the same folds (fold k is "
    "predicted by a fit on the other folds); thresholds are fitted on K-1 folds and scored on the held-out fold "
    "(the inputs' fits for the other folds did see fold k's labels, as in any stack on OOF predictions)"
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
    layer = 1 + max(stage_layer(workspace.root, s) for s in sources)
    output = f"level{layer}/{name}"  # above every input, so a stack never feeds itself
    with progress.status(f"loading {len(sources)} stages"):
        oof, test = read_inputs(workspace, sources)
    features = stack_features(oof, test, sources, workspace.labels, config.features)
    metric, folds = workspace.metric, np.asarray(workspace.folds, dtype=np.int64)
    result = nested_cv(features, workspace.y, folds, learner, n_jobs=config.jobs, seed=config.seed)
    stacked_oof = result.oof.astype(np.float32)  # as written: the score of exactly what 'submit' reads
    with progress.status("scoring the stack and its inputs out of fold"):
        scores = {output: score_matrix(workspace.y, stacked_oof, folds, metric)}
        scores.update({source: score_matrix(workspace.y, oof[i], folds, metric) for i, source in enumerate(sources)})
        optimism = layer_optimism(workspace.y, result.in_sample, scores[output], folds, metric, f"level-{layer} fits")
    input_files = {s: {f: file_sha256(Path(workspace.root) / s / f) for f in (STAGE_OOF_FILE, STAGE_TEST_FILE)}
                   for s in sources}
    output_dir = Path(workspace.root) / output
    with publishing(output_dir) as staging:
        write_matrix(staging / STAGE_OOF_FILE, stacked_oof, workspace.labels)
        write_matrix(staging / STAGE_TEST_FILE, result.test, workspace.labels)
        write_json(staging / "config.json", {
            "config": asdict(config), "params": learner.get_params(), "inputs": sources, "input_files": input_files,
            "layer": layer, "metric": metric.name, "n_folds": workspace.n_folds,
            "features": {label: features.fold(j, None).names for j, label in enumerate(workspace.labels)},
            "honesty": HONESTY,
        })
        write_json(staging / "scores.json", {"metric": metric.name, "labels": list(workspace.labels),
                                              "pipelines": scores, "optimism": optimism, "honesty": HONESTY})
    return StackResult(output_dir, sources, layer, list(workspace.labels), metric, learner.get_params(), scores)


def check_stack_config(config: StackConfig):
    """Validate ``config`` (unknown learner or feature set list the valid ones); return the learner prototype."""
    if config.features not in STACK_FEATURES:
        raise ValidationError(f"unknown stack feature set {config.features!r}; choose one of: "
                              f"{', '.join(STACK_FEATURES)}")
    if isinstance(config.sources, str):
        raise ValidationError(f"sources must be a sequence of stage folders, not one string; found "
                              f"{config.sources!r} (use ({config.sources!r},) or split on commas)")
    return create_learner(config.learner, **config.params)


def stack_features(oof: np.ndarray, test: np.ndarray, sources: list[str], labels: list[str],
                   kind: str) -> StaticFeatures:
    """Per label, the design matrices of ``kind`` from the inputs' matrices.

    Parameters
    ----------
    oof : ndarray of shape (n_sources, n_train, n_labels)
    test : ndarray of shape (n_sources, n_test, n_labels)
    kind : ``inputs`` (each input's column for the label) or ``inputs+labels`` (every column of every input)
    """
    per_label = []
    for j, label in enumerate(labels):
        columns = [(i, j) for i in range(len(sources))]
        if kind == "inputs+labels":
            columns += [(i, l) for i in range(len(sources)) for l in range(len(labels)) if l != j]
        per_label.append(LabelFeatures(
            names=[f"{sources[i]}:{labels[l]}" for i, l in columns],
            train=np.stack([oof[i, :, l] for i, l in columns], axis=1),
            test=np.stack([test[i, :, l] for i, l in columns], axis=1),
        ))
    return StaticFeatures(per_label)
