"""``ridge``: ridge regression on the features' log-odds (alpha by efficient LOO CV), Platt-calibrated."""

from __future__ import annotations

import numpy as np

from stacker.level2.learners import register_learner
from stacker.level2.learners._base import Learner, logit


@register_learner("ridge")
class RidgeLearner(Learner):
    """Ridge regression of the 0/1 label on standardised log-odds, then Platt scaling.

    With ``alpha=None`` (the default) the L2 strength is chosen from ``alphas``
    by scikit-learn's efficient leave-one-out CV (``RidgeCV``) on the training
    rows only.

    Calibration: a ridge score is not a probability, so a one-feature logistic
    regression (Platt / sigmoid scaling, ``p = 1 / (1 + exp(-(a * score + b)))``)
    is fitted on the ridge scores of the *same training fold*. The map is
    monotone, so it changes no ranking, only puts the scores on the [0, 1]
    scale that thresholds are searched on.

    Parameters
    ----------
    alpha : float or None, default None
        L2 strength; None chooses it from ``alphas``.
    alphas : tuple of float, default (0.1, 1.0, 10.0, 100.0, 1000.0)
    random_state : int, default 0
        Accepted for a uniform interface; the fit is deterministic.

    Attributes
    ----------
    alpha_ : float
    """

    def __init__(self, *, alpha: float | None = None, alphas: tuple = (0.1, 1.0, 10.0, 100.0, 1000.0),
                 random_state: int = 0) -> None:
        self.alpha = alpha
        self.alphas = alphas
        self.random_state = random_state

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        from sklearn.linear_model import LogisticRegression, Ridge, RidgeCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        ridge = Ridge(alpha=self.alpha) if self.alpha is not None else RidgeCV(alphas=list(self.alphas))
        self.model_ = make_pipeline(StandardScaler(), ridge).fit(logit(X), y)
        self.alpha_ = float(ridge.alpha if self.alpha is not None else ridge.alpha_)
        score = self.model_.predict(logit(X)).reshape(-1, 1)
        self.calibrator_ = LogisticRegression(C=1e4, max_iter=1000).fit(score, y)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        score = self.model_.predict(logit(X)).reshape(-1, 1)
        return self.calibrator_.predict_proba(score)[:, 1]
