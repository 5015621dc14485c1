"""Validation score for early stopping: the workspace F-beta at the best global threshold."""

from __future__ import annotations

import numpy as np

from stacker.thresholds import fbeta_score

THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.05), 2)


def fbeta_curve(y: np.ndarray, p: np.ndarray, *, beta: float, average: str,
                thresholds: np.ndarray = THRESHOLDS) -> np.ndarray:
    """F-beta (:func:`stacker.thresholds.fbeta_score`) at each global threshold, shape (n_thresholds,).

    ``y`` (n_samples, n_labels) 0/1 and ``p`` (n_samples, n_labels) probabilities;
    a prediction is ``p >= t``.
    """
    return np.array([fbeta_score(y, p >= t, beta=beta, average=average) for t in thresholds])


def validation_score(y: np.ndarray, p: np.ndarray, *, beta: float, average: str) -> tuple[float, float]:
    """(best F-beta, its threshold) over :data:`THRESHOLDS`; ties go to the lowest threshold.

    A coarse global grid on purpose: it is cheap every epoch and only ranks
    epochs; the exact per-label thresholds are fitted later, out of fold.
    """
    curve = fbeta_curve(y, p, beta=beta, average=average)
    best = int(np.argmax(curve))
    return float(curve[best]), float(THRESHOLDS[best])
