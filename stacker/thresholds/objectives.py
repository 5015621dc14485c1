"""The score as a function of one label's cut, the others held fixed: one class per average.

Each objective keeps the current cut ``k`` of every label and the counts it
implies, so that ``curve(j)`` scores all ``n + 1`` cuts of label ``j`` in O(n)
from the sorted view (``LabelCuts``), and ``set_cut(j, k)`` updates the counts
incrementally. ``curve`` returns the full metric (averaged as named), so values
of different labels' curves are comparable and ``score()`` equals ``curve(j)[k_j]``.
"""

from __future__ import annotations

import numpy as np

from stacker.thresholds.cuts import LabelCuts
from stacker.thresholds.fbeta import fbeta_from_counts


class _Objective:
    def __init__(self, y: np.ndarray, cuts: LabelCuts, beta: float, zero_division: float, k: np.ndarray) -> None:
        self.y = y
        self.cuts = cuts
        self.beta = beta
        self.zero_division = zero_division
        self.k = np.array(k, dtype=np.int64)
        self.n_true = y.sum(axis=0, dtype=np.int64)

    def _f(self, tp, n_true, n_pred) -> np.ndarray:
        return fbeta_from_counts(tp, n_true, n_pred, self.beta, self.zero_division)


class MacroObjective(_Objective):
    """Mean over labels of each label's F-beta: labels do not interact."""

    def curve(self, j: int) -> np.ndarray:
        label = self._f(self.cuts.tp[j], self.n_true[j], np.arange(self.cuts.n_samples + 1))
        return (self.score_sum() - self._label_score(j) + label) / len(self.k)

    def set_cut(self, j: int, k: int) -> None:
        self.k[j] = k

    def score(self) -> float:
        return float(self.score_sum() / len(self.k))

    def score_sum(self) -> float:
        return float(sum(self._label_score(j) for j in range(len(self.k))))

    def _label_score(self, j: int) -> float:
        return float(self._f(self.cuts.tp[j, self.k[j]], self.n_true[j], self.k[j]))


class MicroObjective(_Objective):
    """One F-beta over every cell: global tp and predicted counts."""

    def curve(self, j: int) -> np.ndarray:
        tp_rest = self._tp_total() - self.cuts.tp[j, self.k[j]]
        pred_rest = self.k.sum() - self.k[j]
        ks = np.arange(self.cuts.n_samples + 1)
        return self._f(tp_rest + self.cuts.tp[j], self.n_true.sum(), pred_rest + ks)

    def set_cut(self, j: int, k: int) -> None:
        self.k[j] = k

    def score(self) -> float:
        return float(self._f(self._tp_total(), self.n_true.sum(), self.k.sum()))

    def _tp_total(self) -> int:
        return int(self.cuts.tp[np.arange(len(self.k)), self.k].sum())


class SamplesObjective(_Objective):
    """Mean over rows of each row's F-beta (Kaggle Planet): per-row tp and predicted counts."""

    def __init__(self, y, cuts, beta, zero_division, k) -> None:
        super().__init__(y, cuts, beta, zero_division, k)
        self.row_true = y.sum(axis=1, dtype=np.int64)
        self.pred = np.zeros(y.shape, dtype=np.uint8)
        for j, kj in enumerate(self.k):
            self.pred[cuts.order[j, :kj], j] = 1
        self.row_tp = (self.pred & y).sum(axis=1, dtype=np.int64)
        self.row_pred = self.pred.sum(axis=1, dtype=np.int64)

    def curve(self, j: int) -> np.ndarray:
        yj, pj = self.y[:, j], self.pred[:, j]
        tp_rest = self.row_tp - (yj & pj)
        pred_rest = self.row_pred - pj
        off = self._f(tp_rest, self.row_true, pred_rest)
        on = self._f(tp_rest + yj, self.row_true, pred_rest + 1)
        out = np.empty(len(yj) + 1)
        out[0] = off.sum()
        np.cumsum((on - off)[self.cuts.order[j]], out=out[1:])
        out[1:] += out[0]
        return out / len(yj)

    def set_cut(self, j: int, k: int) -> None:
        yj = self.y[:, j]
        self.row_tp -= yj & self.pred[:, j]
        self.row_pred -= self.pred[:, j]
        self.pred[:, j] = 0
        self.pred[self.cuts.order[j, :k], j] = 1
        self.row_tp += yj & self.pred[:, j]
        self.row_pred += self.pred[:, j]
        self.k[j] = k

    def score(self) -> float:
        return float(self._f(self.row_tp, self.row_true, self.row_pred).mean())


OBJECTIVES = {"samples": SamplesObjective, "macro": MacroObjective, "micro": MicroObjective}
