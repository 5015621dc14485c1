"""Per-label scores of stored models: the numbers behind ``stacker ls``, prune and the report."""

from __future__ import annotations

from typing import Callable

import numpy as np


def label_scores(oof: np.ndarray, y: np.ndarray, score: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """``score(y[:, j], P)`` of every model on every label, one batched call per label.

    Parameters
    ----------
    oof : ndarray of shape (n_models, n_samples, n_labels)
    y : ndarray of shape (n_samples, n_labels), 0/1
    score : callable
        ``score(y_j (n_samples,), P (n_models, n_samples)) -> (n_models,)``.

    Returns
    -------
    scores : ndarray of shape (n_models, n_labels)
    """
    scores = np.empty((oof.shape[0], oof.shape[2]))
    for j in range(oof.shape[2]):
        scores[:, j] = score(y[:, j], np.ascontiguousarray(oof[:, :, j]))
    return scores


def per_label_scores(oof: np.ndarray, y: np.ndarray, beta: float) -> np.ndarray:
    """Best binary F-beta of each model on each label, at that label's exact best threshold.

    Shapes as :func:`label_scores`; returns (n_models, n_labels).
    """
    from stacker.thresholds import best_fbeta

    return label_scores(oof, y, lambda y_j, P: best_fbeta(y_j, P, beta=beta)[0])


def store_leaderboard(store, y: np.ndarray, labels: list[str], beta: float) -> list[dict]:
    """One row per model of ``store`` (an OOF or level-1 :class:`~stacker.oof.store.Store`).

    Parameters
    ----------
    store : Store
        Models of shape (n_samples, n_labels) each.
    y : ndarray of shape (n_samples, n_labels), 0/1
    labels : list of str, length n_labels
    beta : float
        The F-beta of the workspace metric.

    Returns
    -------
    list of dict
        In store order: ``name``, ``kind``, ``arch``, ``variant``, ``seed``,
        ``content_hash``, ``members``, ``per_label`` (label -> best F-beta at
        that label's exact best threshold, in [0, 1]) and ``mean`` (their mean).
    """
    entries = store.entries()
    oof, _ = store.load([e.name for e in entries])
    scores = per_label_scores(oof, y, beta) if entries else []
    return [
        {"name": e.name, "kind": e.kind, "arch": e.arch, "variant": e.variant, "seed": e.seed,
         "content_hash": e.content_hash, "members": e.meta.get("members"),
         "per_label": dict(zip(labels, map(float, s))), "mean": float(s.mean())}
        for e, s in zip(entries, scores)
    ]
