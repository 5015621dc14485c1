"""``greedy``: the exact per-label thresholds of :func:`stacker.thresholds.fit_thresholds` (``method="greedy"``)."""

from __future__ import annotations

import numpy as np

from stacker.config import ThresholdConfig
from stacker.decide.rules import register_rule
from stacker.decide.rules._base import ThresholdRule
from stacker.thresholds import fit_thresholds

_DEFAULT = ThresholdConfig()


@register_rule("greedy")
class GreedyRule(ThresholdRule):
    """One threshold per label at the exact optimum of the metric on the fitted rows (coordinate ascent).

    Parameters
    ----------
    max_sweeps : int, default 50
        Cap on coordinate-ascent sweeps over the labels.
    """

    name = "greedy"

    def __init__(self, *, beta: float = 2.0, average: str = "samples", zero_division: float = 0.0,
                 max_sweeps: int = _DEFAULT.max_sweeps) -> None:
        super().__init__(beta=beta, average=average, zero_division=zero_division)
        self.max_sweeps = max_sweeps

    def _thresholds(self, p: np.ndarray, y: np.ndarray) -> np.ndarray:
        return fit_thresholds(y, p, self.beta, self.average, "greedy", max_sweeps=self.max_sweeps,
                              zero_division=self.zero_division).thresholds
