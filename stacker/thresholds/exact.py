"""The exact sweep: sort once, score every distinct cut point with cumulative counts.

A cut ``k`` predicts the ``k`` highest probabilities positive. Only cuts at the
end of a run of equal probabilities are reachable by a threshold ("positive iff
``p >= t``"), so ties are scored once, at the last index of their run; ``k = 0``
(predict nothing) is always a cut. The threshold that reproduces cut ``k >= 1``
is the ``k``-th highest probability itself; cut 0 uses the smallest float above
the maximum (it exceeds 1.0 only when some probability is exactly 1.0).

Sorting trick: for probabilities in [0, 1] the IEEE bit pattern orders like the
value and leaves the top bit free, so ``bits << 1 | y`` is an unsigned key whose
plain ``np.sort`` (much faster than ``argsort``) carries the label along.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_UINT = {np.dtype(np.float32): np.uint32, np.dtype(np.float64): np.uint64}


@dataclass(frozen=True)
class SortedCuts:
    """Labels and probability bit patterns of each row, in descending probability order.

    Attributes
    ----------
    y_desc : ndarray of shape (n_rows, n_samples), int32
        Labels sorted by descending probability (ties in any order).
    bits_desc : ndarray of shape (n_rows, n_samples), uint
        The probabilities' bit patterns in the same order.
    dtype : numpy dtype
        Float dtype of the probabilities.
    """

    y_desc: np.ndarray
    bits_desc: np.ndarray
    dtype: np.dtype

    def reachable(self) -> np.ndarray:
        """Bool (n_rows, n_samples + 1): cut ``k`` ends a run of equal values (``k = 0`` always)."""
        m, n = self.bits_desc.shape
        ok = np.ones((m, n + 1), dtype=bool)
        np.not_equal(self.bits_desc[:, :-1], self.bits_desc[:, 1:], out=ok[:, 1:n])
        return ok

    def cut_values(self, k: np.ndarray) -> np.ndarray:
        """Threshold reproducing cut ``k[r]`` on row ``r`` with ``p >= t``; float64 (n_rows,)."""
        rows = np.arange(len(k))
        vals = self.bits_desc[rows, np.maximum(k - 1, 0)].view(self.dtype)
        top = np.nextafter(self.bits_desc[:, 0].view(self.dtype), self.dtype.type(np.inf))
        return np.where(k > 0, vals, top).astype(np.float64)


def sort_cuts(P: np.ndarray, Y: np.ndarray) -> SortedCuts:
    """Sort each row of ``P`` (n_rows, n_samples) descending, carrying ``Y`` (same shape or (n_samples,)).

    ``P`` must be float32/float64 in [0, 1] with no -0.0 (see ``_validate.check_proba``).
    """
    utype = _UINT[P.dtype]
    key = np.ascontiguousarray(P).view(utype) << utype(1)
    key |= Y.astype(utype, copy=False)
    key.sort(axis=1)
    key = key[:, ::-1]
    y_desc = np.empty(key.shape, dtype=np.int32)
    np.bitwise_and(key, utype(1), out=y_desc, casting="unsafe")
    return SortedCuts(y_desc=y_desc, bits_desc=key >> utype(1), dtype=P.dtype)


def true_positive_curve(y_desc: np.ndarray) -> np.ndarray:
    """Int32 (n_rows, n_samples + 1): true positives among the top ``k``, ``k = 0..n``."""
    m, n = y_desc.shape
    tp = np.zeros((m, n + 1), dtype=np.int32)
    np.cumsum(y_desc, axis=1, out=tp[:, 1:])
    return tp


def fbeta_cut_curve(tp: np.ndarray, n_true: np.ndarray, beta: float, zero_division: float) -> np.ndarray:
    """Float64 (n_rows, n_samples + 1): binary F-beta of every cut ``k`` (reachable or not).

    With tp + fn = n_true and tp + fp = k the score is ``(1 + b^2) tp / (b^2 n_true + k)``.
    """
    b2 = beta * beta
    n_true = np.asarray(n_true, dtype=np.float64).reshape(-1, 1)
    k = np.arange(tp.shape[1], dtype=np.float64)
    den = b2 * n_true + k
    den[:, 0] = np.where(n_true[:, 0] > 0, den[:, 0], 1.0)  # only 0/0 case: no positive, predict nothing
    out = np.multiply(tp, 1.0 + b2, dtype=np.float64)
    out /= den
    out[:, 0] = np.where(n_true[:, 0] > 0, out[:, 0], zero_division)
    return out


def best_cut(curve: np.ndarray, reachable: np.ndarray) -> np.ndarray:
    """Per row, the reachable cut of highest score; ties go to the smallest ``k`` (largest threshold)."""
    masked = curve.copy()
    masked[~reachable] = -np.inf
    return np.argmax(masked, axis=1)
