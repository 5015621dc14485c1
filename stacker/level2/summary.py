"""Out-of-fold comparison of prediction matrices: best single model, level-1 average, level-2.

Each matrix is thresholded the honest way (``stacker.thresholds.evaluate_thresholds``):
for each fold, thresholds are fitted on the other folds (on the stage's view of
them made without that fold, where it has views) and applied to it.
The pooled held-out 0/1 predictions give the overall metric and, per label,
that label's binary F-beta.

The "best single model" of a label is the level-1 candidate with the best
binary F-beta on that label's OOF column, chosen honestly: fold ``k``'s rows
take the candidate that was best on the other folds
(:func:`best_single_out_of_fold`); the row "best single" stacks those
per-label choices. Every score comes with its fold-to-fold standard error.
"""

from __future__ import annotations

import numpy as np

from stacker.data.metric import MetricSpec
from stacker.thresholds import best_fbeta, evaluate_thresholds

METHODS = ("greedy", "smooth")


def best_single_models(Y: np.ndarray, candidate_oof: np.ndarray, beta: float) -> np.ndarray:
    """Index of the best candidate per label, int (n_labels,); ties go to the lowest index.

    ``candidate_oof`` has shape (n_models, n_train, n_labels).
    """
    best = [int(np.argmax(best_fbeta(Y[:, j], candidate_oof[:, :, j], beta)[0])) for j in range(Y.shape[1])]
    return np.array(best, dtype=np.int64)


def best_single_out_of_fold(Y: np.ndarray, candidate_oof: np.ndarray, folds: np.ndarray,
                            beta: float) -> tuple[np.ndarray, np.ndarray]:
    """The honest best single model: per label and fold ``k``, the candidate best on the other folds.

    Returns
    -------
    oof : ndarray of shape (n_train, n_labels), float32
        Fold ``k``'s rows from the candidate chosen without fold ``k``.
    views : ndarray of shape (n_folds, n_train, n_labels), float32
        View ``i`` (the i-th fold id): every row from the candidates chosen
        without that fold, so the thresholds deciding it are fitted on the
        model that predicts it (:func:`score_matrix`'s ``views``).
    """
    ks = np.unique(folds)
    views = np.empty((len(ks), *candidate_oof.shape[1:]), dtype=np.float32)
    out = np.empty(candidate_oof.shape[1:], dtype=np.float32)
    for i, k in enumerate(ks):
        rows = folds == k
        views[i] = pick_columns(candidate_oof, best_single_models(Y[~rows], candidate_oof[:, ~rows], beta))
        out[rows] = views[i][rows]
    return out, views


def pick_columns(candidate: np.ndarray, choice: np.ndarray) -> np.ndarray:
    """(n_rows, n_labels): column ``j`` of candidate ``choice[j]``; ``candidate`` is (n_models, n_rows, n_labels)."""
    return np.stack([candidate[m, :, j] for j, m in enumerate(choice)], axis=1)


def score_matrix(Y: np.ndarray, proba: np.ndarray, folds: np.ndarray, metric: MetricSpec,
                 views: np.ndarray | None = None) -> dict:
    """Out-of-fold scores of ``proba`` (n_train, n_labels) under both threshold methods.

    With ``views`` (the stage's nested views, (n_folds, n_train, n_labels)) fold
    ``k``'s thresholds are fitted on view ``k`` rather than on the other folds' OOF.

    Returns
    -------
    dict
        ``{method: {"out_of_fold": float, "in_sample": float, "fold_scores": list of float,
        "standard_error": float, "per_label": list of float, "thresholds": list of float}}``;
        ``thresholds`` are fitted on all rows (what a submission uses), ``per_label`` are
        binary F-beta of the pooled held-out predictions, ``fold_scores`` each held-out
        fold alone and ``standard_error`` their fold-to-fold standard error.
    """
    evaluation = evaluate_thresholds(Y, proba, folds.astype(np.int64), metric.beta, metric.average, methods=METHODS,
                                     views=views)
    return {method: {"out_of_fold": float(r["out_of_fold"]), "in_sample": float(r["in_sample"]),
                     "fold_scores": [float(f) for f in r["fold_scores"]], "standard_error": r["fold_se"],
                     "per_label": r["per_label"], "thresholds": [float(t) for t in r["thresholds"]]}
            for method, r in evaluation["methods"].items()}


def layer_optimism(Y: np.ndarray, in_sample: np.ndarray, held_out_score: dict, folds: np.ndarray,
                   metric: MetricSpec, what: str) -> dict:
    """How much a stage's own choices flatter it: its score with the choices made on every row, minus its honest one.

    Parameters
    ----------
    in_sample : ndarray of shape (n_train, n_labels)
        The stage's predictions when its choices (``what``: the selection, the
        blend weights, the fits) were made on every row, its own rows included.
    held_out_score : dict
        :func:`score_matrix` of the stage's honest OOF (choices made without each fold).

    Returns
    -------
    dict
        ``{"what", "in_sample", "held_out", "optimism"}``: both scored with
        greedy thresholds fitted on K-1 folds, so the difference is the optimism
        of the stage's choices alone (the number a non-nested pipeline would hide).
    """
    flattering = score_matrix(Y, in_sample, folds, metric)["greedy"]["out_of_fold"]
    honest = held_out_score["greedy"]["out_of_fold"]
    return {"what": what, "in_sample": float(flattering), "held_out": float(honest),
            "optimism": float(flattering - honest)}


def summary_rows(labels: list[str], scores: dict[str, dict], metric: MetricSpec) -> list[list]:
    """Table rows: one per label (its binary F-beta), "overall" (``metric``), then the overall score's
    fold-to-fold standard error; columns ``pipeline x method``.

    ``scores`` maps a pipeline name ("best single", "level-1", "level-2") to :func:`score_matrix` output.
    """
    pipelines = list(scores)
    rows = [
        [label, *(scores[p][m]["per_label"][j] for p in pipelines for m in METHODS)]
        for j, label in enumerate(labels)
    ]
    rows.append(["overall", *(scores[p][m]["out_of_fold"] for p in pipelines for m in METHODS)])
    rows.append(["± SE (folds)", *(scores[p][m]["standard_error"] for p in pipelines for m in METHODS)])
    return rows


def summary_columns(pipelines: list[str]) -> list[str]:
    """Header of :func:`summary_rows`."""
    return ["label", *(f"{p} {m}" for p in pipelines for m in METHODS)]


class ScoreTable:
    """The summary table of a stage result that has ``labels``, ``metric`` and ``scores`` (pipeline -> score_matrix).

    Mixed into the results of ``fit-l2``, ``stack`` and ``blend``, so each prints the same table.
    """

    @property
    def columns(self) -> list[str]:
        """Summary table header: ``label`` then each pipeline x threshold method."""
        return summary_columns(list(self.scores))

    @property
    def rows(self) -> list[list]:
        """Summary table rows: per label, overall, the overall score's fold standard error."""
        return summary_rows(self.labels, self.scores, self.metric)
