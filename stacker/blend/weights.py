"""The blend on arrays: per label, Caruana greedy selection over stage outputs, nested in the folds.

Pure numpy (no files). For each label the inputs' OOF columns form ``P`` of
shape (n_inputs, n_train); :class:`~stacker.level1.GreedySelector` (with or
without replacement) picks the additions whose average maximises the
objective. The same selector is refitted without each outer fold
(:func:`~stacker.level1.nested_selection`): the blend's OOF rows of fold ``k``
average the inputs with the weights chosen without fold ``k``, so scoring the
blend's OOF is honest for the choice of weights too. Test rows use the
weights chosen on every train row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stacker import progress
from stacker.level1 import FoldSelection, GreedySelector, nested_selection, subset_mean
from stacker.level1.objectives import Objective


@dataclass(frozen=True)
class LabelBlend:
    """One label's blend: the selector fitted on every row and the selections made without each fold."""

    selector: GreedySelector
    folds: list[FoldSelection]


@dataclass(frozen=True)
class BlendFit:
    """The blended matrices and each label's choices.

    Attributes
    ----------
    oof : ndarray of shape (n_train, n_labels), float32
        Fold ``k``'s rows blended with the weights chosen without fold ``k``.
    test : ndarray of shape (n_test, n_labels), float32
        Blended with the weights chosen on every train row.
    labels : list of LabelBlend, one per label
    """

    oof: np.ndarray
    test: np.ndarray
    labels: list[LabelBlend]


def blend_matrices(oof: np.ndarray, test: np.ndarray, Y: np.ndarray, folds: np.ndarray, objective: Objective, *,
                   per_label: int, replacement: bool) -> BlendFit:
    """Blend the inputs per label; see the module docstring.

    Parameters
    ----------
    oof : ndarray of shape (n_inputs, n_train, n_labels), float32 probabilities
    test : ndarray of shape (n_inputs, n_test, n_labels), float32 probabilities
    Y : ndarray of shape (n_train, n_labels), 0/1
    folds : ndarray of shape (n_train,), int
        Outer fold of each train row.
    objective : Objective
        What the selector maximises (F-beta at the exact best threshold for ``stacker blend``).
    per_label : int
        Most additions per label.
    replacement : bool
        Whether an input may be added again.
    """
    def make() -> GreedySelector:
        return GreedySelector(objective, per_label=per_label, replacement=replacement)

    blended_oof = np.empty(oof.shape[1:], dtype=np.float32)
    blended_test = np.empty(test.shape[1:], dtype=np.float32)
    choices = []
    for j in progress.track(range(Y.shape[1]), "blending per label", total=Y.shape[1]):
        P = np.ascontiguousarray(oof[:, :, j])
        selector = make().fit(P, Y[:, j])
        nested = nested_selection(P, Y[:, j], folds, make, objective)
        for fold in nested:
            rows = folds == fold.fold
            blended_oof[rows, j] = subset_mean(P[:, rows], fold.models)
        blended_test[:, j] = subset_mean(test[:, :, j], selector.selected_)
        choices.append(LabelBlend(selector, nested))
    return BlendFit(blended_oof, blended_test, choices)


def named_weights(models, names: list[str]) -> dict[str, float]:
    """``{input name: weight}`` of a selection (indices, repeats allowed), in first-added order."""
    models = [int(m) for m in models]
    return {names[m]: models.count(m) / len(models) for m in dict.fromkeys(models)}
