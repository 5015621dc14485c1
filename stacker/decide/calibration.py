"""Per-label probability calibration (isotonic or Platt), fitted on one set of rows, applied to others.

A calibrator maps one label's probabilities to the frequency of positives
observed at that probability. ``isotonic``: scikit-learn's
``IsotonicRegression`` (monotone step function, clipped to [0, 1] and to the
fitted range). ``platt``: a one-feature logistic regression on the logit. A
label with a single class in the fitted rows gets that class's constant rate.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Calibrator = Callable[[np.ndarray], np.ndarray]

_EPS = 1e-6


def fit_isotonic(p: np.ndarray, y: np.ndarray) -> Calibrator:
    """Isotonic map of probabilities ``p`` (n,) to 0/1 outcomes ``y`` (n,)."""
    from sklearn.isotonic import IsotonicRegression

    model = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip").fit(p, y)
    return lambda values: np.clip(model.predict(values), 0.0, 1.0)


def fit_platt(p: np.ndarray, y: np.ndarray) -> Calibrator:
    """Logistic map ``sigmoid(a * logit(p) + b)`` fitted on ``p`` (n,) and ``y`` (n,)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1e6).fit(_logit(p)[:, None], y)
    return lambda values: model.predict_proba(_logit(values)[:, None])[:, 1]


CALIBRATIONS: dict[str, Callable[[np.ndarray, np.ndarray], Calibrator]] = {
    "isotonic": fit_isotonic,
    "platt": fit_platt,
}


def fit_calibrators(proba: np.ndarray, y: np.ndarray, method: str) -> list[Calibrator]:
    """One calibrator per label column of ``proba`` and ``y`` (n, n_labels), in label order."""
    return [_fit_label(proba[:, j], y[:, j], method) for j in range(proba.shape[1])]


def _fit_label(p: np.ndarray, y: np.ndarray, method: str) -> Calibrator:
    if y.min() == y.max():
        rate = float(y[0])
        return lambda values: np.full(len(values), rate)
    return CALIBRATIONS[method](p, y.astype(np.float64))


def _logit(p: np.ndarray) -> np.ndarray:
    clipped = np.clip(p, _EPS, 1.0 - _EPS)
    return np.log(clipped) - np.log1p(-clipped)
