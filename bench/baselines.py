"""The baselines stacker must beat, and the scoring shared by every row of ``bench/quality.py``.

Pure numpy / scikit-learn on arrays; nothing here reads stacker's files. Every
baseline takes the runs' out-of-fold and test probabilities, ``P_oof`` of shape
(n_runs, n_train, n_labels) and ``P_test`` of shape (n_runs, n_test, n_labels),
and returns :class:`Predictions` (an OOF and a test matrix) to be decided
like any stage (by the CV-best of the rules in :data:`RULES`):

- :func:`best_single` - the run with the best in-sample OOF F-beta (greedy thresholds);
- :func:`mean_of_runs` - the plain average of every run;
- :func:`top_k_mean` - per label, the average of the ``k`` runs with the best
  binary F-beta at their exact best threshold;
- :func:`caruana_selection` - per label, Caruana et al. (2004) ensemble selection:
  forward steps with replacement, each adding the run that most lowers the
  log loss of the running average;
- :func:`logistic_stack` - per label, a logistic regression on every run's
  probability of that label (OOF on the given folds, test from a fit on all rows).

The selections (best single, top-k, Caruana) use every OOF label, as a user
choosing on the OOF leaderboard does, so their CV score carries that optimism;
the test split shows how much.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stacker.thresholds import best_fbeta, fbeta_score, fit_thresholds

EPS = 1e-6
# Every row, baseline or stage, is decided by the rule of these with the best CV score, the choice
# ``stacker submit --best`` makes among them; the first two are thresholds fitted on OOF (the baselines
# as the issue defines them are scored with the better of those two as well: THRESHOLD_RULES).
RULES = ("greedy", "smooth", "expected-f")
THRESHOLD_RULES = ("greedy", "smooth")


@dataclass(frozen=True)
class Predictions:
    """One method's probabilities: ``oof`` (n_train, n_labels) and ``test`` (n_test, n_labels), in [0, 1].

    ``views`` (n_folds, n_train, n_labels): a stacker stage's nested views, on which its
    rules for each fold are fitted (as stacker scores it); None for a baseline.
    """

    oof: np.ndarray
    test: np.ndarray
    views: np.ndarray | None = None


def best_single(P_oof, P_test, Y, beta: float = 2.0) -> tuple[int, Predictions]:
    """The run with the highest in-sample per-sample F-beta (greedy thresholds fitted on all OOF rows).

    Ties go to the lower run index. Returns the index and its predictions.
    """
    scores = [fit_thresholds(Y, P, beta, "samples", "greedy").score for P in P_oof]
    best = int(np.argmax(scores))
    return best, Predictions(P_oof[best], P_test[best])


def mean_of_runs(P_oof, P_test) -> Predictions:
    """The plain average of every run."""
    return Predictions(P_oof.mean(axis=0), P_test.mean(axis=0))


def top_k_runs(P_oof, Y, k: int = 3, beta: float = 2.0) -> np.ndarray:
    """Per label, the ``k`` runs with the best binary F-beta at their exact best threshold.

    Returns an int array of shape (n_labels, k); ties go to the lower run index.
    """
    chosen = []
    for j in range(Y.shape[1]):
        scores, _ = best_fbeta(Y[:, j], P_oof[:, :, j], beta, device="cpu")
        chosen.append(np.argsort(-scores, kind="stable")[:k])
    return np.array(chosen)


def top_k_mean(P_oof, P_test, Y, k: int = 3, beta: float = 2.0) -> Predictions:
    """Per label, the average of that label's :func:`top_k_runs`."""
    chosen = top_k_runs(P_oof, Y, k, beta)
    return Predictions(*(np.column_stack([P[rows, :, j].mean(axis=0) for j, rows in enumerate(chosen)])
                         for P in (P_oof, P_test)))


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    """Mean binary log loss of probabilities ``p`` (clipped to [EPS, 1 - EPS]) for 0/1 ``y``."""
    p = np.clip(p, EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def caruana_weights(P: np.ndarray, y: np.ndarray, steps: int = 25) -> np.ndarray:
    """Caruana ensemble selection for one label: how often each run was picked.

    Parameters
    ----------
    P : ndarray of shape (n_runs, n_samples), one label's OOF probabilities
    y : ndarray of shape (n_samples,), 0/1
    steps : number of forward steps; each adds one run (with replacement) to the
        running average, the one giving the lowest log loss (ties: lower run index)

    Returns
    -------
    counts : ndarray of shape (n_runs,), int, summing to ``steps``
    """
    counts = np.zeros(len(P), dtype=np.int64)
    total = np.zeros(P.shape[1], dtype=np.float64)
    for step in range(1, steps + 1):
        losses = [log_loss(y, (total + P[m]) / step) for m in range(len(P))]
        best = int(np.argmin(losses))
        counts[best] += 1
        total += P[best]
    return counts


def caruana_selection(P_oof, P_test, Y, steps: int = 25) -> Predictions:
    """Per label, the :func:`caruana_weights` average of the runs."""
    weights = np.array([caruana_weights(P_oof[:, :, j], Y[:, j], steps) for j in range(Y.shape[1])]) / steps
    return Predictions(*(np.einsum("lm,mnl->nl", weights, P) for P in (P_oof, P_test)))


def logistic_stack(P_oof, P_test, Y, folds, C: float = 1.0) -> Predictions:
    """Per label, ``LogisticRegression(C)`` on every run's probability of that label.

    OOF row i comes from the fit on the rows of the other folds (``folds != folds[i]``);
    test rows from a fit on every train row.
    """
    from sklearn.linear_model import LogisticRegression

    oof = np.zeros(Y.shape, dtype=np.float64)
    test = np.zeros((P_test.shape[1], Y.shape[1]), dtype=np.float64)
    for j in range(Y.shape[1]):
        X, X_test, y = P_oof[:, :, j].T, P_test[:, :, j].T, Y[:, j]
        for k in np.unique(folds):
            fit = folds != k
            model = LogisticRegression(C=C, max_iter=2000).fit(X[fit], y[fit])
            oof[~fit, j] = model.predict_proba(X[~fit])[:, 1]
        test[:, j] = LogisticRegression(C=C, max_iter=2000).fit(X, y).predict_proba(X_test)[:, 1]
    return Predictions(oof, test)


# ----- scoring ---------------------------------------------------------------------------------------------
def per_sample_fbeta(y_true: np.ndarray, y_pred: np.ndarray, beta: float = 2.0) -> np.ndarray:
    """F-beta of each row of 0/1 matrices (n_samples, n_labels); a row with no true and no predicted label scores 0.

    Its mean is the ``samples`` average (``fbeta_score(..., average="samples", zero_division=0)``).
    """
    y_true, y_pred = np.asarray(y_true, dtype=bool), np.asarray(y_pred, dtype=bool)
    tp = (y_true & y_pred).sum(axis=1)
    denominator = (1 + beta**2) * tp + beta**2 * (y_true & ~y_pred).sum(axis=1) + (~y_true & y_pred).sum(axis=1)
    return np.divide((1 + beta**2) * tp, denominator, out=np.zeros(len(tp)), where=denominator > 0)


def score(Y, folds, Y_test, predictions: Predictions, beta: float = 2.0) -> dict:
    """Honest CV and official-test per-sample F-beta of ``predictions``, for each decision rule of :data:`RULES`.

    Returns ``{"cv": {rule: float}, "cv_se": {rule: float}, "test": {rule: float},
    "rule": best rule by CV, "cv_best", "se_best", "test_best", "test_se", "gap", "test_rows",
    "rule_thresholds", "test_thresholds"}``: ``cv`` is the rule fitted on K-1 folds
    and scored on the held-out fold (pooled; :func:`stacker.decide.evaluate_rules`, as ``submit --best``
    scores its candidates), ``cv_se`` the standard error of the K held-out fold scores, ``test`` the rule
    fitted on all OOF rows applied to the test rows; ``gap`` = test - CV at the CV-best rule;
    ``test_rows`` the per-row test F-beta at that rule (n_test,), ``test_se`` its standard error;
    ``rule_thresholds`` / ``test_thresholds`` the CV-best of the threshold rules only and its test score.
    """
    from stacker.decide.evaluate import evaluate_rules

    evaluation = evaluate_rules(Y, predictions.oof, np.asarray(folds, dtype=np.int64), beta, "samples", rules=RULES,
                                views=predictions.views)
    result = {"cv": {}, "cv_se": {}, "test": {}}
    rows = {}
    for rule, found in evaluation["rules"].items():
        fold_scores = np.asarray(found["fold_scores"])
        result["cv"][rule] = float(found["out_of_fold"])
        result["cv_se"][rule] = float(fold_scores.std(ddof=1) / np.sqrt(len(fold_scores)))
        predicted = found["rule"].predict(predictions.test)
        result["test"][rule] = float(fbeta_score(Y_test, predicted, beta=beta, average="samples"))
        rows[rule] = per_sample_fbeta(Y_test, predicted, beta)
    rule = evaluation["best"]
    thresholds = max(THRESHOLD_RULES, key=lambda r: (result["cv"][r], -THRESHOLD_RULES.index(r)))
    result.update(rule=rule, cv_best=result["cv"][rule], se_best=result["cv_se"][rule],
                  test_best=result["test"][rule], test_se=float(rows[rule].std(ddof=1) / np.sqrt(len(rows[rule]))),
                  gap=result["test"][rule] - result["cv"][rule], test_rows=rows[rule],
                  rule_thresholds=thresholds, test_thresholds=result["test"][thresholds])
    return result
