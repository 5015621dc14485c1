"""``bagged``: per-label thresholds averaged over bootstrap resamples of the fitted rows.

One threshold fitted on all rows sits wherever the OOF noise put the optimum;
the mean over ``n_bags`` bootstrap refits (``method`` thresholds on each) has
lower variance, the classic bagging argument applied to the cut-off itself.
Resamples are drawn from ``numpy.random.default_rng(random_state)``.
"""

from __future__ import annotations

import numpy as np

from stacker.config import ThresholdConfig
from stacker.decide.rules import register_rule
from stacker.decide.rules._base import ThresholdRule
from stacker.exceptions import ValidationError
from stacker.thresholds import fit_thresholds
from stacker.thresholds._validate import METHODS, check_choice

_DEFAULT = ThresholdConfig()


@register_rule("bagged")
class BaggedRule(ThresholdRule):
    """Mean of ``n_bags`` bootstrap fits of ``method`` thresholds.

    Parameters
    ----------
    method : {"greedy", "smooth"}, default "greedy"
        The thresholds fitted on each resample.
    n_bags : int, default 20
        Bootstrap resamples (rows drawn with replacement, as many as fitted).
    random_state : int, default 0
        Seed of the resamples.
    """

    name = "bagged"

    def __init__(self, *, beta: float = 2.0, average: str = "samples", zero_division: float = 0.0,
                 method: str = "greedy", n_bags: int = 20, random_state: int = 0) -> None:
        super().__init__(beta=beta, average=average, zero_division=zero_division)
        self.method = check_choice(method, METHODS, "bagged method")
        if isinstance(n_bags, bool) or not isinstance(n_bags, (int, np.integer)) or n_bags < 1:
            raise ValidationError(f"bagged n_bags must be an integer >= 1 (e.g. 20); found {n_bags!r}")
        self.n_bags = int(n_bags)
        self.random_state = random_state

    def _thresholds(self, p: np.ndarray, y: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng(self.random_state)
        fits = [self._fit_one(p, y, rng.integers(0, len(p), len(p))) for _ in range(self.n_bags)]
        return np.mean(fits, axis=0)

    def _fit_one(self, p: np.ndarray, y: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return fit_thresholds(y[rows], p[rows], self.beta, self.average, self.method,
                              bandwidth=_DEFAULT.bandwidth, max_sweeps=_DEFAULT.max_sweeps,
                              zero_division=self.zero_division).thresholds
