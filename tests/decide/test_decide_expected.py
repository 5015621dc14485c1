"""Expected F-beta: the DP equals brute force over every tag set and every truth, and it pays off on simulated data."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from stacker.decide import create_rule, expected_fbeta_decisions, expected_fbeta_prefixes
from stacker.decide import expected as expected_module
from stacker.thresholds import fbeta_from_counts, fbeta_score


def brute_force(p: np.ndarray, beta: float, zero_division: float) -> tuple[np.ndarray, np.ndarray]:
    """Every tag set (rows of ``sets``, bit order) and its exact expected F-beta under independent marginals ``p``."""
    sets = np.array(list(itertools.product([0, 1], repeat=len(p))), dtype=np.int64)
    truth_prob = np.prod(np.where(sets == 1, p, 1.0 - p), axis=1)
    f = fbeta_from_counts(sets @ sets.T, sets.sum(1)[:, None], sets.sum(1)[None, :], beta, zero_division)
    return sets, truth_prob @ f  # f[truth, prediction]


def index_of(tag_set: np.ndarray) -> int:
    return int("".join(map(str, tag_set)), 2)


def random_marginals(rng: np.random.Generator, n_labels: int) -> np.ndarray:
    p = rng.random(n_labels)
    special = rng.random(n_labels) < 0.25  # exact 0, 1 and ties
    p[special] = rng.choice([0.0, 1.0, 0.5], special.sum())
    return p


@pytest.mark.parametrize("zero_division", [0.0, 1.0])
@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_best_prefix_equals_brute_force_over_all_tag_sets(beta, zero_division):
    rng = np.random.default_rng(int(beta * 10) + int(zero_division))
    for _ in range(40):
        p = random_marginals(rng, int(rng.integers(1, 9)))
        sets, expected = brute_force(p, beta, zero_division)
        chosen = expected_fbeta_decisions(p[None], beta, zero_division)[0]
        assert expected[index_of(chosen)] == pytest.approx(expected.max(), abs=1e-12), p
        order = np.argsort(-p, kind="stable")
        prefixes = expected_fbeta_prefixes(p[order][None], beta, zero_division)[0]
        for k in range(len(p) + 1):  # every prefix's value, not just the best one
            tag_set = np.zeros(len(p), dtype=np.int64)
            tag_set[order[:k]] = 1
            assert prefixes[k] == pytest.approx(expected[index_of(tag_set)], abs=1e-12)


def test_ten_labels_equal_brute_force():
    rng = np.random.default_rng(10)
    p = rng.random((3, 10)) ** 2
    for row, chosen in zip(p, expected_fbeta_decisions(p, 2.0)):
        _, expected = brute_force(row, 2.0, 0.0)
        assert expected[index_of(chosen)] == pytest.approx(expected.max(), abs=1e-12)


def test_empty_set_scores_zero_division_times_no_true_label():
    p = np.array([[0.1, 0.02, 0.3]])
    prefixes = expected_fbeta_prefixes(p, 2.0, zero_division=1.0)
    assert prefixes[0, 0] == pytest.approx(0.9 * 0.98 * 0.7)
    assert expected_fbeta_prefixes(p, 2.0, zero_division=0.0)[0, 0] == 0.0
    # all near zero: predicting nothing wins only when the empty row scores 1
    assert expected_fbeta_decisions(np.full((1, 4), 0.01), 2.0, 1.0).sum() == 0
    assert expected_fbeta_decisions(np.full((1, 4), 0.01), 2.0, 0.0).sum() > 0


def test_ties_go_to_the_lower_label_index_and_chunks_do_not_matter(monkeypatch):
    rng = np.random.default_rng(1)
    p = np.round(rng.random((300, 7)), 1)  # many ties
    whole = expected_fbeta_decisions(p, 2.0)
    monkeypatch.setattr(expected_module, "CHUNK_ROWS", 7)
    np.testing.assert_array_equal(expected_fbeta_decisions(p, 2.0), whole)
    for row, chosen in zip(p, whole):
        order = np.argsort(-row, kind="stable")
        k = int(chosen.sum())
        assert chosen[order[:k]].all()  # the chosen set is a prefix of (probability desc, index asc)
    assert whole.dtype == np.uint8 and whole.shape == p.shape


def test_one_label_and_certain_labels():
    assert expected_fbeta_decisions(np.array([[1.0, 0.0, 1.0]]), 1.0).tolist() == [[1, 0, 1]]
    assert expected_fbeta_decisions(np.array([[0.7]]), 2.0).tolist() == [[1]]


def simulate(seed: int, n: int = 1500, n_labels: int = 6) -> tuple[float, float]:
    """Realised F2 on fresh rows drawn from their marginals: expected-f vs greedy thresholds fitted on other rows."""
    rng = np.random.default_rng(seed)
    base = rng.normal(-1.0, 1.0, n_labels)
    p = 1.0 / (1.0 + np.exp(-(base + rng.normal(0.0, 1.5, (2 * n, n_labels)))))
    y = (rng.random(p.shape) < p).astype(np.uint8)
    fit, test = slice(0, n), slice(n, 2 * n)
    scores = [fbeta_score(y[test], create_rule(r).fit(p[fit], y[fit]).predict(p[test])) for r in ("expected-f", "greedy")]
    return scores[0], scores[1]


def test_expected_f_beats_per_label_thresholds_on_samples_from_its_marginals():
    margins = np.array([np.subtract(*simulate(seed)) for seed in range(8)])
    assert (margins > 0).all(), margins
    assert margins.mean() > 0.003, margins.mean()  # about 0.005 F2 on average
