"""F-beta metrics and threshold optimizers (exact greedy and smoothed).

A pure-math package (numpy; torch only for ``best_fbeta`` on CUDA): anyone may
import it. Predictions are always "positive iff ``p >= t``".
"""

from stacker.thresholds.batched import best_fbeta
from stacker.thresholds.fbeta import fbeta_from_counts, fbeta_score

__all__ = ["best_fbeta", "fbeta_from_counts", "fbeta_score"]
