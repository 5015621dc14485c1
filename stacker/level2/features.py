"""Level-2 feature sets: what one label's learner sees in one outer fold.

``all-models``
    That label's column of every level-1 candidate (every bag of runs), whether
    selected or not: (n_rows, n_candidates). Uses no labels to build, so it is
    the same in every fold.
``all-models+labels``
    Every label's level-1 output (so correlations between labels can be
    learned, e.g. "cloudy" makes "clear" unlikely) followed by ``all-models``.
``selected``
    That label's column of each level-1 candidate chosen for that label.
``all-labels``
    Every label's level-1 output followed by ``selected``.

Honesty: the level-1 selection used labels, so the feature sets that depend on
it are built per outer fold from the selection made *without* that fold
(``level1/selection.json``, ``nested``): the level-2 fit for fold ``k`` trains
on the other folds and predicts fold ``k`` and the test rows from features
that fold ``k``'s labels never chose. Every candidate column is itself
out-of-fold at level 0, so no fit ever sees a prediction made with the labels
of the rows it predicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from stacker.exceptions import ValidationError

FEATURE_SETS = ("all-models", "all-models+labels", "selected", "all-labels")
# Feature sets built from the level-1 selection (so, per outer fold, from that fold's selection).
USES_SELECTION = frozenset({"selected", "all-labels", "all-models+labels"})


@dataclass(frozen=True)
class Level1Outputs:
    """What level 1 produced, as arrays (no files).

    Attributes
    ----------
    labels : list of str, length n_labels
    selection : dict of label -> list of str
        Candidate names chosen for each label on every row (what the test rows of
        the level-1 stage use).
    candidates : list of str, length n_models
        Names indexing axis 0 of ``candidate_oof`` / ``candidate_test``.
    candidate_oof : ndarray of shape (n_models, n_train, n_labels)
    candidate_test : ndarray of shape (n_models, n_test, n_labels)
    fold_selection : dict of int -> (dict of label -> list of str), or None
        Per outer fold id, the candidates chosen for each label *without* that
        fold's rows (``stacker select``'s nested selection); None when the
        selection was made on every row only.
    """

    labels: list[str]
    selection: dict[str, list[str]]
    candidates: list[str]
    candidate_oof: np.ndarray
    candidate_test: np.ndarray
    fold_selection: dict[int, dict[str, list[str]]] | None = None
    # Averages already built, by the fold their selection left out (None: every row); filled by averages(),
    # whose callers copy what they take and never write to it.
    _averages: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def chosen(self, label: str, fold: int | None = None) -> list[str]:
        """Candidates chosen for ``label`` without ``fold`` (or on every row when None or not nested)."""
        if fold is None or self.fold_selection is None:
            return self.selection.get(label, [])
        return self.fold_selection[fold].get(label, [])

    def averages(self, fold: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Every label's level-1 average under the selection made without ``fold`` (built once per selection).

        Returns
        -------
        oof : ndarray of shape (n_train, n_labels), float32
        test : ndarray of shape (n_test, n_labels), float32
        """
        key = fold if self.fold_selection is not None else None
        if key not in self._averages:
            self._averages[key] = self._build_averages(key)
        return self._averages[key]

    def _build_averages(self, fold: int | None) -> tuple[np.ndarray, np.ndarray]:
        from stacker.level1.additions import subset_mean

        oof = np.empty(self.candidate_oof.shape[1:], dtype=np.float32)
        test = np.empty(self.candidate_test.shape[1:], dtype=np.float32)
        for j, label in enumerate(self.labels):
            rows = self.indices(self.chosen(label, fold))
            if not rows:
                raise ValidationError(f"label {label!r} has no selected models in the level-1 selection; "
                                      f"rerun 'stacker select' or use --features all-models")
            oof[:, j] = subset_mean(self.candidate_oof[:, :, j], rows)
            test[:, j] = subset_mean(self.candidate_test[:, :, j], rows)
        return oof, test

    def out_of_fold_averages(self, folds: np.ndarray) -> np.ndarray:
        """Level-1 OOF, (n_train, n_labels) float32: fold ``k``'s rows average the selection made without ``k``.

        Equals ``level1/oof.parquet``; with a selection made on every row only, the plain averages.
        """
        oof = np.empty(self.candidate_oof.shape[1:], dtype=np.float32)
        for k in np.unique(folds):
            rows = folds == k
            oof[rows] = self.averages(int(k))[0][rows]
        return oof

    def fold_views(self, folds: np.ndarray) -> np.ndarray:
        """Level-1 views, (n_folds, n_train, n_labels) float32: view ``i`` averages, on every row, the selection
        made without the i-th fold id (equals ``level1/nested.parquet``; the plain averages when not nested)."""
        return np.stack([self.averages(int(k))[0] for k in np.unique(folds)])

    def indices(self, names: Sequence[str]) -> list[int]:
        """Positions of ``names`` in ``candidates``."""
        return [self.candidates.index(name) for name in names]


@dataclass(frozen=True)
class LabelFeatures:
    """One label's level-2 design matrices (for one outer fold).

    Attributes
    ----------
    names : list of str, length n_features
    train : ndarray of shape (n_train, n_features), float32
        Every train row; the fit uses the rows outside its fold.
    test : ndarray of shape (n_test, n_features), float32
    """

    names: list[str]
    train: np.ndarray
    test: np.ndarray


class FoldFeatures:
    """Builds ``kind`` features of (label ``j``, outer fold ``k``) on demand, so memory stays bounded.

    Parameters
    ----------
    level1 : Level1Outputs
    kind : str
        One of :data:`FEATURE_SETS`.
    """

    def __init__(self, level1: Level1Outputs, kind: str) -> None:
        check_feature_set(kind)
        self.level1 = level1
        self.kind = kind

    @property
    def in_folds(self) -> bool:
        """True when every fold's features come from a selection that never saw that fold."""
        return self.kind not in USES_SELECTION or self.level1.fold_selection is not None

    @property
    def n_labels(self) -> int:
        return len(self.level1.labels)

    @property
    def n_test(self) -> int:
        return self.level1.candidate_test.shape[1]

    def names(self, j: int, k: int | None) -> list[str]:
        """Column names of label ``j``'s features for the fit holding out fold ``k`` (no matrices built)."""
        level1, label = self.level1, self.level1.labels[j]
        columns = [f"{name}:{label}" for name in self._models(j, k)]
        if self.kind in ("all-labels", "all-models+labels"):
            columns = [f"level1:{other}" for other in level1.labels] + columns
        return columns

    def fold(self, j: int, k: int | None) -> LabelFeatures:
        """Label ``j``'s features for the fit that holds out fold ``k`` (None: the selection on every row)."""
        level1 = self.level1
        rows = level1.indices(self._models(j, k))
        train = [level1.candidate_oof[rows, :, j].T]
        test = [level1.candidate_test[rows, :, j].T]
        if self.kind in ("all-labels", "all-models+labels"):
            average_oof, average_test = level1.averages(k)
            train.insert(0, average_oof)
            test.insert(0, average_test)
        return LabelFeatures(self.names(j, k), np.hstack(train).astype(np.float32), np.hstack(test).astype(np.float32))

    def _models(self, j: int, k: int | None) -> list[str]:
        level1, label = self.level1, self.level1.labels[j]
        names = level1.candidates if self.kind.startswith("all-models") else level1.chosen(label, k)
        if not names:
            raise ValidationError(f"label {label!r} has no selected models in the level-1 selection; rerun "
                                  f"'stacker select' or use --features all-models")
        return names


class StaticFeatures:
    """The same :class:`LabelFeatures` for every fold (features that no label chose), one per label."""

    def __init__(self, per_label: Sequence[LabelFeatures]) -> None:
        self.per_label = list(per_label)
        self.in_folds = True

    @property
    def n_labels(self) -> int:
        return len(self.per_label)

    @property
    def n_test(self) -> int:
        return len(self.per_label[0].test) if self.per_label else 0

    def fold(self, j: int, k: int | None) -> LabelFeatures:
        """Label ``j``'s features (the same for every ``k``)."""
        return self.per_label[j]


def check_feature_set(kind: str) -> str:
    """``kind`` if it is a known feature set; otherwise a ValidationError listing them."""
    if kind not in FEATURE_SETS:
        raise ValidationError(f"unknown feature set {kind!r}; choose one of: {', '.join(FEATURE_SETS)}")
    return kind


def label_features(level1: Level1Outputs, label: str, kind: str = "selected", fold: int | None = None) -> LabelFeatures:
    """The ``kind`` feature set of ``label`` for the fit holding out ``fold`` (None: selection on every row)."""
    return FoldFeatures(level1, kind).fold(level1.labels.index(label), fold)
