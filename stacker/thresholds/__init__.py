"""F-beta metrics and threshold optimizers (exact greedy and smoothed).

A pure-math package (numpy; torch only for ``best_fbeta`` on CUDA) that any
stage may import. Predictions are always "positive iff ``p >= t``", and an
F-beta with no true and no predicted positive scores ``zero_division``
(0.0 by default, as in scikit-learn).

- :func:`fbeta_score` - F-beta of 0/1 predictions, equal to scikit-learn's.
- :func:`best_fbeta` - exact best binary F-beta of M candidate vectors at once.
- :func:`optimize_thresholds` / :func:`fit_thresholds` - one threshold per label
  (``greedy``: exact coordinate ascent; ``smooth``: Gaussian-smoothed curve).
- :func:`evaluate_thresholds` - out-of-fold comparison of the methods.
- :func:`fbeta_curve` / :func:`smoothed_fbeta_curve` - one label's curve, for plots.
"""

from stacker.thresholds.batched import best_fbeta
from stacker.thresholds.curve import fbeta_curve, smoothed_fbeta_curve
from stacker.thresholds.evaluate import apply_thresholds, evaluate_thresholds
from stacker.thresholds.fbeta import fbeta_from_counts, fbeta_score
from stacker.thresholds.optimize import ThresholdFit, fit_thresholds, optimize_thresholds

__all__ = [
    "ThresholdFit",
    "apply_thresholds",
    "best_fbeta",
    "evaluate_thresholds",
    "fbeta_curve",
    "fbeta_from_counts",
    "fbeta_score",
    "fit_thresholds",
    "optimize_thresholds",
    "smoothed_fbeta_curve",
]
