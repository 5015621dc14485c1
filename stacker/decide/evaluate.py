"""The one honest comparison of decision rules: fit on K-1 folds, decide the held-out fold, score.

Every rule goes through the same loop: for each fold ``k`` a fresh rule is
fitted on the other folds' OOF probabilities and labels and decides fold
``k``'s rows. The held-out decisions of all folds are pooled into one
``(n_samples, n_labels)`` matrix and scored once with
:func:`stacker.thresholds.fbeta_score` (the out-of-fold score); each fold is
also scored alone. Rules are compared to the best one: the difference of
their out-of-fold scores (what the table shows), with the standard error
``sd / sqrt(K)`` of the per-fold differences ``score(rule, k) - score(best,
k)``, paired on the same rows. The folds share their data, so these errors
are approximate, but a difference within about two of them is noise.

With ``views`` (the stage's nested views) the rule for fold ``k`` is fitted on
``views[k]``, the other folds' rows as predicted without fold ``k``'s labels,
so no fold's labels reach the rule that decides it. The K fold fits of a rule
are tasks of :mod:`stacker.parallel` (threads here, workers on a Dask cluster).
:func:`stacker.thresholds.evaluate_thresholds` is this loop on the ``greedy``
and ``smooth`` rules.
"""

from __future__ import annotations

import numpy as np

from stacker.decide.rules import AVERAGES, applies_to, create_rule, not_applicable, rule_class
from stacker.exceptions import ValidationError
from stacker.thresholds import fbeta_score
from stacker.thresholds._validate import check_choice
from stacker.thresholds.evaluate import check_folds, check_views, fit_matrix
from stacker.thresholds.optimize import check_matrices


def evaluate_rules(
    y_true,
    proba,
    folds,
    beta: float = 2.0,
    average: str = "samples",
    *,
    rules: tuple[str, ...] = ("greedy", "smooth"),
    params: dict[str, dict] | None = None,
    zero_division: float = 0.0,
    views=None,
) -> dict:
    """Out-of-fold score, fold spread and paired difference to the best rule, for each rule.

    Parameters
    ----------
    y_true : array_like of shape (n_samples, n_labels)
        0/1 labels.
    proba : array_like of shape (n_samples, n_labels)
        OOF probabilities in [0, 1] of one stage.
    folds : array_like of shape (n_samples,)
        Integer fold of each row (at least two distinct folds).
    beta, average, zero_division
        The metric (as :func:`~stacker.thresholds.fbeta_score`).
    rules : tuple of str
        Registered rule names, e.g. ``("greedy", "smooth", "expected-f")``.
    params : dict, optional
        ``{rule: {parameter: value}}`` for rules that take parameters.
    views : array_like of shape (n_folds, n_samples, n_labels), optional
        ``views[i]``: every row predicted without the labels of the i-th fold id
        (sorted); the rule deciding that fold is fitted on it. Without it, on ``proba``.

    Returns
    -------
    dict
        ``{"beta", "average", "n_folds", "best", "rules": {name: result}, "not_applicable": {name: reason}}``.
        ``best`` has the highest out-of-fold score (ties: the first in ``rules``);
        rules that do not optimise ``average`` are left out of ``rules`` and listed
        in ``not_applicable`` with a one-line reason. Each result holds
        ``params``, ``out_of_fold`` (pooled held-out decisions), ``in_sample``
        (fitted and scored on all rows), ``fold_scores`` (list of K floats),
        ``fold_se`` (standard error of their mean), ``diff_vs_best`` (out-of-fold
        score minus ``best``'s) and ``diff_se`` (standard error of the per-fold
        differences to ``best``), ``per_label`` (list of n_labels floats: binary F-beta of
        each label's pooled held-out decisions), ``thresholds`` (ndarray
        (n_labels,) fitted on all rows, or
        ``None`` for a rule without thresholds) and ``fold_thresholds``
        (ndarray (K, n_labels) or ``None``).
    """
    y, p = check_matrices(y_true, proba)
    fold = check_folds(folds, len(y))
    views = check_views(views, p, fold)
    check_choice(average, AVERAGES, "average")  # before the rules: an unknown average is not a rule's limitation
    params = dict(params or {})
    for name in (*rules, *params):
        rule_class(name)  # unknown names raise, listing the registered ones
    if len(set(rules)) != len(rules):
        raise ValidationError(f"rules must be distinct; found {list(rules)}")
    skipped = {r: not_applicable(r, rule_class(r).averages, beta, average) for r in rules if not applies_to(r, average)}
    kept = tuple(r for r in rules if r not in skipped)
    if not kept:
        raise ValidationError("; ".join(skipped.values()) if skipped else "rules is empty; name at least one rule")
    options = {r: _options(r, beta, average, zero_division, params.get(r, {})) for r in kept}
    results = {r: _evaluate_rule(y, p, views, fold, r, options[r]) for r in kept}
    best = max(kept, key=lambda r: (results[r]["out_of_fold"], -kept.index(r)))
    _add_paired_differences(results, best)
    return {"beta": float(beta), "average": average, "n_folds": int(len(np.unique(fold))), "best": best,
            "rules": results, "not_applicable": skipped}


def _options(name, beta, average, zero_division, params) -> dict:
    """Keyword arguments of ``create_rule(name, ...)``; bad params raise now, before any fit."""
    options = dict(beta=beta, average=average, zero_division=zero_division, **params)
    create_rule(name, **options)
    return options


def _evaluate_rule(y, p, views, fold, name, options) -> dict:
    from stacker.parallel import Shared, map_tasks

    def score(truth, pred):
        return fbeta_score(truth, pred, beta=options["beta"], average=options["average"],
                           zero_division=options["zero_division"])

    full = create_rule(name, **options).fit(p, y)
    ks = np.unique(fold)
    shared = tuple(Shared(a) for a in (y, p, views, fold))
    fitted = map_tasks(_fit_without_fold, [(name, options, *shared, i, k) for i, k in enumerate(ks)],
                       prefer="threads", description=f"decision rule {name} per fold")
    held_out = np.zeros_like(y)
    fold_scores = []
    for k, rule in zip(ks, fitted):
        test = fold == k
        held_out[test] = rule.predict(p[test])
        fold_scores.append(score(y[test], held_out[test]))
    per_label = [fbeta_score(y[:, j], held_out[:, j], beta=options["beta"], average="binary",
                             zero_division=options["zero_division"]) for j in range(y.shape[1])]
    return {
        "rule": full,
        "params": full.get_params(),
        "out_of_fold": score(y, held_out),
        "per_label": [float(f) for f in per_label],
        "in_sample": score(y, full.predict(p)),
        "fold_scores": fold_scores,
        "fold_se": standard_error(fold_scores),
        "thresholds": getattr(full, "thresholds_", None),
        "fold_thresholds": np.array([rule.thresholds_ for rule in fitted]) if full.uses_thresholds else None,
    }


def _fit_without_fold(name, options, y, p, views, fold, i, k):
    """Rule ``name`` fitted on the rows outside fold ``k``, the i-th fold id (one task of the parallel seam)."""
    train = fold != k
    return create_rule(name, **options).fit(fit_matrix(p, views, i)[train], y[train])


def _add_paired_differences(results: dict, best: str) -> None:
    """``diff_vs_best``: the difference of the out-of-fold scores (what the table shows); ``diff_se``: the
    standard error of the per-fold differences, paired on the same rows."""
    reference = np.asarray(results[best]["fold_scores"])
    for result in results.values():
        result["diff_vs_best"] = float(result["out_of_fold"] - results[best]["out_of_fold"])
        result["diff_se"] = standard_error(np.asarray(result["fold_scores"]) - reference)


def standard_error(values) -> float:
    """Standard error of the mean of ``values`` (sample standard deviation / sqrt(n)); 0.0 for n < 2."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2:
        return 0.0
    return float(values.std(ddof=1) / np.sqrt(len(values)))
