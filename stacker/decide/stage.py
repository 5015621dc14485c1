"""Decision rules of a stored stage: read ``<stage>/oof.parquet``, compare the rules, write ``<stage>/decide.json``.

The I/O side of :mod:`stacker.decide`; the comparison itself is
:func:`~stacker.decide.evaluate_rules` on the workspace labels, folds and metric.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np

from stacker.publish import write_json
from stacker.config import DecideConfig, ThresholdConfig
from stacker.decide.evaluate import evaluate_rules
from stacker.thresholds.stage import oof_path, read_stage_oof

DECIDE_FILE = "decide.json"
HONESTY = ("each rule is fitted on K-1 folds of the stage's predictions made without the held-out fold's labels "
           "(its nested views; its OOF where it has none) and decides the held-out fold; out_of_fold scores the "
           "pooled held-out decisions; diff_vs_best is the mean over folds of the paired per-fold difference to the "
           "best rule, diff_se its standard error")


def decide_stage(workspace, source: str, config: DecideConfig = DecideConfig()) -> dict:
    """Compare ``config.rules`` on ``source``'s OOF predictions; write ``<source>/decide.json`` and return its document.

    Parameters
    ----------
    workspace : stacker.data.Workspace
    source : str
        ``level1`` or ``level2/<learner>`` (relative to the workspace).
    config : DecideConfig

    Returns
    -------
    dict
        ``source``, ``metric``, ``labels``, ``config``,
        ``n_folds``, ``best``, ``rules`` (per rule: scores, fold standard error,
        paired difference to the best and its standard error, ``thresholds`` per
        label or ``None``), ``not_applicable`` and ``honesty``; JSON types only.
    """
    result = evaluate_stage_rules(workspace, source, read_stage_oof(workspace, source), tuple(config.rules),
                                  config.params)
    document = {"source": source, "metric": workspace.metric.name, "labels": list(workspace.labels),
                "config": asdict(config), **jsonable(result, workspace.labels), "honesty": HONESTY}
    write_json(decisions_path(workspace, source), document)
    return document


def evaluate_stage_rules(workspace, source: str, oof: np.ndarray, rules: tuple[str, ...],
                         params: dict | None = None) -> dict:
    """:func:`evaluate_rules` of ``source`` (its OOF matrix ``oof``) on the workspace labels, folds and metric.

    Where the stage wrote nested views (``nested.parquet``) the rule deciding
    fold ``k`` is fitted on its view ``k``, so no fold's labels choose its own
    decisions; a stage without views falls back to its OOF.
    """
    from stacker.data.stages import stage_views

    metric = workspace.metric
    return evaluate_rules(workspace.y, oof, np.asarray(workspace.folds, dtype=np.int64), metric.beta, metric.average,
                          rules=rules, params=params, zero_division=ThresholdConfig().zero_division,
                          views=stage_views(workspace, source, oof))


def decisions_path(workspace, source: str) -> Path:
    """``<workspace>/<source>/decide.json`` for a valid ``source`` (level1 or level2/<learner>)."""
    return oof_path(workspace, source).parent / DECIDE_FILE


def rule_rows(document: dict) -> list[list]:
    """The table of a decide document: ``[rule, out_of_fold, fold_se, diff_vs_best, diff_se]`` per rule, best first."""
    rules = document["rules"]
    order = sorted(rules, key=lambda r: -rules[r]["out_of_fold"])  # stable: ties keep the requested order
    return [[r, rules[r]["out_of_fold"], rules[r]["fold_se"], rules[r]["diff_vs_best"], rules[r]["diff_se"]]
            for r in order]


def jsonable(result: dict, labels) -> dict:
    """:func:`evaluate_rules`'s result with thresholds keyed by label and no fitted rule objects."""
    rules = {}
    for name, r in result["rules"].items():
        thresholds = None if r["thresholds"] is None else dict(zip(labels, map(float, r["thresholds"])))
        folds = None if r["fold_thresholds"] is None else r["fold_thresholds"].tolist()
        rules[name] = {**{k: v for k, v in r.items() if k != "rule"}, "thresholds": thresholds,
                       "fold_thresholds": folds, "fold_scores": [float(s) for s in r["fold_scores"]]}
    return {**result, "rules": rules}
