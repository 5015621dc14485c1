"""``fit-l2``: the level-2 stage runner (files in, files out; the algorithm is in ``nested.py``).

Reads level 1 (selection, averages, candidates), fits one learner per label
with nested CV on the workspace folds, and writes under ``level2/<learner>/``:

- ``oof.parquet`` / ``test.parquet``: level-2 probabilities (rows in workspace order)
- ``nested.parquet`` (unless ``--no-nested-outputs``): each outer fold's view of
  the train rows made without that fold, for a ``stack`` or ``blend`` above
- ``config.json``: the resolved config, the learner's full parameters, the features
- ``scores.json``: out-of-fold F-beta (greedy and smooth thresholds) of the best
  single model, the level-1 average and level 2, overall and per label

How honest the scores are: the base models' OOF predictions are out-of-fold;
the level-1 selection behind a feature set is the one made without the fold a
fit predicts (``stacker select`` is nested by default), the best single model
of fold ``k`` is chosen on the other folds, the level-2 fits are nested on the
same folds (a fit never sees the labels of the fold it predicts), and
thresholds are fitted on K-1 folds and scored on the held-out one. Every score
comes with its fold-to-fold standard error.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from stacker import progress
from stacker.config import LEVEL1_DIR, STAGE_NESTED_FILE, L2Config
from stacker.data import Workspace
from stacker.data.metric import MetricSpec
from stacker.data.stages import GROUP_SEPARATOR, input_fingerprints
from stacker.exceptions import StoreError, ValidationError
from stacker.level2.features import FoldFeatures, Level1Outputs
from stacker.level2.inputs import OOF_FILE, TEST_FILE, load_level1
from stacker.level2.learners import create_learner
from stacker.level2.nested import NestedResult, nested_cv, views_possible
from stacker.level2.summary import (
    ScoreTable, best_single_models, best_single_out_of_fold, layer_optimism, score_matrix,
)
from stacker.oof.matrix import write_matrix, write_views
from stacker.publish import publishing, write_json

HONESTY = (
    "base-model OOF features are out-of-fold; the level-1 selection and the best single model of each fold "
    "were chosen without that fold; level-2 fits are nested on the same folds; thresholds are fitted on K-1 "
    "folds of the predictions made without the held-out fold (the nested views; OOF without them) and scored on "
    "the held-out fold"
)
HONESTY_NOT_NESTED = (
    "base-model OOF features are out-of-fold; level-2 fits are nested on the same folds; thresholds are "
    "fitted on K-1 folds and scored on the held-out fold; but the level-1 selection used all OOF labels "
    "('stacker select --no-nested'), so scores of features built from it are optimistic: rerun 'stacker select'"
)


@dataclass(frozen=True)
class L2Result(ScoreTable):
    """What ``fit-l2`` produced.

    Attributes
    ----------
    output_dir : Path
        ``level2/<learner>``.
    labels : list of str
    metric : MetricSpec
    params : dict
        The learner's resolved parameters.
    scores : dict
        ``{"best single" | "level-1" | "level-2": score_matrix output}``.
    best_single : list of str, length n_labels
        The best single level-1 candidate of each label on every row (what a
        best-single submission would use; its score is chosen fold by fold).
    honesty : str
        How honest the scores are (selection in the folds or not).
    """

    output_dir: Path
    labels: list[str]
    metric: MetricSpec
    params: dict
    scores: dict
    best_single: list[str]
    honesty: str = HONESTY


def fit_level2(workspace: Workspace, config: L2Config = L2Config()) -> L2Result:
    """Run the level-2 stage on ``workspace``; see the module docstring for what is written.

    With ``config.group`` set, use :func:`fit_level2_groups` (one fit per group of level 1).
    """
    if config.group is not None:
        raise ValidationError(f"L2Config.group is {config.group!r}: call fit_level2_groups, which fits one "
                              f"level 2 per group of a grouped level 1")
    return _fit(workspace, config, None)


def fit_level2_groups(workspace: Workspace, config: L2Config) -> list[L2Result]:
    """Level 2 on each group of a grouped level 1 (``select --group KEY``): ``level2/<learner>@<group>/``.

    ``config.group`` must be the KEY level 1 was grouped by, so a stale or other grouping is refused.
    """
    groups = workspace.level1_groups()
    if config.group is None or not groups:
        raise StoreError(f"fit-l2 --group needs a grouped level 1; run 'stacker select --group "
                         f"{config.group or 'variant'}' first")
    from stacker.level1 import load_selection

    keys = {load_selection(workspace, g).get("config", {}).get("group") for g in groups}
    if keys != {config.group}:
        raise ValidationError(f"--group {config.group}: level 1 is grouped by {', '.join(map(str, sorted(keys, key=str)))}"
                              f" ({', '.join(groups)}); rerun 'stacker select --group {config.group}' or pass "
                              f"that key")
    return [_fit(workspace, config, group) for group in groups]


def stage_name(learner: str, group: str | None) -> str:
    """The level-2 folder of ``learner`` (on one level-1 group): ``<learner>`` or ``<learner>@<group>``."""
    return learner if group is None else f"{learner}{GROUP_SEPARATOR}{group}"


def _fit(workspace: Workspace, config: L2Config, group: str | None) -> L2Result:
    learner = create_learner(config.learner, **config.params)
    level1_source = LEVEL1_DIR if group is None else f"{LEVEL1_DIR}/{group}"
    with progress.status(f"loading level-1 outputs ({level1_source})"):
        level1 = load_level1(workspace, group)
        input_files = input_fingerprints(workspace, [level1_source])  # what was read, for stale_inputs
    features = FoldFeatures(level1, config.features)
    honesty = HONESTY if features.in_folds else HONESTY_NOT_NESTED
    make_views = config.nested_outputs and views_possible(workspace.n_folds)
    result = nested_cv(features, workspace.y, workspace.folds, learner, n_jobs=config.jobs, seed=config.seed,
                       views=make_views)
    output_dir = workspace.level2_dir / stage_name(config.learner, group)
    with publishing(output_dir) as staging:  # replaces the previous level2/<learner>/ in one rename
        write_matrix(staging / OOF_FILE, result.oof, workspace.labels)
        write_matrix(staging / TEST_FILE, result.test, workspace.labels)
        if make_views:
            write_views(staging / STAGE_NESTED_FILE, result.views, workspace.labels)
        with progress.status("scoring thresholds out of fold"):
            scores, best_single = compare(workspace, level1, result)
        write_json(staging / "config.json", {
            "config": asdict(config), "params": learner.get_params(), "metric": workspace.metric.name,
            "n_folds": workspace.n_folds, "inputs": [level1_source],
            "input_files": input_files, "views": make_views,
            "features": feature_names(features, workspace.folds),
            "selection_in_folds": features.in_folds, "honesty": honesty,
        })
        optimism = layer_optimism(workspace.y, result.in_sample, scores["level-2"], workspace.folds, workspace.metric,
                                  "level-2 fits")
        write_json(staging / "scores.json", {"metric": workspace.metric.name, "labels": workspace.labels,
                                              "pipelines": scores, "best_single": best_single,
                                              "optimism": optimism, "honesty": honesty})
    return L2Result(output_dir, list(workspace.labels), workspace.metric, learner.get_params(), scores, best_single,
                    honesty)


def feature_names(features: FoldFeatures, folds: np.ndarray) -> dict:
    """``{label: names}`` when every fold sees the same columns, else ``{label: {fold: names}}``."""
    names = {}
    for j, label in enumerate(features.level1.labels):
        per_fold = {str(k): features.names(j, int(k)) for k in np.unique(folds)}
        distinct = {tuple(v) for v in per_fold.values()}
        names[label] = list(distinct.pop()) if len(distinct) == 1 else per_fold
    return names


def compare(workspace: Workspace, level1: Level1Outputs, result: NestedResult) -> tuple[dict, list[str]]:
    """Out-of-fold scores of the best single model per label, the level-1 average and level 2.

    Returns the scores by pipeline and the name of each label's best single candidate on every row.
    """
    Y, folds, metric = workspace.y, workspace.folds, workspace.metric
    best = best_single_models(Y, level1.candidate_oof, metric.beta)
    single_oof, single_views = best_single_out_of_fold(Y, level1.candidate_oof, folds, metric.beta)
    scores = {
        "best single": score_matrix(Y, single_oof, folds, metric, single_views),
        "level-1": score_matrix(Y, level1.out_of_fold_averages(folds), folds, metric, level1.fold_views(folds)),
        # float32, as written to oof.parquet: the score of exactly what 'stacker submit' reads.
        "level-2": score_matrix(Y, result.oof.astype(np.float32), folds, metric, result.views),
    }
    return scores, [level1.candidates[m] for m in best]
