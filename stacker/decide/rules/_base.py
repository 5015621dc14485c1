"""What every decision rule shares: the metric it targets, input checks, ``fit -> self``, ``predict -> 0/1``.

A rule turns probabilities into tag sets::

    rule = create_rule("greedy", beta=2.0, average="samples").fit(P_oof, Y)   # (n, L) each
    pred = rule.predict(P_test)                                                # (n_test, L) uint8

Subclasses implement ``_fit(p, y)`` and ``_predict(p)``. The base class checks
the arrays, refuses a metric the rule does not optimise (``averages``), and
keeps the estimator contract: ``__init__`` only stores parameters, fitted state
ends in ``_``. :class:`ThresholdRule` is the family of one cut-off per label
(``thresholds_``); the others decide each sample as a whole.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from stacker.data.metric import AVERAGES  # the workspace metric's averages: what a rule can serve
from stacker.exceptions import ValidationError
from stacker.parameters import Parameters
from stacker.thresholds import apply_thresholds
from stacker.thresholds._validate import check_beta, check_choice, check_proba, check_zero_division
from stacker.thresholds.optimize import check_matrices


class Rule(Parameters, ABC):
    """Base class of decision rules.

    Parameters
    ----------
    beta : float, default 2.0
        The F-beta the rule targets.
    average : {"samples", "macro", "micro"}, default "samples"
        How F-beta is averaged (the workspace metric); a rule that does not
        optimise that average raises ValidationError.
    zero_division : {0.0, 1.0}, default 0.0
        F-beta of a row/label with no true and no predicted positive.
    """

    name: str = ""
    _shared_params = ("beta", "average", "zero_division")  # the metric, not the rule's own parameters
    averages: tuple[str, ...] = AVERAGES  # the metric averages the rule optimises
    uses_thresholds: bool = False  # True when the rule is one cut-off per label (``thresholds_``)

    def __init__(self, *, beta: float = 2.0, average: str = "samples", zero_division: float = 0.0) -> None:
        self.beta = check_beta(beta)
        self.average = check_choice(average, AVERAGES, "average")
        self.zero_division = check_zero_division(zero_division)
        if average not in self.averages:
            raise ValidationError(not_applicable(self.name, self.averages, self.beta, average))

    def fit(self, proba, y) -> "Rule":
        """Fit on probabilities and 0/1 labels, both of shape (n_samples, n_labels); returns ``self``."""
        y, p = check_matrices(y, proba)
        self.n_labels_ = p.shape[1]
        self._fit(p.astype(np.float64, copy=False), y)
        return self

    def predict(self, proba) -> np.ndarray:
        """0/1 decisions for ``proba`` of shape (n, n_labels): uint8 (n, n_labels)."""
        if not hasattr(self, "n_labels_"):
            raise ValidationError(f"rule {self.name!r} is not fitted; call fit(proba, y) first")
        p = check_proba(proba, "proba", 2)
        if p.shape[1] != self.n_labels_:
            raise ValidationError(f"proba has {p.shape[1]} labels but rule {self.name!r} was fitted on "
                                  f"{self.n_labels_}; pass the same label columns in the same order")
        return np.asarray(self._predict(p.astype(np.float64, copy=False)), dtype=np.uint8)

    @abstractmethod
    def _fit(self, p: np.ndarray, y: np.ndarray) -> None:
        """Fit on checked float64 ``p`` and uint8 ``y``, both (n, n_labels)."""

    @abstractmethod
    def _predict(self, p: np.ndarray) -> np.ndarray:
        """0/1 decisions (n, n_labels) for checked float64 ``p``."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in
                           {"beta": self.beta, "average": self.average, **self.get_params()}.items())
        return f"{type(self).__name__}({params})"


class ThresholdRule(Rule):
    """A rule that is one threshold per label: predict ``p >= thresholds_``."""

    uses_thresholds = True

    def _fit(self, p: np.ndarray, y: np.ndarray) -> None:
        self.thresholds_ = np.asarray(self._thresholds(p, y), dtype=np.float64)

    def _predict(self, p: np.ndarray) -> np.ndarray:
        return apply_thresholds(p, self.thresholds_)

    @abstractmethod
    def _thresholds(self, p: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Thresholds of shape (n_labels,) fitted on ``p`` and ``y``."""


def not_applicable(name: str, averages: tuple[str, ...], beta: float, average: str) -> str:
    """The one-line reason a rule cannot serve the metric ``f<beta>-<average>``."""
    wanted = " or ".join(f"f{beta:g}-{a}" for a in averages)
    return (f"rule {name!r} optimises {wanted} only; the metric is f{beta:g}-{average}: "
            f"choose a per-label threshold rule (e.g. greedy or smooth) for this metric")
