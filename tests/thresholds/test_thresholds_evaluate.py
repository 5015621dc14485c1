"""evaluate_thresholds: held-out scores computed as documented; greedy is the in-sample optimum for macro."""

from __future__ import annotations

import numpy as np
import pytest

from stacker.exceptions import ValidationError
from stacker.thresholds import apply_thresholds, evaluate_thresholds, fbeta_score, optimize_thresholds


def _problem(seed: int = 0, n: int = 240, n_labels: int = 4):
    rng = np.random.default_rng(seed)
    prevalence = np.linspace(0.7, 0.1, n_labels)
    z = np.log(prevalence / (1 - prevalence)) + rng.normal(0, 1.5, (n, n_labels))
    p = 1 / (1 + np.exp(-z))
    y = (rng.random((n, n_labels)) < p).astype(np.uint8)
    folds = np.arange(n) % 3
    return y, p, folds


@pytest.mark.parametrize("average", ["samples", "macro", "micro"])
def test_out_of_fold_matches_manual_refit(average):
    y, p, folds = _problem()
    result = evaluate_thresholds(y, p, folds, beta=2.0, average=average)
    assert set(result["methods"]) == {"greedy", "smooth"} and result["n_folds"] == 3
    for method, r in result["methods"].items():
        pred = np.zeros_like(y)
        for k in range(3):
            t = optimize_thresholds(y[folds != k], p[folds != k], average=average, method=method)
            assert np.array_equal(r["fold_thresholds"][k], t)
            pred[folds == k] = apply_thresholds(p[folds == k], t)
        assert r["out_of_fold"] == pytest.approx(fbeta_score(y, pred, average=average), abs=1e-12)
        full = optimize_thresholds(y, p, average=average, method=method)
        assert np.array_equal(r["thresholds"], full)
        assert r["in_sample"] == pytest.approx(fbeta_score(y, apply_thresholds(p, full), average=average), abs=1e-12)
        assert len(r["fold_scores"]) == 3
    best = max(result["methods"], key=lambda m: result["methods"][m]["out_of_fold"])
    assert result["methods"][result["best"]]["out_of_fold"] == result["methods"][best]["out_of_fold"]


def test_greedy_is_in_sample_optimum_for_macro():
    y, p, folds = _problem(1)
    methods = evaluate_thresholds(y, p, folds, average="macro")["methods"]
    assert methods["greedy"]["in_sample"] >= methods["smooth"]["in_sample"]
    # greedy overfits: its in-sample score overstates its held-out score
    assert methods["greedy"]["in_sample"] > methods["greedy"]["out_of_fold"]


def test_one_method_only():
    y, p, folds = _problem()
    result = evaluate_thresholds(y, p, folds, methods=("smooth",))
    assert list(result["methods"]) == ["smooth"] and result["best"] == "smooth"


@pytest.mark.parametrize(
    "folds, kwargs, match",
    [
        (np.zeros(240, dtype=int), {}, "two distinct folds"),
        (np.arange(239) % 3, {}, "folds has 239 samples"),
        (np.full(240, 0.5), {}, "integer"),
        (np.arange(240) % 3, {"methods": ("greedy", "median")}, "unknown method"),
        (np.arange(240) % 3, {"average": "weighted"}, "unknown average"),
    ],
)
def test_errors(folds, kwargs, match):
    y, p, _ = _problem()
    with pytest.raises(ValidationError, match=match):
        evaluate_thresholds(y, p, folds, **kwargs)
