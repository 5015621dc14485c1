"""What every level-2 learner shares: parameters from ``__init__``, input checks, one-class folds.

A learner is a binary classifier on one label's stacking features::

    learner = create_learner("lightgbm", n_estimators=100).fit(X, y)   # X (n, n_features), y (n,)
    p = learner.predict_proba(X_new)                                    # (n_new,), in [0, 1]

Subclasses implement ``_fit(X, y)`` and ``_predict(X)``. The base class checks
the arrays, and a training fold whose label has a single class (a rare label
with no positive in K-1 folds) gets a constant prediction instead of a crash.
Every learner runs single-threaded: parallelism is the caller's, across labels
and folds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from stacker.exceptions import ValidationError
from stacker.parameters import Parameters


class Learner(Parameters, ABC):
    """Base class: scikit-learn style parameters, ``fit -> self``, ``predict_proba -> (n,)``."""

    def fit(self, X, y) -> "Learner":
        """Fit on ``X`` of shape (n_samples, n_features) and 0/1 ``y`` of shape (n_samples,)."""
        X = _check_X(X, None)
        y = _check_y(y, len(X))
        self.n_features_in_ = X.shape[1]
        classes = np.unique(y)
        self.constant_ = float(classes[0]) if len(classes) == 1 else None
        if self.constant_ is None:
            self._fit(X, y)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Probability of the positive class, shape (n_samples,), float64 in [0, 1]."""
        if not hasattr(self, "n_features_in_"):
            raise ValidationError(f"{type(self).__name__} is not fitted; call fit(X, y) first")
        X = _check_X(X, self.n_features_in_)
        if self.constant_ is not None:
            return np.full(len(X), self.constant_)
        return np.clip(np.asarray(self._predict(X), dtype=np.float64).reshape(-1), 0.0, 1.0)

    @abstractmethod
    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        """Fit on checked float64 ``X`` (n, n_features) and int ``y`` (n,) holding both classes."""

    @abstractmethod
    def _predict(self, X: np.ndarray) -> np.ndarray:
        """Positive-class scores for checked ``X``, shape (n,); clipped to [0, 1] by the caller."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"


# Probabilities are clipped to [LOGIT_EPS, 1 - LOGIT_EPS] before log-odds: a model that outputs exact 0/1
# (trees, kNN) then gives +-9.2 rather than an unbounded feature that dominates a linear learner.
LOGIT_EPS = 1e-4


def logit(X: np.ndarray, eps: float = LOGIT_EPS) -> np.ndarray:
    """Log-odds of probabilities clipped to [eps, 1 - eps], float64 of the same shape."""
    P = np.clip(np.asarray(X, dtype=np.float64), eps, 1.0 - eps)
    return np.log(P) - np.log1p(-P)


def _check_X(X, n_features: int | None) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) == 0:
        raise ValidationError(f"X must be a non-empty 2-D array (n_samples, n_features); found shape {X.shape}")
    if n_features is not None and X.shape[1] != n_features:
        raise ValidationError(f"X has {X.shape[1]} features; the learner was fitted on {n_features}")
    if not np.isfinite(X).all():
        raise ValidationError("X has NaN or infinite values; level-2 features must be finite probabilities")
    return X


def _check_y(y, n: int) -> np.ndarray:
    y = np.asarray(y).reshape(-1)
    if len(y) != n:
        raise ValidationError(f"y has {len(y)} values; X has {n} rows")
    if not np.isin(y, (0, 1)).all():
        raise ValidationError("y must be 0/1 labels of one label column")
    return y.astype(np.int64)


def inner_split(y: np.ndarray, valid_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified (train, valid) row indices; each class puts at least one row in each part when it can."""
    rng = np.random.default_rng(seed)
    train, valid = [], []
    for cls in (0, 1):
        rows = rng.permutation(np.flatnonzero(y == cls))
        n_valid = min(max(1, round(valid_fraction * len(rows))), len(rows) - 1) if len(rows) > 1 else 0
        valid.append(rows[:n_valid])
        train.append(rows[n_valid:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(valid))


def can_split(y: np.ndarray, n_splits: int) -> bool:
    """True when each class of ``y`` has at least ``n_splits`` rows (an inner stratified split is possible)."""
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=2)
    return bool(counts.min() >= n_splits)


def min_leaf(n_rows: int, fraction: float, floor: int) -> int:
    """A minimum leaf size that grows with the data: ``max(floor, fraction * n_rows)``."""
    return max(int(floor), int(round(fraction * n_rows)))
