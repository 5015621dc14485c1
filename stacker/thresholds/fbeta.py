"""F-beta from confusion counts, averaged per sample, per label, over all cells or binary.

Convention (the same as ``sklearn.metrics.fbeta_score`` with
``zero_division=0.0``): a sample (``samples``), label (``macro``) or matrix
(``micro``/``binary``) with no true and no predicted positive has an undefined
F-beta, scored ``zero_division`` (0.0 by default, or 1.0) and never warned
about. Everything else is ``(1 + b^2) tp / (b^2 (tp + fn) + (tp + fp))``.
"""

from __future__ import annotations

import numpy as np

from stacker.thresholds._validate import (
    AVERAGES,
    check_beta,
    check_binary,
    check_choice,
    check_nonempty,
    check_same_shape,
    check_zero_division,
)


def fbeta_from_counts(tp, n_true, n_pred, beta: float, zero_division: float = 0.0) -> np.ndarray:
    """Element-wise F-beta from true positives, true counts and predicted counts.

    Parameters
    ----------
    tp, n_true, n_pred : array_like of the same (broadcastable) shape
        True positives, positives in the truth (tp + fn) and predicted positives (tp + fp).
    beta : float
        Recall is ``beta`` times as important as precision.
    zero_division : float
        Value where ``n_true == n_pred == 0``.

    Returns
    -------
    ndarray of float64, the broadcast shape
    """
    b2 = beta * beta
    num = (1.0 + b2) * np.asarray(tp, dtype=np.float64)
    den = b2 * np.asarray(n_true, dtype=np.float64) + np.asarray(n_pred, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, zero_division, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def fbeta_score(y_true, y_pred, beta: float = 2.0, average: str = "samples", zero_division: float = 0.0) -> float:
    """F-beta of 0/1 predictions, equal to ``sklearn.metrics.fbeta_score`` (no warnings).

    Parameters
    ----------
    y_true, y_pred : array_like of shape (n_samples, n_labels), or (n_samples,) for ``binary``
        0/1 (or bool) indicator matrices.
    beta : float, default 2.0
        Must be > 0.
    average : {"samples", "macro", "micro", "binary"}, default "samples"
        ``samples``: mean over rows of each row's F-beta (Kaggle Planet);
        ``macro``: mean over labels; ``micro``: one F-beta of all cells;
        ``binary``: 1-D vectors.
    zero_division : {0.0, 1.0}, default 0.0
        Score of a row/label/matrix with no true and no predicted positive.

    Returns
    -------
    float
    """
    beta = check_beta(beta)
    check_choice(average, AVERAGES, "average")
    zero_division = check_zero_division(zero_division)
    ndim = 1 if average == "binary" else 2
    t = check_binary(y_true, "y_true", ndim)
    p = check_binary(y_pred, "y_pred", ndim)
    check_same_shape(t.shape, p.shape, "y_true", "y_pred")
    check_nonempty(len(t), "y_true")
    axis = {"samples": 1, "macro": 0, "micro": None, "binary": None}[average]
    tp = np.sum(t & p, axis=axis, dtype=np.int64)
    n_true = np.sum(t, axis=axis, dtype=np.int64)
    n_pred = np.sum(p, axis=axis, dtype=np.int64)
    return float(np.mean(fbeta_from_counts(tp, n_true, n_pred, beta, zero_division)))
