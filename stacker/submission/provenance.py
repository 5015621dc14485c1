"""The provenance JSON beside every submission CSV (``<name>.json``): how the file was made.

Keys: ``name``, ``csv``, ``created`` (UTC), ``source`` (stage folder),
``rule`` (the decision rule, see :mod:`stacker.decide`) and ``rule_params``,
``metric``, ``cv_f2`` (the honest out-of-fold F-beta of exactly this file's
pipeline: the rule fitted on K-1 folds, scored on the held-out fold, all folds
pooled; named ``cv_f2`` whatever the beta, with ``metric`` saying which),
``cv`` (in-sample and per-fold scores, and the folds' standard error),
``thresholds`` (per label, fitted on all rows, applied to the test set; ``null``
for a per-sample rule such as ``expected-f``), ``models`` (level-1
candidates used, each with its content hash and its members' OOF-store hashes),
``selection`` (the level-1 selection; after ``select --group``, ``{"groups": {level-1 folder:
selection}}`` for every group upstream of the source), ``learner`` (level 2: name, params,
features; ``null`` for the level-1 average), ``stage_scores`` (level 2: the
out-of-fold scores of the best single model, the level-1 average and level 2
under both threshold methods, from ``scores.json``; ``null`` otherwise),
``choice`` (``submit --best``: every candidate stage and rule with its
out-of-fold score, fold scores and standard error, the runner-up, the paired
margin and its standard error, whether it is beyond the noise, and the nested
score and optimism of choosing; ``null`` otherwise), ``stages`` (the source and every stage
upstream of it: its layer, its inputs and the optimism of its own choices, i.e. its CV
score with the selection / weights / fits made on every row minus its honest one),
``honesty``, ``versions``,
and ``csv_sha256`` (the CSV's SHA-256, added by
:func:`~stacker.submission.submit.submit` as it publishes the pair).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np

from stacker.data import Workspace

PACKAGES = ("numpy", "pandas", "scikit-learn", "lightgbm", "xgboost", "torch", "stacker")


def package_versions() -> dict[str, str | None]:
    """Installed version of each package in ``PACKAGES`` (``None`` if absent)."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def model_hashes(workspace: Workspace, names: list[str], group: str | None = None) -> dict[str, dict]:
    """``{candidate: {"content_hash", "members", "member_hashes"}}`` from the level-1 store catalog
    (of ``level1/<group>/`` for one group of a grouped selection)."""
    store = workspace.level1_store(group)
    hashes = {}
    for name in sorted(set(names)):
        entry = store.entry(name)
        hashes[name] = {
            "content_hash": entry.content_hash,
            "members": entry.meta.get("members", []),
            "member_hashes": entry.meta.get("member_hashes", {}),
        }
    return hashes


def provenance(*, name: str, csv: Path, source: str, rule: str, metric: str, evaluation: dict,
               labels: list[str], selection: dict, models: dict, learner: dict | None, stage_scores: dict | None,
               honesty: str) -> dict:
    """The provenance document; ``evaluation`` is one rule's :func:`~stacker.decide.evaluate_rules` result."""
    thresholds = evaluation["thresholds"]
    return {
        "name": name,
        "csv": csv.name,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": source,
        "rule": rule,
        "rule_params": evaluation["params"],
        "metric": metric,
        "cv_f2": float(evaluation["out_of_fold"]),
        "cv": {
            "out_of_fold": float(evaluation["out_of_fold"]),
            "in_sample": float(evaluation["in_sample"]),
            "fold_scores": [float(s) for s in evaluation["fold_scores"]],
            "fold_se": float(evaluation["fold_se"]),
        },
        "thresholds": None if thresholds is None else {label: float(t) for label, t in zip(labels, thresholds)},
        "models": models,
        "selection": selection,
        "learner": learner,
        "stage_scores": stage_scores,
        "honesty": honesty,
        "versions": package_versions(),
    }


def write_provenance(path: Path, document: dict) -> Path:
    """Write ``document`` as indented JSON, atomically; return ``path``."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(document, indent=2, default=_plain))
    os.replace(tmp, path)
    return path


def _plain(value):
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    return str(value)
