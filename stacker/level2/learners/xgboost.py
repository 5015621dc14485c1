"""``xgboost``: gradient-boosted trees (XGBoost ``hist``), shallow, early-stopped."""

from __future__ import annotations

import numpy as np

from stacker.level2.learners import register_learner
from stacker.level2.learners._boosting import BoostingLearner


@register_learner("xgboost")
class XGBoostLearner(BoostingLearner):
    """XGBoost binary classifier (``hist`` trees), one thread, deterministic for a ``random_state``.

    Rounds are chosen by early stopping on an inner split of the training rows
    (:mod:`._boosting`).

    Parameters
    ----------
    n_estimators : int, default 1000
        Most rounds (early stopping usually ends sooner).
    learning_rate : float, default 0.03
    max_depth : int, default 3
    min_child_weight : float, default 5.0
        Minimum hessian sum in a leaf (about 20 rows at p = 0.5, more for confident rows).
    subsample : float, default 0.8
    colsample_bytree : float, default 0.8
    reg_lambda : float, default 5.0
    early_stopping_rounds : int, default 50
        0: no early stopping, exactly ``n_estimators`` rounds.
    valid_fraction : float, default 0.2
    random_state : int, default 0
    """

    def __init__(self, *, n_estimators: int = 1000, learning_rate: float = 0.03, max_depth: int = 3,
                 min_child_weight: float = 5.0, subsample: float = 0.8, colsample_bytree: float = 0.8,
                 reg_lambda: float = 5.0, early_stopping_rounds: int = 50, valid_fraction: float = 0.2,
                 random_state: int = 0) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.early_stopping_rounds = early_stopping_rounds
        self.valid_fraction = valid_fraction
        self.random_state = random_state

    def _params(self) -> dict:
        return {
            "objective": "binary:logistic", "eval_metric": "logloss", "eta": self.learning_rate,
            "max_depth": self.max_depth, "min_child_weight": self.min_child_weight, "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree, "lambda": self.reg_lambda, "seed": self.random_state,
            "nthread": 1, "tree_method": "hist", "verbosity": 0,
        }

    def _best_rounds(self, X, y, X_valid, y_valid) -> int:
        import xgboost

        booster = xgboost.train(self._params(), _matrix(X, y), num_boost_round=self.n_estimators,
                                evals=[(_matrix(X_valid, y_valid), "valid")],
                                early_stopping_rounds=self.early_stopping_rounds, verbose_eval=False)
        return int(booster.best_iteration) + 1

    def _train(self, X, y, rounds):
        import xgboost

        return xgboost.train(self._params(), _matrix(X, y), num_boost_round=rounds)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self.booster_.predict(_matrix(X))


def _matrix(X: np.ndarray, y: np.ndarray | None = None):
    """A float32 DMatrix of ``X`` (and labels ``y``), built with one thread."""
    import xgboost

    return xgboost.DMatrix(X.astype(np.float32), label=y, nthread=1)
