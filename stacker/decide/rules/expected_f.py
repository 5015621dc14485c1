"""``expected-f``: per sample, the tag set with the highest expected F-beta given the marginals.

Planet's per-sample F2 was won this way: no threshold at all; each image gets
the set that maximises its own expected score, treating the probabilities as
calibrated and the labels as independent (:mod:`stacker.decide.expected`). A
rare label is then predicted when the other labels of the image are uncertain
too, which a fixed cut-off cannot do. Nothing is fitted: the probabilities
are used as they are (``expected-f-calibrated`` calibrates them first).
"""

from __future__ import annotations

import numpy as np

from stacker.decide.expected import expected_fbeta_decisions
from stacker.decide.rules import register_rule
from stacker.decide.rules._base import Rule


@register_rule("expected-f")
class ExpectedFRule(Rule):
    """Each row's best prefix of labels sorted by probability, by exact expected F-beta (per-sample metric only)."""

    name = "expected-f"
    averages = ("samples",)

    def _fit(self, p: np.ndarray, y: np.ndarray) -> None:
        """Nothing to learn: the marginals are taken as calibrated."""

    def _predict(self, p: np.ndarray) -> np.ndarray:
        return expected_fbeta_decisions(p, self.beta, self.zero_division)
