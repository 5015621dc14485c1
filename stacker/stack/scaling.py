"""Per-fold standardisation of stage outputs: a layer above sees every fold, and the test rows, on one scale.

Each fold's OOF rows of a learned stage come from another fit, so their
location and spread of log-odds differ from fold to fold (a level-2 logistic
picks its own C in each fold; a view fit trains on fewer rows), and the test
rows, the mean of K fits, are more compressed still. A learner one layer up,
fitted on the other folds, and the thresholds fitted after it then miss the
held-out fold's calibration: on the small demo a level-3 logistic on two
level-2 stacks scored 0.79 with per-label thresholds, below either input.

With ``scaling="fold"`` every input column's log-odds are standardised within
each block of rows that one fit predicted: each fold of the OOF and of every
view (pooled train statistics stand in for a block of fewer than
:data:`MIN_BLOCK_ROWS` rows). The test rows, the mean of the K fits, are
mapped with the mean of the K folds' moments: the average fit's calibration
is taken out, but a real shift of the test rows (a label more frequent there)
stays visible. Standardising them with their own moments would erase it: on
Mulan emotions, whose test split has more of two labels, that cost 0.01-0.02
F2 on test. Only predictions are used, never labels, so it is as honest as the
raw inputs.
``stacker stack`` and ``stacker blend`` apply it to their inputs by default.
"""

from __future__ import annotations

import numpy as np

from stacker.exceptions import ValidationError
from stacker.level2.learners._base import logit

SCALINGS = ("fold", "none")
# A fold block with fewer rows is standardised with the statistics of every train row.
MIN_BLOCK_ROWS = 20


def check_scaling(kind: str) -> str:
    """``kind`` if it is one of :data:`SCALINGS`; otherwise a ValidationError listing them."""
    if kind not in SCALINGS:
        raise ValidationError(f"unknown scaling {kind!r}; choose one of: {', '.join(SCALINGS)}")
    return kind


def apply_scaling(kind: str, oof: np.ndarray, views: np.ndarray | None, test: np.ndarray, folds: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """:func:`scale_inputs` for ``kind="fold"``; the arrays unchanged for ``"none"``."""
    return scale_inputs(oof, views, test, folds) if check_scaling(kind) == "fold" else (oof, views, test)


def scale_inputs(oof: np.ndarray, views: np.ndarray | None, test: np.ndarray, folds: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Standardise stage outputs per block of rows; see the module docstring.

    Parameters
    ----------
    oof : ndarray of shape (n_sources, n_train, n_labels)
    views : ndarray of shape (n_sources, n_folds, n_train, n_labels) or None
    test : ndarray of shape (n_sources, n_test, n_labels)
    folds : ndarray of shape (n_train,)

    Returns
    -------
    The three arrays (float32 probabilities, the sigmoid of the standardised
    log-odds): fold ``k``'s rows of view ``k`` stay equal to fold ``k``'s OOF rows.
    """
    folds = np.asarray(folds)
    z = logit(oof)
    pooled = _moments(z)
    scaled_oof = standardize(oof, folds, pooled)
    per_fold = [_moments(z[:, folds == k]) for k in np.unique(folds)]
    average_fit = (np.mean([m for m, _ in per_fold], axis=0), np.mean([s for _, s in per_fold], axis=0))
    scaled_test = standardize(test, np.zeros(test.shape[1], dtype=np.int64), average_fit, min_rows=np.inf)
    scaled_views = None
    if views is not None:
        scaled_views = np.stack([standardize(views[:, k], folds, pooled) for k in range(views.shape[1])], axis=1)
    return scaled_oof, scaled_views, scaled_test


def standardize(P: np.ndarray, blocks: np.ndarray, fallback: tuple[np.ndarray, np.ndarray],
                min_rows: float = MIN_BLOCK_ROWS) -> np.ndarray:
    """Sigmoid of ``P``'s log-odds standardised per column within each block of rows.

    ``P`` (n_sources, n_rows, n_labels); ``blocks`` (n_rows,) the block of each
    row; ``fallback`` (mean, std) of shape (n_sources, 1, n_labels) for blocks
    of fewer than ``min_rows`` rows (``inf``: every block).
    """
    z = logit(P)
    out = np.empty_like(z)
    for block in np.unique(blocks):
        rows = blocks == block
        mean, std = _moments(z[:, rows]) if rows.sum() >= min_rows else fallback
        out[:, rows] = (z[:, rows] - mean) / std
    return (1.0 / (1.0 + np.exp(-out))).astype(np.float32)


def _moments(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation over rows (axis 1), a constant column's std taken as 1."""
    mean, std = z.mean(axis=1, keepdims=True), z.std(axis=1, keepdims=True)
    return mean, np.where(std > 1e-9, std, 1.0)
