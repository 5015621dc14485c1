"""Level 2: per-label learners stacked on level-1 outputs, with nested CV on the workspace folds.

- :mod:`~stacker.level2.learners` - the learner registry (``logistic``, ``ridge``,
  ``lightgbm``, ``xgboost``, ``mlp``).
- :class:`FoldFeatures` - the ``all-models`` / ``all-models+labels`` / ``selected`` /
  ``all-labels`` feature sets of each (label, outer fold), from that fold's selection.
- :func:`nested_cv` - level-2 OOF and test predictions, parallel over labels x folds.
- :func:`parse_params` - ``--param key=value`` with type inference.
- :func:`stacker.level2.stage.fit_level2` - the ``fit-l2`` stage: level-1 files in,
  ``level2/<learner>/`` out (not imported here, so that the CLI can list the
  learners without loading the data stack).
"""

from stacker.level2.features import (
    FEATURE_SETS, FoldFeatures, LabelFeatures, Level1Outputs, StaticFeatures, label_features,
)
from stacker.level2.learners import Learner, create_learner, list_learners, register_learner
from stacker.level2.nested import NestedResult, nested_cv
from stacker.level2.params import parse_params

__all__ = [
    "FEATURE_SETS", "FoldFeatures", "LabelFeatures", "Learner", "Level1Outputs", "NestedResult", "StaticFeatures",
    "create_learner", "label_features", "list_learners", "nested_cv", "parse_params", "register_learner",
]
