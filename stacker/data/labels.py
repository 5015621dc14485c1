"""Label matrices from the two train formats: a ``tags`` column or 0/1 columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from stacker.exceptions import WorkspaceError


def parse_tags(tags: pd.Series) -> list[list[str]]:
    """Split space-separated tag strings; a missing value means no tags."""
    return [str(t).split() if isinstance(t, str) else [] for t in tags]


def labels_from_frame(frame: pd.DataFrame, *, id_column: str, tags_column: str) -> list[str]:
    """The sorted label names a train frame uses (tags format or one column per label)."""
    if tags_column in frame.columns:
        return sorted({tag for row in parse_tags(frame[tags_column]) for tag in row})
    return sorted(str(c) for c in frame.columns if c != id_column)


def label_matrix(
    frame: pd.DataFrame, labels: list[str], *, id_column: str, tags_column: str, source: str
) -> np.ndarray:
    """Binary label matrix of shape (n_samples, n_labels), uint8, columns in ``labels`` order.

    Raises WorkspaceError naming the row and tag (or column) that does not fit.
    """
    if tags_column in frame.columns:
        return _from_tags(frame, labels, id_column=id_column, tags_column=tags_column, source=source)
    return _from_columns(frame, labels, source=source)


def _from_tags(frame, labels, *, id_column, tags_column, source) -> np.ndarray:
    index = {label: j for j, label in enumerate(labels)}
    y = np.zeros((len(frame), len(labels)), dtype=np.uint8)
    for i, row in enumerate(parse_tags(frame[tags_column])):
        for tag in row:
            j = index.get(tag)
            if j is None:
                raise WorkspaceError(
                    f"{source}: row {i + 2} (id {frame[id_column].iloc[i]!r}) has tag {tag!r}, "
                    f"which is not among the workspace labels; add it to 'labels' in stacker.toml "
                    f"or remove 'labels' to infer them"
                )
            y[i, j] = 1
    return y


def _from_columns(frame, labels, *, source) -> np.ndarray:
    missing = [label for label in labels if label not in frame.columns]
    if missing:
        raise WorkspaceError(f"{source}: label columns {missing[:5]} are missing (expected one 0/1 column per label)")
    values = frame[labels]
    bad = ~values.isin([0, 1])
    if bad.to_numpy().any():
        i, j = np.argwhere(bad.to_numpy())[0]
        raise WorkspaceError(
            f"{source}: row {i + 2}, label {labels[j]!r} has value {values.iat[i, j]}; "
            f"label columns must hold 0 or 1 (or use a space-separated 'tags' column)"
        )
    return values.to_numpy(dtype=np.uint8)
