"""best_fbeta: exact (equals brute force over every distinct cut), tie rules, torch == numpy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from stacker.exceptions import ValidationError
from stacker.thresholds import best_fbeta, fbeta_score
from stacker.thresholds.batched import best_fbeta_numpy


def brute_force(y: np.ndarray, p: np.ndarray, beta: float) -> float:
    """Best F-beta over "p >= v" for every distinct value v, and "predict nothing"."""
    scores = [fbeta_score(y, (p >= v).astype(np.uint8), beta=beta, average="binary") for v in np.unique(p)]
    return max(scores + [fbeta_score(y, np.zeros_like(y), beta=beta, average="binary")])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_equals_brute_force_and_threshold_reproduces(dtype, beta):
    rng = np.random.default_rng(0)
    for n in (1, 2, 5, 40):
        y = (rng.random(n) < 0.3).astype(np.uint8)
        # rounding makes many ties
        P = np.round(rng.random((6, n)) * 0.6 + 0.4 * y, 1).astype(dtype)
        scores, thresholds = best_fbeta(y, P, beta=beta)
        for m in range(len(P)):
            assert scores[m] == pytest.approx(brute_force(y, P[m], beta), abs=1e-12)
            reproduced = fbeta_score(y, (P[m] >= thresholds[m]).astype(np.uint8), beta=beta, average="binary")
            assert reproduced == pytest.approx(scores[m], abs=1e-12)


def test_ties_pick_largest_threshold():
    # F2 = 5 tp / (4 n_true + k): the cuts k=1 (tp=1) and k=10 (tp=2) both give 5/9
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1], dtype=np.uint8)
    P = np.linspace(0.9, 0.45, 10)[None, :]
    scores, thr = best_fbeta(y, P)
    assert scores[0] == 5 / 9 and thr[0] == P[0, 0]
    # constant column: the only cuts are "all" and "nothing"
    y = np.array([1, 0, 1, 0], dtype=np.uint8)
    scores, thr = best_fbeta(y, np.full((1, 4), 0.3))
    assert scores[0] == pytest.approx(10 / 12) and thr[0] == 0.3


@pytest.mark.parametrize("zero_division", [0.0, 1.0])
def test_no_positives_predicts_nothing(zero_division):
    y = np.zeros(5, dtype=np.uint8)
    P = np.array([[0.2, 0.4, 0.4, 0.9, 0.1], [0.0, 0.0, 0.0, 0.0, 0.0], [1.0, 0.5, 0.5, 0.5, 0.5]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores, thr = best_fbeta(y, P, zero_division=zero_division)
    assert np.array_equal(scores, [zero_division] * 3)
    assert not (P >= thr[:, None]).any()
    assert thr[0] == np.nextafter(0.9, 1.0) and thr[1] == np.nextafter(0.0, 1.0)
    assert thr[2] > 1.0  # a probability of exactly 1.0 can only be excluded above 1


def test_n_equals_one_and_negative_zero():
    scores, thr = best_fbeta(np.array([1]), np.array([[-0.0], [0.7]]))
    assert np.array_equal(scores, [1.0, 1.0]) and np.array_equal(thr, [0.0, 0.7])
    scores, thr = best_fbeta(np.array([0]), np.array([[0.7]]))
    assert scores[0] == 0.0 and thr[0] > 0.7


def test_torch_path_equals_numpy():
    torch = pytest.importorskip("torch")
    from stacker.thresholds.batched_torch import best_fbeta_torch

    rng = np.random.default_rng(3)
    y = (rng.random(300) < 0.2).astype(np.uint8)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    for dtype in (np.float64, np.float32):
        P = np.round(rng.random((20, 300)) * 0.7 + 0.3 * y, 2).astype(dtype)
        P[0] = 1.0
        for yy in (y, np.zeros_like(y)):
            a = best_fbeta_numpy(yy, P, 2.0, 0.0)
            b = best_fbeta_torch(yy, P, 2.0, 0.0, device)
            assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


@pytest.mark.parametrize(
    "y, P, kwargs, match",
    [
        (np.ones(3), np.ones((2, 4)), {}, "y has 3 samples but P"),
        (np.ones(3), np.ones(3), {}, "2-D"),
        (np.ones((3, 1)), np.ones((2, 3)), {}, r"\(n_samples,\)"),
        (np.ones(3), np.full((2, 3), 1.5), {}, r"outside \[0, 1\]"),
        (np.ones(3), np.full((2, 3), -0.1), {}, "sigmoid"),
        (np.ones(3), np.array([[0.1, np.nan, 0.2]]), {}, "NaN"),
        (np.array([0, 2, 1]), np.ones((1, 3)), {}, "0/1"),
        (np.ones(3), np.ones((1, 3)), {"beta": 0.0}, "beta"),
        (np.ones(3), np.ones((1, 3)), {"device": "tpu"}, "unknown device"),
        (np.ones(0), np.ones((1, 0)), {}, "no samples"),
    ],
)
def test_errors(y, P, kwargs, match):
    with pytest.raises(ValidationError, match=match):
        best_fbeta(y, P, **kwargs)
