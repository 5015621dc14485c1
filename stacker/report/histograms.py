"""Per-label histograms of out-of-fold probabilities, positives against negatives.

Well-separated humps mean a threshold can split the label; overlapping ones
show where the errors are. Each class is normalised to its own density, so a
label with 3% positives is as readable as one with 90%.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from stacker.report import style


def class_histograms(p: np.ndarray, y: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Densities of ``p`` over ``bins`` equal bins of [0, 1] for negatives and positives.

    Parameters
    ----------
    p : ndarray of shape (n_samples,), probabilities
    y : ndarray of shape (n_samples,), 0/1

    Returns
    -------
    edges : ndarray of shape (bins + 1,)
    negatives, positives : ndarray of shape (bins,)
        Each integrates to 1 over [0, 1] (all zeros when the class is empty).
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    y = np.asarray(y).astype(bool)
    densities = []
    for members in (p[~y], p[y]):
        counts, _ = np.histogram(members, bins=edges)
        densities.append(counts / (counts.sum() * (1.0 / bins)) if counts.sum() else counts.astype(float))
    return edges, densities[0], densities[1]


def plot_histograms(proba: np.ndarray, y: np.ndarray, labels: Sequence[str], path: Path, *, title: str,
                    thresholds: np.ndarray | None, bins: int, dpi: int) -> Path:
    """Small multiples, one panel per label; the submission threshold is a dashed line when given.

    ``proba`` and ``y`` have shape (n_samples, n_labels); ``thresholds`` (n_labels,).
    """
    rows, cols = style.grid_shape(len(labels))
    with style.figure(path, width=2.6 * cols, height=2.0 * rows + 0.5, dpi=dpi, nrows=rows, ncols=cols,
                      sharex=True) as (fig, axes):
        for j, (ax, label) in enumerate(zip(axes.ravel(), labels)):
            edges, negatives, positives = class_histograms(proba[:, j], y[:, j], bins)
            ax.stairs(negatives, edges, fill=True, alpha=0.45, color=style.NEGATIVE, label="negatives")
            ax.stairs(positives, edges, fill=True, alpha=0.45, color=style.POSITIVE, label="positives")
            if thresholds is not None:
                ax.axvline(thresholds[j], color=style.INK, linestyle="--", linewidth=1)
            ax.set_title(f"{label}  ({int(y[:, j].sum())} pos / {len(y)})", loc="left", fontsize=8.5)
            ax.set_xlim(0, 1)
            ax.set_yticks([])
        style.hide_unused(axes, len(labels))
        axes.ravel()[0].legend(loc="upper center", fontsize=7)
        fig.suptitle(title, x=0.01, ha="left", fontsize=11, fontweight="bold", color=style.INK)
    return path
