"""F-beta against threshold, one panel per label, with the greedy and the smooth choices marked.

The exact curve (a step at every distinct probability) shows how sharp a
label's optimum is; the smoothed curve is what ``method="smooth"`` maximises.
A narrow spike that the smooth choice steps away from is OOF noise the greedy
threshold would overfit. Markers sit on the label's binary F-beta at the
thresholds chosen for the workspace metric (for ``samples`` averaging those
need not be each label's binary optimum).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from stacker.report import style


def curve_value(thresholds: np.ndarray, scores: np.ndarray, t: float) -> float:
    """The exact curve's F-beta at threshold ``t`` (predict ``p >= t``).

    ``thresholds`` ascending, as :func:`stacker.thresholds.fbeta_curve` returns them: between two
    cut points the prediction set is that of the next cut point up.
    """
    i = int(np.searchsorted(thresholds, t, side="left"))
    return float(scores[min(i, len(scores) - 1)])


def plot_threshold_curves(proba: np.ndarray, y: np.ndarray, labels: Sequence[str], path: Path, *, beta: float,
                          greedy: np.ndarray, smooth: np.ndarray, bandwidth: float, dpi: int) -> Path:
    """Small multiples of exact and smoothed F-beta curves with both threshold choices marked.

    ``proba`` and ``y``: (n_samples, n_labels); ``greedy``, ``smooth``: (n_labels,) thresholds.
    """
    from stacker.thresholds import fbeta_curve, smoothed_fbeta_curve

    rows, cols = style.grid_shape(len(labels))
    with style.figure(path, width=2.6 * cols, height=2.1 * rows + 0.5, dpi=dpi, nrows=rows, ncols=cols,
                      sharex=True, sharey=True) as (fig, axes):
        for j, (ax, label) in enumerate(zip(axes.ravel(), labels)):
            t_exact, f_exact = fbeta_curve(y[:, j], proba[:, j], beta)
            t_smooth, f_smooth = smoothed_fbeta_curve(y[:, j], proba[:, j], beta, bandwidth=bandwidth)
            ax.step(t_exact, f_exact, where="pre", color=style.MUTED, linewidth=0.9, label="exact")
            ax.plot(t_smooth, f_smooth, color=style.ACCENT, linewidth=1.6, label="smoothed")
            for t, colour, marker, name in ((greedy[j], style.GREEDY, "o", "greedy"),
                                            (smooth[j], style.SMOOTH, "D", "smooth")):
                ax.plot([t], [curve_value(t_exact, f_exact, t)], marker=marker, color=colour, markersize=6,
                        markeredgecolor="white", linestyle="none", label=f"{name} choice")
            ax.set_title(f"{label}  (greedy {greedy[j]:.2f}, smooth {smooth[j]:.2f})", loc="left", fontsize=8.5)
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1.02)
        style.hide_unused(axes, len(labels))
        axes.ravel()[0].legend(loc="lower left", fontsize=6.5)
        fig.suptitle(f"F{beta:g} against threshold, per label", x=0.01, ha="left", fontsize=11,
                     fontweight="bold", color=style.INK)
    return path
