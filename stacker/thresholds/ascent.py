"""Coordinate ascent over labels: each step moves one label's cut, the others fixed.

``greedy`` takes the exact best reachable cut of the label's curve, and moves
only on a strict improvement (> ``TOL``), so the score rises every move and the
loop ends (a finite set of cuts); ties go to the largest threshold. ``smooth``
takes the maximiser of the smoothed curve (``smooth.py``). Labels are visited in
column order; a sweep that moves no cut ends the loop, as does ``max_sweeps``.
"""

from __future__ import annotations

import logging

import numpy as np

from stacker.thresholds.smooth import LogitGrid, logit_grid, smoothed_best

logger = logging.getLogger(__name__)

TOL = 1e-12


class GreedyStep:
    """Exact best cut of one label; thresholds are the probabilities at the cuts."""

    def __init__(self, cuts) -> None:
        self.cuts = cuts

    def __call__(self, objective, j: int) -> int:
        curve = objective.curve(j)
        masked = np.where(self.cuts.reachable[j], curve, -np.inf)
        best = int(np.argmax(masked))
        current = int(objective.k[j])
        return best if masked[best] > curve[current] + TOL else current

    def thresholds(self, k: np.ndarray) -> np.ndarray:
        return self.cuts.values[np.arange(len(k)), k]


class SmoothStep:
    """Maximiser of the Gaussian-smoothed curve on a logit grid (one grid per label, built once)."""

    def __init__(self, cuts, bandwidth: float) -> None:
        self.grids: list[LogitGrid] = [logit_grid(cuts, j, bandwidth) for j in range(cuts.order.shape[0])]
        self.chosen = np.zeros(len(self.grids), dtype=np.float64)

    def __call__(self, objective, j: int) -> int:
        grid = self.grids[j]
        g = smoothed_best(objective.curve(j), grid)
        self.chosen[j] = grid.thresholds[g]
        return int(grid.k[g])

    def thresholds(self, k: np.ndarray) -> np.ndarray:
        return self.chosen.copy()


def coordinate_ascent(objective, step, max_sweeps: int) -> int:
    """Sweep labels until no cut moves or ``max_sweeps`` sweeps; return the sweeps run."""
    n_labels = len(objective.k)
    for sweep in range(1, max_sweeps + 1):
        moved = False
        for j in range(n_labels):
            k = step(objective, j)
            if k != objective.k[j]:
                objective.set_cut(j, k)
                moved = True
        if not moved:
            return sweep
    logger.debug("threshold coordinate ascent stopped after max_sweeps=%d sweeps without settling", max_sweeps)
    return max_sweeps
