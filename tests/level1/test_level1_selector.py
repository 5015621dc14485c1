"""Selectors: beam(1) == greedy, beam/random-greedy never worse, brute-force optima, tie rule, no repeats."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from stacker.config import SelectConfig
from stacker.exceptions import RegistryError, ValidationError
from stacker.level1 import (
    BeamSelector, GreedySelector, RandomGreedySelector, create_objective, create_selector, list_methods, subset_mean,
)
from stacker.level1 import additions
from stacker.level1.objectives import Objective

OBJECTIVES = ["fbeta", "logloss", "auc"]


def problem(seed: int, n_models: int = 9, n: int = 120):
    """Models of mixed skill with independent noise, so averaging helps."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.uint8)
    skill = rng.uniform(0.0, 1.5, (n_models, 1))
    P = 1 / (1 + np.exp(-(2.0 * rng.normal(size=(n_models, n)) + skill * (2.0 * y - 1))))
    return P.astype(np.float32), y


def subset_score(objective: str, P, y, subset) -> float:
    return float(create_objective(objective).score(y, subset_mean(P, subset)[None])[0])


def brute_force(objective: str, P, y, max_size: int):
    """Best subset of at most ``max_size`` models under the tie rule (smaller, then lower indices)."""
    subsets = [s for k in range(1, max_size + 1) for s in itertools.combinations(range(len(P)), k)]
    return min(subsets, key=lambda s: (-subset_score(objective, P, y, s), len(s), s))


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_beam_width_one_equals_greedy(objective):
    for seed in range(12):
        P, y = problem(seed)
        greedy = GreedySelector(objective, per_label=4).fit(P, y)
        beam = BeamSelector(objective, per_label=4, beam_width=1).fit(P, y)
        assert beam.selected_.tolist() == greedy.selected_.tolist()
        assert beam.score_ == greedy.score_ and beam.trace_ == greedy.trace_


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_beam_and_random_restarts_are_never_worse_than_greedy(objective):
    for seed in range(25):
        P, y = problem(seed, n_models=10)
        greedy = GreedySelector(objective, per_label=4).fit(P, y)
        beam = BeamSelector(objective, per_label=4, beam_width=3).fit(P, y)
        restarts = RandomGreedySelector(objective, per_label=4, restarts=4, random_state=seed).fit(P, y)
        assert beam.score_ >= greedy.score_ and restarts.score_ >= greedy.score_


@pytest.mark.parametrize("objective", ["fbeta", "auc"])
def test_wider_searches_do_beat_greedy_on_a_stepwise_objective(objective):
    # (log loss is smooth: on these problems greedy is already optimal, so it is not used here)
    scores = [(GreedySelector(objective, per_label=4).fit(P, y).score_,
               BeamSelector(objective, per_label=4, beam_width=3).fit(P, y).score_,
               RandomGreedySelector(objective, per_label=4, restarts=4, random_state=seed).fit(P, y).score_)
              for seed in range(25) for P, y in [problem(seed, n_models=10)]]
    assert sum(beam > greedy for greedy, beam, _ in scores) > 0
    assert sum(restart > greedy for greedy, _, restart in scores) > 0


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_one_model_per_label_picks_the_best_single_model(objective):
    for seed in range(5):
        P, y = problem(seed)
        expected = brute_force(objective, P, y, 1)
        for selector in (GreedySelector(objective, per_label=1), BeamSelector(objective, per_label=1),
                         RandomGreedySelector(objective, per_label=1, restarts=3)):
            assert tuple(selector.fit(P, y).selected_) == expected


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_wide_beam_finds_the_exhaustive_optimum_of_pairs(objective):
    # Every single is in a beam as wide as the library, and the best pair (if it beats every single)
    # improves on both of its parents, so nothing can be missed.
    for seed in range(6):
        P, y = problem(seed, n_models=7, n=80)
        beam = BeamSelector(objective, per_label=2, beam_width=len(P)).fit(P, y)
        assert tuple(sorted(beam.selected_)) == brute_force(objective, P, y, 2)


def test_greedy_equals_brute_force_along_its_own_path():
    P, y = problem(3)
    greedy = GreedySelector("fbeta", per_label=3).fit(P, y)
    path = []
    for step in range(len(greedy.selected_)):
        scores = {m: subset_score("fbeta", P, y, path + [m]) for m in range(len(P)) if m not in path}
        best = max(scores.values())
        chosen = min(m for m, s in scores.items() if s == best)
        assert greedy.selected_[step] == chosen and greedy.trace_[step] == pytest.approx(best, abs=1e-12)
        path.append(chosen)


@pytest.mark.parametrize("method", ["greedy", "beam", "random-greedy"])
def test_no_model_twice_trace_and_score_consistent(method):
    P, y = problem(7, n_models=4)
    for objective in OBJECTIVES:
        config = SelectConfig(method=method, per_label=10, beam=3, restarts=3)
        fitted = create_selector(method, create_objective(objective), config).fit(P, y)
        chosen = fitted.selected_.tolist()
        assert len(chosen) == len(set(chosen)) <= len(P)
        assert len(fitted.trace_) == len(chosen)
        assert all(b > a for a, b in zip(fitted.trace_, fitted.trace_[1:]))  # additions strictly improve
        assert fitted.trace_[-1] == fitted.score_ == subset_score(objective, P, y, chosen)


@pytest.mark.parametrize("method", ["greedy", "beam", "random-greedy"])
def test_ties_prefer_the_smaller_ensemble_then_the_lower_index(method):
    P, y = problem(11, n_models=6)
    P[2] = P[5] = (0.2 + 0.6 * y).astype(np.float32)  # two identical perfect models
    config = SelectConfig(method=method, per_label=3, beam=4, restarts=6)
    fitted = create_selector(method, create_objective("logloss"), config).fit(P, y)
    assert fitted.selected_.tolist() == [2]  # not [5], and adding the twin (same average) does not improve


def test_each_step_scores_all_candidates_in_one_objective_call():
    class Spy(Objective):
        def __init__(self):
            self.calls = []

        def bind(self, y):
            inner = create_objective("logloss").bind(y)

            def score(P):
                self.calls.append(len(P))
                return inner(P)

            return score

    P, y = problem(5, n_models=12)
    spy = Spy()
    fitted = GreedySelector(spy, per_label=3).fit(P, y)
    assert len(spy.calls) <= 3 and spy.calls[0] == 12 and sum(spy.calls) == fitted.n_evaluations_


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_scores_do_not_depend_on_the_block_size(objective, monkeypatch):
    P, y = problem(6, n_models=11)
    whole = BeamSelector(objective, per_label=3, beam_width=3).fit(P, y)
    monkeypatch.setattr(additions, "CHUNK_CELLS", 2 * P.shape[1])  # two candidates per objective call
    blocks = BeamSelector(objective, per_label=3, beam_width=3).fit(P, y)
    assert blocks.selected_.tolist() == whole.selected_.tolist() and blocks.trace_ == whole.trace_


def test_fit_does_not_change_parameters_or_inputs():
    P, y = problem(1)
    before = P.copy()
    selector = BeamSelector("fbeta", per_label=2, beam_width=2)
    selector.fit(P, y)
    assert (selector.per_label, selector.beam_width, selector.objective) == (2, 2, "fbeta")
    np.testing.assert_array_equal(P, before)


def test_random_greedy_is_seeded():
    P, y = problem(4, n_models=12)
    runs = [RandomGreedySelector("auc", per_label=3, restarts=5, random_state=s).fit(P, y) for s in (0, 0, 1)]
    assert runs[0].restart_scores_ == runs[1].restart_scores_
    assert runs[0].restart_scores_[0] == GreedySelector("auc", per_label=3).fit(P, y).score_


def test_methods_registry_and_errors():
    assert list_methods() == ["beam", "greedy", "random-greedy"]
    with pytest.raises(RegistryError, match="unknown selection method 'forward'.*beam, greedy, random-greedy"):
        create_selector("forward", create_objective("fbeta"), SelectConfig())
    P, y = problem(0)
    with pytest.raises(ValidationError, match="per_label must be an integer >= 1; found 0"):
        GreedySelector(per_label=0).fit(P, y)
    with pytest.raises(ValidationError, match="beam_width must be an integer >= 1"):
        BeamSelector(beam_width=0).fit(P, y)
    with pytest.raises(ValidationError, match=r"y must have shape \(120,\)"):
        GreedySelector().fit(P, y[:-1])
    bad = P.copy()
    bad[1, 3] = np.nan
    with pytest.raises(ValidationError, match="finite probabilities in \\[0, 1\\]"):
        GreedySelector().fit(bad, y)
    with pytest.raises(ValidationError, match="0/1"):
        GreedySelector().fit(P, y * 2)
