"""``lightgbm``: gradient-boosted trees (LightGBM), shallow, strongly regularised, early-stopped."""

from __future__ import annotations

import numpy as np

from stacker.level2.learners import register_learner
from stacker.level2.learners._base import min_leaf
from stacker.level2.learners._boosting import BoostingLearner


@register_learner("lightgbm")
class LightGBMLearner(BoostingLearner):
    """LightGBM binary classifier, one thread, deterministic for a ``random_state``.

    Defaults suit stacking a few dozen correlated probability columns on 300 to
    40,000 rows: shallow trees, a minimum leaf size that grows with the data
    (``min_child_fraction`` of the rows, at least ``min_child_samples``), row and
    column subsampling, and the number of rounds chosen by early stopping on an
    inner split of the training rows (:mod:`._boosting`).

    Parameters
    ----------
    n_estimators : int, default 1000
        Most rounds (early stopping usually ends sooner).
    learning_rate : float, default 0.03
    num_leaves : int, default 7
    max_depth : int, default 3
    min_child_samples : int, default 20
        Floor of the minimum leaf size.
    min_child_fraction : float, default 0.02
        Minimum leaf size as a fraction of the training rows (0 for the floor alone).
    subsample : float, default 0.8
        Row fraction per tree (bagging every iteration).
    colsample_bytree : float, default 0.8
    reg_lambda : float, default 5.0
    early_stopping_rounds : int, default 50
        0: no early stopping, exactly ``n_estimators`` rounds.
    valid_fraction : float, default 0.2
    random_state : int, default 0
    """

    def __init__(self, *, n_estimators: int = 1000, learning_rate: float = 0.03, num_leaves: int = 7,
                 max_depth: int = 3, min_child_samples: int = 20, min_child_fraction: float = 0.02,
                 subsample: float = 0.8, colsample_bytree: float = 0.8, reg_lambda: float = 5.0,
                 early_stopping_rounds: int = 50, valid_fraction: float = 0.2, random_state: int = 0) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.min_child_fraction = min_child_fraction
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.early_stopping_rounds = early_stopping_rounds
        self.valid_fraction = valid_fraction
        self.random_state = random_state

    def _params(self, n_rows: int) -> dict:
        return {
            "objective": "binary", "learning_rate": self.learning_rate, "num_leaves": self.num_leaves,
            "max_depth": self.max_depth,
            "min_child_samples": min_leaf(n_rows, self.min_child_fraction, self.min_child_samples),
            "bagging_fraction": self.subsample, "bagging_freq": 1 if self.subsample < 1.0 else 0,
            "feature_fraction": self.colsample_bytree, "lambda_l2": self.reg_lambda, "seed": self.random_state,
            "num_threads": 1, "deterministic": True, "force_row_wise": True, "verbosity": -1,
        }

    def _best_rounds(self, X, y, X_valid, y_valid) -> int:
        import lightgbm

        train = _dataset(X, y)
        valid = _dataset(X_valid, y_valid, reference=train)
        booster = lightgbm.train({**self._params(len(X)), "metric": "binary_logloss"}, train,
                                 num_boost_round=self.n_estimators, valid_sets=[valid],
                                 callbacks=[lightgbm.early_stopping(self.early_stopping_rounds, verbose=False)])
        return booster.best_iteration or self.n_estimators

    def _train(self, X, y, rounds):
        import lightgbm

        return lightgbm.train(self._params(len(X)), _dataset(X, y), num_boost_round=rounds)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self.booster_.predict(X.astype(np.float32), num_threads=1)


def _dataset(X: np.ndarray, y: np.ndarray, reference=None):
    import lightgbm

    return lightgbm.Dataset(X.astype(np.float32), label=y, reference=reference, params={"verbosity": -1})
