"""``smooth``: per-label thresholds maximising the Gaussian-smoothed F curve (:mod:`stacker.thresholds.smooth`)."""

from __future__ import annotations

import numpy as np

from stacker.config import ThresholdConfig
from stacker.decide.rules import register_rule
from stacker.decide.rules._base import ThresholdRule
from stacker.thresholds import fit_thresholds

_DEFAULT = ThresholdConfig()


@register_rule("smooth")
class SmoothRule(ThresholdRule):
    """One threshold per label on the metric's curve smoothed in logit units: plateaus over spikes.

    Parameters
    ----------
    bandwidth : float, default 0.25
        Gaussian bandwidth in logit units.
    max_sweeps : int, default 50
        Cap on coordinate-ascent sweeps over the labels.
    """

    name = "smooth"

    def __init__(self, *, beta: float = 2.0, average: str = "samples", zero_division: float = 0.0,
                 bandwidth: float = _DEFAULT.bandwidth, max_sweeps: int = _DEFAULT.max_sweeps) -> None:
        super().__init__(beta=beta, average=average, zero_division=zero_division)
        self.bandwidth = bandwidth
        self.max_sweeps = max_sweeps

    def _thresholds(self, p: np.ndarray, y: np.ndarray) -> np.ndarray:
        return fit_thresholds(y, p, self.beta, self.average, "smooth", bandwidth=self.bandwidth,
                              max_sweeps=self.max_sweeps, zero_division=self.zero_division).thresholds
