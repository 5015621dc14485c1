"""``prevalence``: per-label thresholds that predict each label as often as it occurs in the fitted rows.

Human Protein Atlas winners matched each label's predicted positive rate to
its prevalence: a rule with no F-beta search, so nothing to overfit on rare
labels. Label ``j`` with ``m_j`` positives among ``n`` fitted rows gets the cut
of its probabilities sorted descending that keeps ``m_j`` rows positive; when
ties make that cut unreachable by a threshold, the nearest reachable cut
(ties: the smaller count).
"""

from __future__ import annotations

import numpy as np

from stacker.decide.rules import register_rule
from stacker.decide.rules._base import ThresholdRule
from stacker.thresholds.cuts import LabelCuts


@register_rule("prevalence")
class PrevalenceRule(ThresholdRule):
    """Predicted positive rate on the fitted rows = the label's prevalence there (within ties)."""

    name = "prevalence"

    def _thresholds(self, p: np.ndarray, y: np.ndarray) -> np.ndarray:
        cuts = LabelCuts.build(y, p)
        targets = y.sum(axis=0, dtype=np.int64)
        return np.array([cuts.values[j, nearest_reachable(cuts.reachable[j], int(m))]
                         for j, m in enumerate(targets)])


def nearest_reachable(reachable: np.ndarray, target: int) -> int:
    """The reachable cut ``k`` (``reachable[k]``) closest to ``target``; ties -> the smaller ``k``."""
    candidates = np.flatnonzero(reachable)
    return int(candidates[np.argmin(np.abs(candidates - target))])
