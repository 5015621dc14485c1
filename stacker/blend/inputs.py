"""What a blend reads: stage folders named by ``--from`` (globs allowed), their OOF and test matrices.

A stage folder holds ``oof.parquet`` (train rows) and ``test.parquet`` (test
rows), one float32 column per workspace label
(:mod:`stacker.oof.matrix`). Everything is checked before anything is blended,
and a bad ``--from`` fails with one line that says what exists.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Sequence

import numpy as np

from stacker.config import BLEND_DIR, LEVEL1_DIR, LEVEL2_DIR, STAGE_OOF_FILE, STAGE_TEST_FILE
from stacker.exceptions import StoreError, ValidationError


def resolve_sources(workspace, patterns: Sequence[str]) -> list[str]:
    """Stage folders named by ``patterns`` (exact names or globs such as ``level2/*``), in order, once each.

    Empty ``patterns``: every stage folder except the blend itself.
    Raises ValidationError for a pattern naming the blend, StoreError for one that matches no stage.
    """
    available = [s for s in stage_folders(workspace.root) if not _is_blend(s)]
    if not patterns:
        if not available:
            raise StoreError(f"no stage folder in {workspace.root} to blend; run 'stacker select' and "
                             f"'stacker fit-l2' first")
        return available
    chosen: list[str] = []
    for pattern in patterns:
        pattern = pattern.strip().strip("/")
        if not pattern:
            raise ValidationError("--from has an empty entry; give stage folders separated by commas, "
                                  "e.g. --from level2/logistic,level1")
        if _is_blend(pattern):
            raise ValidationError(f"--from {pattern!r}: a blend cannot blend itself; name the stages it should "
                                  f"combine (level1, level2/<learner>)")
        matches = [s for s in available if fnmatch.fnmatchcase(s, pattern)]
        if not matches:
            raise StoreError(f"--from {pattern!r} matches no stage folder with {STAGE_OOF_FILE} and "
                             f"{STAGE_TEST_FILE}; stages in this workspace: {', '.join(available) or 'none'}")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def stage_folders(root: Path | str) -> list[str]:
    """Stage folders under ``root`` with both prediction files: ``level1``, ``level2/<learner>`` by name, ``blend``.

    Returns paths relative to ``root`` (``"level2/lightgbm"``); hidden folders (a publish in progress) are skipped.
    """
    root = Path(root)
    level2 = sorted(p for p in (root / LEVEL2_DIR).glob("*") if p.is_dir() and not p.name.startswith("."))
    folders = [root / LEVEL1_DIR, *level2, root / BLEND_DIR]
    return [f.relative_to(root).as_posix() for f in folders
            if (f / STAGE_OOF_FILE).exists() and (f / STAGE_TEST_FILE).exists()]


def read_inputs(workspace, sources: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """OOF and test matrices of every source, checked against the workspace.

    Returns
    -------
    oof : ndarray of shape (n_sources, n_train, n_labels), float32
    test : ndarray of shape (n_sources, n_test, n_labels), float32
    """
    n_rows = {STAGE_OOF_FILE: len(workspace.train_ids), STAGE_TEST_FILE: len(workspace.test_ids)}
    matrices = {name: np.empty((len(sources), rows, len(workspace.labels)), dtype=np.float32)
                for name, rows in n_rows.items()}
    for i, source in enumerate(sources):
        for name, rows in n_rows.items():
            matrices[name][i] = read_stage_matrix(Path(workspace.root) / source / name, workspace.labels, rows)
    return matrices[STAGE_OOF_FILE], matrices[STAGE_TEST_FILE]


def read_stage_matrix(path: Path, labels: Sequence[str], n_rows: int) -> np.ndarray:
    """One stage matrix, float32 (n_rows, n_labels); StoreError when it does not fit the workspace."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from stacker.oof.matrix import read_matrix

    fix = "re-run the stage that wrote it for this workspace, or leave it out of --from"
    try:
        columns = pq.read_schema(path).names
    except (pa.ArrowException, OSError) as e:
        raise StoreError(f"{path} is not a readable Parquet file ({e}); {fix}") from e
    missing = [label for label in labels if label not in columns]
    if missing:
        raise StoreError(f"{path} lacks label columns {missing}; expected one column per workspace label; {fix}")
    values = read_matrix(path, labels)
    if len(values) != n_rows:
        raise StoreError(f"{path} has {len(values)} rows but the workspace has {n_rows}; {fix}")
    if not (np.isfinite(values).all() and values.min(initial=0) >= 0 and values.max(initial=0) <= 1):
        raise StoreError(f"{path} holds values outside [0, 1] or NaN; a stage writes probabilities; {fix}")
    return values


def _is_blend(source: str) -> bool:
    return Path(source).parts[:1] == (BLEND_DIR,)
