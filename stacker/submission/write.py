"""The submission CSV: the sample submission's columns and row order, predictions filled in.

Column rules, applied to each column of the sample submission (workspace ``test``):

- the id column: the test ids, in the sample's order (every id, once);
- the tags column (workspace ``tags_column``, ``tags`` by default): the predicted
  labels of the row, space-separated, in workspace label order (empty if none);
- a column named like a label (a one-column-per-label format): 0/1;
- any other column: copied from the sample unchanged.

The file is written to a temporary name and renamed, so a reader never sees half of it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from stacker.exceptions import SubmissionError


def read_sample(path: Path, id_column: str) -> pd.DataFrame:
    """The sample submission as strings (no NaN parsing); raises SubmissionError if unreadable."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise SubmissionError(f"cannot read the sample submission {path}: {e}") from e
    if id_column not in frame.columns:
        raise SubmissionError(f"sample submission {path} has no id column {id_column!r}; columns: {list(frame.columns)}")
    return frame


def format_submission(
    sample: pd.DataFrame, predictions: np.ndarray, labels: Sequence[str], *, id_column: str, tags_column: str,
) -> pd.DataFrame:
    """Fill ``sample``'s columns from 0/1 ``predictions`` of shape (n_test, n_labels), rows in sample order."""
    predictions = np.asarray(predictions).astype(bool)
    if predictions.shape != (len(sample), len(labels)):
        raise SubmissionError(
            f"predictions have shape {predictions.shape}; the sample submission needs ({len(sample)}, {len(labels)})"
        )
    label_columns = [c for c in sample.columns if c in labels]
    if tags_column not in sample.columns and not label_columns:
        raise SubmissionError(
            f"the sample submission has no {tags_column!r} column and no column named like a label; "
            f"columns: {list(sample.columns)}; set tags_column in stacker.toml"
        )
    out = sample.copy()
    if tags_column in out.columns:
        out[tags_column] = tag_strings(predictions, labels)
    for column in label_columns:
        out[column] = predictions[:, list(labels).index(column)].astype(np.int64)
    return out


def tag_strings(predictions: np.ndarray, labels: Sequence[str]) -> list[str]:
    """Space-separated positive labels of each row (``""`` for none)."""
    names = np.asarray(labels, dtype=object)
    return [" ".join(names[row]) for row in np.asarray(predictions, dtype=bool)]


def write_submission(path: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as CSV (no index) atomically; return ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)
    return path
