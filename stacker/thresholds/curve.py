"""The binary F-beta of one label as a function of its threshold (exact and smoothed), for plots."""

from __future__ import annotations

from stacker.config import ThresholdConfig
from stacker.thresholds._validate import (
    check_bandwidth,
    check_beta,
    check_binary,
    check_nonempty,
    check_proba,
    check_same_length,
    check_zero_division,
)
from stacker.thresholds.cuts import LabelCuts
from stacker.thresholds.exact import fbeta_cut_curve
from stacker.thresholds.smooth import logit_grid, smoothed_curve

_DEFAULT = ThresholdConfig()


def fbeta_curve(y, p, beta: float = 2.0, *, zero_division: float = _DEFAULT.zero_division):
    """Exact binary F-beta at every distinct cut point of ``p``.

    Parameters
    ----------
    y : array_like of shape (n_samples,)
        0/1 labels.
    p : array_like of shape (n_samples,)
        Probabilities in [0, 1].
    beta : float, default 2.0
    zero_division : {0.0, 1.0}, default 0.0

    Returns
    -------
    thresholds : ndarray of shape (n_cuts,), float64, ascending
        Each distinct probability, then "predict nothing" (just above the maximum).
    scores : ndarray of shape (n_cuts,), float64
        F-beta of ``p >= threshold``; the curve is constant between thresholds.
    """
    cuts, n_true, beta, zero_division = _one_label(y, p, beta, zero_division)
    curve = fbeta_cut_curve(cuts.tp, n_true, beta, zero_division)[0]
    keep = cuts.reachable[0]
    return cuts.values[0][keep][::-1].copy(), curve[keep][::-1].copy()


def smoothed_fbeta_curve(
    y, p, beta: float = 2.0, *, bandwidth: float = _DEFAULT.bandwidth, zero_division: float = _DEFAULT.zero_division
):
    """The F-beta curve of ``p`` smoothed as ``method="smooth"`` does (Gaussian in logit units).

    Returns
    -------
    thresholds : ndarray of shape (n_grid,), float64, ascending
        ``sigmoid`` of a uniform logit grid with ``bandwidth / 10`` spacing.
    scores : ndarray of shape (n_grid,), float64
        Smoothed F-beta; its (last) argmax is the binary ``smooth`` threshold.
    """
    bandwidth = check_bandwidth(bandwidth)
    cuts, n_true, beta, zero_division = _one_label(y, p, beta, zero_division)
    grid = logit_grid(cuts, 0, bandwidth)
    curve = fbeta_cut_curve(cuts.tp, n_true, beta, zero_division)[0]
    return grid.thresholds, smoothed_curve(curve, grid)


def _one_label(y, p, beta, zero_division):
    """Sorted cuts of one label, its positive count and the checked options."""
    yy = check_binary(y, "y", 1)
    pp = check_proba(p, "p", 1)
    check_same_length(len(yy), len(pp), "y", "p")
    check_nonempty(len(yy), "y")
    cuts = LabelCuts.build(yy[:, None], pp[:, None])
    return cuts, yy.sum(keepdims=True), check_beta(beta), check_zero_division(zero_division)
