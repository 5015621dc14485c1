"""optimize_thresholds: exact against brute force, coordinate-wise optimal, Lipton's F*/(1+b^2), edges."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from stacker.exceptions import ValidationError
from stacker.thresholds import (
    apply_thresholds,
    best_fbeta,
    fbeta_score,
    fit_thresholds,
    optimize_thresholds,
)


def make_problem(seed: int, n: int = 25, n_labels: int = 4, decimals: int = 2):
    """Calibrated-ish probabilities, rounded so that ties occur, skewed prevalences."""
    rng = np.random.default_rng(seed)
    prevalence = np.linspace(0.6, 0.08, n_labels)
    z = np.log(prevalence / (1 - prevalence)) + rng.normal(0, 1.5, (n, n_labels))
    p = np.round(1 / (1 + np.exp(-z)), decimals)
    y = (rng.random((n, n_labels)) < p).astype(np.uint8)
    return y, p


def candidates(p: np.ndarray) -> list[float]:
    """Every distinct probability, in descending order, then "predict nothing"."""
    return [*np.unique(p)[::-1], np.inf]


def score(y, p, thresholds, average, beta=2.0) -> float:
    return fbeta_score(y, apply_thresholds(p, thresholds), beta=beta, average=average)


def brute_force_pass(y, p, start, average, beta=2.0) -> float:
    """One pass over labels trying every distinct probability with a full fbeta_score (Planet loop)."""
    t = np.array(start, dtype=float)
    for j in range(y.shape[1]):
        best = score(y, p, t, average, beta)
        for v in sorted(set(candidates(p[:, j])), reverse=True):
            trial = t.copy()
            trial[j] = v
            s = score(y, p, trial, average, beta)
            if s > best + 1e-12:
                best, t = s, trial
    return score(y, p, t, average, beta)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("beta", [1.0, 2.0])
def test_macro_greedy_equals_per_label_brute_force(seed, beta):
    y, p = make_problem(seed)
    thresholds = optimize_thresholds(y, p, beta=beta, average="macro")
    for j in range(y.shape[1]):
        best = max(fbeta_score(y[:, j], (p[:, j] >= v).astype(int), beta=beta, average="binary") for v in candidates(p[:, j]))
        got = fbeta_score(y[:, j], (p[:, j] >= thresholds[j]).astype(int), beta=beta, average="binary")
        assert got == pytest.approx(best, abs=1e-12)
        assert thresholds[j] == best_fbeta(y[:, j], p[None, :, j], beta=beta)[1][0]  # same tie rule


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("average", ["samples", "micro"])
def test_greedy_never_worse_than_brute_force_and_coordinatewise_optimal(seed, average):
    y, p = make_problem(seed)
    fit = fit_thresholds(y, p, average=average)
    got = score(y, p, fit.thresholds, average)
    assert got == pytest.approx(fit.score, abs=1e-12)
    start = optimize_thresholds(y, p, average="macro")  # both start from the per-label binary optima
    assert got >= brute_force_pass(y, p, start, average) - 1e-12
    for j in range(y.shape[1]):  # no single label can improve on any distinct probability
        for v in candidates(p[:, j]):
            trial = fit.thresholds.copy()
            trial[j] = v
            assert score(y, p, trial, average) <= got + 1e-12


@pytest.mark.parametrize("average", ["samples", "micro", "macro"])
def test_greedy_at_most_joint_optimum_on_tiny_data(average):
    y, p = make_problem(7, n=8, n_labels=3, decimals=1)
    got = score(y, p, optimize_thresholds(y, p, average=average), average)
    joint = max(score(y, p, np.array(t), average) for t in itertools.product(*(candidates(p[:, j]) for j in range(3))))
    assert got <= joint + 1e-12
    assert got >= joint - 0.05  # coordinate ascent lands close to the joint optimum here


def test_lipton_threshold_is_fstar_over_one_plus_beta_squared():
    # Lipton et al. 2014: for calibrated p the optimal threshold is F*/(1+beta^2). The
    # empirical F curve is flat near its top, so a large sample keeps the argmax close.
    rng = np.random.default_rng(0)
    p = rng.beta(1.0, 3.0, 2_000_000)
    y = (rng.random(p.size) < p).astype(np.uint8)
    for beta in (1.0, 2.0):
        scores, thresholds = best_fbeta(y, p[None, :], beta=beta)
        assert thresholds[0] == pytest.approx(scores[0] / (1 + beta**2), abs=0.006)
    assert 0.13 < thresholds[0] < 0.15  # a real F2 optimum, far from the 0.5 default


@pytest.mark.parametrize("method", ["greedy", "smooth"])
@pytest.mark.parametrize("average", ["samples", "macro", "micro"])
def test_edge_cases_are_defined_without_warnings(method, average):
    rng = np.random.default_rng(1)
    y = (rng.random((30, 4)) < 0.4).astype(np.uint8)
    p = rng.random((30, 4))
    y[:, 1] = 0  # a label with no positives
    p[:, 2] = 0.5  # constant probabilities
    p[:, 3] = np.round(p[:, 3], 1)  # ties
    cases = [(y, p), (y[:1], p[:1]), (np.zeros_like(y), p), (y, np.zeros_like(p)), (y, np.ones_like(p))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for yy, pp in cases:
            fit = fit_thresholds(yy, pp, average=average, method=method)
            assert fit.thresholds.shape == (4,) and np.isfinite(fit.thresholds).all() and np.isfinite(fit.score)
            assert fit.score == pytest.approx(score(yy, pp, fit.thresholds, average), abs=1e-12)
    fit = fit_thresholds(y, p, average=average, method=method)
    assert not (p[:, 1] >= fit.thresholds[1]).any()  # nothing predicted for a label with no positives


def test_smooth_is_deterministic_and_inside_unit_interval():
    y, p = make_problem(3, n=200, n_labels=5, decimals=3)
    a = optimize_thresholds(y, p, method="smooth")
    b = optimize_thresholds(y.copy(), p.copy(), method="smooth")
    assert np.array_equal(a, b) and ((a > 0) & (a < 1)).all()


def test_samples_beats_fixed_threshold_start():
    y, p = make_problem(5, n=300, n_labels=6, decimals=3)
    assert score(y, p, optimize_thresholds(y, p), "samples") >= score(y, p, np.full(6, 0.2), "samples")


def test_float32_input_same_as_float64():
    y, p = make_problem(2, n=100, decimals=3)
    p32 = p.astype(np.float32)
    t32 = optimize_thresholds(y, p32)
    assert score(y, p32, t32, "samples") == pytest.approx(fit_thresholds(y, p32).score, abs=1e-12)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"y_true": np.ones((3, 2)), "proba": np.ones((3, 3))}, "shape"),
        ({"y_true": np.ones((3, 2)), "proba": np.full((3, 2), 1.01)}, r"\[0, 1\]"),
        ({"y_true": np.ones((3, 2)), "proba": np.full((3, 2), np.nan)}, "NaN"),
        ({"y_true": np.ones(3), "proba": np.ones(3)}, "2-D"),
        ({"y_true": np.ones((3, 2)), "proba": np.ones((3, 2)), "beta": 0}, "beta"),
        ({"y_true": np.ones((3, 2)), "proba": np.ones((3, 2)), "beta": float("nan")}, "beta"),
        ({"y_true": np.ones((3, 2)), "proba": np.ones((3, 2)), "average": "binary"}, "samples, macro, micro"),
        ({"y_true": np.ones((3, 2)), "proba": np.ones((3, 2)), "method": "grid"}, "greedy, smooth"),
        ({"y_true": np.ones((3, 2)), "proba": np.ones((3, 2)), "bandwidth": 0.0}, "bandwidth"),
        ({"y_true": np.ones((3, 2)), "proba": np.ones((3, 2)), "max_sweeps": 0}, "max_sweeps"),
        ({"y_true": np.ones((3, 2)), "proba": np.array([["a", "b"]] * 3)}, "dtype"),
    ],
)
def test_errors(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        optimize_thresholds(**kwargs)
