"""Expected F-beta of a tag set under independent Bernoulli marginals, and the per-sample best set.

Under label independence the tag set with the highest expected F-beta contains
the ``k`` most probable labels for some ``k`` (Lewis 1995; Jansche 2007; Ye et al.
2012), so only the ``L + 1`` prefixes of each sample's labels sorted by
probability need scoring. With ``A`` the true positives among the ``k`` chosen
labels and ``C`` the true labels among the ``L - k`` others (independent
Poisson-binomial counts),

    E[F] = sum_a sum_c P(A = a) P(C = c) (1 + b^2) a / (b^2 (a + c) + k),

and ``k = 0`` scores ``zero_division`` when no label is true (``P(C = 0)``), as
:func:`stacker.thresholds.fbeta_score` does. ``P(A = a)`` for every prefix comes
from one pass of the binomial-convolution recursion forward, ``P(C = c)`` from
one pass backward (O(L^2) per sample), and the double sum is one small matrix
product per ``k`` against the sample-independent weights ``W[k, a, c]``
(O(L^3) per sample), all vectorised over samples in chunks.
"""

from __future__ import annotations

import numpy as np

from stacker.thresholds._validate import check_beta, check_proba, check_zero_division

CHUNK_ROWS = 2048  # rows per vectorised block: small enough to stay in cache


def fbeta_weights(n_labels: int, beta: float, zero_division: float) -> np.ndarray:
    """``W[k, a, c]``: F-beta with ``k`` chosen, ``a`` of them true, ``c`` true among the rest.

    Returns
    -------
    ndarray of shape (n_labels + 1, n_labels + 1, n_labels + 1), float64
        Cells with ``a > k`` or ``c > n_labels - k`` are never weighted by a
        non-zero probability; they hold the formula's value all the same.
    """
    b2 = beta * beta
    k, a, c = np.ogrid[: n_labels + 1, : n_labels + 1, : n_labels + 1]
    den = b2 * (a + c) + k
    weights = np.divide((1.0 + b2) * a, den, out=np.zeros(den.shape), where=den > 0)
    weights[0, 0, 0] = zero_division
    return weights


def count_distributions(p_sorted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distributions of the true counts among the first ``k`` labels and among the others.

    Samples run along the last axis, so that each step of the recursion is a
    contiguous vector operation; only the cells a count can reach are touched.

    Parameters
    ----------
    p_sorted : ndarray of shape (n_samples, n_labels), float64
        Each row's probabilities in the order labels are added (descending).

    Returns
    -------
    chosen : ndarray of shape (n_labels + 1, n_labels + 1, n_samples)
        ``chosen[k, a, i] = P(a of row i's first k labels are true)``.
    rest : ndarray of shape (n_labels + 1, n_labels + 1, n_samples)
        ``rest[k, c, i] = P(c of row i's labels k..L-1 are true)``.
    """
    n, n_labels = p_sorted.shape
    p = np.ascontiguousarray(p_sorted.T)
    q = 1.0 - p
    chosen = np.zeros((n_labels + 1, n_labels + 1, n))
    rest = np.zeros((n_labels + 1, n_labels + 1, n))
    chosen[0, 0] = 1.0
    rest[n_labels, 0] = 1.0
    for k in range(n_labels):
        _add_label(chosen[k], p[k], q[k], chosen[k + 1], width=k + 1)
        back = n_labels - 1 - k
        _add_label(rest[back + 1], p[back], q[back], rest[back], width=k + 1)
    return chosen, rest


def expected_fbeta_prefixes(p_sorted: np.ndarray, beta: float = 2.0, zero_division: float = 0.0) -> np.ndarray:
    """Exact expected F-beta of each prefix ``k = 0..L`` of each row (labels independent).

    Parameters
    ----------
    p_sorted : ndarray of shape (n_samples, n_labels)
        Probabilities in [0, 1], each row in the order labels join the set.
    beta : float, default 2.0
    zero_division : {0.0, 1.0}, default 0.0
        F-beta of a row with no true and no predicted label.

    Returns
    -------
    ndarray of shape (n_samples, n_labels + 1), float64
        Column ``k``: expected F-beta of predicting the first ``k`` labels.
    """
    p = check_proba(p_sorted, "p_sorted", 2).astype(np.float64, copy=False)
    weights = fbeta_weights(p.shape[1], check_beta(beta), check_zero_division(zero_division))
    out = np.empty((len(p), p.shape[1] + 1))
    for start in range(0, len(p), CHUNK_ROWS):
        out[start : start + CHUNK_ROWS] = _prefix_scores(p[start : start + CHUNK_ROWS], weights)
    return out


def expected_fbeta_decisions(proba, beta: float = 2.0, zero_division: float = 0.0) -> np.ndarray:
    """Per row, the tag set maximising expected F-beta under independent marginals ``proba``.

    Labels are ranked by descending probability (ties: the lower label index
    first) and the best prefix is kept; ties between prefix sizes go to the
    smaller set.

    Parameters
    ----------
    proba : array_like of shape (n_samples, n_labels)
        Calibrated marginal probabilities in [0, 1].
    beta : float, default 2.0
    zero_division : {0.0, 1.0}, default 0.0

    Returns
    -------
    ndarray of shape (n_samples, n_labels), uint8
        1 where the label is in the row's chosen set.
    """
    p = check_proba(proba, "proba", 2).astype(np.float64, copy=False)
    order = np.argsort(-p, axis=1, kind="stable")
    scores = expected_fbeta_prefixes(np.take_along_axis(p, order, axis=1), beta, zero_division)
    size = np.argmax(scores, axis=1)  # first maximum: the smaller set
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(p.shape[1])[None, :], axis=1)
    return (rank < size[:, None]).astype(np.uint8)


def _add_label(before: np.ndarray, p: np.ndarray, q: np.ndarray, after: np.ndarray, *, width: int) -> None:
    """``after`` = count distribution ``before`` (counts 0..width-1 possible) plus one Bernoulli(``p``) label."""
    np.multiply(before[:width], q, out=after[:width])
    after[1 : width + 1] += before[:width] * p


def _prefix_scores(p: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Expected F-beta (n, L+1) of every prefix for one chunk of rows."""
    chosen, rest = count_distributions(p)
    weighted = np.matmul(weights.transpose(0, 2, 1), chosen)  # [k, c, i] = sum_a W[k, a, c] P(A = a)
    return np.einsum("kci,kci->ik", weighted, rest)
