"""Per-label sorted cut points of a probability matrix, computed once per optimisation.

Column ``j`` of ``proba`` sorted descending gives the cuts ``k = 0..n``
("the ``k`` highest are positive"); see :mod:`stacker.thresholds.exact` for
which cuts are reachable by a threshold and which threshold reproduces each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LabelCuts:
    """Sorted view of every label column.

    Attributes
    ----------
    order : ndarray of shape (n_labels, n_samples), int64
        Row indices of each label by descending probability.
    tp : ndarray of shape (n_labels, n_samples + 1), int64
        True positives among the top ``k`` of each label.
    reachable : ndarray of shape (n_labels, n_samples + 1), bool
        Cut ``k`` ends a run of equal probabilities (``k = 0`` always).
    values : ndarray of shape (n_labels, n_samples + 1), float64
        Threshold reproducing cut ``k`` with ``p >= t``.
    ascending : ndarray of shape (n_labels, n_samples), float64
        Each label's probabilities sorted ascending (to count ``p >= t``; float64
        so that counts agree with ``proba >= t`` for a float64 ``t``).
    """

    order: np.ndarray
    tp: np.ndarray
    reachable: np.ndarray
    values: np.ndarray
    ascending: np.ndarray

    @classmethod
    def build(cls, y: np.ndarray, proba: np.ndarray) -> "LabelCuts":
        """From validated ``y`` (n_samples, n_labels) 0/1 and ``proba`` of the same shape."""
        pt = np.ascontiguousarray(proba.T)
        ascending_order = np.argsort(pt, axis=1)  # order inside ties is irrelevant: cuts end runs
        order = ascending_order[:, ::-1]
        ascending = np.take_along_axis(pt, ascending_order, axis=1)
        desc = ascending[:, ::-1]
        n_labels, n = pt.shape
        tp = np.zeros((n_labels, n + 1), dtype=np.int64)
        np.cumsum(np.take_along_axis(y.T, order, axis=1), axis=1, out=tp[:, 1:])
        reachable = np.ones((n_labels, n + 1), dtype=bool)
        np.not_equal(desc[:, :-1], desc[:, 1:], out=reachable[:, 1:n])
        values = np.empty((n_labels, n + 1), dtype=np.float64)
        values[:, 1:] = desc
        values[:, 0] = np.nextafter(desc[:, 0], proba.dtype.type(np.inf))
        return cls(order=order, tp=tp, reachable=reachable, values=values, ascending=ascending.astype(np.float64))

    @property
    def n_samples(self) -> int:
        return self.order.shape[1]

    def count_at_least(self, j: int, thresholds: np.ndarray) -> np.ndarray:
        """Cut index ``k = #{p_j >= t}`` for each threshold ``t``: int64 array like ``thresholds``."""
        t = np.asarray(thresholds, dtype=np.float64)
        return self.n_samples - np.searchsorted(self.ascending[j], t, side="left")
