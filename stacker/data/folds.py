"""The one persisted fold assignment: multi-label stratified, seeded, in folds.csv."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from stacker.exceptions import WorkspaceError

log = logging.getLogger(__name__)


def make_folds(y: np.ndarray, *, k: int, seed: int) -> np.ndarray:
    """Fold index in ``[0, k)`` for each row of ``y`` (n_samples, n_labels).

    Uses iterative stratification (Sechidis et al. 2011, the
    ``iterative-stratification`` package) so that every fold sees each label,
    rare ones included, at about its overall prevalence.
    """
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    n = len(y)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2 or k > n:
        raise WorkspaceError(f"--k must be an integer between 2 and the number of train rows ({n}); got {k!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise WorkspaceError(f"--seed must be an integer in 0..2**32-1; got {seed!r}")
    folds = np.full(n, -1, dtype=np.int64)
    splitter = MultilabelStratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    for fold, (_, held_out) in enumerate(splitter.split(np.zeros((n, 1)), y)):
        folds[held_out] = fold
    return folds


def write_folds(path: Path, ids: np.ndarray, folds: np.ndarray, *, id_column: str) -> None:
    """Write ``<id_column>,fold`` atomically (a temp file renamed into place)."""
    tmp = path.with_name(path.name + ".tmp")
    pd.DataFrame({id_column: ids, "fold": folds}).to_csv(tmp, index=False)
    tmp.replace(path)


def read_csv_file(path: Path, id_column: str, **options) -> pd.DataFrame:
    """``pd.read_csv`` with the id column as text; WorkspaceError (one line) when the file is empty or not CSV."""
    try:
        return pd.read_csv(path, dtype={id_column: str}, **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        reason = " ".join(str(e).split())
        raise WorkspaceError(f"{path}: cannot be read as CSV ({reason})") from e


def read_folds(path: Path, ids: np.ndarray, *, id_column: str) -> np.ndarray:
    """Fold of each id in ``ids`` order, checked: every train id once, folds 0..K-1 all used."""
    if not path.exists():
        raise WorkspaceError(f"no fold file at {path}; run 'stacker folds --k 5' first")
    frame = read_csv_file(path, id_column)
    if list(frame.columns[:2]) != [id_column, "fold"]:
        raise WorkspaceError(
            f"{path}: expected columns '{id_column},fold', found {','.join(map(str, frame.columns))}"
        )
    if frame[id_column].duplicated().any():
        dup = frame[id_column][frame[id_column].duplicated()]
        raise WorkspaceError(f"{path}: {len(dup)} duplicated ids (first: {dup.iloc[0]!r})")
    lookup = pd.Series(frame["fold"].to_numpy(), index=frame[id_column])
    missing = pd.Index(ids).difference(lookup.index)
    extra = lookup.index.difference(pd.Index(ids))
    if len(missing) or len(extra):
        raise WorkspaceError(
            f"{path}: ids do not match train: {len(missing)} missing (first: {list(missing[:3])}), "
            f"{len(extra)} not in train (first: {list(extra[:3])}); regenerate with 'stacker folds'"
        )
    folds = lookup.loc[ids].to_numpy()
    if not np.issubdtype(folds.dtype, np.integer):
        raise WorkspaceError(f"{path}: the fold column must hold integers 0..K-1")
    k = int(folds.max()) + 1
    used = np.unique(folds)
    if folds.min() < 0 or len(used) != k:
        raise WorkspaceError(f"{path}: folds must be numbered 0..K-1 with none empty; found {used.tolist()}")
    return folds.astype(np.int64)


def assign_folds(workspace, config, *, force: bool = False) -> np.ndarray:
    """Make and persist the workspace's folds (``config``: FoldsConfig); return them.

    An existing folds file with a different assignment is kept unless
    ``force``: runs trained on the old folds would no longer be out-of-fold
    (with ``force``, a warning says how many stored models were made on them).
    """
    folds = make_folds(workspace.y, k=config.k, seed=config.seed)
    path = workspace.folds_path
    old = None
    if path.exists():
        try:
            old = read_folds(path, workspace.train_ids, id_column=workspace.config.id_column)
        except WorkspaceError:
            pass
    changed = path.exists() and (old is None or not np.array_equal(old, folds))
    if changed and not force:
        raise WorkspaceError(
            f"{path} already exists with a different assignment; runs trained on it would stop being "
            f"out-of-fold. Pass --force to overwrite it (then retrain or re-export every run)"
        )
    write_folds(path, workspace.train_ids, folds, id_column=workspace.config.id_column)
    stored = workspace.store().names() if changed else []
    if stored:
        log.warning("the store holds %d models made on the old folds: a row's OOF there was predicted by a model "
                    "trained on rows of its new fold, so stages fitted on the new folds would see those labels. "
                    "Retrain or re-export them on the new folds and collect with --replace (or start a new store)",
                    len(stored))
    return folds
