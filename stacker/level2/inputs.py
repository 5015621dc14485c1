"""Read what level 1 wrote into :class:`~stacker.level2.features.Level1Outputs` (the only file reading here).

Files: ``level1/selection.json`` and ``level1/oof.parquet`` / ``test.parquet``
(per-label averages of the selection), through ``stacker.level1``'s readers,
and the level-1 store (every candidate's OOF and test matrices).
"""

from __future__ import annotations

from stacker.data import Workspace
from stacker.exceptions import ValidationError
from stacker.level2.features import Level1Outputs

from stacker.config import STAGE_OOF_FILE as OOF_FILE, STAGE_TEST_FILE as TEST_FILE  # noqa: F401 (re-exported)


def load_level1(workspace: Workspace) -> Level1Outputs:
    """Level-1 selection, averages and every candidate in the level-1 store, in workspace order."""
    from stacker.level1 import load_level1_matrices, load_selection

    selection = selection_models(load_selection(workspace), workspace.labels)
    store = workspace.level1_store()
    candidates = store.names()
    missing = sorted({m for models in selection.values() for m in models} - set(candidates))
    if missing:
        raise ValidationError(
            f"level1/selection.json names models that are not in the level-1 store {store.root}: {missing[:5]}; "
            f"rerun 'stacker select'"
        )
    candidate_oof, candidate_test = store.load(candidates)
    average_oof, average_test = load_level1_matrices(workspace)
    return Level1Outputs(
        labels=list(workspace.labels), selection=selection, candidates=candidates, candidate_oof=candidate_oof,
        candidate_test=candidate_test, average_oof=average_oof, average_test=average_test,
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
