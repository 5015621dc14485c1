"""Nested selection: how optimistic is the in-sample score of a selected subset?

For each outer fold ``k`` of the workspace folds, the selector is fitted on the
rows outside fold ``k`` only; its subset's average is then scored on fold
``k`` with :meth:`Objective.held_out_score` (for F-beta, at the threshold
fitted on the rows outside ``k``). Nothing about the held-out rows is used to
select or to threshold, so held-out minus in-sample is the optimism of
selection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from stacker.level1.additions import subset_mean
from stacker.level1.objectives import Objective


@dataclass(frozen=True)
class FoldSelection:
    """One outer fold: the subset selected without it and its two scores."""

    fold: int
    models: tuple[int, ...]
    in_sample: float
    held_out: float


def nested_selection(
    P: np.ndarray, y: np.ndarray, folds: np.ndarray, make_selector: Callable[[], object], objective: Objective
) -> list[FoldSelection]:
    """Repeat selection inside each outer fold and score it on that fold.

    Parameters
    ----------
    P : ndarray of shape (n_models, n_samples), float32
    y : ndarray of shape (n_samples,), 0/1
    folds : ndarray of shape (n_samples,), int
        Outer fold of each row.
    make_selector : callable
        Returns a fresh, unfitted selector (``fit(P, y)`` -> fitted ``selected_``, ``score_``).
    objective : Objective
        The selector's objective, used for the held-out score.

    Returns
    -------
    list of FoldSelection, one per distinct fold value, in increasing order
    """
    return [fold_selection(P, y, folds, int(k), make_selector(), objective) for k in np.unique(folds)]


def fold_selection(P: np.ndarray, y: np.ndarray, folds: np.ndarray, k: int, selector, objective: Objective
                   ) -> FoldSelection:
    """Fit the unfitted ``selector`` on the rows outside fold ``k`` and score its subset on fold ``k``.

    ``P`` (n_models, n_samples), ``y`` and ``folds`` (n_samples,) as in :func:`nested_selection`.
    """
    inside = folds != k
    selector = selector.fit(P[:, inside], y[inside])
    average = subset_mean(P, selector.selected_)
    held_out = objective.held_out_score(y[inside], average[inside], y[~inside], average[~inside])
    return FoldSelection(int(k), tuple(int(m) for m in selector.selected_), selector.score_, held_out)


def summarise(folds: list[FoldSelection], names: list[str]) -> dict:
    """JSON-ready summary: mean in-sample and held-out scores, and each fold's subset by name."""
    return {
        "in_sample": float(np.mean([f.in_sample for f in folds])),
        "held_out": float(np.mean([f.held_out for f in folds])),
        "folds": [
            {"fold": f.fold, "models": [names[m] for m in f.models], "in_sample": f.in_sample, "held_out": f.held_out}
            for f in folds
        ],
    }
