"""The level-1 files and their readers (what level 2, ``submit`` and the report use).

Under ``<workspace>/level1/``:

- ``selection.json``: ``{"config": {...}, "per_label": {label: {"models", "score",
  "trace", "threshold"}}, "nested": {...}}`` (``nested`` only with ``--nested``);
- ``oof.parquet`` / ``test.parquet``: per label, the average of that label's
  selected candidates (columns = workspace labels, rows = workspace order);
- ``scores.json``: the honest CV score of ``oof.parquet`` and, nested, the optimism of the
  selection (its score with the selection made on every row, minus the honest one);
- the level-1 store (``catalog.sqlite``, ``data/``): every candidate (bag).

After ``stacker select --group KEY`` the same files sit in ``level1/<value>/``, one
folder per value of the run key (``level1/original/``, ``level1/edges/``).
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
# Every stage's honest scores and the optimism of its own choices (stacker.level2.summary.layer_optimism).
SCORES_FILE = "scores.json"


def load_selection(workspace: Workspace, group: str | None = None) -> dict:
    """The document of ``level1/[<group>/]selection.json``; a StoreError says to run ``stacker select`` when absent."""
    path = level1_folder(workspace, group) / SELECTION_FILE
    if not path.exists():
        groups = workspace.level1_groups()
        hint = (f"; level 1 is grouped ({', '.join(groups)}): use --group" if group is None and groups
                else "; run 'stacker select' first" + (" with --group" if group is not None else ""))
        raise StoreError(f"no level-1 selection at {path}{hint}")
    try:
        selection = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise StoreError(f"{path} is not valid JSON ({e}); rerun 'stacker select' to rewrite it") from e
    if not isinstance(selection, dict) or not isinstance(selection.get("per_label"), dict):
        raise StoreError(f"{path} has no 'per_label' table; rerun 'stacker select' to rewrite it")
    return selection


def level1_folder(workspace: Workspace, group: str | None = None):
    """``level1/`` or, for one group of a grouped selection, ``level1/<group>/``."""
    return workspace.level1_dir if group is None else workspace.level1_dir / group


def load_level1_matrices(workspace: Workspace, group: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-label averages of the selection.

    Returns
    -------
    oof : ndarray of shape (n_train, n_labels), float32
    test : ndarray of shape (n_test, n_labels), float32
    """
    from stacker.data.stages import read_stage_outputs

    load_selection(workspace, group)
    return read_stage_outputs(workspace, level1_folder(workspace, group).relative_to(workspace.root).as_posix())
