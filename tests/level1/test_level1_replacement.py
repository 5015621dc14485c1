"""Greedy selection with replacement (Caruana): a model may be added again, weights are counts over additions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from stacker.level1 import GreedySelector, create_objective, subset_mean


def _two_good_models(seed: int = 2, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Three models of one label, independent noise; model 1 is the strongest."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(np.uint8)
    sign = 2.0 * y - 1.0
    P = np.stack([1 / (1 + np.exp(-(skill * sign + rng.normal(0, 1, n)))) for skill in (1.0, 2.0, 1.4)])
    return P.astype(np.float32), y


def _brute_greedy(objective, P, y, steps: int) -> tuple[list[int], float]:
    """Greedy with replacement written out plainly: score every model's addition with np.mean, one at a time."""
    path, best = [], -np.inf
    for _ in range(steps):
        scores = [objective.score(y, subset_mean(P, path + [m])[None, :])[0] for m in range(len(P))]
        m = int(np.argmax(scores))
        if scores[m] <= best:
            break
        path, best = path + [m], float(scores[m])
    return path, best


def test_best_model_can_be_picked_twice_with_replacement():
    P, y = _two_good_models()
    objective = create_objective("fbeta", beta=2.0)
    best_single = int(np.argmax(objective.score(y, P)))
    fitted = GreedySelector(objective, per_label=5, replacement=True).fit(P, y)
    assert list(fitted.selected_).count(best_single) >= 2
    assert fitted.weights_.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(fitted.weights_, np.bincount(fitted.selected_, minlength=3) / len(fitted.selected_))
    plain = GreedySelector(objective, per_label=5).fit(P, y)
    assert len(set(plain.selected_.tolist())) == len(plain.selected_)  # without replacement: no repeats
    assert fitted.score_ >= plain.score_ or len(plain.selected_) == 3


@pytest.mark.parametrize("objective_name", ["fbeta", "logloss", "auc"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_replacement_equals_plain_brute_force_greedy(objective_name, seed):
    P, y = _two_good_models(seed, n=120)
    objective = create_objective(objective_name, beta=2.0)
    fitted = GreedySelector(objective, per_label=4, replacement=True).fit(P, y)
    path, score = _brute_greedy(objective, P, y, steps=4)
    assert fitted.selected_.tolist() == path
    assert fitted.score_ == pytest.approx(score)
    assert fitted.trace_ == sorted(fitted.trace_) and len(set(fitted.trace_)) == len(fitted.trace_)


def test_replacement_never_beats_exhaustive_multisets():
    P, y = _two_good_models(0, n=120)
    objective = create_objective("fbeta", beta=2.0)
    fitted = GreedySelector(objective, per_label=3, replacement=True).fit(P, y)
    exhaustive = max(objective.score(y, subset_mean(P, list(c))[None, :])[0]
                     for size in (1, 2, 3) for c in itertools.combinations_with_replacement(range(3), size))
    assert fitted.score_ <= exhaustive + 1e-12
    assert fitted.score_ >= objective.score(y, P).max()  # never worse than the best single model


def test_one_model_with_replacement_is_that_model():
    P, y = _two_good_models()
    fitted = GreedySelector("fbeta", per_label=5, replacement=True).fit(P[1:2], y)
    assert fitted.selected_.tolist() == [0]  # adding it again does not strictly improve
    np.testing.assert_array_equal(fitted.weights_, [1.0])
