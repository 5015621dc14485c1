"""Read and validate one run folder (docs/run-format.md) into workspace-ordered arrays.

A run folder holds ``run.json`` (``arch`` required) and either ``oof`` and
``test`` tables at its top level or one ``fold<k>/`` folder per fold. Tables
are CSV or Parquet (the workspace id column plus one column per label,
matched by name) or bare arrays in ``.npy`` / ``.npz`` / ``.h5`` (rows in
workspace order, columns in run.json ``"labels"`` order or the workspace's);
readers by suffix live in :mod:`stacker.oof.formats`. Every problem raises RunFormatError naming the run, the
file and, where there is one, the first offending id and label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from stacker.data.workspace import Workspace
from stacker.exceptions import RunFormatError
from stacker.oof.formats import suffixes, table_format
from stacker.oof.runjson import RUN_JSON, read_run_json

SUFFIXES = suffixes()
_FOLD_DIR = re.compile(r"^fold(\d+)$")


@dataclass(frozen=True)
class RunData:
    """A validated run: metadata and matrices in workspace row and label order."""

    name: str
    meta: dict
    oof: np.ndarray   # (n_train, n_labels) float32
    test: np.ndarray  # (n_test, n_labels) float32

    @property
    def arch(self) -> str:
        return str(self.meta["arch"])


def read_run(run_dir: Path, workspace: Workspace) -> RunData:
    """Validate ``run_dir`` against ``workspace`` and return its arrays."""
    run_dir = Path(run_dir)
    meta = read_run_json(run_dir)
    fold_dirs = _fold_dirs(run_dir)
    top_level = _find_table(run_dir, "oof", run_dir.name, required=False)
    if fold_dirs and top_level:
        raise RunFormatError(
            f"run {run_dir.name!r}: has both {top_level.name} and fold folders; keep one layout"
        )
    columns = meta.get("labels")  # the column order of positional tables (checked by the schema)
    if fold_dirs:
        oof, test = _read_folds(run_dir, fold_dirs, workspace, columns)
    else:
        oof = _read_table(_find_table(run_dir, "oof", run_dir.name), run_dir.name, workspace, workspace.train_ids,
                          "train", columns)
        test = _read_table(_find_table(run_dir, "test", run_dir.name), run_dir.name, workspace, workspace.test_ids,
                           "test", columns)
    return RunData(name=run_dir.name, meta=meta, oof=oof, test=test)


def _fold_dirs(run_dir: Path) -> dict[int, Path]:
    found = {}
    for child in run_dir.iterdir():
        match = _FOLD_DIR.match(child.name)
        if match and child.is_dir():
            found[int(match[1])] = child
    return dict(sorted(found.items()))


def _find_table(folder: Path, stem: str, run: str, required: bool = True) -> Path | None:
    where = f"run {run!r}" + ("" if folder.name == run else f", {folder.name}")
    paths = [folder / f"{stem}{suffix}" for suffix in SUFFIXES if (folder / f"{stem}{suffix}").exists()]
    if len(paths) > 1:
        raise RunFormatError(f"{where}: both {paths[0].name} and {paths[1].name}; keep one")
    if not paths and required:
        raise RunFormatError(f"{where}: no {' or '.join(stem + suffix for suffix in SUFFIXES)}")
    return paths[0] if paths else None


def _read_folds(run_dir: Path, fold_dirs: dict[int, Path], workspace: Workspace,
                columns: list[str] | None) -> tuple[np.ndarray, np.ndarray]:
    folds = workspace.folds
    expected = list(range(workspace.n_folds))
    if list(fold_dirs) != expected:
        raise RunFormatError(
            f"run {run_dir.name!r}: fold folders {sorted(fold_dirs)} do not match folds.csv's folds {expected}; "
            f"train the missing folds or remove extra ones"
        )
    oof = np.empty((len(workspace.train_ids), len(workspace.labels)), dtype=np.float32)
    test = np.zeros((len(workspace.test_ids), len(workspace.labels)), dtype=np.float64)
    for k, folder in fold_dirs.items():
        held_out = folds == k
        oof[held_out] = _read_table(
            _find_table(folder, "oof", run_dir.name), run_dir.name, workspace, workspace.train_ids[held_out], f"fold {k} held-out",
            columns,
        )
        test += _read_table(_find_table(folder, "test", run_dir.name), run_dir.name, workspace, workspace.test_ids,
                            "test", columns)
    return oof, (test / len(fold_dirs)).astype(np.float32)


def _read_table(path: Path, run: str, workspace: Workspace, ids: np.ndarray, role: str,
                columns: list[str] | None = None) -> np.ndarray:
    """The label columns of ``path`` reordered to ``ids``, shape (len(ids), n_labels)."""
    where = f"run {run!r}, {path.relative_to(path.parents[1]) if path.parent.name.startswith('fold') else path.name}"
    fmt = table_format(path)
    id_column, labels = workspace.config.id_column, workspace.labels
    try:
        loaded = fmt.read(path, path.stem, id_column)
    except Exception as e:  # pyarrow, pandas, numpy and h5py raise many types for corrupt files
        raise RunFormatError(f"{where}: cannot be read ({type(e).__name__}: {e})") from e
    if not fmt.labelled:
        return _positional_values(loaded, ids, labels, columns, where, role)
    frame = _labelled_frame(loaded, where, id_column)
    _check_columns(list(frame.columns), labels, where, ignore=id_column)
    frame = _align_ids(frame, ids, id_column, where, role)
    return _checked_values(frame, labels, where, id_column)


def _labelled_frame(frame: pd.DataFrame, where: str, id_column: str) -> pd.DataFrame:
    if id_column not in frame.columns:
        raise RunFormatError(f"{where}: no id column {id_column!r}; found columns {list(frame.columns)[:6]}")
    frame[id_column] = frame[id_column].astype(str)
    return frame


def _check_columns(found: list[str], labels: list[str], where: str, ignore: str | None = None) -> None:
    missing_labels = [label for label in labels if label not in found]
    unknown = [c for c in found if c not in labels and c != ignore]
    if missing_labels:
        extra = f"; columns {unknown[:5]} are not workspace labels (renamed?)" if unknown else ""
        raise RunFormatError(f"{where}: label columns missing: {missing_labels[:5]} (columns are matched by "
                             f"name){extra}")
    if unknown:
        raise RunFormatError(f"{where}: columns {unknown[:5]} are not workspace labels; drop or rename them")


def _positional_values(values, ids: np.ndarray, labels: list[str], columns: list[str] | None,
                       where: str, role: str) -> np.ndarray:
    """A bare array (rows in ``ids`` order) checked and reordered to the workspace labels."""
    values = np.asarray(values)
    if values.ndim != 2:
        raise RunFormatError(f"{where}: array has shape {values.shape}; expected 2-D (n_rows, n_labels)")
    if columns is None:
        if values.shape[1] != len(labels):
            raise RunFormatError(
                f"{where}: {values.shape[1]} columns but the workspace has {len(labels)} labels and {RUN_JSON} "
                f"states no 'labels'; add \"labels\": [...] (the column order) to {RUN_JSON}"
            )
        columns = labels
    elif values.shape[1] != len(columns):
        raise RunFormatError(f"{where}: {values.shape[1]} columns but {RUN_JSON} 'labels' names {len(columns)}")
    _check_columns(columns, labels, where)
    if values.shape[0] != len(ids):
        raise RunFormatError(f"{where}: {values.shape[0]} rows, expected {len(ids)} (the {role} ids, in workspace "
                             f"order: train.csv for oof, the sample submission for test)")
    if not np.issubdtype(values.dtype, np.number) or np.issubdtype(values.dtype, np.complexfloating):
        raise RunFormatError(f"{where}: array has dtype {values.dtype}; expected floating-point probabilities")
    order = [columns.index(label) for label in labels]
    return check_values(values[:, order], labels, where, lambda i: f"row {i} (id {ids[i]!r})")


def _align_ids(frame: pd.DataFrame, ids: np.ndarray, id_column: str, where: str, role: str) -> pd.DataFrame:
    found = frame[id_column]
    duplicated = found[found.duplicated()]
    if len(duplicated):
        raise RunFormatError(f"{where}: {len(duplicated)} duplicated ids (first: {_first(duplicated)})")
    expected = pd.Index(ids)
    missing = expected.difference(pd.Index(found), sort=False)
    extra = pd.Index(found).difference(expected, sort=False)
    if len(missing) or len(extra):
        raise RunFormatError(
            f"{where}: ids do not match the {role} ids: {len(missing)} missing (first: {_first(missing)}), "
            f"{len(extra)} unexpected (first: {_first(extra)})"
        )
    return frame.set_index(id_column).loc[expected]


def _checked_values(frame: pd.DataFrame, labels: list[str], where: str, id_column: str) -> np.ndarray:
    for label in labels:
        if not pd.api.types.is_numeric_dtype(frame[label]):
            bad = pd.to_numeric(frame[label], errors="coerce").isna() & frame[label].notna()
            first = frame.index[bad.to_numpy()][0] if bad.any() else frame.index[0]
            raise RunFormatError(f"{where}: label {label!r} has non-numeric values (first at id {first!r})")
    values = frame[labels].to_numpy(dtype=np.float64, na_value=np.nan)
    return check_values(values, labels, where, lambda i: f"id {frame.index[i]!r}")


def check_values(values: np.ndarray, labels: Sequence[str] | None, where: str,
                 row: Callable[[int], str] = lambda i: f"row {i}") -> np.ndarray:
    """Refuse NaN, infinite and out-of-[0, 1] probabilities; return them as float32.

    Parameters
    ----------
    values : array-like of shape (n_rows, n_labels)
        Probabilities (unitless, in [0, 1]), columns in ``labels`` order.
    labels : sequence of str, length n_labels, or None
        Column names for the message; None names columns by position.
    where : str
        Start of the message, e.g. ``"run 'r50_s0', oof.npy"``.
    row : callable
        ``row(i) -> str`` naming row ``i`` in the message (``"id 'img_7'"``).

    Returns
    -------
    ndarray of shape (n_rows, n_labels), float32

    Raises
    ------
    RunFormatError
        Naming the count, the first offending row and label, and the fix.
    """
    values = np.asarray(values, dtype=np.float64)
    problems = (("NaN", np.isnan(values)), ("infinite", np.isinf(values)),
                ("out-of-range (not in [0, 1])", (values < 0) | (values > 1)))
    for what, bad in problems:
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise RunFormatError(
                f"{where}: {int(bad.sum())} {what} values (first at {row(int(i))}, "
                f"{f'label {labels[j]!r}' if labels is not None else f'column {j}'}); "
                f"re-export the run with probabilities in [0, 1] or move it out of the runs folder"
            )
    return values.astype(np.float32)


def _first(items, n: int = 3) -> str:
    return ", ".join(repr(x) for x in list(items)[:n]) or "-"
