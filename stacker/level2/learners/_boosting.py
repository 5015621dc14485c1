"""What the gradient-boosting learners share: rounds chosen by early stopping on an inner split, then a refit.

The training rows of one outer fold are split once more (stratified,
``valid_fraction`` held out, seeded by ``random_state``); boosting runs on the
inner training part until the held-out log loss has not improved for
``early_stopping_rounds`` rounds; the model is then refitted on every training
row with the best number of rounds. No outer-fold row is ever used to choose
the rounds of the fit that predicts it. ``early_stopping_rounds=0`` trains
exactly ``n_estimators`` rounds.
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np

from stacker.level2.learners._base import Learner, can_split, inner_split


class BoostingLearner(Learner):
    """Base of ``lightgbm`` and ``xgboost``: subclasses train a booster for a number of rounds.

    Attributes
    ----------
    n_rounds_ : int
        Boosting rounds of the final fit.
    """

    n_estimators: int
    early_stopping_rounds: int
    valid_fraction: float
    random_state: int

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        rounds = self.n_estimators
        if self.early_stopping_rounds > 0 and can_split(y, 2):
            train, valid = inner_split(y, self.valid_fraction, self.random_state)
            rounds = self._best_rounds(X[train], y[train], X[valid], y[valid])
        self.n_rounds_ = max(1, int(rounds))
        self.booster_ = self._train(X, y, self.n_rounds_)

    @abstractmethod
    def _best_rounds(self, X: np.ndarray, y: np.ndarray, X_valid: np.ndarray, y_valid: np.ndarray) -> int:
        """Rounds (at most ``n_estimators``) with the best validation log loss, early-stopped."""

    @abstractmethod
    def _train(self, X: np.ndarray, y: np.ndarray, rounds: int):
        """A booster trained on every row of ``X`` for ``rounds`` rounds."""
