"""Nested selection: held-out scores use only rows the selection never saw."""

from __future__ import annotations

import numpy as np
import pytest

from stacker.level1 import GreedySelector, create_objective, nested_selection, subset_mean


def leaky_problem(n: int = 90, k: int = 3, seed: int = 0):
    """Model k is perfect outside fold k and exactly wrong inside it; models k..k+2 are honest but weak."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(np.uint8)
    folds = np.arange(n) % k
    leaky = [np.where(folds != f, 0.1 + 0.8 * y, 0.9 - 0.8 * y) for f in range(k)]
    honest = [1 / (1 + np.exp(-(rng.normal(size=n) + 0.8 * (2.0 * y - 1)))) for _ in range(3)]
    return np.array(leaky + honest, dtype=np.float32), y, folds


@pytest.mark.parametrize("objective", ["fbeta", "logloss", "auc"])
def test_held_out_scores_come_from_rows_the_selection_did_not_see(objective):
    P, y, folds = leaky_problem()
    obj = create_objective(objective)
    results = nested_selection(P, y, folds, lambda: GreedySelector(obj, per_label=2), obj)
    assert [r.fold for r in results] == [0, 1, 2]
    perfect = obj.score(y, (0.1 + 0.8 * y)[None].astype(np.float32))[0]
    for r in results:
        assert r.models == (r.fold,)  # the model that is perfect on the selection rows
        assert r.in_sample == pytest.approx(perfect)
        assert r.held_out < r.in_sample - 0.5  # it is exactly wrong on the held-out fold
        inside = folds != r.fold
        average = subset_mean(P, list(r.models))
        assert r.held_out == pytest.approx(obj.held_out_score(y[inside], average[inside], y[~inside], average[~inside]))


def test_fbeta_held_out_at_the_in_sample_threshold_is_zero_for_an_inverted_fold():
    P, y, folds = leaky_problem()
    obj = create_objective("fbeta")
    results = nested_selection(P, y, folds, lambda: GreedySelector(obj, per_label=1), obj)
    assert [r.held_out for r in results] == [0.0, 0.0, 0.0]
