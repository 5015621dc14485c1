"""Pruning: models that are weak on every label.

A model is pruned when its per-label best F-beta (exact optimal threshold, the
numbers ``stacker ls`` shows) is strictly below that label's ``q``-quantile
over all stored models, on *every* label where the models differ (a label
they all tie on, such as one constant in train, tells none apart). A model
that is good at one label stays: per-label selection may want it there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from stacker.config import PruneConfig
from stacker.exceptions import StoreError, ValidationError

if TYPE_CHECKING:
    from stacker.data import Workspace


@dataclass(frozen=True)
class PruneReport:
    """The pruned models, the cut-off of each label and whether they were deleted."""

    pruned: list[str]
    n_models: int
    quantile: float
    cutoffs: dict[str, float]
    scores: dict[str, dict[str, float]]
    deleted: bool


def parse_quantile(text: str) -> float:
    """``"median"`` -> 0.5; otherwise a number strictly between 0 and 1."""
    if text.strip().lower() == "median":
        return 0.5
    try:
        q = float(text)
    except ValueError:
        q = float("nan")
    if not 0 < q < 1:
        raise ValidationError(
            f"--below must be 'median' or a quantile strictly between 0 and 1 (e.g. 0.25); found {text!r}"
        )
    return q


def below_every_label(scores: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
    """Which models are below the per-label ``q``-quantile on every label.

    Parameters
    ----------
    scores : ndarray of shape (n_models, n_labels); higher is better
    q : float in (0, 1)

    Returns
    -------
    pruned : ndarray of shape (n_models,), bool
    cutoffs : ndarray of shape (n_labels,), the per-label quantiles (linear interpolation)
    """
    if not 0 < q < 1:
        raise ValidationError(f"the pruning quantile must be strictly between 0 and 1; found {q!r}")
    cutoffs = np.quantile(scores, q, axis=0)
    tells = scores.max(axis=0) > scores.min(axis=0)  # a label every model ties on (e.g. constant in train) says nothing
    if not tells.any():
        return np.zeros(len(scores), dtype=bool), cutoffs
    return (scores[:, tells] < cutoffs[tells]).all(axis=1), cutoffs


def prune_store(workspace: Workspace, config: PruneConfig = PruneConfig()) -> PruneReport:
    """Find (and with ``config.delete`` remove) the OOF-store models below the quantile on every label."""
    from stacker.oof.leaderboard import per_label_scores

    store = workspace.store()
    names = store.names()
    if not names:
        raise StoreError(f"the OOF store {store.root} holds no models; run 'stacker oof-collect RUNS' first")
    oof, _ = store.load(names)
    scores = per_label_scores(oof, workspace.y, workspace.metric.beta)
    pruned, cutoffs = below_every_label(scores, config.below)
    pruned_names = [n for n, p in zip(names, pruned) if p]
    if config.delete and pruned_names:
        store.delete(pruned_names)
    labels = workspace.labels
    return PruneReport(
        pruned=pruned_names, n_models=len(names), quantile=config.below,
        cutoffs={label: float(c) for label, c in zip(labels, cutoffs)},
        scores={n: dict(zip(labels, map(float, s))) for n, s, p in zip(names, scores, pruned) if p},
        deleted=config.delete and bool(pruned_names),
    )
