"""How alike stored models are: Pearson correlation of probabilities and agreement of 0/1 predictions.

Diverse models are what stacking feeds on; two models that agree on every
cell add nothing to each other's average.

- **Pearson**: per label, the correlation of two models' OOF probabilities over
  the train rows; then the mean over labels (labels where a model is constant
  are left out of that pair's mean).
- **Agreement**: each model's probabilities thresholded to 0/1 at its own
  per-label best F-beta threshold; the share of (row, label) cells on which two
  models predict the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stacker.report import style


@dataclass(frozen=True)
class ModelSimilarity:
    """Pairwise similarity of ``names``: both matrices are (n_models, n_models), symmetric, diagonal 1."""

    names: list[str]
    pearson: np.ndarray
    agreement: np.ndarray


def pearson_by_label(oof: np.ndarray) -> np.ndarray:
    """Mean over labels of the per-label Pearson correlation between models.

    Parameters
    ----------
    oof : ndarray of shape (n_models, n_samples, n_labels)

    Returns
    -------
    ndarray of shape (n_models, n_models)
        NaN only where two models share no label on which both vary.
    """
    n_models, _, n_labels = oof.shape
    total = np.zeros((n_models, n_models))
    count = np.zeros((n_models, n_models))
    for j in range(n_labels):
        centred = oof[:, :, j].astype(np.float64)
        centred -= centred.mean(axis=1, keepdims=True)
        norms = np.linalg.norm(centred, axis=1)
        varies = norms > 0
        safe = np.where(varies, norms, 1.0)
        corr = (centred @ centred.T) / np.outer(safe, safe)
        both = np.outer(varies, varies)
        total += np.where(both, corr, 0.0)
        count += both
    with np.errstate(invalid="ignore", divide="ignore"):
        pearson = total / count
    np.fill_diagonal(pearson, 1.0)
    return np.clip(pearson, -1.0, 1.0)


def best_thresholds(oof: np.ndarray, y: np.ndarray, beta: float) -> np.ndarray:
    """Each model's exact best binary F-beta threshold per label, shape (n_models, n_labels)."""
    from stacker.thresholds import best_fbeta

    return np.column_stack([best_fbeta(y[:, j], oof[:, :, j], beta)[1] for j in range(y.shape[1])])


def agreement(predictions: np.ndarray) -> np.ndarray:
    """Share of cells where two models' 0/1 predictions agree.

    Parameters
    ----------
    predictions : ndarray of shape (n_models, n_samples, n_labels), 0/1

    Returns
    -------
    ndarray of shape (n_models, n_models), values in [0, 1], diagonal 1
    """
    flat = predictions.reshape(len(predictions), -1).astype(np.float64)
    both_on = flat @ flat.T
    both_off = (1.0 - flat) @ (1.0 - flat).T
    return (both_on + both_off) / flat.shape[1]


def model_similarity(names: Sequence[str], oof: np.ndarray, y: np.ndarray, beta: float) -> ModelSimilarity:
    """Pearson and thresholded agreement of every pair of models (see the module docstring).

    ``oof`` has shape (n_models, n_samples, n_labels); ``y`` (n_samples, n_labels).
    """
    thresholds = best_thresholds(oof, y, beta)
    predictions = oof >= thresholds[:, None, :]
    return ModelSimilarity(list(names), pearson_by_label(oof), agreement(predictions))


def plot_similarity(similarity: ModelSimilarity, path: Path, *, dpi: int) -> Path:
    """Two heatmaps side by side: Pearson on probabilities, agreement after thresholding."""
    n = len(similarity.names)
    longest = max(len(name) for name in similarity.names)
    side = max(2.6, 0.36 * n) + 0.055 * longest
    panels = (("Pearson r of probabilities", similarity.pearson),
              ("Agreement of 0/1 predictions", similarity.agreement))
    with style.figure(path, width=2 * side + 1.2, height=side + 0.5, dpi=dpi, ncols=2) as (fig, axes):
        for ax, (title, matrix) in zip(axes[0], panels):
            finite = matrix[np.isfinite(matrix)]
            low = float(min(finite.min(initial=1.0), 0.99))
            image = ax.imshow(matrix, cmap="magma", vmin=low, vmax=1.0)
            if n <= 16:
                for (i, j), value in np.ndenumerate(matrix):
                    ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=6.5,
                            color="white" if value < (low + 1) / 2 else style.INK)
            ax.set_xticks(range(n), similarity.names, rotation=45, ha="right", fontsize=7)
            ax.set_yticks(range(n), similarity.names if ax is axes[0, 0] else [], fontsize=7)
            ax.grid(False)
            ax.set_title(title, loc="left")
            fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03).ax.tick_params(labelsize=7)
    return path
