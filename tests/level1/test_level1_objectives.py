"""Objectives: equal to scikit-learn / a brute-force threshold search, vectorised over candidates."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import fbeta_score as sk_fbeta
from sklearn.metrics import log_loss, roc_auc_score

from stacker.exceptions import RegistryError
from stacker.level1 import FBeta, create_objective, list_objectives


def candidates(seed: int, n_candidates: int = 7, n: int = 60, rounding: int | None = None):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.35).astype(np.uint8)
    y[:2] = [0, 1]
    P = 1 / (1 + np.exp(-(rng.normal(size=(n_candidates, n)) + rng.uniform(0, 2, (n_candidates, 1)) * (2.0 * y - 1))))
    if rounding is not None:  # many ties
        P = np.round(P, rounding)
    return y, P.astype(np.float32)


def brute_force_fbeta(y, p, beta):
    cuts = list(np.unique(p)) + [np.inf]
    return max(sk_fbeta(y, (p >= t).astype(int), beta=beta, zero_division=0.0) for t in cuts)


def test_registry_lists_the_three_objectives_and_rejects_unknown_names():
    assert list_objectives() == ["auc", "fbeta", "logloss"]
    with pytest.raises(RegistryError, match="unknown objective 'f2'.*auc, fbeta, logloss"):
        create_objective("f2")


@pytest.mark.parametrize("beta", [1.0, 2.0])
@pytest.mark.parametrize("rounding", [None, 1])
def test_fbeta_equals_brute_force_threshold_search(beta, rounding):
    for seed in range(2):
        y, P = candidates(seed, n=40, rounding=rounding)
        scores = create_objective("fbeta", beta=beta).score(y, P)
        assert scores.shape == (len(P),)
        expected = [brute_force_fbeta(y, p, beta) for p in P]
        np.testing.assert_allclose(scores, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("rounding", [None, 2])
def test_logloss_is_negated_sklearn_log_loss(rounding):
    y, P = candidates(1, rounding=rounding)
    P[0, :5] = [0.0, 1.0, 0.0, 1.0, 0.5]  # clipping at the dtype's eps, as sklearn does
    scores = create_objective("logloss").score(y, P)
    expected = [-log_loss(y, y_proba=p, labels=[0, 1]) for p in P]
    np.testing.assert_allclose(scores, expected, rtol=1e-5)


@pytest.mark.parametrize("rounding", [None, 1])
def test_auc_equals_sklearn_with_ties(rounding):
    y, P = candidates(2, rounding=rounding)
    scores = create_objective("auc").score(y, P)
    np.testing.assert_allclose(scores, [roc_auc_score(y, p) for p in P], rtol=1e-12)


def test_auc_of_a_single_class_label_is_chance_for_every_candidate():
    _, P = candidates(3)
    np.testing.assert_array_equal(create_objective("auc").score(np.zeros(P.shape[1], np.uint8), P), 0.5)


def test_fbeta_held_out_score_uses_the_in_sample_threshold():
    objective = FBeta(beta=2.0)
    y_in = np.array([0, 0, 1, 1], np.uint8)
    p_in = np.array([0.1, 0.2, 0.8, 0.9], np.float32)  # best in-sample threshold: 0.8
    y_out = np.array([1, 1, 0], np.uint8)
    p_out = np.array([0.3, 0.7, 0.85], np.float32)  # below 0.8 for the positives: F = 0 at that threshold
    assert objective.threshold(y_in, p_in) == pytest.approx(0.8)
    assert objective.held_out_score(y_in, p_in, y_out, p_out) == 0.0
    assert objective.score(y_out, p_out[None])[0] > 0.9  # the optimistic, re-thresholded score


def test_logloss_held_out_score_ignores_the_in_sample_rows():
    y, P = candidates(4)
    objective = create_objective("logloss")
    assert objective.held_out_score(y[:30], P[0, :30], y[30:], P[0, 30:]) == pytest.approx(
        -log_loss(y[30:], y_proba=P[0, 30:], labels=[0, 1]), rel=1e-5)
