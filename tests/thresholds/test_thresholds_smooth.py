"""The smoothed curve is the Gaussian convolution (logit units) of the exact curve; smooth picks its argmax."""

from __future__ import annotations

import numpy as np
import pytest

from stacker.exceptions import ValidationError
from stacker.thresholds import fbeta_curve, fbeta_score, optimize_thresholds, smoothed_fbeta_curve


def _label(seed: int = 0, n: int = 300):
    rng = np.random.default_rng(seed)
    z = rng.normal(-1.0, 1.5, n)
    p = 1 / (1 + np.exp(-z))
    y = (rng.random(n) < p).astype(np.uint8)
    return y, p


def exact_f(y, p, t) -> float:
    return fbeta_score(y, (p >= t).astype(np.uint8), beta=2.0, average="binary")


def test_smoothed_curve_is_gaussian_convolution_in_logit_space():
    y, p = _label()
    h = 0.25
    thresholds, smoothed = smoothed_fbeta_curve(y, p, bandwidth=h)
    z = np.linspace(-4, 4, 801)
    weights = np.exp(-0.5 * z**2)
    weights /= weights.sum()
    for g in np.linspace(0, len(thresholds) - 1, 9).astype(int):
        x = np.log(thresholds[g] / (1 - thresholds[g]))
        expected = sum(w * exact_f(y, p, 1 / (1 + np.exp(-(x + h * zi)))) for w, zi in zip(weights, z))
        assert smoothed[g] == pytest.approx(expected, abs=3e-3)


def test_exact_curve_matches_fbeta_at_every_threshold():
    y, p = _label(1, n=60)
    thresholds, scores = fbeta_curve(y, np.round(p, 2))
    assert np.all(np.diff(thresholds) > 0)
    for t, s in zip(thresholds, scores):
        assert s == pytest.approx(exact_f(y, np.round(p, 2), t), abs=1e-12)
    assert scores[-1] == 0.0 and not (np.round(p, 2) >= thresholds[-1]).any()


def test_smooth_threshold_is_argmax_of_smoothed_curve_and_near_greedy():
    y, p = _label(2)
    thresholds, smoothed = smoothed_fbeta_curve(y, p)
    smooth = optimize_thresholds(y[:, None], p[:, None], average="macro", method="smooth")[0]
    assert smooth == thresholds[len(smoothed) - 1 - np.argmax(smoothed[::-1])]
    greedy = optimize_thresholds(y[:, None], p[:, None], average="macro", method="greedy")[0]
    assert exact_f(y, p, smooth) <= exact_f(y, p, greedy) + 1e-12  # greedy is the exact in-sample optimum
    assert exact_f(y, p, smooth) > exact_f(y, p, greedy) - 0.05


def test_narrow_bandwidth_recovers_the_exact_optimum():
    y, p = _label(3)
    greedy = optimize_thresholds(y[:, None], p[:, None], average="macro")[0]
    smooth = optimize_thresholds(y[:, None], p[:, None], average="macro", method="smooth", bandwidth=1e-3)[0]
    assert exact_f(y, p, smooth) == pytest.approx(exact_f(y, p, greedy), abs=1e-12)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("inf"), "0.25", True])
def test_bad_bandwidth(bad):
    y, p = _label()
    with pytest.raises(ValidationError, match="bandwidth"):
        smoothed_fbeta_curve(y, p, bandwidth=bad)


def test_curve_input_errors():
    with pytest.raises(ValidationError, match=r"\(n_samples,\)"):
        fbeta_curve(np.ones((3, 1)), np.ones(3))
    with pytest.raises(ValidationError, match="y has 3 samples but p has 2"):
        fbeta_curve(np.ones(3), np.ones(2))
