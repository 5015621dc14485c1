"""``logistic``: L2-regularised logistic regression on the features' log-odds, C chosen by inner CV."""

from __future__ import annotations

import numpy as np

from stacker.level2.learners import register_learner
from stacker.level2.learners._base import Learner, can_split, logit


@register_learner("logistic")
class LogisticLearner(Learner):
    """Logistic regression on standardised, clipped log-odds of the level-1 probabilities.

    With ``C=None`` (the default) the inverse regularisation strength is chosen
    from ``Cs`` by an inner stratified ``inner_folds``-fold CV on the training
    rows only (log loss), then refitted on all of them, so the default is safe
    on a 300-row fold with 40 correlated columns and strong on 40,000 rows. A
    label too rare for the inner split falls back to ``C=1``.

    Parameters
    ----------
    C : float or None, default None
        Inverse L2 strength (scikit-learn's ``C``); None chooses it by inner CV.
    Cs : tuple of float, default (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
        The grid searched when ``C`` is None.
    inner_folds : int, default 3
    class_weight : {None, "balanced"}, default None
    max_iter : int, default 500
    random_state : int, default 0
        Shuffles the inner folds; lbfgs itself is deterministic.

    Attributes
    ----------
    C_ : float
        The C used for the final fit.
    """

    def __init__(self, *, C: float | None = None, Cs: tuple = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0),
                 inner_folds: int = 3, class_weight: str | None = None, max_iter: int = 500,
                 random_state: int = 0) -> None:
        self.C = C
        self.Cs = Cs
        self.inner_folds = inner_folds
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        Z = logit(X)
        self.scaler_ = StandardScaler().fit(Z)
        Z = self.scaler_.transform(Z)
        self.C_ = self.C if self.C is not None else self._inner_cv_C(Z, y)
        self.model_ = LogisticRegression(C=self.C_, class_weight=self.class_weight, max_iter=self.max_iter,
                                         random_state=self.random_state).fit(Z, y)

    def _inner_cv_C(self, Z: np.ndarray, y: np.ndarray) -> float:
        """The C of ``Cs`` with the lowest mean held-out log loss over inner stratified folds (ties: smaller C)."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import log_loss
        from sklearn.model_selection import StratifiedKFold

        if not can_split(y, self.inner_folds):
            return 1.0
        Cs = sorted(self.Cs)
        losses = np.zeros(len(Cs))
        folds = StratifiedKFold(self.inner_folds, shuffle=True, random_state=self.random_state)
        for train, valid in folds.split(Z, y):
            # Warm-started along the path from strong to weak regularisation, as LogisticRegressionCV does.
            model = LogisticRegression(class_weight=self.class_weight, max_iter=self.max_iter, warm_start=True)
            for i, C in enumerate(Cs):
                model.set_params(C=C).fit(Z[train], y[train])
                losses[i] += log_loss(y[valid], model.predict_proba(Z[valid])[:, 1], labels=[0, 1])
        return float(Cs[int(np.argmin(losses))])

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(self.scaler_.transform(logit(X)))[:, 1]
