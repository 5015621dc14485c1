"""The vectorised step of every selector: score all one-model extensions of a subset at once.

A subset is kept as the running float32 sum ``total`` of its members'
probabilities, added in selection order. Adding candidate ``m`` gives the
average ``(total + P[m]) / (size + 1)``; the averages of all candidates are
built as one (n_candidates, n_samples) block and scored by one objective call
(in chunks that bound memory), never by a Python loop over candidates.
:func:`subset_mean` repeats exactly the same float32 operations, so the
average written to disk is bit-identical to the one that was scored.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from stacker.exceptions import ValidationError
from stacker.level1.objectives import Objective

# Candidates per objective call: rows x n_samples stays at or below this many
# cells, so that a block and the objective's temporaries stay in cache
# (measured at 200 x 40,000 float32: 250k cells - 6 rows - scores F-beta 1.7x
# and log loss 1.8x faster per candidate than blocks of 2M cells).
CHUNK_CELLS = 250_000


def subset_sum(P: np.ndarray, path: Sequence[int]) -> np.ndarray:
    """Float32 sum of rows ``path`` of ``P`` (n_models, n_samples), added in that order."""
    total = np.zeros(P.shape[1], dtype=np.float32)
    for m in path:
        total += P[m]
    return total


def subset_mean(P: np.ndarray, path: Sequence[int]) -> np.ndarray:
    """Average of rows ``path`` of ``P``, shape (n_samples,), float32 (same operations as scoring)."""
    if len(path) == 0:
        raise ValidationError("cannot average an empty subset of models; select at least one model")
    return subset_sum(P, path) / np.float32(len(path))


def score_additions(
    objective: Objective, y: np.ndarray, P: np.ndarray, total: np.ndarray, size: int, candidates: np.ndarray
) -> np.ndarray:
    """Objective of ``(total + P[m]) / (size + 1)`` for every ``m`` in ``candidates``.

    Parameters
    ----------
    objective : Objective
    y : ndarray of shape (n_samples,)
    P : ndarray of shape (n_models, n_samples), float32
    total : ndarray of shape (n_samples,), float32
        Running sum of the current subset (zeros when empty).
    size : int
        Number of models in the current subset.
    candidates : ndarray of shape (n_candidates,), int
        Model indices to try.

    Returns
    -------
    scores : ndarray of shape (n_candidates,), float64; higher is better
    """
    scorer = objective.bind(y)
    scores = np.empty(len(candidates), dtype=np.float64)
    rows = max(1, CHUNK_CELLS // max(1, P.shape[1]))
    divisor = np.float32(size + 1)
    for start in range(0, len(candidates), rows):
        block = P[candidates[start:start + rows]]  # a copy: P is never written
        block += total
        block /= divisor
        scores[start:start + rows] = scorer(block)
    return scores
