"""fbeta_score equals sklearn.metrics.fbeta_score (zero_division=0.0 / 1.0), warning-free."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import fbeta_score as sk_fbeta

from stacker.exceptions import ValidationError
from stacker.thresholds import fbeta_score


def _pair(seed: int, n: int = 30, n_labels: int = 5):
    rng = np.random.default_rng(seed)
    y = (rng.random((n, n_labels)) < [0.6, 0.3, 0.1, 0.05, 0.0]).astype(np.uint8)
    pred = (rng.random((n, n_labels)) < 0.3).astype(np.uint8)
    y[:3] = 0  # empty rows in the truth ...
    pred[:2] = 0  # ... two of them also empty in the prediction (0/0 rows)
    pred[:, 4] = 0  # a label with no true and no predicted positive
    return y, pred


@pytest.mark.parametrize("average", ["samples", "macro", "micro"])
@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("zero_division", [0.0, 1.0])
def test_equals_sklearn_multilabel(average, beta, zero_division):
    for seed in range(5):
        y, pred = _pair(seed)
        expected = sk_fbeta(y, pred, beta=beta, average=average, zero_division=zero_division)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = fbeta_score(y, pred, beta=beta, average=average, zero_division=zero_division)
        assert got == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("zero_division", [0.0, 1.0])
def test_equals_sklearn_binary(zero_division):
    rng = np.random.default_rng(1)
    for n in (1, 2, 17):
        y = (rng.random(n) < 0.4).astype(int)
        pred = (rng.random(n) < 0.5).astype(int)
        for t, p in [(y, pred), (np.zeros(n, int), np.zeros(n, int)), (np.zeros(n, int), np.ones(n, int))]:
            expected = sk_fbeta(t, p, beta=2, average="binary", zero_division=zero_division)
            assert fbeta_score(t, p, average="binary", zero_division=zero_division) == pytest.approx(expected)


def test_bool_input_and_planet_convention():
    y = np.array([[True, False], [False, False]])
    pred = np.array([[True, True], [False, False]])
    # row 0: tp=1, fn=0, fp=1 -> 5/(4+2); row 1: nothing true or predicted -> zero_division
    assert fbeta_score(y, pred) == pytest.approx((5 / 6 + 0.0) / 2)
    assert fbeta_score(y, pred, zero_division=1.0) == pytest.approx((5 / 6 + 1.0) / 2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"y_true": np.ones((3, 2)), "y_pred": np.ones((3, 3))}, "shape"),
        ({"y_true": np.ones((3, 2)), "y_pred": np.ones((4, 2))}, "shape"),
        ({"y_true": np.full((3, 2), 2), "y_pred": np.ones((3, 2))}, "only 0/1"),
        ({"y_true": np.ones((3, 2)), "y_pred": np.full((3, 2), 0.5)}, "only 0/1"),
        ({"y_true": np.ones((3, 2)), "y_pred": np.ones((3, 2)), "beta": 0}, "beta"),
        ({"y_true": np.ones((3, 2)), "y_pred": np.ones((3, 2)), "beta": -1}, "beta"),
        ({"y_true": np.ones((3, 2)), "y_pred": np.ones((3, 2)), "average": "weighted"}, "unknown average"),
        ({"y_true": np.ones((3, 2)), "y_pred": np.ones((3, 2)), "zero_division": "warn"}, "zero_division"),
        ({"y_true": np.ones(3), "y_pred": np.ones(3)}, "2-D"),
        ({"y_true": np.ones((3, 2)), "y_pred": np.ones((3, 2)), "average": "binary"}, r"\(n_samples,\)"),
        ({"y_true": np.ones((0, 2)), "y_pred": np.ones((0, 2))}, "no samples"),
    ],
)
def test_errors(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        fbeta_score(**kwargs)
