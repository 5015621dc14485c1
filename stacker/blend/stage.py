"""The ``blend`` stage: stage outputs in, a per-label Caruana blend out, published as ``blend/``.

Reads the OOF and test matrices of the ``--from`` stages
(:mod:`stacker.data.stages`; ``level0/<name>`` inputs are level-0 candidates
of the level-1 store, so ``--from 'level0/*'`` is per-label Caruana over the
models themselves, and ``'level0/*,level2/*'`` lets a model join the stages), aligns each input's log-odds in every fold to
the average fold's mean and spread (``scaling="fold"``, the default;
:mod:`stacker.stack.scaling`), blends them per label with log loss as the
default objective (:mod:`~stacker.blend.weights`), and publishes
in one atomic rename (:mod:`stacker.publish`) a folder holding

- ``oof.parquet`` / ``test.parquet``: the blend (rows in workspace order), the
  same contract as every stage, so ``stacker stages``, ``submit`` and a later
  blend read it like any other; ``nested.parquet``: its views, for a stack above;
- ``config.json``: the resolved :class:`~stacker.config.BlendConfig`, the
  inputs and the SHA-256 of every file read;
- ``blend.json``: per label the inputs with their weights, the in-sample score
  and trace, and the weights chosen without each fold with their held-out score;
- ``scores.json``: out-of-fold F-beta (greedy and smooth thresholds, fold
  standard error) of the blend and of each input.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from stacker import progress
from stacker.blend.weights import BlendFit, blend_matrices, named_weights
from stacker.config import BLEND_DIR, STAGE_NESTED_FILE, STAGE_OOF_FILE, STAGE_TEST_FILE, BlendConfig
from stacker.data.metric import MetricSpec
from stacker.data.stages import input_fingerprints, missing_views_note, read_inputs, read_views, resolve_sources
from stacker.exceptions import ValidationError
from stacker.level1.objectives import create_objective, list_objectives
from stacker.level1.additions import subset_mean
from stacker.level2.summary import ScoreTable, layer_optimism, score_matrix
from stacker.oof.matrix import write_matrix, write_views
from stacker.publish import publishing, write_json
from stacker.stack.scaling import apply_scaling, check_scaling

BLEND_FILE = "blend.json"
HONESTY = (
    "the blend weights behind fold k's OOF rows were chosen without fold k's rows, on each input's predictions "
    "made without fold k's labels at any layer (the inputs' nested views); thresholds for fold k are fitted on the "
    "other folds of the blend's own view of fold k and scored on fold k"
)


@dataclass(frozen=True)
class BlendResult(ScoreTable):
    """What ``blend`` produced.

    Attributes
    ----------
    output_dir : Path
        ``blend/``.
    sources : list of str
        The stage folders blended, in ``--from`` order.
    labels : list of str
    metric : MetricSpec
    document : dict
        What ``blend.json`` holds (weights per label, nested choices per fold).
    scores : dict
        ``{"blend" | source: score_matrix output}``: honest out-of-fold F-beta.
    """

    output_dir: Path
    sources: list[str]
    labels: list[str]
    metric: MetricSpec
    document: dict
    scores: dict


def run_blend(workspace, config: BlendConfig = BlendConfig()) -> BlendResult:
    """Blend the stages of ``config.sources`` per label and publish ``blend/``; see the module docstring."""
    check_blend_config(config)
    sources = resolve_sources(workspace, config.sources, exclude=(BLEND_DIR,))
    with progress.status(f"loading {len(sources)} stages"):
        oof, test = read_inputs(workspace, sources)
        views, missing = read_views(workspace, sources, oof)
    honesty = HONESTY + missing_views_note(missing, workspace.n_folds)
    metric, folds = workspace.metric, np.asarray(workspace.folds, dtype=np.int64)
    objective = create_objective(config.objective, beta=metric.beta)
    scaled_oof, scaled_views, scaled_test = apply_scaling(config.scaling, oof, views, test, folds)
    fit = blend_matrices(scaled_oof, scaled_test, workspace.y, folds, objective, per_label=config.per_label,
                         replacement=config.replacement, views=scaled_views)
    with progress.status("scoring the blend and its inputs out of fold"):
        scores = {"blend": score_matrix(workspace.y, fit.oof, folds, metric, fit.views)}
        in_sample = np.stack([subset_mean(scaled_oof[:, :, j], choice.selector.selected_)
                              for j, choice in enumerate(fit.labels)], axis=1)
        optimism = layer_optimism(workspace.y, in_sample, scores["blend"], folds, metric, "blend weights")
        scores.update({source: score_matrix(workspace.y, oof[i], folds, metric, views[i])
                       for i, source in enumerate(sources)})
    document = blend_document(fit, sources, workspace.labels, workspace.n_folds)
    output_dir = Path(workspace.root) / BLEND_DIR
    inputs = input_fingerprints(workspace, sources)
    with publishing(output_dir) as staging:
        write_matrix(staging / STAGE_OOF_FILE, fit.oof, workspace.labels)
        write_matrix(staging / STAGE_TEST_FILE, fit.test, workspace.labels)
        write_views(staging / STAGE_NESTED_FILE, fit.views, workspace.labels)
        write_json(staging / "config.json", {
            "config": asdict(config), "inputs": sources, "input_files": inputs,
            "objective": repr(objective), "metric": metric.name, "n_folds": workspace.n_folds,
            "inputs_without_views": missing, "views": True, "honesty": honesty,
        })
        write_json(staging / BLEND_FILE, document)
        write_json(staging / "scores.json", {"metric": metric.name, "labels": list(workspace.labels),
                                              "pipelines": scores, "optimism": optimism,
                                              "honesty": honesty})
    return BlendResult(output_dir, sources, list(workspace.labels), metric, document, scores)


def check_blend_config(config: BlendConfig) -> None:
    """Refuse a ``per_label`` that is not an integer >= 1, a non-boolean ``replacement``, an unknown scaling or objective."""
    per_label = config.per_label
    if isinstance(per_label, bool) or not isinstance(per_label, (int, np.integer)) or per_label < 1:
        raise ValidationError(f"--per-label must be an integer >= 1; found {per_label!r}")
    if not isinstance(config.replacement, bool):
        raise ValidationError(f"replacement must be True or False; found {config.replacement!r}")
    check_scaling(config.scaling)
    if config.objective not in list_objectives():
        raise ValidationError(f"unknown blend objective {config.objective!r}; choose one of: "
                              f"{', '.join(list_objectives())}")
    if isinstance(config.sources, str):
        raise ValidationError(f"sources must be a sequence of stage folders, not one string; found "
                              f"{config.sources!r} (use ({config.sources!r},) or split on commas)")


def blend_document(fit: BlendFit, sources: list[str], labels: list[str], n_folds: int) -> dict:
    """JSON-ready record of every label's weights, in-sample score and trace, and its per-fold choices."""
    per_label, nested = {}, {}
    for label, choice in zip(labels, fit.labels):
        selector = choice.selector
        per_label[label] = {"weights": named_weights(selector.selected_, sources),
                            "order": [sources[m] for m in selector.selected_],
                            "in_sample": selector.score_, "trace": selector.trace_}
        nested[label] = {
            "in_sample": float(np.mean([f.in_sample for f in choice.folds])),
            "held_out": float(np.mean([f.held_out for f in choice.folds])),
            "folds": [{"fold": f.fold, "weights": named_weights(f.models, sources), "in_sample": f.in_sample,
                       "held_out": f.held_out} for f in choice.folds],
        }
    mean = {key: float(np.mean([n[key] for n in nested.values()])) for key in ("in_sample", "held_out")}
    return {"inputs": sources, "per_label": per_label, "nested": {"folds": n_folds, "per_label": nested, "mean": mean}}
