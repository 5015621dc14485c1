"""``logistic``: L2-regularised logistic regression on the features' log-odds."""

from __future__ import annotations

import numpy as np

from stacker.level2.learners import register_learner
from stacker.level2.learners._base import Learner, logit


@register_learner("logistic")
class LogisticLearner(Learner):
    """Logistic regression on standardised log-odds of the level-1 probabilities.

    Parameters
    ----------
    C : float, default 1.0
        Inverse L2 strength (scikit-learn's ``C``).
    class_weight : {None, "balanced"}, default None
    max_iter : int, default 500
    random_state : int, default 0
        Accepted for a uniform interface; lbfgs is deterministic.
    """

    def __init__(self, *, C: float = 1.0, class_weight: str | None = None, max_iter: int = 500,
                 random_state: int = 0) -> None:
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.model_ = make_pipeline(
            StandardScaler(),
            LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter,
                               random_state=self.random_state),
        ).fit(logit(X), y)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(logit(X))[:, 1]
