"""``lightgbm``: gradient-boosted trees (LightGBM), shallow and slow-learning for stacking."""

from __future__ import annotations

import numpy as np

from stacker.level2.learners import register_learner
from stacker.level2.learners._base import Learner


@register_learner("lightgbm")
class LightGBMLearner(Learner):
    """LightGBM binary classifier, one thread, deterministic for a ``random_state``.

    Defaults suit a few dozen probability features: small trees, a low learning
    rate, row and column subsampling, and a minimum leaf size that keeps rare
    labels from being memorised.

    Parameters
    ----------
    n_estimators : int, default 200
    learning_rate : float, default 0.05
    num_leaves : int, default 15
    min_child_samples : int, default 20
    subsample : float, default 0.8
        Row fraction per tree (bagging every iteration).
    colsample_bytree : float, default 0.8
    reg_lambda : float, default 1.0
    random_state : int, default 0
    """

    def __init__(self, *, n_estimators: int = 200, learning_rate: float = 0.05, num_leaves: int = 15,
                 min_child_samples: int = 20, subsample: float = 0.8, colsample_bytree: float = 0.8,
                 reg_lambda: float = 1.0, random_state: int = 0) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.random_state = random_state

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        import lightgbm

        params = {
            "objective": "binary", "learning_rate": self.learning_rate, "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples, "bagging_fraction": self.subsample,
            "bagging_freq": 1 if self.subsample < 1.0 else 0, "feature_fraction": self.colsample_bytree,
            "lambda_l2": self.reg_lambda, "seed": self.random_state, "num_threads": 1,
            "deterministic": True, "force_row_wise": True, "verbosity": -1,
        }
        data = lightgbm.Dataset(X.astype(np.float32), label=y, params={"verbosity": -1})
        self.booster_ = lightgbm.train(params, data, num_boost_round=self.n_estimators)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self.booster_.predict(X.astype(np.float32), num_threads=1)
