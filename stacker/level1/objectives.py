"""Selection objectives: score M candidate probability vectors of one label at once.

Every objective maps ``y`` of shape (n_samples,) and ``P`` of shape
(n_candidates, n_samples) to scores of shape (n_candidates,), **higher is
better**, in one vectorised call (no Python loop over candidates):

- ``fbeta``: binary F-beta at each candidate's exact optimal threshold
  (:func:`stacker.thresholds.best_fbeta`, "positive iff p >= t").
- ``logloss``: the *negated* binary log loss (scikit-learn's ``neg_log_loss``
  convention), probabilities clipped to ``[eps, 1 - eps]`` with ``eps`` the
  machine epsilon of ``P``'s dtype, as ``sklearn.metrics.log_loss`` does.
- ``auc``: ROC AUC (Mann-Whitney U from one sort, ties count one half); 0.5 for
  every candidate when ``y`` holds a single class (AUC undefined).

``held_out_score`` scores one candidate on rows it was not fitted on: for
``fbeta`` the threshold is fitted on the in-sample rows and applied to the
held-out ones, so nothing about the held-out rows leaks into their score.
"""

from __future__ import annotations

import inspect
import logging
from abc import ABC, abstractmethod
from typing import Callable

import numpy as np

from stacker.registry import Registry
from stacker.thresholds import best_fbeta, fbeta_score

logger = logging.getLogger(__name__)

OBJECTIVES: Registry["Objective"] = Registry("objective")
register_objective = OBJECTIVES.register


class Objective(ABC):
    """Base class: ``score`` is the vectorised objective, ``held_out_score`` its honest transfer.

    Subclasses implement ``bind(y)``: a function ``P -> scores`` with whatever
    depends on ``y`` alone computed once, since selection scores many blocks of
    candidates against the same label.
    """

    name = "objective"

    @abstractmethod
    def bind(self, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        """``P`` of shape (n_candidates, n_samples) -> scores of shape (n_candidates,), for labels ``y``."""

    def score(self, y: np.ndarray, P: np.ndarray) -> np.ndarray:
        """Scores of shape (n_candidates,) for ``P`` of shape (n_candidates, n_samples); higher is better."""
        return self.bind(y)(P)

    def held_out_score(self, y_in: np.ndarray, p_in: np.ndarray, y_out: np.ndarray, p_out: np.ndarray) -> float:
        """Score on the held-out rows (``y_out``, ``p_out``) of a candidate fitted on ``y_in``, ``p_in``.

        Objectives without fitted parameters ignore the in-sample rows.
        """
        return float(self.score(y_out, p_out[None, :])[0])

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


@register_objective("fbeta")
class FBeta(Objective):
    """Binary F-beta at the exact optimal threshold of each candidate.

    Parameters
    ----------
    beta : float, default 2.0
        Recall weight (the workspace metric's beta).
    """

    name = "fbeta"

    def __init__(self, *, beta: float = 2.0) -> None:
        self.beta = beta

    def bind(self, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        y = np.ascontiguousarray(y, dtype=np.uint8)
        return lambda P: best_fbeta(y, P, beta=self.beta)[0]

    def threshold(self, y: np.ndarray, p: np.ndarray) -> float:
        """The threshold at which ``p`` of shape (n_samples,) reaches its best F-beta."""
        return float(best_fbeta(y, p[None, :], beta=self.beta)[1][0])

    def held_out_score(self, y_in, p_in, y_out, p_out) -> float:
        positive = (p_out >= self.threshold(y_in, p_in)).astype(np.uint8)
        return fbeta_score(y_out, positive, beta=self.beta, average="binary")

    def __repr__(self) -> str:
        return f"FBeta(beta={self.beta!r})"


@register_objective("logloss")
class LogLoss(Objective):
    """Negated binary log loss (higher is better), equal to ``-sklearn.metrics.log_loss``."""

    name = "logloss"

    def bind(self, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        # probability given to the true class: p where y = 1, 1 - p (= -p + 1, exactly) where y = 0;
        # one multiply-add instead of np.where, which is five times slower on large blocks
        positive = np.asarray(y) == 1
        flips = {dtype: (np.where(positive, 1, -1).astype(dtype), (~positive).astype(dtype))
                 for dtype in (np.dtype(np.float32), np.dtype(np.float64))}

        def score(P: np.ndarray) -> np.ndarray:
            P = np.asarray(P)
            dtype = P.dtype if P.dtype in flips else np.dtype(np.float64)
            sign, offset = flips[dtype]
            eps = np.finfo(dtype).eps
            q = np.multiply(P, sign, dtype=dtype)
            q += offset
            np.clip(q, eps, 1 - eps, out=q)
            np.log(q, out=q)
            return q.sum(axis=1, dtype=dtype) / np.float64(len(positive))

        return score


@register_objective("auc")
class AUC(Objective):
    """ROC AUC of each candidate (ties count one half), equal to ``sklearn.metrics.roc_auc_score``.

    Mann-Whitney U from one sort per candidate: the label rides in the lowest
    bit of the probability's bit pattern (which orders like the value for
    probabilities in [0, 1]), so within a run of equal values the negatives come
    first and every positive counts the negatives below its run plus half of
    those in it.
    """

    name = "auc"

    def bind(self, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        positive = np.asarray(y) == 1
        n_pos = int(positive.sum())
        n_neg = len(positive) - n_pos
        if n_pos == 0 or n_neg == 0:
            logger.warning("AUC is undefined for a label with one class only; every candidate scores 0.5")
            return lambda P: np.full(len(P), 0.5)
        return lambda P: _mann_whitney_u(positive, P) / (n_pos * n_neg)


def _mann_whitney_u(positive: np.ndarray, P: np.ndarray) -> np.ndarray:
    """U statistic of each row of ``P`` (n_rows, n_samples): pairs (positive, negative) ordered right, ties 1/2."""
    P = np.asarray(P)
    if P.dtype not in (np.float32, np.float64):
        P = P.astype(np.float64)
    utype = np.uint32 if P.dtype == np.float32 else np.uint64
    key = np.ascontiguousarray(P).view(utype) << utype(1)  # the sign bit of -0.0 falls off: -0.0 == 0.0
    key |= positive.astype(utype)
    key.sort(axis=1)
    is_pos = (key & utype(1)).astype(bool)
    value = key >> utype(1)
    negatives_before = np.cumsum(~is_pos, axis=1, dtype=np.int64) - ~is_pos  # strictly before each position
    starts = np.ones(key.shape, dtype=bool)
    np.not_equal(value[:, 1:], value[:, :-1], out=starts[:, 1:])
    run_start = np.zeros(key.shape, dtype=np.int64)
    run_start[starts] = np.nonzero(starts)[1]
    np.maximum.accumulate(run_start, axis=1, out=run_start)
    below_run = np.take_along_axis(negatives_before, run_start, axis=1)
    return np.where(is_pos, below_run + 0.5 * (negatives_before - below_run), 0.0).sum(axis=1)


def list_objectives() -> list[str]:
    """Registered objective names, sorted."""
    return OBJECTIVES.names()


def create_objective(name: str, *, beta: float = 2.0) -> Objective:
    """Objective ``name``; ``beta`` goes to objectives that take it (``fbeta``).

    Unknown names raise RegistryError listing the valid ones.
    """
    factory = OBJECTIVES.get(name)
    if "beta" in inspect.signature(factory).parameters:
        return factory(beta=beta)
    return factory()


def resolve_objective(objective: str | Objective) -> Objective:
    """``objective`` itself, or the registered objective of that name with default parameters."""
    return create_objective(objective) if isinstance(objective, str) else objective
