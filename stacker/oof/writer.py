"""``stacker.write_run``: write a valid run folder from any framework's arrays, in one call.

The values are checked with the same code (and messages) as ``oof-collect``
(:func:`stacker.oof.runfolder.check_values`) before anything is written; the
folder is written under a temporary name and renamed into place.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from stacker.exceptions import RunFormatError
from stacker.oof.runfolder import check_values
from stacker.oof.runjson import RUN_JSON, check_fields

WRITE_FORMATS = ("npy", "npz", "h5", "parquet", "csv")


def write_run(
    path: Path | str, *, oof: Any, test: Any, arch: str, seed: int | None = None, variant: str | None = None,
    labels: Sequence[str] | None = None, ids: tuple[Sequence, Sequence] | None = None, format: str = "npy",
    id_column: str = "id", overwrite: bool = False,
) -> Path:
    """Write the run folder ``path`` (``run.json`` + ``oof`` and ``test`` tables), atomically.

    Parameters
    ----------
    path : path
        The run folder to create, e.g. ``comp/runs/resnet50_s0``; its name is the run's name.
    oof : array-like of shape (n_train, n_labels)
        Out-of-fold probabilities in [0, 1] (numpy array, pandas DataFrame or
        torch tensor), rows in train.csv order.
    test : array-like of shape (n_test, n_labels)
        Test probabilities in [0, 1], rows in sample-submission order.
    arch : str
        Architecture name (runs of one arch are bagged together).
    seed : int, optional
        Training seed.
    variant : str, optional
        Image variant (``"original"``, ``"jpeg"``, ...).
    labels : sequence of str, length n_labels, optional
        Column order. Taken from DataFrame columns when not given; for arrays
        without it, columns must be in the workspace label order. Stored in
        run.json as ``"labels"``.
    ids : (oof_ids, test_ids), optional
        Row ids, shapes (n_train,) and (n_test,), required by ``format="parquet"``
        and ``"csv"`` (tables with an id column named ``id_column``, the workspace's).
    format : {"npy", "npz", "h5", "parquet", "csv"}
        Table format (docs/run-format.md).
    id_column : str
        Name of the id column of parquet/csv tables.
    overwrite : bool
        Replace an existing folder at ``path``; otherwise one is refused.

    Returns
    -------
    Path
        The run folder.

    Raises
    ------
    RunFormatError
        Unknown format, wrong shapes, NaN, infinite or out-of-[0, 1] values
        (the ``oof-collect`` message), or an existing folder.
    """
    path = Path(path)
    name = path.name
    if format not in WRITE_FORMATS:
        raise RunFormatError(f"run {name!r}: unknown format {format!r}; choose one of {', '.join(WRITE_FORMATS)}")
    if not isinstance(arch, str) or not arch:
        raise RunFormatError(f"run {name!r}: arch must be a non-empty string, found {arch!r}")
    if seed is not None and not isinstance(seed, (int, np.integer)):
        raise RunFormatError(f"run {name!r}: seed must be an integer, found {seed!r}")
    labels = _labels(oof, labels)
    tables = {stem: _matrix(values, stem, name, format, labels) for stem, values in (("oof", oof), ("test", test))}
    if tables["oof"].shape[1] != tables["test"].shape[1]:
        raise RunFormatError(f"run {name!r}: oof has {tables['oof'].shape[1]} columns, test "
                             f"{tables['test'].shape[1]}; both need one per label")
    if format in ("parquet", "csv") and (ids is None or labels is None):
        raise RunFormatError(f"run {name!r}: format {format!r} needs ids=(oof_ids, test_ids) and labels; "
                             f"pass them or use format='npy'")
    if path.exists() and not overwrite:
        raise RunFormatError(f"run {name!r}: {path} already exists; pass overwrite=True or choose another name")
    meta = {"arch": arch} | ({"seed": int(seed)} if seed is not None else {}) | (
        {"variant": variant} if variant else {}) | ({"labels": list(labels)} if labels is not None else {})
    check_fields(meta, f"run {name!r}, {RUN_JSON}")  # the schema oof-collect applies
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=path.parent))
    try:
        (tmp / RUN_JSON).write_text(json.dumps(meta, indent=2) + "\n")
        for i, (stem, values) in enumerate(tables.items()):
            table = tmp / f"{stem}.{format}"
            if format in ("parquet", "csv"):
                _WRITERS[format](table, _frame(values, labels, ids[i], id_column, f"run {name!r}, {table.name}"))
            else:
                _WRITERS[format](table, stem, values)
        _publish(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _labels(oof: Any, labels: Sequence[str] | None) -> list[str] | None:
    if labels is not None:
        return [str(label) for label in labels]
    if isinstance(oof, pd.DataFrame):
        return [str(c) for c in oof.columns]
    return None


def _matrix(values: Any, stem: str, name: str, format: str, labels: list[str] | None) -> np.ndarray:
    where = f"run {name!r}, {stem}.{format}"
    if isinstance(values, pd.DataFrame):
        if labels is not None and list(map(str, values.columns)) != labels:
            missing = [label for label in labels if label not in set(map(str, values.columns))]
            if missing:
                raise RunFormatError(f"{where}: label columns missing: {missing[:5]} (columns are matched by name)")
            values = values.rename(columns=str)[labels]
        numeric = [c for c in values.columns if not pd.api.types.is_numeric_dtype(values[c])]
        if numeric:
            raise RunFormatError(f"{where}: column {str(numeric[0])!r} is not numeric; pass only the probability "
                                 f"columns, one per label (ids go in the ids= argument, not in the frame)")
        values = values.to_numpy(dtype=np.float64, na_value=np.nan)
    elif hasattr(values, "detach") and hasattr(values, "cpu"):  # a torch tensor, without importing torch
        values = values.detach().cpu().double().numpy()
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise RunFormatError(f"{where}: not a numeric array ({e})") from e
    if values.ndim != 2:
        raise RunFormatError(f"{where}: array has shape {values.shape}; expected 2-D (n_rows, n_labels)")
    if labels is not None and values.shape[1] != len(labels):
        raise RunFormatError(f"{where}: {values.shape[1]} columns but labels names {len(labels)}")
    return check_values(values, labels, where)


def _publish(tmp: Path, path: Path) -> None:
    """Rename ``tmp`` to ``path``; an existing ``path`` is moved aside first and removed after."""
    old = None
    if path.exists():
        old = path.with_name(f".{path.name}.old-{os.getpid()}")
        os.replace(path, old)
    os.replace(tmp, path)
    if old is not None:
        shutil.rmtree(old) if old.is_dir() else old.unlink()


def _write_npy(path: Path, stem: str, values: np.ndarray) -> None:
    np.save(path, values)


def _write_npz(path: Path, stem: str, values: np.ndarray) -> None:
    np.savez(path, **{stem: values})


def _write_h5(path: Path, stem: str, values: np.ndarray) -> None:
    import h5py

    with h5py.File(path, "w") as f:
        f.create_dataset(stem, data=values)


def _frame(values: np.ndarray, labels: list[str], ids: Sequence, id_column: str, where: str) -> pd.DataFrame:
    ids = np.asarray(ids, dtype=object).astype(str)
    if ids.shape != (len(values),):
        raise RunFormatError(f"{where}: {ids.shape} ids for {len(values)} rows; pass one id per row")
    frame = pd.DataFrame(values, columns=labels)
    frame.insert(0, id_column, ids)
    return frame


_WRITERS = {
    "npy": _write_npy, "npz": _write_npz, "h5": _write_h5,
    "parquet": lambda path, frame: frame.to_parquet(path, index=False),
    "csv": lambda path, frame: frame.to_csv(path, index=False),
}
