"""``submit``: decide a stage's predictions into a submission CSV and its provenance JSON.

The stage folder (``level1`` or ``level2/<learner>``) holds ``oof.parquet`` and
``test.parquet``. The decision rule (per-label thresholds, ``expected-f``, ...;
see :mod:`stacker.decide`) is fitted on the whole OOF matrix and decides the
test matrix; the same procedure run fold by fold (fitted on K-1 folds, scored
on the held-out one) gives the file's ``cv_f2``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from stacker.config import LEVEL1_DIR, SubmitConfig
from stacker.data import Workspace
from stacker.data.stages import (
    GROUP_SEPARATOR, read_stage_json, read_stage_outputs, recorded, recorded_optimism, stage_inputs, stage_layer,
    stale_inputs, upstream_stages,
)
from stacker.decide import list_rules
from stacker.decide.stage import evaluate_stage_rules
from stacker.exceptions import StoreError, SubmissionError
from stacker.level2.inputs import OOF_FILE, TEST_FILE, selection_models
from stacker.level2.stage import HONESTY
from stacker.publish import file_sha256, publishing_files
from stacker.submission.provenance import model_hashes, provenance, write_provenance
from stacker.submission.stages import Choice, choose_best, score_stages, stage_fold_sizes
from stacker.submission.write import format_submission, read_sample, write_submission
from stacker.thresholds.stage import oof_path

METHODS = ("greedy", "smooth")  # the rules fit-l2 writes a submission for
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


@dataclass(frozen=True)
class SubmissionResult:
    """A written submission: its files, decision rule (``method``), honest out-of-fold score and stage.

    ``thresholds``: (n_labels,) for a per-label threshold rule, None for a per-sample rule.
    ``choice``: the comparison behind ``--best`` (None otherwise).
    """

    csv: Path
    provenance: Path
    method: str
    cv_f2: float
    thresholds: np.ndarray | None
    source: str = "level1"
    choice: Choice | None = None


def default_name(source: str, method: str) -> str:
    """``level1`` -> ``l1-<method>``; ``level2/<learner>`` -> ``l2-<learner>-<method>``; ``blend`` ->
    ``blend-<method>``; others join their parts (``level3-logistic-<method>``, ``@`` becomes ``-``)."""
    parts = Path(source).parts
    if parts == ("level1",):
        return f"l1-{method}"
    if len(parts) == 2 and parts[0] == "level2":
        return f"l2-{parts[1]}-{method}".replace(GROUP_SEPARATOR, "-")
    return ("-".join(parts) + f"-{method}").replace(GROUP_SEPARATOR, "-")


def submit(workspace: Workspace, config: SubmitConfig = SubmitConfig()) -> SubmissionResult:
    """Write ``submissions/<name>.csv`` and ``<name>.json`` from ``config.source``.

    Everything is read and checked before anything is written; the CSV and
    the JSON are published together (:func:`stacker.publish.publishing_files`),
    the JSON recording the CSV's SHA-256 as ``csv_sha256``. With
    ``config.best`` the stage and rule are chosen by
    :func:`~stacker.submission.stages.choose_best`.
    """
    choice = None
    if config.best:
        choice = choose_best(score_stages(workspace), stage_fold_sizes(workspace))
        config = replace(config, source=choice.best.source, rule=choice.best.method)
    if config.rule not in list_rules():
        raise SubmissionError(f"unknown decision rule {config.rule!r}; choose one of: {', '.join(list_rules())}")
    oof, test = _read_stage(workspace, config.source)
    stale = stale_inputs(workspace, config.source)
    if stale:
        raise SubmissionError(f"{config.source} is out of date: {'; '.join(stale)}. Its predictions and the "
                              f"inputs a provenance would name differ: re-run those stages (from the lowest), "
                              f"or submit from a current one")
    default = "best" if config.best else default_name(config.source, config.rule)
    name = default if config.name is None else config.name  # "" is refused below, not replaced
    if not _NAME.match(name):
        raise SubmissionError(f"submission name {name!r} must be a plain file stem (letters, digits, . _ + -)")
    if choice is not None and choice.best.evaluation is not None:  # scored and fitted while choosing
        evaluation = choice.best.evaluation
    else:
        evaluation = evaluate_stage_rules(workspace, config.source, oof, (config.rule,))["rules"][config.rule]
    sample = read_sample(workspace.root / workspace.config.test, workspace.config.id_column)
    frame = format_submission(sample, evaluation["rule"].predict(test), workspace.labels,
                              id_column=workspace.config.id_column, tags_column=workspace.config.tags_column)
    csv = workspace.submissions_dir / f"{name}.csv"
    json_path = csv.with_suffix(".json")
    document = _provenance(workspace, config, name, csv, evaluation)
    document["choice"] = None if choice is None else choice.to_dict()
    document["stages"] = stage_chain(workspace.root, config.source)
    with publishing_files([csv, json_path]) as staged:  # the CSV and its provenance appear together
        write_submission(staged[csv], frame)
        document["csv_sha256"] = file_sha256(staged[csv])
        write_provenance(staged[json_path], document)
    return SubmissionResult(csv, json_path, config.rule, document["cv_f2"], evaluation["thresholds"],
                            config.source, choice)


def _provenance(workspace: Workspace, config: SubmitConfig, name: str, csv: Path, evaluation: dict) -> dict:
    from stacker.level1 import load_selection

    level1 = level1_sources(workspace.root, config.source)
    selections, models = {}, {}
    for source in level1:
        group = Path(source).name if source != LEVEL1_DIR else None
        selections[source] = load_selection(workspace, group)
        used = sorted({m for chosen in selection_models(selections[source], workspace.labels).values() for m in chosen})
        prefix = "" if group is None else f"{group}/"
        models.update({prefix + m: h for m, h in model_hashes(workspace, used, group).items()})
    # One level 1 (the usual case): its selection document; several (grouped): {level-1 folder: document}.
    selection = selections[level1[0]] if len(level1) == 1 else {"groups": selections}
    return provenance(
        name=name, csv=csv, source=config.source, rule=config.rule, metric=workspace.metric.name,
        evaluation=evaluation, labels=workspace.labels, selection=selection,
        models=models, learner=_learner(workspace, config.source),
        stage_scores=_stage_scores(workspace, config.source), honesty=stage_honesty(workspace, config.source),
    )


LEVEL1_HONESTY = {
    True: "base-model OOF is out-of-fold; each fold's level-1 selection was made without that fold (nested); "
          "thresholds are fitted on K-1 folds of the predictions made without the held-out fold and scored on it",
    False: "base-model OOF is out-of-fold, but the level-1 selection used all OOF labels ('stacker select "
           "--no-nested'), so its score is optimistic: rerun 'stacker select'",
}


def stage_honesty(workspace: Workspace, source: str) -> str:
    """How honest ``source``'s CV score is, as its stage recorded it (``config.json`` ``honesty``; a level 1:
    from whether its selection was nested); the level-2 statement for a stage that recorded none."""
    folder = workspace.root / source
    honesty, nested = recorded(folder, "honesty"), recorded(folder, "oof_out_of_fold")
    if isinstance(honesty, str) and honesty:
        return honesty
    return LEVEL1_HONESTY[nested] if isinstance(nested, bool) else HONESTY


def level1_sources(root: Path, source: str) -> list[str]:
    """The level-1 folders upstream of stage ``source`` (``["level1"]``, or its groups), nearest first.

    A stage whose inputs are unrecorded falls back to ``level1``.
    """
    return [s for s in upstream_stages(root, source) if Path(s).parts[0] == LEVEL1_DIR] or [LEVEL1_DIR]


def stage_chain(root: Path, source: str) -> dict:
    """``{stage: {"layer", "inputs", "optimism"}}`` for ``source`` and every stage upstream of it (provenance)."""
    return {s: {"layer": stage_layer(root, s), "inputs": stage_inputs(root, s),
                "optimism": recorded_optimism(root, s)} for s in upstream_stages(root, source)}


def _read_stage(workspace: Workspace, source: str) -> tuple[np.ndarray, np.ndarray]:
    folder = oof_path(workspace, source).parent  # refuses anything but level1, level2/<learner> or blend
    for file in (OOF_FILE, TEST_FILE):
        if not (folder / file).exists():
            hint = {"level1": "stacker select", "level2": "stacker fit-l2 --learner ...", "blend": "stacker blend"}
            raise SubmissionError(f"no {file} in {folder}; expected --from a stage folder (level1, "
                                  f"level2/<learner>, level3/<name>, blend); run "
                                  f"'{hint.get(Path(source).parts[0], 'stacker stack --from ...')}' first")
    return read_stage_outputs(workspace, source)


def _learner(workspace: Workspace, source: str) -> dict | None:
    """Level-2 learner, params and features from ``<source>/config.json``; None for level 1.

    For a blend: its inputs and, per label, the inputs' weights (``blend.json``).
    """
    path = workspace.root / source / "config.json"
    if not path.exists():
        return None
    fix = f"re-run the stage that wrote {source}"
    saved = read_stage_json(path, fix)
    try:
        if "learner" not in saved["config"]:
            blend = path.parent / "blend.json"
            weights = read_stage_json(blend, fix)["per_label"]
            return {"name": "blend", "inputs": saved["inputs"], "config": saved["config"],
                    "weights": {label: entry["weights"] for label, entry in weights.items()}}
        return {"name": saved["config"]["learner"], "params": saved["params"],
                "features": saved["config"]["features"], "seed": saved["config"]["seed"],
                "inputs": saved.get("inputs")}
    except (KeyError, TypeError, AttributeError) as e:
        raise StoreError(f"{path} (or its blend.json) lacks the fields its stage writes ({type(e).__name__}: {e}); "
                         f"{fix}") from e


def _stage_scores(workspace: Workspace, source: str) -> dict | None:
    """``{pipeline: {method: out-of-fold score}}`` from ``<source>/scores.json``; None when absent."""
    path = workspace.root / source / "scores.json"
    if not path.exists():
        return None
    try:
        pipelines = read_stage_json(path, f"re-run the stage that wrote {source}")["pipelines"]
        return {name: {method: float(result["out_of_fold"]) for method, result in methods.items()}
                for name, methods in pipelines.items()}
    except (KeyError, TypeError, AttributeError, ValueError) as e:
        raise StoreError(f"{path} lacks the scores its stage writes ({type(e).__name__}: {e}); re-run the stage "
                         f"that wrote {source}") from e
