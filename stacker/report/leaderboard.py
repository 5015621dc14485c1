"""Per-label leaderboard of stored models: each model's best F-beta on each label, and its rank."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stacker.oof.leaderboard import per_label_scores
from stacker.report import style


@dataclass(frozen=True)
class Leaderboard:
    """Scores of ``names`` on ``labels``.

    Attributes
    ----------
    names : list of str, length n_models
    labels : list of str, length n_labels
    scores : ndarray of shape (n_models, n_labels)
        Best binary F-beta of each model on each label (at that label's exact best threshold).
    """

    names: list[str]
    labels: list[str]
    scores: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        """Mean over labels, shape (n_models,)."""
        return self.scores.mean(axis=1)

    @property
    def ranks(self) -> np.ndarray:
        """Rank of each model on each label, int (n_models, n_labels); 1 is best, tied models share a rank."""
        from scipy.stats import rankdata

        return rankdata(-self.scores, axis=0, method="min").astype(np.int64)

    def order(self) -> np.ndarray:
        """Model indices by mean score, best first; ties keep name order."""
        return np.argsort(-self.mean, kind="stable")

    def rows(self) -> list[dict]:
        """One dict per model, best mean first: ``name``, ``mean``, ``mean_rank`` and per-label ``(score, rank)``."""
        ranks = self.ranks
        return [
            {"name": self.names[i], "mean": float(self.mean[i]), "mean_rank": float(ranks[i].mean()),
             "per_label": {label: (float(self.scores[i, j]), int(ranks[i, j])) for j, label in enumerate(self.labels)}}
            for i in self.order()
        ]


def build_leaderboard(names: Sequence[str], oof: np.ndarray, y: np.ndarray, labels: Sequence[str],
                      beta: float) -> Leaderboard:
    """Score stored models per label.

    Parameters
    ----------
    names : sequence of str, length n_models
    oof : ndarray of shape (n_models, n_samples, n_labels)
    y : ndarray of shape (n_samples, n_labels), 0/1
    labels : sequence of str, length n_labels
    beta : float
    """
    return Leaderboard(list(names), list(labels), per_label_scores(oof, y, beta))


def plot_leaderboard(board: Leaderboard, path: Path, *, beta: float, dpi: int, max_models: int) -> Path:
    """Heatmap of the ``max_models`` best models (rows, best mean first) x labels (+ mean); best per label boxed."""
    from matplotlib.patches import Rectangle

    order = board.order()[:max_models]
    values = np.column_stack([board.scores[order], board.mean[order]])
    columns = [*board.labels, "mean"]
    width = 2.4 + 0.62 * len(columns)
    height = 1.2 + 0.32 * len(order)
    with style.figure(path, width=width, height=height, dpi=dpi) as (fig, axes):
        ax = axes[0, 0]
        image = ax.imshow(values, cmap=style.SEQUENTIAL, vmin=0, vmax=1, aspect="auto")
        _annotate(ax, values)
        best = board.ranks[order] == 1
        for i, j in zip(*np.nonzero(best)):
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="white", linewidth=2.2))
        ax.axvline(len(board.labels) - 0.5, color="white", linewidth=3)
        ax.set_xticks(range(len(columns)), columns, rotation=40, ha="right")
        ax.set_yticks(range(len(order)), [board.names[i] for i in order])
        ax.grid(False)
        ax.set_title(f"Best F{beta:g} per label (boxed: rank 1)", loc="left")
        fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    return path


def _annotate(ax, values: np.ndarray) -> None:
    """Write each cell's value, dark on light cells and light on dark ones."""
    for (i, j), value in np.ndenumerate(values):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7,
                color=style.INK if value > 0.6 else "white")
