"""The ``select`` stage: OOF store in, bags + per-label selection + level-1 matrices out.

A thin runner around the array-only pieces: load the runs, bag them
(:mod:`~stacker.level1.bagging`), select per label (labels, and with
``--nested`` labels x outer folds, through :mod:`stacker.parallel`; locally
in threads, numpy releases the GIL), optionally repeat selection nested in the
workspace folds; then rebuild the level-1 store to exactly the current
candidates and write ``oof.parquet``, ``test.parquet`` and, last,
``selection.json`` (:mod:`~stacker.level1.outputs`).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from stacker import progress
from stacker.config import SelectConfig
from stacker.exceptions import StoreError, ValidationError
from stacker.level1.additions import subset_mean
from stacker.level1.bagging import Bag, bag_matrices, check_bag_mode, label_scores, plan_bags
from stacker.level1.nested import fold_selection, summarise
from stacker.level1.objectives import Objective, create_objective
from stacker.level1.outputs import OOF_FILE, SELECTION_FILE, TEST_FILE
from stacker.level1.selector import SELECTORS, create_selector
from stacker.oof.matrix import write_matrix

if TYPE_CHECKING:
    from stacker.data import Workspace
    from stacker.oof.store import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SelectionReport:
    """What ``run_selection`` wrote: the selection document, the candidates and the file paths."""

    selection: dict
    candidates: list[str]
    paths: dict[str, Path]


def run_selection(workspace: Workspace, config: SelectConfig = SelectConfig()) -> SelectionReport:
    """Bag the stored runs, select per label, write the level-1 files; see the module docstring."""
    objective = check_select_config(config, workspace.metric.beta)
    store = workspace.store()
    entries = store.entries()
    if not entries:
        raise StoreError(f"the OOF store {store.root} holds no models; run 'stacker oof-collect RUNS' first")
    names = [e.name for e in entries]
    with progress.status(f"loading {len(names)} models"):
        oof, test = store.load(names)
    scores = None
    if config.bag_top is not None:
        scores = dict(zip(names, label_scores(oof, workspace.y, objective).mean(axis=1)))
    bags = plan_bags(entries, config.bag, scores=scores, top=config.bag_top)
    cand_oof, cand_test = bag_matrices(oof, test, names, bags)
    del oof, test
    folds = workspace.folds if config.nested else None
    results = select_labels(cand_oof, workspace.y, objective, config, folds)
    # Files change only once selection has succeeded; selection.json is written last.
    sync_level1_store(workspace.level1_store(), bags, cand_oof, cand_test, {e.name: e.content_hash for e in entries})
    bag_names = [b.name for b in bags]
    per_label = {label: selector for label, (selector, _) in zip(workspace.labels, results)}
    nested = None
    if config.nested:
        nested = {label: summarise(folds_, bag_names) for label, (_, folds_) in zip(workspace.labels, results)}
    return _write_outputs(workspace, config, bags, cand_oof, cand_test, per_label, nested)


def check_select_config(config: SelectConfig, beta: float) -> Objective:
    """Validate ``config`` (unknown names list the valid ones) and return its objective."""
    SELECTORS.get(config.method)
    check_bag_mode(config.bag)
    for name in ("per_label", "beam", "restarts"):
        _check_at_least_one(getattr(config, name), name.replace("_", "-"))
    for name in ("bag_top", "jobs"):
        if getattr(config, name) is not None:
            _check_at_least_one(getattr(config, name), name.replace("_", "-"))
    return create_objective(config.objective, beta=beta)


def _check_at_least_one(value, option: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValidationError(f"--{option} must be an integer >= 1; found {value!r}")


def sync_level1_store(
    store: Store, bags: Sequence[Bag], oof: np.ndarray, test: np.ndarray, hashes: dict[str, str]
) -> dict[str, list[str]]:
    """Make the level-1 store hold exactly ``bags``: delete stale ones, add new ones, replace changed ones.

    Returns the bag names by outcome (``added``, ``replaced``, ``unchanged``, ``deleted``).
    """
    wanted = {b.name for b in bags}
    outcome: dict[str, list[str]] = {"deleted": sorted(set(store.names()) - wanted)}
    if outcome["deleted"]:
        store.delete(outcome["deleted"])
    for b, bag in enumerate(bags):
        meta = {"members": list(bag.members), "member_hashes": {m: hashes[m] for m in bag.members}}
        result = store.add(bag.name, oof[b], test[b], arch=bag.arch, variant=bag.variant, kind="bag",
                           meta=meta, replace=True)
        outcome.setdefault(result, []).append(bag.name)
    logger.info("level-1 store %s: %s", store.root, ", ".join(f"{len(v)} {k}" for k, v in outcome.items() if v))
    return outcome


def select_labels(cand_oof: np.ndarray, y: np.ndarray, objective: Objective, config: SelectConfig,
                  folds: np.ndarray | None = None) -> list[tuple]:
    """Fit one selector per label (and nested selections when ``folds`` is given), through the execution seam.

    Tasks are (label) and, with ``folds``, (label, outer fold); locally they run in threads.

    Parameters
    ----------
    cand_oof : ndarray of shape (n_candidates, n_samples, n_labels), float32
    y : ndarray of shape (n_samples, n_labels), 0/1
    objective : Objective
    config : SelectConfig
        ``method`` and its parameters; ``jobs`` threads (None: one per core).
    folds : ndarray of shape (n_samples,), optional
        Outer folds for nested selection.

    Returns
    -------
    list, one ``(fitted selector, list of FoldSelection or None)`` per label, in label order
    """

    from stacker.parallel import Shared, map_tasks

    n_labels = cand_oof.shape[2]
    shared = Shared(cand_oof)  # one copy per worker; each task takes its label's slice
    outer = [None] if folds is None else [None, *(int(k) for k in np.unique(folds))]
    tasks = [(shared, y[:, j], j, folds, k, config, objective) for j in range(n_labels) for k in outer]
    results = iter(map_tasks(_select_one, tasks, jobs=config.jobs, prefer="threads",
                             description="selecting per label"))
    fitted = [[next(results) for _ in outer] for _ in range(n_labels)]
    return [(row[0], None if folds is None else row[1:]) for row in fitted]


def _select_one(cand_oof: np.ndarray, y: np.ndarray, j: int, folds: np.ndarray | None, k: int | None,
                config: SelectConfig, objective: Objective):
    """Label ``j``'s selector on every row (``k`` None), or its nested selection without outer fold ``k``."""
    P = np.ascontiguousarray(cand_oof[:, :, j])
    if k is None:
        return make_selector(config, objective).fit(P, y)
    return fold_selection(P, y, folds, k, make_selector(config, objective), objective)


def make_selector(config: SelectConfig, objective: Objective):
    """An unfitted selector of ``config.method`` with ``config``'s parameters."""
    return create_selector(config.method, objective, config)


def _write_outputs(workspace, config, bags, cand_oof, cand_test, per_label, nested) -> SelectionReport:
    labels, y = workspace.labels, workspace.y
    names = [b.name for b in bags]
    fbeta = create_objective("fbeta", beta=workspace.metric.beta)  # thresholds for every objective
    level1_oof = np.empty(cand_oof.shape[1:], dtype=np.float32)
    level1_test = np.empty(cand_test.shape[1:], dtype=np.float32)
    table = {}
    for j, label in enumerate(labels):
        selector = per_label[label]
        level1_oof[:, j] = subset_mean(cand_oof[:, :, j], selector.selected_)
        level1_test[:, j] = subset_mean(cand_test[:, :, j], selector.selected_)
        table[label] = {
            "models": [names[m] for m in selector.selected_], "score": selector.score_,
            "trace": selector.trace_, "threshold": fbeta.threshold(y[:, j], level1_oof[:, j]),
        }
    selection = {"config": {**asdict(config), "metric": workspace.metric.name}, "per_label": table}
    if nested is not None:
        selection["nested"] = _nested_document(nested, workspace.n_folds)
    root = workspace.level1_dir
    paths = {"selection": root / SELECTION_FILE, "oof": root / OOF_FILE, "test": root / TEST_FILE, "store": root}
    write_matrix(paths["oof"], level1_oof, labels)
    write_matrix(paths["test"], level1_test, labels)
    _write_json(paths["selection"], selection)
    return SelectionReport(selection=selection, candidates=names, paths=paths)


def _nested_document(per_label: dict, n_folds: int) -> dict:
    return {
        "folds": n_folds,
        "per_label": per_label,
        "mean": {key: float(np.mean([s[key] for s in per_label.values()])) for key in ("in_sample", "held_out")},
    }


def _write_json(path: Path, document: dict) -> None:
    """Write ``document`` atomically (temp file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n")
    os.replace(tmp, path)
