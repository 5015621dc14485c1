"""``optimize_thresholds``: one threshold per label maximising a multi-label F-beta.

Start: every label at its own exact binary F-beta optimum (``best_fbeta``).
Then coordinate ascent over labels (``ascent.py``) on the requested average
(``objectives.py``): for ``macro`` labels are independent and the start is
already optimal; for ``samples`` and ``micro`` each step rescores all cut points
of one label against the others' current predictions in O(n).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stacker.config import ThresholdConfig
from stacker.thresholds._validate import (
    METHODS,
    check_bandwidth,
    check_beta,
    check_binary,
    check_choice,
    check_max_sweeps,
    check_nonempty,
    check_proba,
    check_same_shape,
    check_zero_division,
)
from stacker.thresholds.ascent import GreedyStep, SmoothStep, coordinate_ascent
from stacker.thresholds.cuts import LabelCuts
from stacker.thresholds.exact import best_cut, fbeta_cut_curve
from stacker.thresholds.objectives import OBJECTIVES

_DEFAULT = ThresholdConfig()


@dataclass(frozen=True)
class ThresholdFit:
    """What an optimisation found.

    Attributes
    ----------
    thresholds : ndarray of shape (n_labels,), float64
        Predict label ``j`` positive iff ``proba[:, j] >= thresholds[j]``.
    score : float
        The metric at those thresholds on the data they were fitted on.
    n_sweeps : int
        Coordinate-ascent sweeps over the labels (the last one moved nothing
        unless ``max_sweeps`` stopped it).
    """

    thresholds: np.ndarray
    score: float
    n_sweeps: int


def optimize_thresholds(
    y_true,
    proba,
    beta: float = 2.0,
    average: str = "samples",
    method: str = _DEFAULT.method,
    *,
    bandwidth: float = _DEFAULT.bandwidth,
    max_sweeps: int = _DEFAULT.max_sweeps,
    zero_division: float = _DEFAULT.zero_division,
) -> np.ndarray:
    """Per-label thresholds maximising F-beta (``samples``, ``macro`` or ``micro`` average).

    Parameters
    ----------
    y_true : array_like of shape (n_samples, n_labels)
        0/1 indicator matrix.
    proba : array_like of shape (n_samples, n_labels)
        Probabilities in [0, 1], e.g. out-of-fold predictions.
    beta : float, default 2.0
    average : {"samples", "macro", "micro"}, default "samples"
    method : {"greedy", "smooth"}, default "greedy"
        ``greedy``: exact coordinate ascent over every distinct cut point
        (exact optimum for ``macro``). ``smooth``: maximiser of the
        Gaussian-smoothed F curve (see :mod:`stacker.thresholds.smooth`).
    bandwidth : float, default 0.25
        Smoothing bandwidth in logit units (``smooth`` only).
    max_sweeps : int, default 50
        Cap on coordinate-ascent sweeps over the labels.
    zero_division : {0.0, 1.0}, default 0.0
        F-beta of a row/label with no true and no predicted positive.

    Returns
    -------
    thresholds : ndarray of shape (n_labels,), float64
        Apply with ``proba >= thresholds`` (float64 comparison).
    """
    return fit_thresholds(
        y_true, proba, beta, average, method, bandwidth=bandwidth, max_sweeps=max_sweeps, zero_division=zero_division
    ).thresholds


def fit_thresholds(
    y_true,
    proba,
    beta: float = 2.0,
    average: str = "samples",
    method: str = _DEFAULT.method,
    *,
    bandwidth: float = _DEFAULT.bandwidth,
    max_sweeps: int = _DEFAULT.max_sweeps,
    zero_division: float = _DEFAULT.zero_division,
) -> ThresholdFit:
    """:func:`optimize_thresholds` with the fitted score and sweep count (same parameters)."""
    y, p = check_matrices(y_true, proba)
    beta = check_beta(beta)
    check_choice(average, tuple(OBJECTIVES), "average")
    check_choice(method, METHODS, "method")
    zero_division = check_zero_division(zero_division)
    bandwidth = check_bandwidth(bandwidth)
    max_sweeps = check_max_sweeps(max_sweeps)
    if y.shape[1] == 0:
        return ThresholdFit(thresholds=np.zeros(0), score=0.0, n_sweeps=0)
    cuts = LabelCuts.build(y, p)
    objective = OBJECTIVES[average](y, cuts, beta, zero_division, _binary_optima(cuts, y, beta, zero_division))
    step = GreedyStep(cuts) if method == "greedy" else SmoothStep(cuts, bandwidth)
    n_sweeps = coordinate_ascent(objective, step, max_sweeps)
    return ThresholdFit(thresholds=step.thresholds(objective.k), score=objective.score(), n_sweeps=n_sweeps)


def check_matrices(y_true, proba) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``(y uint8, proba float)`` of the same (n_samples, n_labels) shape, n_samples >= 1."""
    y = check_binary(y_true, "y_true", 2)
    p = check_proba(proba, "proba", 2)
    check_same_shape(y.shape, p.shape, "y_true", "proba")
    check_nonempty(len(y), "y_true")
    return y, p


def _binary_optima(cuts: LabelCuts, y: np.ndarray, beta: float, zero_division: float) -> np.ndarray:
    curve = fbeta_cut_curve(cuts.tp, y.sum(axis=0), beta, zero_division)
    return best_cut(curve, cuts.reachable)

