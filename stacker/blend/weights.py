"""The blend on arrays: per label, Caruana greedy selection over stage outputs, nested in the folds.

Pure numpy (no files). For each label the inputs' OOF columns form ``P`` of
shape (n_inputs, n_train); :class:`~stacker.level1.GreedySelector` (with or
without replacement) picks the additions whose average maximises the
objective. The same selector is refitted without each outer fold
(:func:`~stacker.level1.nested.fold_selection`), on each input's *view* of
fold ``k`` (its predictions made without fold ``k``'s labels) when given: the
blend's OOF rows of fold ``k`` average the inputs with the weights chosen
without fold ``k``, so scoring the blend's OOF is honest for the choice of
weights and for every layer below. The blend's own view of fold ``k`` applies
those weights to the inputs' views of fold ``k``. Test rows use the weights
chosen on every train row. Each label is one task of :mod:`stacker.parallel`
(threads here, workers on a Dask cluster).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stacker.level1 import FoldSelection, GreedySelector, subset_mean
from stacker.level1.nested import fold_selection
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
    views : ndarray of shape (n_folds, n_train, n_labels), float32
        View ``k``: the inputs' views of fold ``k`` blended with the weights chosen without fold ``k``.
    """

    oof: np.ndarray
    test: np.ndarray
    labels: list[LabelBlend]
    views: np.ndarray


def blend_matrices(oof: np.ndarray, test: np.ndarray, Y: np.ndarray, folds: np.ndarray, objective: Objective, *,
                   per_label: int, replacement: bool, views: np.ndarray | None = None) -> BlendFit:
    """Blend the inputs per label; see the module docstring.

    Parameters
    ----------
    oof : ndarray of shape (n_inputs, n_train, n_labels), float32 probabilities
    test : ndarray of shape (n_inputs, n_test, n_labels), float32 probabilities
    Y : ndarray of shape (n_train, n_labels), 0/1
    folds : ndarray of shape (n_train,), int
        Outer fold of each train row.
    objective : Objective
        What the selector maximises (``stacker blend``: log loss by default, ``--objective``).
    per_label : int
        Most additions per label.
    replacement : bool
        Whether an input may be added again.
    views : ndarray of shape (n_inputs, n_folds, n_train, n_labels), optional
        The inputs' views of each fold (:func:`stacker.data.stages.read_views`);
        None: their OOF stands for every fold.
    """
    from stacker.parallel import Shared, map_tasks

    fold_ids = [int(k) for k in np.unique(folds)]
    shared = tuple(Shared(a) for a in (oof, test, Y, views, folds))
    fitted = map_tasks(_blend_label, [(*shared, objective, per_label, replacement, j) for j in range(Y.shape[1])],
                       prefer="threads", description="blending per label")
    blended_oof = np.empty(oof.shape[1:], dtype=np.float32)
    blended_test = np.empty(test.shape[1:], dtype=np.float32)
    blended_views = np.empty((len(fold_ids), *oof.shape[1:]), dtype=np.float32)
    choices = []
    for j, (choice, test_column, label_views) in enumerate(fitted):
        blended_test[:, j] = test_column
        blended_views[:, :, j] = label_views
        for k in fold_ids:
            blended_oof[folds == k, j] = label_views[k, folds == k]
        choices.append(choice)
    return BlendFit(blended_oof, blended_test, choices, blended_views)


def _blend_label(oof, test, Y, views, folds, objective, per_label, replacement, j):
    """Label ``j``'s blend (one task of the parallel seam).

    Returns its :class:`LabelBlend`, its test column (n_test,) and its views
    (n_folds, n_train): view ``k`` is the inputs' views of fold ``k`` averaged
    with the selection made without fold ``k``.
    """
    def make() -> GreedySelector:
        return GreedySelector(objective, per_label=per_label, replacement=replacement)

    P = np.ascontiguousarray(oof[:, :, j])
    selector = make().fit(P, Y[:, j])
    fold_ids = [int(k) for k in np.unique(folds)]
    label_views = np.empty((len(fold_ids), P.shape[1]), dtype=np.float32)
    nested = []
    for k in fold_ids:
        P_k = P if views is None else np.ascontiguousarray(views[:, k, :, j])
        fold = fold_selection(P_k, Y[:, j], folds, k, make(), objective)
        label_views[k] = subset_mean(P_k, fold.models)
        nested.append(fold)
    return LabelBlend(selector, nested), subset_mean(test[:, :, j], selector.selected_), label_views


def named_weights(models, names: list[str]) -> dict[str, float]:
    """``{input name: weight}`` of a selection (indices, repeats allowed), in first-added order."""
    models = [int(m) for m in models]
    return {names[m]: models.count(m) / len(models) for m in dict.fromkeys(models)}
