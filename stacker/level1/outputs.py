"""The level-1 files and their readers (what level 2, ``submit`` and the report use).

Under ``<workspace>/level1/``:

- ``selection.json``: ``{"config": {...}, "per_label": {label: {"models", "score",
  "trace", "threshold"}}, "nested": {...}}`` (``nested`` only with ``--nested``);
- ``oof.parquet`` / ``test.parquet``: per label, the average of that label's
  selected candidates (columns = workspace labels, rows = workspace order);
- the level-1 store (``catalog.sqlite``, ``data/``): every candidate (bag).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np

from stacker.config import STAGE_OOF_FILE as OOF_FILE, STAGE_TEST_FILE as TEST_FILE
from stacker.exceptions import StoreError

if TYPE_CHECKING:
    from stacker.data import Workspace

SELECTION_FILE = "selection.json"


def load_selection(workspace: Workspace) -> dict:
    """The document of ``level1/selection.json``; a StoreError says to run ``stacker select`` when absent."""
    path = workspace.level1_dir / SELECTION_FILE
    if not path.exists():
        raise StoreError(f"no level-1 selection at {path}; run 'stacker select' first")
    try:
        selection = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise StoreError(f"{path} is not valid JSON ({e}); rerun 'stacker select' to rewrite it") from e
    if not isinstance(selection, dict) or not isinstance(selection.get("per_label"), dict):
        raise StoreError(f"{path} has no 'per_label' table; rerun 'stacker select' to rewrite it")
    return selection


def load_level1_matrices(workspace: Workspace) -> tuple[np.ndarray, np.ndarray]:
    """Per-label averages of the selection.

    Returns
    -------
    oof : ndarray of shape (n_train, n_labels), float32
    test : ndarray of shape (n_test, n_labels), float32
    """
    from stacker.oof.matrix import read_matrix

    load_selection(workspace)
    return (read_matrix(workspace.level1_dir / OOF_FILE, workspace.labels),
            read_matrix(workspace.level1_dir / TEST_FILE, workspace.labels))
