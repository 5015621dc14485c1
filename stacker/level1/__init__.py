"""Level 1: per-architecture bagging, per-label greedy/beam selection, pruning.

- :mod:`~stacker.level1.objectives` - the objective registry (``fbeta``, ``logloss``, ``auc``),
  each scoring M candidates of one label in one call.
- :mod:`~stacker.level1.selector` - ``GreedySelector``, ``BeamSelector``,
  ``RandomGreedySelector`` (arrays only) and the ``--method`` registry.
- :mod:`~stacker.level1.bagging` - grouping runs into bags and averaging them.
- :mod:`~stacker.level1.nested` - selection repeated inside outer folds.
- :mod:`~stacker.level1.prune` / :mod:`~stacker.level1.stage` - the ``prune`` and
  ``select`` stages (loaded on first use, so that the CLI can list the
  registries without the data stack).
- :mod:`~stacker.level1.outputs` - the level-1 file names and ``load_selection``.
"""

from __future__ import annotations

import importlib

from stacker.level1.additions import score_additions, subset_mean
from stacker.level1.bagging import BAG_MODES, Bag, bag_matrices, label_scores, plan_bags
from stacker.level1.nested import FoldSelection, nested_selection
from stacker.level1.objectives import (
    AUC, OBJECTIVES, FBeta, LogLoss, Objective, create_objective, list_objectives, register_objective,
)
from stacker.level1.outputs import load_level1_matrices, load_selection
from stacker.level1.selector import (
    SELECTORS, BeamSelector, GreedySelector, RandomGreedySelector, create_selector, list_methods,
)

_STAGES = {
    "run_selection": "stacker.level1.stage", "SelectionReport": "stacker.level1.stage",
    "prune_store": "stacker.level1.prune", "PruneReport": "stacker.level1.prune",
}


def __getattr__(name: str):
    """Load the stage modules on first use (``from stacker.level1 import run_selection``)."""
    if name in _STAGES:
        return getattr(importlib.import_module(_STAGES[name]), name)
    raise AttributeError(f"module 'stacker.level1' has no attribute {name!r}")


__all__ = [
    "AUC", "BAG_MODES", "Bag", "BeamSelector", "FBeta", "FoldSelection", "GreedySelector", "LogLoss",
    "OBJECTIVES", "Objective", "PruneReport", "RandomGreedySelector", "SELECTORS", "SelectionReport",
    "bag_matrices", "create_objective", "create_selector", "label_scores", "list_methods", "list_objectives",
    "load_level1_matrices", "load_selection", "nested_selection", "plan_bags", "prune_store",
    "register_objective", "run_selection", "score_additions", "subset_mean",
]
