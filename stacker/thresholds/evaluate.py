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

    The threshold methods are the ``greedy`` and ``smooth`` decision rules, so
    this is :func:`stacker.decide.evaluate_rules` restricted to them, with
    their options and results named as this package names them: one fold
    loop serves every rule.

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
        At least one, each at most once.
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
        ``fold_scores`` (list of float, each held-out fold alone),
        ``fold_thresholds`` (ndarray (n_folds, n_labels)), ``params`` and,
        as :func:`~stacker.decide.evaluate_rules` computes them, ``fold_se``,
        ``diff_vs_best`` and ``diff_se``.
    """
    from stacker.decide.evaluate import evaluate_rules  # decide builds on this package: imported on use

    for method in methods:
        check_choice(method, METHODS, "method")
    options = {"greedy": {"max_sweeps": max_sweeps}, "smooth": {"bandwidth": bandwidth, "max_sweeps": max_sweeps}}
    result = evaluate_rules(y_true, proba, folds, beta, average, rules=tuple(methods),
                            params={m: options[m] for m in methods}, zero_division=zero_division, views=views)
    fitted = {m: {k: v for k, v in r.items() if k != "rule"} for m, r in result["rules"].items()}
    return {"beta": result["beta"], "average": result["average"], "n_folds": result["n_folds"],
            "best": result["best"], "methods": fitted}


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
    i = mismatched_view(v, proba, fold)
    if i is not None:
        raise ValidationError(f"views[{i}] differs from proba on the rows of fold {ks[i]}; a fold's view of its own "
                              f"rows is its OOF: the views are from another run of the stage")
    return v


def mismatched_view(views: np.ndarray, proba: np.ndarray, fold: np.ndarray) -> int | None:
    """The first ``i`` whose view differs from ``proba`` on the rows of the i-th fold id, or None when all agree."""
    for i, k in enumerate(np.unique(fold)):
        rows = fold == k
        if not np.allclose(views[i][rows], proba[rows], rtol=0.0, atol=1e-6):
            return i
    return None


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
