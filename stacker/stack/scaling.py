"""Per-fold alignment of stage outputs: a layer above sees every fold of every input on one scale.

Each fold's OOF rows of a learned stage come from another fit, so the location
and spread of its log-odds differ from fold to fold (a level-2 logistic picks
its own C in each fold; a view fit trains on fewer rows). A learner one layer
up, fitted on the other folds, and the thresholds fitted after it then miss
the held-out fold's calibration: on the small demo a level-3 logistic on two
level-2 stacks scored 0.79 with per-label thresholds, below either input.

With ``scaling="fold"`` every input column's log-odds are standardised within
each block of rows that one fit predicted (each fold of the OOF and of every
view) and mapped onto one common scale per label: the mean and spread of the
average fold, averaged over the inputs. Every fold of every input then sits on
the same scale, so a learner above, a blend's average (whose weights differ
from fold to fold) and the thresholds after them see one calibration. The test
rows, the mean of the K fits, get the affine map of their input's average fold
(for a single input: none at all), never their own moments, so a real shift of
the test rows (a label more frequent there) stays visible; standardising them
with their own moments would erase it (on Mulan emotions, whose test split has
more of two labels, that cost 0.01-0.02 F2 on test). The outputs stay
probabilities on the inputs' common scale. Only predictions are used, never
labels, so it is as honest as the raw inputs.
``stacker stack`` and ``stacker blend`` apply it to their inputs by default.
"""

from __future__ import annotations

import numpy as np

from stacker.exceptions import ValidationError
from stacker.level2.learners._base import logit

SCALINGS = ("fold", "none")
# A fold block with fewer rows is too small to measure: the moments of every row stand in.
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
    """Align stage outputs fold by fold onto one scale per label; see the module docstring.

    Parameters
    ----------
    oof : ndarray of shape (n_sources, n_train, n_labels)
    views : ndarray of shape (n_sources, n_folds, n_train, n_labels) or None
    test : ndarray of shape (n_sources, n_test, n_labels)
    folds : ndarray of shape (n_train,)

    Returns
    -------
    The three arrays, float32 probabilities. Every fold block of the OOF and of
    each view has the target log-odds mean and spread (the inputs' average fold,
    averaged over inputs); each input's test rows are mapped as its average fold
    is. Fold ``k``'s rows of view ``k`` stay equal to fold ``k``'s OOF rows.
    """
    folds = np.asarray(folds)
    z = logit(oof)
    blocks = [folds == k for k in np.unique(folds)]
    if min(rows.sum() for rows in blocks) < MIN_BLOCK_ROWS:  # as align does: every row stands in for the folds
        blocks = [np.ones_like(folds, dtype=bool)]
    moments = [_moments(z[:, rows]) for rows in blocks]
    average = (np.mean([m for m, _ in moments], axis=0), np.mean([s for _, s in moments], axis=0))
    target = (average[0].mean(axis=0, keepdims=True), average[1].mean(axis=0, keepdims=True))
    scaled_oof = _align_logits(z, folds, target)
    scaled_views = None
    if views is not None:
        scaled_views = np.stack([align(views[:, k], folds, target) for k in range(views.shape[1])], axis=1)
    scaled_test = _sigmoid(target[0] + target[1] * (logit(test) - average[0]) / average[1])
    return scaled_oof, scaled_views, scaled_test


def align(P: np.ndarray, blocks: np.ndarray, target: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """``P`` with each block's log-odds standardised per column and mapped onto ``target`` (mean, std).

    ``P`` (n_sources, n_rows, n_labels); ``blocks`` (n_rows,) the block of each
    row; ``target`` arrays broadcasting to (n_sources, 1, n_labels). A block of
    fewer than :data:`MIN_BLOCK_ROWS` rows is measured on every row instead.
    """
    return _align_logits(logit(P), blocks, target)


def _align_logits(z: np.ndarray, blocks: np.ndarray, target: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """:func:`align` on log-odds ``z`` already computed."""
    whole = _moments(z)
    out = np.empty_like(z)
    for block in np.unique(blocks):
        rows = blocks == block
        mean, std = _moments(z[:, rows]) if rows.sum() >= MIN_BLOCK_ROWS else whole
        out[:, rows] = target[0] + target[1] * (z[:, rows] - mean) / std
    return _sigmoid(out)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


def _moments(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation over rows (axis 1), a constant column's std taken as 1."""
    mean, std = z.mean(axis=1, keepdims=True), z.std(axis=1, keepdims=True)
    return mean, np.where(std > 1e-9, std, 1.0)
