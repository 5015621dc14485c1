"""Level-2 feature sets: what one label's learner sees.

``selected``
    That label's column of each level-1 model chosen for that label
    (``level1/selection.json``): (n_rows, n_selected) probabilities.
``all-labels``
    Every label's level-1 output (the columns of ``level1/oof.parquet`` /
    ``test.parquet``, one per label, so correlations between labels can be
    learned, e.g. "cloudy" makes "clear" unlikely) followed by that label's
    selected models, as in ``selected``: (n_rows, n_labels + n_selected).

Every feature is out-of-fold for train rows (level-1 outputs are averages of
OOF predictions), so a level-2 learner fitted on folds other than ``k`` never
saw a prediction made with fold ``k``'s labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stacker.exceptions import ValidationError

FEATURE_SETS = ("selected", "all-labels")


@dataclass(frozen=True)
class Level1Outputs:
    """What level 1 produced, as arrays (no files).

    Attributes
    ----------
    labels : list of str, length n_labels
    selection : dict of label -> list of str
        Candidate names chosen for each label.
    candidates : list of str, length n_models
        Names indexing axis 0 of ``candidate_oof`` / ``candidate_test``.
    candidate_oof : ndarray of shape (n_models, n_train, n_labels)
    candidate_test : ndarray of shape (n_models, n_test, n_labels)
    average_oof : ndarray of shape (n_train, n_labels)
        Level-1 output: per label, the average of its selected models.
    average_test : ndarray of shape (n_test, n_labels)
    """

    labels: list[str]
    selection: dict[str, list[str]]
    candidates: list[str]
    candidate_oof: np.ndarray
    candidate_test: np.ndarray
    average_oof: np.ndarray
    average_test: np.ndarray


@dataclass(frozen=True)
class LabelFeatures:
    """One label's level-2 design matrices.

    Attributes
    ----------
    names : list of str, length n_features
    train : ndarray of shape (n_train, n_features), float32
    test : ndarray of shape (n_test, n_features), float32
    """

    names: list[str]
    train: np.ndarray
    test: np.ndarray


def label_features(level1: Level1Outputs, label: str, kind: str = "selected") -> LabelFeatures:
    """The ``kind`` feature set of ``label`` (see the module docstring)."""
    if kind not in FEATURE_SETS:
        raise ValidationError(f"unknown feature set {kind!r}; choose one of: {', '.join(FEATURE_SETS)}")
    j = level1.labels.index(label)
    chosen = level1.selection.get(label, [])
    if not chosen and kind == "selected":
        raise ValidationError(
            f"label {label!r} has no selected models in the level-1 selection; rerun 'stacker select' "
            f"or use --features all-labels"
        )
    rows = [level1.candidates.index(name) for name in chosen]
    names = [f"{name}:{label}" for name in chosen]
    train = [level1.candidate_oof[rows, :, j].T]
    test = [level1.candidate_test[rows, :, j].T]
    if kind == "all-labels":
        names = [f"level1:{other}" for other in level1.labels] + names
        train.insert(0, level1.average_oof)
        test.insert(0, level1.average_test)
    return LabelFeatures(names, np.hstack(train).astype(np.float32), np.hstack(test).astype(np.float32))


def all_label_features(level1: Level1Outputs, kind: str = "selected") -> list[LabelFeatures]:
    """:func:`label_features` of every label, in label order."""
    return [label_features(level1, label, kind) for label in level1.labels]
