"""Validation score for early stopping: the workspace F-beta at the best global threshold."""

from __future__ import annotations

import numpy as np

THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.05), 2)


def fbeta_curve(y: np.ndarray, p: np.ndarray, *, beta: float, average: str,
                thresholds: np.ndarray = THRESHOLDS) -> np.ndarray:
    """F-beta at each global threshold, shape (n_thresholds,).

    ``y`` (n_samples, n_labels) 0/1 and ``p`` (n_samples, n_labels) probabilities;
    a prediction is ``p >= t``. A sample or label with nothing to find and
    nothing predicted scores 1 (perfect).
    """
    y = np.asarray(y, dtype=bool)[None]
    pred = np.asarray(p)[None] >= thresholds[:, None, None]
    axis = {"samples": 2, "macro": 1, "micro": (1, 2)}[average]
    tp = (pred & y).sum(axis, dtype=np.float64)
    fp = (pred & ~y).sum(axis, dtype=np.float64)
    fn = (~pred & y).sum(axis, dtype=np.float64)
    b2 = beta * beta
    denominator = (1 + b2) * tp + b2 * fn + fp
    f = np.where(denominator > 0, (1 + b2) * tp / np.maximum(denominator, 1e-12), 1.0)
    return f.reshape(len(thresholds), -1).mean(1)


def best_fbeta(y: np.ndarray, p: np.ndarray, *, beta: float, average: str) -> tuple[float, float]:
    """(best F-beta, its threshold) over :data:`THRESHOLDS`; ties go to the lowest threshold."""
    curve = fbeta_curve(y, p, beta=beta, average=average)
    best = int(np.argmax(curve))
    return float(curve[best]), float(THRESHOLDS[best])
