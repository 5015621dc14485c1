"""``expected-f-calibrated``: ``expected-f`` on probabilities recalibrated per label on the fitted rows.

Expected F-beta is only as good as the marginals: stacked or averaged
probabilities are often over- or under-confident. A per-label isotonic
regression (or Platt scaling) fitted on the OOF rows maps them to observed
frequencies first; inside the shared evaluator it is fitted on K-1 folds, so
its benefit is measured out of fold like every other rule's.
"""

from __future__ import annotations

import numpy as np

from stacker.decide.calibration import CALIBRATIONS, fit_calibrators
from stacker.decide.expected import expected_fbeta_decisions
from stacker.decide.rules import register_rule
from stacker.decide.rules._base import Rule
from stacker.thresholds._validate import check_choice


@register_rule("expected-f-calibrated")
class CalibratedExpectedFRule(Rule):
    """Per-label calibration, then each row's expected-F-beta-optimal tag set (per-sample metric only).

    Parameters
    ----------
    method : {"isotonic", "platt"}, default "isotonic"
        Per-label calibration map fitted on the rows given to ``fit``.
    """

    name = "expected-f-calibrated"
    averages = ("samples",)

    def __init__(self, *, beta: float = 2.0, average: str = "samples", zero_division: float = 0.0,
                 method: str = "isotonic") -> None:
        super().__init__(beta=beta, average=average, zero_division=zero_division)
        self.method = check_choice(method, tuple(CALIBRATIONS), "calibration method")

    def _fit(self, p: np.ndarray, y: np.ndarray) -> None:
        self.calibrators_ = fit_calibrators(p, y, self.method)

    def _predict(self, p: np.ndarray) -> np.ndarray:
        calibrated = np.column_stack([c(p[:, j]) for j, c in enumerate(self.calibrators_)])
        return expected_fbeta_decisions(calibrated, self.beta, self.zero_division)
