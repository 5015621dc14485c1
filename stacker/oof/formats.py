"""Table formats of a run folder, one registry keyed by file suffix (docs/run-format.md).

Two kinds of table:

- *labelled* (``.parquet``, ``.csv``): a DataFrame with the workspace id column
  and one column per label, rows and columns matched by name;
- *positional* (``.npy``, ``.npz``, ``.h5``): a bare float array of shape
  (n_rows, n_labels), rows in train.csv / sample-submission order and columns
  in the workspace label order (or the order stated in run.json ``"labels"``).

``.npz`` and ``.h5`` files hold the table as the array (dataset) named after
the table, ``oof`` or ``test``, or as their only array. Readers raise
``ValueError`` / ``OSError`` / ``KeyError`` for unreadable files; the run-folder
reader turns those into one ``RunFormatError`` naming the run and the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class TableFormat:
    """One table format: its suffix, whether rows are matched by id, and its reader.

    ``read(path, stem, id_column)`` returns a DataFrame (labelled) or an
    ndarray of shape (n_rows, n_columns) (positional).
    """

    suffix: str
    labelled: bool
    read: Callable[[Path, str, str], "pd.DataFrame | np.ndarray"]


FORMATS: dict[str, TableFormat] = {}


def register_format(suffix: str, *, labelled: bool):
    """Decorator: register ``read`` as the reader of ``<stem><suffix>`` tables."""

    def decorator(read):
        if suffix in FORMATS:
            raise ValueError(f"table format {suffix!r} is already registered")
        FORMATS[suffix] = TableFormat(suffix, labelled, read)
        return read

    return decorator


def suffixes() -> tuple[str, ...]:
    """Every registered suffix, in registration order (``.parquet`` first)."""
    return tuple(FORMATS)


def table_format(path: Path) -> TableFormat:
    """The registered format of ``path`` (by suffix); KeyError if none."""
    return FORMATS[Path(path).suffix]


@register_format(".parquet", labelled=True)
def _read_parquet(path: Path, stem: str, id_column: str) -> pd.DataFrame:
    return pd.read_parquet(path)


@register_format(".csv", labelled=True)
def _read_csv(path: Path, stem: str, id_column: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype={id_column: str}, keep_default_na=False, na_values=["", "nan", "NaN"])


@register_format(".npy", labelled=False)
def _read_npy(path: Path, stem: str, id_column: str) -> np.ndarray:
    return np.load(path, allow_pickle=False)


@register_format(".npz", labelled=False)
def _read_npz(path: Path, stem: str, id_column: str) -> np.ndarray:
    with np.load(path, allow_pickle=False) as archive:
        return _one_array(archive.files, stem, path, lambda key: archive[key])


@register_format(".h5", labelled=False)
def _read_h5(path: Path, stem: str, id_column: str) -> np.ndarray:
    import h5py

    with h5py.File(path, "r") as f:
        keys = [key for key in f.keys() if isinstance(f[key], h5py.Dataset)]
        return _one_array(keys, stem, path, lambda key: f[key][()])


def _one_array(keys: list[str], stem: str, path: Path, get) -> np.ndarray:
    if stem in keys:
        return np.asarray(get(stem))
    if len(keys) == 1:
        return np.asarray(get(keys[0]))
    raise KeyError(f"holds arrays {sorted(keys)[:5]}; expected one named {stem!r} (or a single array)")
