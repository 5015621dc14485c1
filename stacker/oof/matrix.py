"""Labelled probability matrices on disk: float32 Parquet, one column per label.

Every stage output (a stored model, level-1 averages, level-2 predictions) is
such a file, with rows in workspace order (train or test ids) and columns
named by label. Writes are atomic: a temp file renamed into place.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from stacker.exceptions import StoreError


def write_matrix(path: Path, values: np.ndarray, labels: Sequence[str]) -> None:
    """Write ``values`` of shape (n_rows, n_labels) as float32 Parquet, atomically."""
    values = np.asarray(values, dtype=np.float32)
    if values.ndim != 2 or values.shape[1] != len(labels):
        raise StoreError(f"matrix for {path.name} has shape {values.shape}, expected (n_rows, {len(labels)})")
    table = pa.table({label: values[:, j] for j, label in enumerate(labels)})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="none", use_dictionary=False, write_statistics=False)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_matrix(path: Path, labels: Sequence[str], out: np.ndarray | None = None) -> np.ndarray:
    """Read a matrix written by :func:`write_matrix`, columns matched by label name.

    Returns float32 of shape (n_rows, n_labels); fills ``out`` in place when given.
    """
    if not Path(path).exists():
        raise StoreError(f"{path} is missing; the stage that writes it has not run (or the store is damaged)")
    table = pq.read_table(path, columns=list(labels))
    if out is None:
        out = np.empty((table.num_rows, len(labels)), dtype=np.float32)
    # Label-major stack (contiguous copies) then one transposing copy: about 2x
    # faster than writing each column into the strided output.
    out[:] = np.stack([column.to_numpy() for column in table.columns]).T
    return out
