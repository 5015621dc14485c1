"""``ridge``: ridge regression on the features' log-odds, Platt-calibrated to [0, 1]."""

from __future__ import annotations

import numpy as np

from stacker.level2.learners import register_learner
from stacker.level2.learners._base import Learner, logit


@register_learner("ridge")
class RidgeLearner(Learner):
    """Ridge regression of the 0/1 label on standardised log-odds, then Platt scaling.

    Calibration: a ridge score is not a probability, so a one-feature logistic
    regression (Platt / sigmoid scaling, ``p = 1 / (1 + exp(-(a * score + b)))``)
    is fitted on the ridge scores of the *same training fold*. The map is
    monotone, so it changes no ranking, only puts the scores on the [0, 1]
    scale that thresholds are searched on. With a few dozen features the
    ridge barely overfits, so in-fold scores are close to out-of-fold ones.

    Parameters
    ----------
    alpha : float, default 10.0
        L2 strength.
    random_state : int, default 0
        Accepted for a uniform interface; the fit is deterministic.
    """

    def __init__(self, *, alpha: float = 10.0, random_state: int = 0) -> None:
        self.alpha = alpha
        self.random_state = random_state

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        from sklearn.linear_model import LogisticRegression, Ridge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.model_ = make_pipeline(StandardScaler(), Ridge(alpha=self.alpha)).fit(logit(X), y)
        score = self.model_.predict(logit(X)).reshape(-1, 1)
        self.calibrator_ = LogisticRegression(C=1e4, max_iter=1000).fit(score, y)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        score = self.model_.predict(logit(X)).reshape(-1, 1)
        return self.calibrator_.predict_proba(score)[:, 1]
