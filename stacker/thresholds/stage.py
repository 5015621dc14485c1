"""Thresholds of a stored stage: load ``<workspace>/<source>/oof.parquet``, run ``evaluate_thresholds``.

The I/O side of this package (it reads the workspace); the math stays in the
other modules, which import nothing from the workspace.
"""

from __future__ import annotations

import re
from dataclasses import asdict

import numpy as np

from stacker.config import BLEND_DIR, STAGE_OOF_FILE as OOF_FILE, ThresholdConfig
from stacker.exceptions import StoreError, ValidationError
from stacker.thresholds.evaluate import evaluate_thresholds

# level1, level1/<group>, level2/<learner>[@<group>], level<N>/<name>, blend
_SOURCE = re.compile(rf"^(level[1-9][0-9]*(/[A-Za-z0-9_.@+-]+)?|{re.escape(BLEND_DIR)})$")


def evaluate_stage(workspace, source: str, config: ThresholdConfig = ThresholdConfig()) -> dict:
    """Greedy vs smooth thresholds of a stage's OOF predictions on the workspace folds and metric.

    Where the stage wrote nested views, fold ``k``'s thresholds are fitted on its view ``k``.

    Parameters
    ----------
    workspace : stacker.data.Workspace
    source : str
        ``level1`` or ``level2/<learner>``: the folder (relative to the
        workspace) holding ``oof.parquet``, rows in workspace train order.
    config : ThresholdConfig
        ``bandwidth``, ``max_sweeps`` and ``zero_division`` (``method`` is not
        used: both methods are evaluated).

    Returns
    -------
    dict
        :func:`~stacker.thresholds.evaluate_thresholds`'s result plus
        ``source``, ``path``, ``labels`` and ``config``.
    """
    from stacker.data.stages import stage_views

    path = oof_path(workspace, source)
    proba = read_stage_oof(workspace, source)
    metric = workspace.metric
    result = evaluate_thresholds(
        workspace.y, proba, np.asarray(workspace.folds, dtype=np.int64), metric.beta, metric.average,
        bandwidth=config.bandwidth, max_sweeps=config.max_sweeps, zero_division=config.zero_division,
        views=stage_views(workspace, source, proba),
    )
    return {"source": source, "path": str(path), "labels": list(workspace.labels), "config": asdict(config), **result}


def read_stage_oof(workspace, source: str) -> np.ndarray:
    """OOF probabilities of ``source`` (level1 or level2/<learner>): float64 (n_train, n_labels), workspace order."""
    path = oof_path(workspace, source)
    proba = _read(path, workspace.labels)
    if len(proba) != len(workspace.train_ids):
        raise ValidationError(
            f"{path} has {len(proba)} rows but the workspace has {len(workspace.train_ids)} train ids; "
            f"re-run the stage that wrote it for this workspace"
        )
    return proba


def oof_path(workspace, source: str):
    """``<workspace>/<source>/oof.parquet`` for a valid ``source`` (a stage folder: level1[/<group>],
    level2/<learner>[@<group>], level<N>/<name>, blend)."""
    if not _SOURCE.match(source):
        raise ValidationError(f"--from must be a stage folder: 'level1', 'level2/<learner>' (e.g. level2/lightgbm), "
                              f"'level3/<name>' or 'blend'; found {source!r}")
    return workspace.root / source / OOF_FILE


def _read(path, labels) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not path.exists():
        raise StoreError(f"{path} is missing; run the stage that writes it first ('stacker select' or 'stacker fit-l2')")
    try:
        frame = pq.read_table(path).to_pandas()
    except (pa.ArrowException, OSError) as e:
        raise StoreError(f"{path} is not a readable Parquet file ({e}); re-run the stage that writes it") from e
    missing = [label for label in labels if label not in frame.columns]
    if missing:
        raise StoreError(f"{path} lacks label columns {missing}; expected one column per workspace label {list(labels)}")
    return frame[list(labels)].to_numpy(dtype=np.float64)
