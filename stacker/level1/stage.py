"""The ``select`` stage: OOF store in, bags + per-label selection + level-1 matrices out.

A thin runner around the array-only pieces: load the runs, bag them
(:mod:`~stacker.level1.bagging`), select per label and, nested (the
default), again inside each outer workspace fold (one task per label and per
label x outer fold, through :mod:`stacker.parallel`; locally in threads, numpy
releases the GIL); then write a new ``level1/`` aside (a level-1 store of exactly
the current candidates, ``oof.parquet``, ``test.parquet``, ``selection.json``;
:mod:`~stacker.level1.outputs`) and publish it over the previous one in one
atomic rename (:mod:`stacker.publish`).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from stacker import progress
from stacker.config import STAGE_NESTED_FILE, SelectConfig
from stacker.data.stages import check_folder_name
from stacker.exceptions import StoreError, ValidationError
from stacker.level1.additions import subset_mean
from stacker.level1.bagging import Bag, bag_matrices, check_bag_mode, label_scores, plan_bags
from stacker.level1.nested import fold_selection, summarise
from stacker.level1.objectives import Objective, create_objective
from stacker.level1.outputs import OOF_FILE, SCORES_FILE, SELECTION_FILE, TEST_FILE
from stacker.level1.selector import SELECTORS, create_selector
from stacker.level2.summary import layer_optimism, score_matrix
from stacker.oof.matrix import write_matrix, write_views
from stacker.oof.store import DATA_DIR
from stacker.publish import carry_over, publishing, write_json

if TYPE_CHECKING:
    from stacker.data import Workspace
    from stacker.oof.store import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SelectionReport:
    """What a selection wrote: the selection document, the candidates, the file paths and the group (if any)."""

    selection: dict
    candidates: list[str]
    paths: dict[str, Path]
    group: str | None = None


def run_selection(workspace: Workspace, config: SelectConfig = SelectConfig()) -> SelectionReport:
    """Bag the stored runs, select per label, write the level-1 files; see the module docstring.

    With ``config.group`` set, use :func:`run_grouped_selection` (one selection per group).
    """
    if config.group is not None:
        raise ValidationError(f"SelectConfig.group is {config.group!r}: call run_grouped_selection, which "
                              f"writes one level-1 selection per group")
    return _run(workspace, config)[0]


def run_grouped_selection(workspace: Workspace, config: SelectConfig) -> list[SelectionReport]:
    """One selection per value of the run key ``config.group``, written to ``level1/<value>/``.

    Each group is selected exactly as ``run_selection`` would select a store
    holding only that group's runs. Every group folder is replaced (those of an
    earlier grouping too) and an ungrouped selection in ``level1/`` is kept, all
    in one rename.
    """
    if config.group is None:
        raise ValidationError("run_grouped_selection needs SelectConfig.group (e.g. 'variant' or 'arch')")
    return _run(workspace, config)


def _run(workspace: Workspace, config: SelectConfig) -> list[SelectionReport]:
    objective = check_select_config(config, workspace.metric.beta)
    store = workspace.store()
    entries = store.entries()
    if not entries:
        raise StoreError(f"the OOF store {store.root} holds no models; run 'stacker oof-collect RUNS' first")
    groups = group_entries(entries, config.group)
    previous = {group: workspace.level1_store(group) for group in groups}  # read before staging replaces them
    # level1/ is written aside once every selection has succeeded and replaces the previous one in one rename.
    # A grouped selection replaces every group and keeps the ungrouped one; an ungrouped one keeps the groups.
    with publishing(workspace.level1_dir) as staging:
        carry_over(workspace.level1_dir, staging, _kept(workspace, grouped=config.group is not None))
        return [_select_group(workspace, store, members, config, objective, group,
                              staging if group is None else staging / group, previous[group])
                for group, members in groups.items()]


def _kept(workspace: Workspace, grouped: bool) -> list[str]:
    """What of ``level1/`` a selection keeps: the ungrouped files when it is grouped, else the group folders."""
    if not workspace.level1_dir.is_dir():
        return []
    groups = set(workspace.level1_groups())
    return sorted(p.name for p in workspace.level1_dir.iterdir()
                  if not p.name.startswith(".") and (p.name not in groups) == grouped)


def group_entries(entries: Sequence, key: str | None) -> dict[str | None, list]:
    """``{None: entries}`` without ``key``; else the entries by their run's value of ``key``, sorted by value.

    ``key`` is a run.json key (``variant``, ``arch``, ``seed`` or any other);
    runs without it, or values that cannot be folder names, are refused with one line.
    """
    if key is None:
        return {None: list(entries)}
    groups: dict[str, list] = {}
    missing = []
    for entry in entries:
        value = entry.meta.get(key, getattr(entry, key, None))
        if value is None or isinstance(value, (dict, list)):
            missing.append(entry.name)
            continue
        groups.setdefault(str(value), []).append(entry)
    if missing:
        raise ValidationError(f"--group {key}: runs {missing[:5]} ({len(missing)} in all) have no {key!r} value in "
                              f"their run.json; give every run one, or group by another key (variant, arch, ...)")
    for value in groups:
        check_folder_name(value, f"--group {key}: the value")
        if value == DATA_DIR:  # the level-1 store's own folder
            raise ValidationError(f"--group {key}: the value {value!r} is the name of the level-1 store's folder; "
                                  f"rename it in the runs' run.json")
    return dict(sorted(groups.items()))


def _select_group(workspace, store, entries, config, objective, group, target, previous) -> SelectionReport:
    """Bag and select ``entries``; write the level-1 files into ``target`` (level1/ or level1/<group>/)."""
    names = [e.name for e in entries]
    what = f"{len(names)} models" + (f" of {config.group} {group}" if group is not None else "")
    with progress.status(f"loading {what}"):
        oof, test = store.load(names)
    scores = None
    if config.bag_top is not None:
        scores = dict(zip(names, label_scores(oof, workspace.y, objective).mean(axis=1)))
    bags = plan_bags(entries, config.bag, scores=scores, top=config.bag_top)
    cand_oof, cand_test = bag_matrices(oof, test, names, bags)
    del oof, test
    folds = workspace.folds if config.nested else None
    results = select_labels(cand_oof, workspace.y, objective, config, folds)
    per_label = {label: selector for label, (selector, _) in zip(workspace.labels, results)}
    fold_subsets = {label: fold_results for label, (_, fold_results) in zip(workspace.labels, results)}
    level1_store = previous.copy_to(target)  # unchanged bags are not written again
    sync_level1_store(level1_store, bags, cand_oof, cand_test, {e.name: e.content_hash for e in entries})
    return _write_outputs(workspace, target, config, bags, cand_oof, cand_test, per_label,
                          fold_subsets if config.nested else None, group)


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
    logger.info("level-1 store: %s", ", ".join(f"{len(v)} {k}" for k, v in outcome.items() if v))  # root: staging
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


def _write_outputs(workspace, staging, config, bags, cand_oof, cand_test, per_label, fold_subsets,
                   group=None) -> SelectionReport:
    """Level-1 matrices and selection.json, written into ``staging`` (published as ``level1/``).

    Test rows average each label's selection on every row. Train rows, when
    ``fold_subsets`` is given (nested, the default), average the selection made
    without their own fold, so ``oof.parquet`` is out of fold for the selection
    too and its CV score is honest; otherwise the selection on every row.
    """
    labels, y, folds = workspace.labels, workspace.y, workspace.folds
    names = [b.name for b in bags]
    fbeta = create_objective("fbeta", beta=workspace.metric.beta)  # thresholds for every objective
    level1_oof = np.empty(cand_oof.shape[1:], dtype=np.float32)
    level1_test = np.empty(cand_test.shape[1:], dtype=np.float32)
    table = {}
    in_sample = np.empty_like(level1_oof)
    views = np.empty((workspace.n_folds, *level1_oof.shape), dtype=np.float32) if fold_subsets is not None else None
    for j, label in enumerate(labels):
        selector = per_label[label]
        level1_oof[:, j] = in_sample[:, j] = subset_mean(cand_oof[:, :, j], selector.selected_)
        level1_test[:, j] = subset_mean(cand_test[:, :, j], selector.selected_)
        table[label] = {
            "models": [names[m] for m in selector.selected_], "score": selector.score_,
            "trace": selector.trace_, "threshold": fbeta.threshold(y[:, j], level1_oof[:, j]),
        }
        for fold in (fold_subsets or {}).get(label, []):
            views[fold.fold, :, j] = subset_mean(cand_oof[:, :, j], fold.models)
            rows = folds == fold.fold
            level1_oof[rows, j] = views[fold.fold, rows, j]
    selection = {"config": {**asdict(config), "metric": workspace.metric.name}, "per_label": table,
                 "oof_out_of_fold": fold_subsets is not None, "views": views is not None}
    if fold_subsets is not None:
        nested = {label: summarise(fold_subsets[label], names) for label in labels}
        selection["nested"] = _nested_document(nested, workspace.n_folds)
    root = workspace.level1_dir if group is None else workspace.level1_dir / group
    paths = {"selection": root / SELECTION_FILE, "oof": root / OOF_FILE, "test": root / TEST_FILE, "store": root}
    write_matrix(staging / OOF_FILE, level1_oof, labels)
    write_matrix(staging / TEST_FILE, level1_test, labels)
    if views is not None:  # each fold's view, for a stack or blend fed by level 1
        write_views(staging / STAGE_NESTED_FILE, views, labels)
    write_json(staging / SELECTION_FILE, selection)
    honest = score_matrix(y, level1_oof, folds, workspace.metric, views)
    if fold_subsets is not None:
        optimism = layer_optimism(y, in_sample, honest, folds, workspace.metric, "selection")
    else:  # not nested: the OOF itself is the in-sample one, and its honest score is unknown
        optimism = {"what": "selection (not nested)", "in_sample": honest["greedy"]["out_of_fold"],
                    "held_out": None, "optimism": None}
    write_json(staging / SCORES_FILE, {"metric": workspace.metric.name, "labels": labels,
                                        "pipelines": {"level-1": honest}, "optimism": optimism,
                                        "oof_out_of_fold": fold_subsets is not None})
    return SelectionReport(selection=selection, candidates=names, paths=paths, group=group)


def _nested_document(per_label: dict, n_folds: int) -> dict:
    return {
        "folds": n_folds,
        "per_label": per_label,
        "mean": {key: float(np.mean([s[key] for s in per_label.values()])) for key in ("in_sample", "held_out")},
    }
