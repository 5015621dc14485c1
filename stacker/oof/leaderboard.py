"""Per-label scores of stored models: the numbers behind ``stacker ls`` and the report."""

from __future__ import annotations

import numpy as np


def per_label_scores(oof: np.ndarray, y: np.ndarray, beta: float) -> np.ndarray:
    """Best binary F-beta of each model on each label, at that label's exact best threshold.

    Parameters
    ----------
    oof : ndarray of shape (n_models, n_samples, n_labels)
    y : ndarray of shape (n_samples, n_labels), 0/1

    Returns
    -------
    scores : ndarray of shape (n_models, n_labels)
    """
    from stacker.thresholds import best_fbeta

    scores = np.empty((oof.shape[0], oof.shape[2]))
    for j in range(oof.shape[2]):
        scores[:, j] = best_fbeta(y[:, j], oof[:, :, j], beta=beta)[0]
    return scores
