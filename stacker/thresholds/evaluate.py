"""Honest comparison of threshold methods: fit on K-1 folds, score on the held-out fold.

In-sample scores (thresholds fitted and scored on the same rows) overstate what a
method delivers on test data; the out-of-fold score, computed once on the
concatenation of every held-out fold's predictions, is the number to choose by.

With ``views`` (a stage's nested views, :func:`stacker.level2.nested.nested_cv`)
the thresholds for fold ``k`` are fitted on ``views[k]``: the other folds' rows
as predicted by fits that never saw fold ``k``'s labels. Plain OOF rows of the
other folds were predicted by fits that trained on fold ``k``, so without views
fold ``k``'s labels reach its own thresholds through them.
"""

from __future__ import annotations

import numpy as np

from stacker.config import ThresholdConfig
from stacker.exceptions import ValidationError
from stacker.thresholds._validate import METHODS, check_choice, check_proba, check_same_length
from stacker.thresholds.fbeta import fbeta_score
from stacker.thresholds.optimize import check_matrices, fit_thresholds

_DEFAULT = ThresholdConfig()


def apply_thresholds(proba, thresholds) -> np.ndarray:
    """0/1 predictions ``proba >= thresholds``: uint8 (n_samples, n_labels), float64 comparison."""
    return (np.asarray(proba, dtype=np.float64) >= np.asarray(thresholds, dtype=np.float64)).astype(np.uint8)


def evaluate_thresholds(
    y_true,
    proba,
    folds,
    beta: float = 2.0,
    average: str = "samples",
    *,
    methods: tuple[str, ...] = METHODS,
    bandwidth: float = _DEFAULT.bandwidth,
    max_sweeps: int = _DEFAULT.max_sweeps,
    zero_division: float = _DEFAULT.zero_division,
    views=None,
) -> dict:
    """Out-of-fold and in-sample scores of each threshold method.

    Parameters
    ----------
    y_true : array_like of shape (n_samples, n_labels)
    proba : array_like of shape (n_samples, n_labels)
        Probabilities in [0, 1] (e.g. level-1 or level-2 OOF predictions).
    folds : array_like of shape (n_samples,)
        Integer fold of each row (at least two distinct folds).
    beta, average, bandwidth, max_sweeps, zero_division
        As in :func:`~stacker.thresholds.optimize_thresholds`.
    methods : tuple of str, default ("greedy", "smooth")
    views : array_like of shape (n_folds, n_samples, n_labels), optional
        ``views[i]``: every row predicted without the labels of the i-th fold id
        (sorted), equal to ``proba`` on that fold's rows; the thresholds for
        that fold are fitted on it (see the module docstring). Without it, on
        ``proba``.

    Returns
    -------
    dict
        ``{"beta", "average", "n_folds", "best", "methods": {name: result}}`` where
        ``best`` is the method with the highest out-of-fold score (ties: the
        first in ``methods``) and each ``result`` holds
        ``thresholds`` (ndarray (n_labels,), fitted on all rows),
        ``in_sample`` (float, those thresholds scored on all rows),
        ``out_of_fold`` (float, fold-fitted thresholds scored on the held-out rows, all folds pooled),
        ``fold_scores`` (list of float, each held-out fold alone) and
        ``fold_thresholds`` (ndarray (n_folds, n_labels)).
    """
    y, p = check_matrices(y_true, proba)
    fold = check_folds(folds, len(y))
    views = check_views(views, p, fold)
    for method in methods:
        check_choice(method, METHODS, "method")
    options = dict(bandwidth=bandwidth, max_sweeps=max_sweeps, zero_division=zero_division)
    results = {m: _evaluate_method(y, p, views, fold, beta, average, m, options) for m in methods}
    best = max(methods, key=lambda m: (results[m]["out_of_fold"], -methods.index(m))) if methods else None
    return {"beta": float(beta), "average": average, "n_folds": int(len(np.unique(fold))), "best": best, "methods": results}


def _evaluate_method(y, p, views, fold, beta, average, method, options) -> dict:
    from stacker.parallel import Shared, map_tasks

    full = fit_thresholds(y, p, beta, average, method, **options)
    held_out_pred = np.zeros_like(y)
    fold_thresholds, fold_scores = [], []
    ks = np.unique(fold)
    shared_y, shared_p, shared_fold = Shared(y), Shared(p), Shared(fold)
    shared_views = Shared(views)
    fitted = map_tasks(_fit_without_fold, [(shared_y, shared_p, shared_views, shared_fold, i, k, beta, average, method,
                                            options) for i, k in enumerate(ks)],
                       prefer="threads", description=f"thresholds ({method}) per fold")
    for k, thresholds in zip(ks, fitted):
        test = fold == k
        held_out_pred[test] = apply_thresholds(p[test], thresholds)
        fold_thresholds.append(thresholds)
        fold_scores.append(_score(y[test], held_out_pred[test], beta, average, options))
    return {
        "thresholds": full.thresholds,
        "in_sample": full.score,
        "out_of_fold": _score(y, held_out_pred, beta, average, options),
        "fold_scores": fold_scores,
        "fold_thresholds": np.array(fold_thresholds),
    }


def _fit_without_fold(y, p, views, fold, i, k, beta, average, method, options) -> np.ndarray:
    """Thresholds (n_labels,) fitted on the rows outside fold ``k``, the i-th fold id (one task of the seam)."""
    train = fold != k
    return fit_thresholds(y[train], fit_matrix(p, views, i)[train], beta, average, method, **options).thresholds


def _score(y, pred, beta, average, options) -> float:
    return fbeta_score(y, pred, beta=beta, average=average, zero_division=options["zero_division"])


def check_views(views, proba: np.ndarray, fold: np.ndarray) -> np.ndarray | None:
    """``views`` (n_folds, n_samples, n_labels) checked against ``proba`` and ``fold``, or None when not given.

    Block ``i`` belongs to the i-th fold id in increasing order and must equal
    ``proba`` on that fold's rows (a fold's view of its own rows is its OOF).
    """
    if views is None:
        return None
    v = check_proba(views, "views", 3)
    ks = np.unique(fold)
    if v.shape != (len(ks), *proba.shape):
        raise ValidationError(f"views must have shape (n_folds, n_samples, n_labels) = {(len(ks), *proba.shape)}; "
                              f"found {v.shape}")
    for i, k in enumerate(ks):
        rows = fold == k
        if not np.allclose(v[i][rows], proba[rows], rtol=0.0, atol=1e-6):
            raise ValidationError(f"views[{i}] differs from proba on the rows of fold {k}; a fold's view of its own "
                                  f"rows is its OOF: the views are from another run of the stage")
    return v


def fit_matrix(proba: np.ndarray, views: np.ndarray | None, i: int) -> np.ndarray:
    """What the decisions for the i-th fold id are fitted on: its view when there are views, else ``proba``."""
    return proba if views is None else views[i]


def check_folds(folds, n: int) -> np.ndarray:
    """``folds`` as a 1-D integer array of length ``n`` naming at least two distinct folds."""
    fold = np.asarray(folds)
    if fold.ndim != 1 or fold.dtype.kind not in "iu":
        raise ValidationError(
            f"folds must be a 1-D integer array (fold of each row); found dtype {fold.dtype}, shape {fold.shape}"
        )
    check_same_length(len(fold), n, "folds", "y_true")
    if len(np.unique(fold)) < 2:
        raise ValidationError(
            f"folds must name at least two distinct folds to fit on some and score on another; "
            f"found {np.unique(fold).tolist()}; run 'stacker folds --k 5'"
        )
    return fold
