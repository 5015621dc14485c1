"""``xgboost``: gradient-boosted trees (XGBoost ``hist``), shallow for stacking."""

from __future__ import annotations

import numpy as np

from stacker.level2.learners import register_learner
from stacker.level2.learners._base import Learner


@register_learner("xgboost")
class XGBoostLearner(Learner):
    """XGBoost binary classifier (``hist`` trees), one thread, deterministic for a ``random_state``.

    Parameters
    ----------
    n_estimators : int, default 200
    learning_rate : float, default 0.05
    max_depth : int, default 3
    min_child_weight : float, default 1.0
    subsample : float, default 0.8
    colsample_bytree : float, default 0.8
    reg_lambda : float, default 1.0
    random_state : int, default 0
    """

    def __init__(self, *, n_estimators: int = 200, learning_rate: float = 0.05, max_depth: int = 3,
                 min_child_weight: float = 1.0, subsample: float = 0.8, colsample_bytree: float = 0.8,
                 reg_lambda: float = 1.0, random_state: int = 0) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.random_state = random_state

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        import xgboost

        params = {
            "objective": "binary:logistic", "eta": self.learning_rate, "max_depth": self.max_depth,
            "min_child_weight": self.min_child_weight, "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree, "lambda": self.reg_lambda, "seed": self.random_state,
            "nthread": 1, "tree_method": "hist", "verbosity": 0,
        }
        self.booster_ = xgboost.train(params, _matrix(X, y), num_boost_round=self.n_estimators)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self.booster_.predict(_matrix(X))


def _matrix(X: np.ndarray, y: np.ndarray | None = None):
    """A float32 DMatrix of ``X`` (and labels ``y``), built with one thread."""
    import xgboost

    return xgboost.DMatrix(X.astype(np.float32), label=y, nthread=1)
