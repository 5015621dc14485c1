"""The stack's design matrices: per label, columns of its input stages' matrices, per outer fold.

For the fit that holds out fold ``k`` the train matrix comes from each input's
*view* of fold ``k`` (``nested.parquet``: its predictions made without fold
``k``'s labels at any layer below), so no fold's labels reach that fold's
prediction through the inputs. An input without views contributes its plain
OOF to every fold (honest for its own fold only; the stage records which).
"""

from __future__ import annotations

import numpy as np

from stacker.level2.features import LabelFeatures

STACK_FEATURES = ("inputs", "inputs+labels")


class StackFeatures:
    """``kind`` features of (label ``j``, outer fold ``k``), built on demand from the inputs' matrices.

    Parameters
    ----------
    oof : ndarray of shape (n_sources, n_train, n_labels)
        The inputs' OOF (what ``k=None`` uses).
    views : ndarray of shape (n_sources, n_folds, n_train, n_labels) or None
        ``views[i, k]``: input ``i``'s train rows made without fold ``k``; None: the OOF for every fold.
    test : ndarray of shape (n_sources, n_test, n_labels)
    sources, labels : list of str
        Name the columns ``<source>:<label>``.
    kind : ``inputs`` (each input's column for the label) or ``inputs+labels`` (every column of every input)
    """

    def __init__(self, oof: np.ndarray, views: np.ndarray | None, test: np.ndarray, sources: list[str],
                 labels: list[str], kind: str) -> None:
        self.oof, self.views, self.test = oof, views, test
        self.sources, self.labels, self.kind = list(sources), list(labels), kind

    @property
    def n_labels(self) -> int:
        return len(self.labels)

    @property
    def n_test(self) -> int:
        return self.test.shape[1]

    def columns(self, j: int) -> list[tuple[int, int]]:
        """(input, label) of each column of label ``j``'s design matrix."""
        columns = [(i, j) for i in range(len(self.sources))]
        if self.kind == "inputs+labels":
            columns += [(i, l) for i in range(len(self.sources)) for l in range(len(self.labels)) if l != j]
        return columns

    def names(self, j: int) -> list[str]:
        return [f"{self.sources[i]}:{self.labels[l]}" for i, l in self.columns(j)]

    def fold(self, j: int, k: int | None) -> LabelFeatures:
        """Label ``j``'s features for the fit holding out fold ``k`` (None: the inputs' OOF)."""
        train = self.oof if k is None or self.views is None else self.views[:, k]
        columns = self.columns(j)
        return LabelFeatures(
            names=self.names(j),
            train=np.stack([train[i, :, l] for i, l in columns], axis=1),
            test=np.stack([self.test[i, :, l] for i, l in columns], axis=1),
        )
