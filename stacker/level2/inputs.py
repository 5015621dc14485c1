"""Read what level 1 wrote into :class:`~stacker.level2.features.Level1Outputs` (the only file reading here).

Files: ``level1/selection.json`` (the selection on every row and, when nested,
the selection made without each outer fold), through ``stacker.level1``'s
reader, and the level-1 store (every candidate's OOF and test matrices).
"""

from __future__ import annotations

import numpy as np

from stacker.data import Workspace
from stacker.exceptions import ValidationError
from stacker.level2.features import Level1Outputs

from stacker.config import STAGE_OOF_FILE as OOF_FILE, STAGE_TEST_FILE as TEST_FILE  # noqa: F401 (re-exported)


def load_level1(workspace: Workspace, group: str | None = None) -> Level1Outputs:
    """Level-1 selections (on every row and per outer fold) and every candidate in the level-1 store.

    ``group``: one group of a grouped level 1 (``level1/<group>/``).
    """
    from stacker.level1 import load_selection

    document = load_selection(workspace, group)
    selection = selection_models(document, workspace.labels)
    per_fold = fold_selection_models(document, workspace.labels, np.unique(workspace.folds))
    store = workspace.level1_store(group)
    candidates = store.names()
    named = [selection] + list((per_fold or {}).values())
    missing = sorted({m for chosen in named for models in chosen.values() for m in models} - set(candidates))
    if missing:
        raise ValidationError(
            f"level1/selection.json names models that are not in the level-1 store {store.root}: {missing[:5]}; "
            f"rerun 'stacker select'"
        )
    candidate_oof, candidate_test = store.load(candidates)
    return Level1Outputs(
        labels=list(workspace.labels), selection=selection, candidates=candidates, candidate_oof=candidate_oof,
        candidate_test=candidate_test, fold_selection=per_fold,
    )


def selection_models(selection: dict, labels: list[str]) -> dict[str, list[str]]:
    """``{label: [model, ...]}`` from a level-1 selection document, every workspace label present."""
    per_label = selection.get("per_label", {})
    absent = [label for label in labels if label not in per_label]
    if absent:
        raise ValidationError(
            f"level1/selection.json has no entry for labels {absent[:5]}; rerun 'stacker select' for this workspace"
        )
    return {label: list(per_label[label].get("models", [])) for label in labels}


def fold_selection_models(selection: dict, labels: list[str], folds) -> dict[int, dict[str, list[str]]] | None:
    """``{fold: {label: [model, ...]}}`` chosen without each fold (the ``nested`` section); None when absent.

    A nested section made on other folds than ``folds`` (the workspace's) is refused: rerun ``stacker select``.
    """
    nested = selection.get("nested")
    if not nested:
        return None
    per_fold: dict[int, dict[str, list[str]]] = {int(k): {} for k in folds}
    for label in labels:
        for entry in nested.get("per_label", {}).get(label, {}).get("folds", []):
            fold = int(entry["fold"])
            if fold not in per_fold:
                break
            per_fold[fold][label] = list(entry["models"])
    incomplete = [k for k, chosen in per_fold.items() if set(chosen) != set(labels)]
    if incomplete:
        raise ValidationError(
            f"level1/selection.json's nested selection does not cover folds {incomplete} for every label; the folds "
            f"changed since 'stacker select' ran: rerun 'stacker select'"
        )
    return per_fold
