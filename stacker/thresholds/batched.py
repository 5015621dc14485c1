"""``best_fbeta``: the exact best binary F-beta of M candidate probability vectors at once.

Level-1 selection scores thousands of candidate ensembles per label, so this is
one sort of the (M, N) matrix (numpy on CPU; torch on a CUDA device when one is
present and the input is large), one cumulative sum and one argmax.
"""

from __future__ import annotations

import functools

import numpy as np

from stacker.thresholds._validate import (
    check_beta,
    check_binary,
    check_choice,
    check_nonempty,
    check_proba,
    check_same_length,
    check_zero_division,
)
from stacker.thresholds.exact import best_cut, fbeta_cut_curve, sort_cuts, true_positive_curve

DEVICES = ("auto", "cpu", "cuda")
# Below this many cells (M x N) the numpy path wins (CUDA launch and copy costs).
CUDA_MIN_CELLS = 1_000_000


def best_fbeta(y, P, beta: float = 2.0, *, zero_division: float = 0.0, device: str = "auto"):
    """Exact best binary F-beta of each candidate over every distinct cut point.

    Parameters
    ----------
    y : array_like of shape (n_samples,)
        0/1 labels of one label column.
    P : array_like of shape (n_candidates, n_samples)
        Candidate probability vectors in [0, 1] (float32 is kept as float32).
    beta : float, default 2.0
    zero_division : {0.0, 1.0}, default 0.0
        Score of "predict nothing" when ``y`` has no positive (as in
        ``sklearn.metrics.fbeta_score``). With 0.0 every cut scores 0 for such
        a ``y`` and the tie rule picks "predict nothing".
    device : {"auto", "cpu", "cuda"}, default "auto"
        ``auto`` uses torch on CUDA when available and ``n_candidates * n_samples
        >= CUDA_MIN_CELLS``; results are identical to the CPU path.

    Returns
    -------
    scores : ndarray of shape (n_candidates,), float64
        Best F-beta of each candidate.
    thresholds : ndarray of shape (n_candidates,), float64
        Threshold reproducing that score with ``p >= t``: the lowest
        probability predicted positive, or for "predict nothing" the smallest
        float above the candidate's maximum. Ties between cuts go to the
        largest threshold (fewest positives).
    """
    beta = check_beta(beta)
    zero_division = check_zero_division(zero_division)
    check_choice(device, DEVICES, "device")
    y = check_binary(y, "y", 1)
    P = check_proba(P, "P", 2)
    check_same_length(len(y), P.shape[1], "y", "P (axis 1)")
    check_nonempty(len(y), "y")
    if P.shape[0] == 0:
        return np.zeros(0), np.zeros(0)
    if _use_cuda(device, P.size):
        from stacker.thresholds.batched_torch import best_fbeta_torch

        return best_fbeta_torch(y, P, beta, zero_division)
    return best_fbeta_numpy(y, P, beta, zero_division)


def best_fbeta_numpy(y: np.ndarray, P: np.ndarray, beta: float, zero_division: float):
    """:func:`best_fbeta` on validated arrays, numpy only."""
    cuts = sort_cuts(P, y)
    tp = true_positive_curve(cuts.y_desc)
    curve = fbeta_cut_curve(tp, np.full(len(P), y.sum(dtype=np.int64)), beta, zero_division)
    k = best_cut(curve, cuts.reachable())
    return curve[np.arange(len(P)), k], cuts.cut_values(k)


def _use_cuda(device: str, cells: int) -> bool:
    if device == "cpu" or (device == "auto" and cells < CUDA_MIN_CELLS):
        return False
    available = _cuda_available()
    if device == "cuda" and not available:
        from stacker.exceptions import ValidationError

        raise ValidationError("device='cuda' was asked for but torch sees no CUDA device; use device='cpu' or 'auto'")
    return available


@functools.lru_cache(maxsize=1)
def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())
