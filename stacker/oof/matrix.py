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
    _write_atomically(path, pa.table({label: values[:, j] for j, label in enumerate(labels)}))


def _write_atomically(path: Path, table: pa.Table) -> None:
    """Write ``table`` as uncompressed Parquet to a temp file beside ``path``, fsync it, rename it into place."""
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
    try:
        table = pq.read_table(path, columns=list(labels))
    except (pa.ArrowException, OSError, KeyError) as e:
        raise damaged_matrix(path, labels, e) from e
    return fill_matrix(path, table, out)


def fill_matrix(path, table: pa.Table, out: np.ndarray | None) -> np.ndarray:
    """``table``'s label columns as float32 (n_rows, n_labels), into ``out`` when given (StoreError when it
    has another row count)."""
    if out is None:
        out = np.empty((table.num_rows, table.num_columns), dtype=np.float32)
    if out.shape[0] != table.num_rows:
        raise StoreError(f"{path} has {table.num_rows} rows, expected {out.shape[0]}; the store is damaged "
                         f"(re-collect the runs with --replace) or the stage must be re-run")
    # Label-major stack (contiguous copies) then one transposing copy: about 2x
    # faster than writing each column into the strided output.
    out[:] = np.stack([column.to_numpy() for column in table.columns]).T
    return out


def damaged_matrix(path, labels: Sequence[str], error: Exception) -> StoreError:
    """The one-line StoreError for a matrix file that cannot be read as label columns."""
    reason = " ".join(str(error).split())
    return StoreError(f"{path} is not a readable matrix with one column per label ({len(labels)} labels: "
                      f"{reason}); the store is damaged (re-collect the runs with --replace) or the stage that "
                      f"wrote it must be re-run")


# The column of a nested-views file naming the outer fold each block of rows was made without.
HELD_OUT_COLUMN = "held_out_fold"


def write_views(path: Path, views: np.ndarray, labels: Sequence[str]) -> None:
    """Write per-fold views (n_folds, n_rows, n_labels) as one float32 Parquet, blocks in fold order, atomically.

    Block ``k`` (rows ``k * n_rows`` to ``(k + 1) * n_rows``) is the stage's
    prediction of every train row made without fold ``k``'s labels; the
    ``held_out_fold`` column says which fold each row's block left out.
    """
    views = np.asarray(views, dtype=np.float32)
    if views.ndim != 3 or views.shape[2] != len(labels):
        raise StoreError(f"views for {path.name} have shape {views.shape}, expected (n_folds, n_rows, {len(labels)})")
    n_folds, n_rows, _ = views.shape
    columns = {HELD_OUT_COLUMN: np.repeat(np.arange(n_folds, dtype=np.int32), n_rows)}
    columns.update({label: views[:, :, j].reshape(-1) for j, label in enumerate(labels)})
    _write_atomically(path, pa.table(columns))


def read_views(path: Path, labels: Sequence[str], n_folds: int, n_rows: int) -> np.ndarray:
    """Read :func:`write_views`' file: float32 (n_folds, n_rows, n_labels); StoreError when it does not fit."""
    try:
        table = pq.read_table(path, columns=[HELD_OUT_COLUMN, *labels])
    except (pa.ArrowException, OSError, KeyError) as e:
        raise StoreError(f"{path} is not a readable nested-views file with one column per workspace label ({e}); "
                         f"re-run the stage that wrote it") from e
    held_out = table.column(HELD_OUT_COLUMN).to_numpy()
    expected = np.repeat(np.arange(n_folds), n_rows)
    if len(held_out) != len(expected) or not np.array_equal(held_out, expected):
        raise StoreError(f"{path} does not hold {n_folds} blocks of {n_rows} rows (one per workspace fold); "
                         f"the folds changed since its stage ran: re-run it")
    values = np.stack([table.column(label).to_numpy() for label in labels], axis=-1)
    return values.reshape(n_folds, n_rows, len(labels)).astype(np.float32, copy=False)
