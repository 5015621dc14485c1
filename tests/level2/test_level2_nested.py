"""Nested CV: no fold sees its own labels, noise stays at chance, stacking beats the best single model."""

from __future__ import annotations

import numpy as np
import pytest

from stacker.data.metric import MetricSpec
from stacker.exceptions import ValidationError
from stacker.level2.features import FoldFeatures, LabelFeatures, Level1Outputs, label_features
from stacker.level2.learners import Learner, create_learner, list_learners
from stacker.level2.nested import fit_seed, nested_cv
from stacker.level2.summary import best_single_models, pick_columns, score_matrix
from stacker.thresholds import evaluate_thresholds

FAST = {"lightgbm": {"n_estimators": 40}, "xgboost": {"n_estimators": 40}, "mlp": {"max_epochs": 30}}
METRIC = MetricSpec(beta=2.0, average="samples")

SPY_LOG: list[tuple[int, np.ndarray]] = []


class SpyLearner(Learner):
    """Feature 0 is the row index: remembers the rows it trained on; predicts 1 for a row it trained on."""

    def __init__(self, *, random_state: int = 0) -> None:
        self.random_state = random_state

    def _fit(self, X, y):
        self.rows_ = np.sort(X[:, 0].astype(np.int64))
        SPY_LOG.append((self.random_state, self.rows_))

    def _predict(self, X):
        return np.isin(X[:, 0].astype(np.int64), self.rows_).astype(np.float64)


def oof_score(Y, proba, folds) -> float:
    """Honest out-of-fold F2 (samples) with greedy thresholds fitted on K-1 folds."""
    return evaluate_thresholds(Y, proba, folds, 2.0, "samples", methods=("greedy",))["methods"]["greedy"]["out_of_fold"]


def test_no_fit_ever_trains_on_the_fold_it_predicts():
    rng = np.random.default_rng(0)
    n, n_labels = 90, 2
    folds = rng.permutation(np.arange(n) % 3)
    Y = rng.integers(0, 2, (n, n_labels))
    X = np.column_stack([np.arange(n), rng.random(n)]).astype(np.float32)
    features = [LabelFeatures(["row", "noise"], X, X[:5] + 1000) for _ in range(n_labels)]
    SPY_LOG.clear()
    result = nested_cv(features, Y, folds, SpyLearner(), n_jobs=1, seed=5)
    np.testing.assert_array_equal(result.oof, 0.0)  # no held-out row was in its fit's training set
    assert len(SPY_LOG) == n_labels * 3
    for j in range(n_labels):
        for k in range(3):
            seed, rows = SPY_LOG[j * 3 + k]
            assert seed == fit_seed(5, j, k)
            np.testing.assert_array_equal(rows, np.flatnonzero(folds != k))  # exactly the other folds


def test_each_view_fit_trains_without_both_its_outer_and_its_inner_fold():
    rng = np.random.default_rng(1)
    n, n_labels, n_folds = 120, 2, 4
    folds = rng.permutation(np.arange(n) % n_folds)
    Y = rng.integers(0, 2, (n, n_labels))
    X = np.column_stack([np.arange(n), rng.random(n)]).astype(np.float32)
    features = [LabelFeatures(["row", "noise"], X, X[:5] + 1000) for _ in range(n_labels)]
    SPY_LOG.clear()
    result = nested_cv(features, Y, folds, SpyLearner(), n_jobs=1, seed=5, views=True)
    assert result.views.shape == (n_folds, n, n_labels)
    np.testing.assert_array_equal(result.views, 0.0)  # no row of any view was in the fit that predicted it
    trained = sorted(tuple(rows) for _, rows in SPY_LOG[n_labels * n_folds:])
    expected = sorted(tuple(np.flatnonzero((folds != k) & (folds != i))) for _ in range(n_labels)
                      for k in range(n_folds) for i in range(n_folds) if i != k)
    assert trained == expected  # K (K - 1) view fits per label, each without exactly two folds
    with pytest.raises(ValidationError, match="at least 3 folds"):
        nested_cv(features, Y, folds % 2, SpyLearner(), views=True)


def test_views_equal_refits_without_two_folds_and_their_own_fold_is_the_oof():
    level1, Y, folds = informative(n=120)
    features = FoldFeatures(level1, "all-labels")
    learner = create_learner("logistic")
    result = nested_cv(features, Y, folds, learner, seed=2, views=True)
    plain = nested_cv(features, Y, folds, learner, seed=2)
    np.testing.assert_array_equal(result.oof, plain.oof)  # views change nothing else
    np.testing.assert_array_equal(result.test, plain.test)
    j, k, i = 1, 3, 0
    f = features.fold(j, k)  # fold k's features (its selection), as fold k's fit used
    train = (folds != k) & (folds != i)
    refit = create_learner("logistic").fit(f.train[train], Y[train, j]).predict_proba(f.train[folds == i])
    np.testing.assert_allclose(result.views[k, folds == i, j], refit)
    for k in range(5):
        np.testing.assert_array_equal(result.views[k, folds == k], result.oof[folds == k])
    two = nested_cv(features, Y, folds, learner, seed=2, views=True, n_jobs=2)
    np.testing.assert_array_equal(two.views, result.views)


@pytest.mark.parametrize("name", list_learners())
def test_noise_labels_stay_at_chance_level(name):
    rng = np.random.default_rng(1)
    n, n_labels = 240, 3
    folds = np.arange(n) % 3
    Y = (rng.random((n, n_labels)) < 0.35).astype(np.uint8)
    features = [LabelFeatures([f"f{i}" for i in range(4)], rng.random((n, 4)).astype(np.float32),
                              rng.random((10, 4)).astype(np.float32)) for _ in range(n_labels)]
    learner = create_learner(name, **FAST.get(name, {}))
    stacked = oof_score(Y, nested_cv(features, Y, folds, learner, seed=0).oof, folds)
    chance = np.mean([oof_score(Y, rng.random((n, n_labels)), folds) for _ in range(5)])
    assert stacked < chance + 0.04, (stacked, chance)


def test_the_noise_check_catches_a_fit_that_sees_its_own_rows():
    # Control for the test above: the same learner fitted on every row and scored on those rows is far above chance.
    rng = np.random.default_rng(1)
    n, n_labels = 240, 3
    folds = np.arange(n) % 3
    Y = (rng.random((n, n_labels)) < 0.35).astype(np.uint8)
    X = rng.random((n, 4))
    leaky = np.column_stack([create_learner("lightgbm", n_estimators=100, learning_rate=0.1, num_leaves=31,
                                          max_depth=-1, min_child_samples=2, min_child_fraction=0.0,
                                          reg_lambda=0.0, early_stopping_rounds=0).fit(X, Y[:, j])
                             .predict_proba(X) for j in range(n_labels)])
    chance = np.mean([oof_score(Y, rng.random((n, n_labels)), folds) for _ in range(5)])
    assert oof_score(Y, leaky, folds) > chance + 0.1


def informative(n: int = 500, n_models: int = 4, seed: int = 0):
    """Models with signal and independent noise; label 1 is a noisy copy of label 0."""
    rng = np.random.default_rng(seed)
    n_all = n + 50
    y0 = rng.random(n_all) < 0.3
    Y_all = np.column_stack([y0, np.where(rng.random(n_all) < 0.9, y0, ~y0), rng.random(n_all) < 0.4])
    logits = 1.2 * (2.0 * Y_all - 1.0) + rng.normal(0, 1.0, (n_models, n_all, 3))
    P = 1.0 / (1.0 + np.exp(-logits))
    labels = ["a", "b", "c"]
    names = [f"c{i}" for i in range(n_models)]
    level1 = Level1Outputs(labels, {label: names for label in labels}, names, P[:, :n], P[:, n:])
    return level1, Y_all[:n].astype(np.uint8), np.arange(n) % 5


@pytest.mark.parametrize("name", list_learners())
def test_stacking_informative_models_beats_the_best_single_model(name):
    level1, Y, folds = informative()
    result = nested_cv(FoldFeatures(level1, "selected"), Y, folds, create_learner(name, **FAST.get(name, {})))
    best = pick_columns(level1.candidate_oof, best_single_models(Y, level1.candidate_oof, 2.0))
    assert oof_score(Y, result.oof, folds) > oof_score(Y, best, folds) + 0.01


def test_results_do_not_depend_on_jobs():
    level1, Y, folds = informative(n=200)
    features = FoldFeatures(level1, "all-labels")
    learner = create_learner("lightgbm", n_estimators=20)
    one = nested_cv(features, Y, folds, learner, n_jobs=1, seed=3)
    two = nested_cv(features, Y, folds, learner, n_jobs=2, seed=3)
    np.testing.assert_array_equal(one.oof, two.oof)
    np.testing.assert_array_equal(one.test, two.test)
    assert not np.array_equal(one.oof, nested_cv(features, Y, folds, learner, n_jobs=1, seed=4).oof)


def test_test_predictions_are_the_mean_of_the_fold_fits():
    level1, Y, folds = informative(n=100)
    features = FoldFeatures(level1, "selected")
    result = nested_cv(features, Y, folds, create_learner("logistic"))
    f = features.fold(1, None)
    expected = np.mean([create_learner("logistic").fit(f.train[folds != k], Y[folds != k, 1])
                        .predict_proba(f.test) for k in range(5)], axis=0)
    np.testing.assert_allclose(result.test[:, 1], expected)
    assert np.isfinite(result.oof).all()


def test_feature_sets():
    level1, _, _ = informative(n=60)
    fold_selection = {0: {"a": ["c2"], "b": ["c1"], "c": ["c0", "c1"]}, 1: {"a": ["c1"], "b": ["c3"], "c": ["c2"]}}
    level1 = Level1Outputs(level1.labels, {"a": ["c1"], "b": ["c0", "c3"], "c": ["c2"]}, *[
        getattr(level1, f) for f in ("candidates", "candidate_oof", "candidate_test")], fold_selection=fold_selection)
    P, T = level1.candidate_oof, level1.candidate_test
    selected = label_features(level1, "b", "selected")
    assert selected.names == ["c0:b", "c3:b"]
    np.testing.assert_array_equal(selected.train[:, 1], P[3, :, 1].astype(np.float32))
    assert label_features(level1, "b", "selected", fold=1).names == ["c3:b"]  # the selection made without fold 1
    everything = label_features(level1, "b", "all-labels")
    assert everything.names == ["level1:a", "level1:b", "level1:c", "c0:b", "c3:b"]
    assert everything.train.shape == (60, 5) and everything.test.shape == (50, 5)
    np.testing.assert_allclose(everything.test[:, 1], T[[0, 3], :, 1].mean(axis=0), rtol=1e-6)
    models = label_features(level1, "c", "all-models", fold=0)
    assert models.names == ["c0:c", "c1:c", "c2:c", "c3:c"]
    np.testing.assert_array_equal(models.train, P[:, :, 2].T.astype(np.float32))
    np.testing.assert_array_equal(models.train, label_features(level1, "c", "all-models", fold=1).train)
    fold0 = label_features(level1, "a", "all-models+labels", fold=0)
    assert fold0.names == ["level1:a", "level1:b", "level1:c", "c0:a", "c1:a", "c2:a", "c3:a"]
    np.testing.assert_allclose(fold0.train[:, 2], P[[0, 1], :, 2].mean(axis=0), rtol=1e-6)  # fold 0's choice for c
    np.testing.assert_allclose(label_features(level1, "a", "all-models+labels", fold=1).train[:, 2], P[2, :, 2],
                               rtol=1e-6)
    np.testing.assert_allclose(level1.out_of_fold_averages(np.arange(60) % 2)[1::2, 0], P[1, 1::2, 0], rtol=1e-6)
    empty = Level1Outputs(level1.labels, {"a": ["c1"], "b": ["c0"], "c": []}, level1.candidates, P, T)
    with pytest.raises(ValidationError, match="label 'c' has no selected models .* --features all-models"):
        label_features(empty, "c", "selected")
    with pytest.raises(ValidationError, match="label 'c' has no selected models"):
        label_features(empty, "a", "all-models+labels")
    with pytest.raises(ValidationError, match="unknown feature set 'all'; choose one of: all-models, all-models"):
        label_features(level1, "a", "all")


def test_bad_folds_are_refused():
    level1, Y, _ = informative(n=60)
    features = FoldFeatures(level1, "selected")
    with pytest.raises(ValidationError, match=r"folds must be 0..K-1 with K >= 2.*\[0\]"):
        nested_cv(features, Y, np.zeros(60, dtype=int), create_learner("logistic"))
    with pytest.raises(ValidationError, match="one fold id >= 0 per row"):
        nested_cv(features, Y, np.arange(59) % 2, create_learner("logistic"))
    with pytest.raises(ValidationError, match="jobs must be >= 1 .* found jobs=0, seed=0"):
        nested_cv(features, Y, np.arange(60) % 2, create_learner("logistic"), n_jobs=0)
    with pytest.raises(ValidationError, match="found jobs=1, seed=-1"):
        nested_cv(features, Y, np.arange(60) % 2, create_learner("logistic"), seed=-1)


def test_score_matrix_overall_matches_evaluate_thresholds():
    level1, Y, folds = informative(n=200)
    average = level1.out_of_fold_averages(folds)
    scores = score_matrix(Y, average, folds, METRIC)
    assert scores["greedy"]["out_of_fold"] == pytest.approx(oof_score(Y, average, folds))
    assert len(scores["greedy"]["fold_scores"]) == 5
    assert scores["greedy"]["standard_error"] == pytest.approx(np.std(scores["greedy"]["fold_scores"], ddof=1) / np.sqrt(5))
    assert len(scores["smooth"]["per_label"]) == 3 and all(0 <= s <= 1 for s in scores["smooth"]["per_label"])
