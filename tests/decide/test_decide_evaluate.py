"""The shared evaluator: held-out decisions pooled, per-fold scores, paired differences to the best rule."""

from __future__ import annotations

import numpy as np
import pytest

from stacker.decide import create_rule, evaluate_rules, list_rules, standard_error
from stacker.exceptions import RegistryError, ValidationError
from stacker.thresholds import evaluate_thresholds, fbeta_score


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    y = (rng.random((150, 4)) < [0.6, 0.35, 0.2, 0.1]).astype(np.uint8)
    y[0] = 1
    p = 1.0 / (1.0 + np.exp(-(1.2 * (2.0 * y - 1.0) + rng.normal(0.0, 1.0, y.shape))))
    return y, p, np.arange(150) % 3


def test_each_rule_is_fitted_on_k_minus_1_folds_and_scored_on_the_held_out_one(data):
    y, p, folds = data
    result = evaluate_rules(y, p, folds, 2.0, "samples", rules=("expected-f-calibrated", "prevalence"))
    for name, r in result["rules"].items():
        pooled = np.zeros_like(y)
        scores = []
        for k in range(3):
            rule = create_rule(name).fit(p[folds != k], y[folds != k])
            pooled[folds == k] = rule.predict(p[folds == k])
            scores.append(fbeta_score(y[folds == k], pooled[folds == k]))
        assert r["out_of_fold"] == pytest.approx(fbeta_score(y, pooled))
        assert r["fold_scores"] == pytest.approx(scores)
        assert r["fold_se"] == pytest.approx(np.std(scores, ddof=1) / np.sqrt(3))
        assert r["per_label"] == pytest.approx([fbeta_score(y[:, j], pooled[:, j], average="binary") for j in range(4)])
        assert r["in_sample"] == pytest.approx(fbeta_score(y, create_rule(name).fit(p, y).predict(p)))
        np.testing.assert_array_equal(r["rule"].predict(p), create_rule(name).fit(p, y).predict(p))


def test_paired_differences_to_the_best_rule(data):
    y, p, folds = data
    result = evaluate_rules(y, p, folds, 2.0, "samples", rules=tuple(list_rules()))
    rules, best = result["rules"], result["best"]
    assert best == max(rules, key=lambda r: rules[r]["out_of_fold"])
    assert rules[best]["diff_vs_best"] == 0.0 and rules[best]["diff_se"] == 0.0
    for r in rules.values():
        diff = np.subtract(r["fold_scores"], rules[best]["fold_scores"])
        assert r["diff_vs_best"] == pytest.approx(r["out_of_fold"] - rules[best]["out_of_fold"])  # the table's
        assert r["diff_se"] == pytest.approx(standard_error(diff))
    macro = evaluate_rules(y, p, folds, 2.0, "macro", rules=("greedy", "smooth", "bagged"))  # pooled != fold mean
    for r in macro["rules"].values():
        assert r["diff_vs_best"] == pytest.approx(r["out_of_fold"] - macro["rules"][macro["best"]]["out_of_fold"])
        assert r["diff_vs_best"] <= 0.0
    assert result["n_folds"] == 3 and result["not_applicable"] == {}
    assert rules["expected-f"]["thresholds"] is None and rules["expected-f"]["fold_thresholds"] is None
    assert rules["bagged"]["fold_thresholds"].shape == (3, 4)


@pytest.mark.parametrize("average", ["samples", "macro", "micro"])
def test_evaluate_thresholds_is_this_loop_on_greedy_and_smooth_with_their_options(data, average):
    y, p, folds = data
    options = {"greedy": {"max_sweeps": 1}, "smooth": {"bandwidth": 1.5, "max_sweeps": 1}}
    rules = evaluate_rules(y, p, folds, 1.0, average, rules=("greedy", "smooth"), params=options)["rules"]
    methods = evaluate_thresholds(y, p, folds, 1.0, average, bandwidth=1.5, max_sweeps=1)["methods"]
    default = evaluate_thresholds(y, p, folds, 1.0, average)["methods"]
    for name in ("greedy", "smooth"):
        assert methods[name]["params"] == options[name] and "rule" not in methods[name]
        assert methods[name]["out_of_fold"] == rules[name]["out_of_fold"]
        np.testing.assert_array_equal(rules[name]["fold_thresholds"], methods[name]["fold_thresholds"])
    assert not np.array_equal(methods["smooth"]["thresholds"], default["smooth"]["thresholds"])  # options reach it


def test_rules_that_do_not_serve_the_average_are_listed_not_scored(data):
    y, p, folds = data
    result = evaluate_rules(y, p, folds, 2.0, "macro", rules=("expected-f", "greedy"))
    assert list(result["rules"]) == ["greedy"] and result["best"] == "greedy"
    assert result["not_applicable"]["expected-f"].startswith("rule 'expected-f' optimises f2-samples only")
    with pytest.raises(ValidationError, match=r"^rule 'expected-f' optimises f2-samples only; the metric is f2-micro"):
        evaluate_rules(y, p, folds, 2.0, "micro", rules=("expected-f",))


def test_bad_rules_and_params(data):
    y, p, folds = data
    with pytest.raises(RegistryError, match="unknown decision rule 'argmax'"):
        evaluate_rules(y, p, folds, rules=("greedy", "argmax"))
    with pytest.raises(ValidationError, match="rules must be distinct"):
        evaluate_rules(y, p, folds, rules=("greedy", "greedy"))
    with pytest.raises(ValidationError, match="rule 'smooth' has no parameter 'width'"):
        evaluate_rules(y, p, folds, rules=("smooth",), params={"smooth": {"width": 1.0}})
    with pytest.raises(ValidationError, match="at least two distinct folds"):
        evaluate_rules(y, p, np.zeros(150, dtype=int))
    with pytest.raises(ValidationError, match="^unknown average 'weighted'; choose one of: samples, macro, micro$"):
        evaluate_rules(y, p, folds, average="weighted")
    result = evaluate_rules(y, p, folds, rules=("bagged",), params={"bagged": {"n_bags": 2, "random_state": 7}})
    assert result["rules"]["bagged"]["params"] == {"method": "greedy", "n_bags": 2, "random_state": 7}


def test_standard_error():
    assert standard_error([1.0]) == 0.0
    assert standard_error([1.0, 3.0]) == pytest.approx(1.0)


def noisy_views(p, folds, seed=11):
    """Views of a stage: each fold's own rows are its OOF ``p``; the other rows differ (fits without that fold)."""
    rng = np.random.default_rng(seed)
    ids = np.unique(folds)
    views = np.clip(p[None] + rng.normal(0.0, 0.15, (len(ids), *p.shape)), 0.0, 1.0)
    for i, k in enumerate(ids):
        views[i][folds == k] = p[folds == k]
    return views


def test_with_views_the_rule_deciding_a_fold_is_fitted_on_that_folds_view(data):
    y, p, _ = data
    folds = np.array([5, 9, 3])[np.arange(150) % 3]  # views are in sorted fold-id order: 3, 5, 9
    views = noisy_views(p, folds)
    names = ("greedy", "smooth", "expected-f-calibrated")
    result = evaluate_rules(y, p, folds, 2.0, "samples", rules=names, views=views)
    for name in names:
        pooled, scores = np.zeros_like(y), []
        for i, k in enumerate((3, 5, 9)):
            rule = create_rule(name).fit(views[i][folds != k], y[folds != k])
            pooled[folds == k] = rule.predict(p[folds == k])
            scores.append(fbeta_score(y[folds == k], pooled[folds == k]))
        r = result["rules"][name]
        assert r["out_of_fold"] == pytest.approx(fbeta_score(y, pooled)) and r["fold_scores"] == pytest.approx(scores)
        np.testing.assert_array_equal(r["rule"].predict(p), create_rule(name).fit(p, y).predict(p))  # final: all OOF
    plain = evaluate_rules(y, p, folds, 2.0, "samples", rules=names)
    assert any(plain["rules"][n]["fold_scores"] != result["rules"][n]["fold_scores"] for n in names)
    same = evaluate_rules(y, p, folds, 2.0, "samples", rules=names, views=np.stack([p] * 3))
    assert all(same["rules"][n]["fold_scores"] == plain["rules"][n]["fold_scores"] for n in names)


def test_views_of_another_run_or_shape_are_refused(data):
    y, p, folds = data
    views = noisy_views(p, folds)
    stale = views.copy()
    stale[1][folds == 1] = np.clip(stale[1][folds == 1] + 0.01, 0.0, 1.0)
    for evaluate in (evaluate_rules, evaluate_thresholds):
        with pytest.raises(ValidationError, match=r"views\[1\] differs from proba on the rows of fold 1"):
            evaluate(y, p, folds, 2.0, "samples", views=stale)
        with pytest.raises(ValidationError, match=r"views must have shape \(n_folds, n_samples, n_labels\) = "
                                                  r"\(3, 150, 4\); found \(2, 150, 4\)"):
            evaluate(y, p, folds, 2.0, "samples", views=views[:2])
