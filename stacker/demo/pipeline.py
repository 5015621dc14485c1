"""``run_demo``: the whole stacker workflow on the digits-mosaic task, start to finish.

Steps (each one library call; nothing here re-implements a stage):

1. build the task (:func:`~stacker.demo.digits.build_digits_task`) and the folds;
2. level 0: tiny timm CNNs through :func:`stacker.level0.train_run` (two
   architectures, two seeds of one, two image variants) and scikit-learn /
   LightGBM models written as plain CSV run folders;
3. ``oof-collect``, ``select``, ``fit-l2`` for each learner (with its two
   submissions); the layered stack: ``select --group variant``, ``fit-l2
   --group variant`` (each image variant stacked apart) and ``stack`` (the two
   stacks combined one layer up); ``blend`` (a per-label Caruana blend of every
   stage), ``decide`` for each stage, ``submit --best`` (the stage and
   decision rule with the best honest CV score, with its margin and the
   optimism of choosing), ``report``;
4. the honest CV score of each stage, with its fold-to-fold standard error.

Progress goes to the ``stacker.demo`` logger (one record per step and per CNN fold).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from stacker import config as cfg
from stacker.config import (
    AugmentConfig,
    DemoConfig,
    FoldsConfig,
    L2Config,
    SelectConfig,
    TrainConfig,
)
from stacker.data.stages import stage_folders
from stacker.data.workspace import Workspace
from stacker.exceptions import StackerError, WorkspaceError

if TYPE_CHECKING:
    from stacker.submission.stages import Choice

log = logging.getLogger(__name__)

# The reduced size CI runs end to end (``stacker demo --small``).
SMALL = DemoConfig(n_train=1500, n_test=300, k=4, epochs=8)
# Learning rates that train each demo architecture from scratch on 32 x 32 mosaics with AdamW.
SINGLE = "best single model"
ARCH_LR = {"test_resnet": 3e-3, "test_byobnet": 3e-3, "test_efficientnet": 1e-2, "test_nfnet": 3e-3}
DEFAULT_LR = 3e-3


@dataclass(frozen=True)
class DemoResult:
    """What :func:`run_demo` produced.

    Attributes
    ----------
    root : Path
        The demo workspace.
    report : Path
        ``report/index.html``.
    submissions : list of Path
        The submission CSVs (each with a provenance ``.json`` beside it).
    metric : str
        The workspace metric (``f2-samples``).
    threshold_scores : dict of str to dict of str to float
        Honest out-of-fold score of each stage with ``greedy`` and with ``smooth``
        thresholds (fitted on K-1 folds, scored on the held-out one); stages:
        ``best single model`` (the best stored level-0 run), ``best model per
        label`` (each label's best level-1 candidate), ``level-1``,
        ``level-2 <learner>`` for each learner, the layered stack's folders
        (``level2/<learner>@<variant>`` per image variant and ``level3/logistic``
        combining them) and ``blend``.
    standard_errors : dict of str to float
        Fold-to-fold standard error of each stage's better score.
    best_model : str
        The stored run behind ``best single model``.
    choice : stacker.submission.stages.Choice
        What ``submit --best`` chose among the stage folders, and why.
    seconds : dict of str to float
        Wall time of each step.
    """

    root: Path
    report: Path
    submissions: list[Path]
    metric: str
    threshold_scores: dict[str, dict[str, float]]
    standard_errors: dict[str, float]
    best_model: str
    choice: Choice
    seconds: dict[str, float]

    @property
    def scores(self) -> dict[str, float]:
        """Each stage's score with its better threshold method (both are written as submissions)."""
        return {stage: max(by_method.values()) for stage, by_method in self.threshold_scores.items()}


def run_demo(root: Path | str, small: bool = False, config: DemoConfig | None = None) -> DemoResult:
    """Build the digits task in ``root`` (a new or empty folder) and run every stage on it.

    ``small`` uses :data:`SMALL` (the CI size); ``config`` overrides both sizes.
    """
    root = Path(root)
    config = config or (SMALL if small else DemoConfig())
    _check_empty(root)
    seconds: dict[str, float] = {}
    with _step("building the digits-mosaic task", seconds, "task"):
        from stacker.demo.digits import build_digits_task

        workspace = build_digits_task(root, n_train=config.n_train, n_test=config.n_test, seed=config.seed).workspace
    with _step(f"writing {config.k} stratified folds", seconds, "folds"):
        from stacker.data.folds import assign_folds

        assign_folds(workspace, FoldsConfig(k=config.k, seed=config.seed))
        workspace = Workspace.load(root)
    _level0(workspace, config, seconds)
    return _stack(workspace, config, seconds)


def _level0(workspace: Workspace, config: DemoConfig, seconds: dict[str, float]) -> None:
    """Train the CNN runs and the scikit-learn runs into ``runs/``."""
    from stacker.demo.sklearn_runs import train_sklearn_runs
    from stacker.level0 import resolve_config, train_run

    for i, (arch, variant, seed) in enumerate(config.cnn_runs, start=1):
        train = resolve_config(cnn_config(arch, variant, seed, config))
        label = f"CNN {i}/{len(config.cnn_runs)}: {arch} on {variant} images, seed {seed}"
        with _step(label, seconds, f"cnn {train.name}"):
            train_run(workspace, train, on_epoch_end=_fold_logger(train))
    for variant in config.sklearn_variants:
        with _step(f"scikit-learn runs on {variant} images: {', '.join(config.sklearn_models)}", seconds,
                   f"sklearn {variant}"):
            train_sklearn_runs(workspace, workspace.root / cfg.RUNS_DIR, models=config.sklearn_models,
                               variant=variant, seed=config.seed)


def _stack(workspace: Workspace, config: DemoConfig, seconds: dict[str, float]) -> DemoResult:
    """Collect, select, fit level 2 per learner (with submissions), compare decision rules, report, score each stage."""
    from stacker.blend import run_blend
    from stacker.decide.stage import decide_stage
    from stacker.level1 import run_selection
    from stacker.oof import collect_runs
    from stacker.report import build_report
    from stacker.submission import fit_l2_and_submit, submit

    with _step("oof-collect runs/", seconds, "collect"):
        collected = collect_runs(workspace, workspace.root / cfg.RUNS_DIR)
        if not collected.ok:
            raise StackerError(f"the demo's own runs were rejected: {collected.rejected}")
    with _step("select: per-label beam search over bagged models", seconds, "select"):
        run_selection(workspace, SelectConfig(seed=config.seed))
    submissions = []
    for learner in config.learners:
        with _step(f"fit-l2 --learner {learner} --features {config.l2_features} (nested CV), submissions", seconds, f"fit-l2 {learner}"):
            l2 = L2Config(learner=learner, features=config.l2_features, params=config.l2_params.get(learner, {}),
                          jobs=config.jobs, seed=config.seed)
            [outcome] = fit_l2_and_submit(workspace, l2)
            submissions += [s.csv for s in outcome.submissions]
    layered = _layered(workspace, config, seconds) if config.variant_learner else []
    with _step("blend: per-label Caruana blend of every stage (nested)", seconds, "blend"):
        blend = run_blend(workspace, cfg.BlendConfig())
    with _step("decide: decision rules of each stage, out of fold", seconds, "decide"):
        for source in stage_folders(workspace.root):
            decide_stage(workspace, source)
    with _step("submit --best: the stage and rule with the best honest CV score", seconds, "submit --best"):
        best = submit(workspace, cfg.SubmitConfig(best=True))
        submissions.append(best.csv)
    with _step("report", seconds, "report"):
        report = build_report(workspace)
    scores, errors, best_model = stage_scores(workspace, config.learners, blend.scores["blend"], layered)
    return DemoResult(root=workspace.root, report=report, submissions=submissions, metric=workspace.metric.name,
                      threshold_scores=scores, standard_errors=errors, best_model=best_model, choice=best.choice,
                      seconds=seconds)


def _layered(workspace: Workspace, config: DemoConfig, seconds: dict[str, float]) -> list[str]:
    """Stack each image variant apart, then combine the stacks one layer up; return the stage folders written."""
    from stacker.level1.stage import run_grouped_selection
    from stacker.level2.stage import fit_level2_groups
    from stacker.stack import run_stack

    learner = config.variant_learner
    with _step("select --group variant: one selection per image variant", seconds, "select --group"):
        run_grouped_selection(workspace, SelectConfig(seed=config.seed, group="variant"))
    with _step(f"fit-l2 --learner {learner} --group variant: level 2 on each variant apart", seconds,
               "fit-l2 --group"):
        per_variant = fit_level2_groups(workspace, L2Config(learner=learner, features=config.l2_features,
                                                            jobs=config.jobs, seed=config.seed, group="variant"))
    sources = tuple(f"{cfg.LEVEL2_DIR}/{r.output_dir.name}" for r in per_variant)
    with _step(f"stack --from {','.join(sources)}: the variants' stacks combined one layer up", seconds, "stack"):
        stacked = run_stack(workspace, cfg.StackConfig(sources=sources, learner="logistic", jobs=config.jobs,
                                                       seed=config.seed))
    return [*sources, stacked.source]


def cnn_config(arch: str, variant: str, seed: int, config: DemoConfig) -> TrainConfig:
    """The demo's CNN recipe: 32 px, AdamW with cosine decay, small shifts, no flips (digits are not symmetric)."""
    return TrainConfig(
        arch=arch, img_size=32, cache_size=32, epochs=config.epochs, seed=seed, variant=variant,
        batch_size=64, lr=ARCH_LR.get(arch, DEFAULT_LR), optimizer="adamw", warmup_epochs=1, loss="bce-weighted",
        tta="none", crop_pct=1.0, patience=0, device="cpu", workers=2, channels_last=False, threads=config.threads,
        augment=replace(AugmentConfig(), rrc_p=0.0, hflip_p=0.0, shift_p=0.5, shift_frac=0.05),
    )


def stage_scores(workspace: Workspace, learners: tuple[str, ...], blend: dict | None = None,
                 layered: list[str] = ()) -> tuple[dict, dict, str]:
    """Honest out-of-fold score of each stage with each threshold method, and the best single run's name.

    Returns ``{stage: {"greedy": float, "smooth": float}}``, ``{stage: standard
    error of the better method}`` and the name: the level-1 and level-2 numbers
    are those ``fit-l2`` wrote to ``level2/<learner>/scores.json``; the best
    single run is scored the same way (``stacker.report.cv_summary.best_single_run``);
    ``layered`` stage folders (the per-variant level 2 and the level-3 stack of them) follow, scored from
    their ``scores.json``; ``blend`` (the blend's ``score_matrix`` scores, when there is one) is the last row.
    """
    from stacker.report.cv_summary import (
        METHODS,
        PER_LABEL,
        best_single_run,
        load_cv_summary,
    )

    name, single = best_single_run(workspace)
    summary = load_cv_summary(workspace.level2_dir)
    stages = {SINGLE: single, PER_LABEL: summary.stages[PER_LABEL], "level-1": summary.stages["level-1"]}
    stages |= {f"level-2 {learner}": summary.stages[f"level-2 {learner}"] for learner in learners}
    for source in layered:
        document = json.loads((workspace.root / source / "scores.json").read_text())["pipelines"]
        stages[source] = document.get(source, document.get("level-2"))
    if blend is not None:
        stages["blend"] = blend
    scores = {stage: {m: float(values[m]["out_of_fold"]) for m in METHODS} for stage, values in stages.items()}
    errors = {stage: float(values[max(METHODS, key=lambda m: values[m]["out_of_fold"])]["standard_error"])
              for stage, values in stages.items()}
    return scores, errors, name


def _check_empty(root: Path) -> None:
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise WorkspaceError(f"demo folder {root} exists and is not empty; pass a new or empty folder")


def _fold_logger(train: TrainConfig):
    """An ``on_epoch_end`` hook that logs each fold's best validation score when its last epoch ends."""
    best: dict[int, float] = {}
    started = {"t": time.perf_counter()}

    def hook(fold: int, epoch: int, record: dict) -> None:
        best[fold] = max(best.get(fold, 0.0), float(record["val_score"]))
        if epoch == train.epochs - 1:
            log.info("  %s fold %d: best validation score %.4f (%.0f s)", train.name, fold, best[fold],
                     time.perf_counter() - started["t"])
            started["t"] = time.perf_counter()

    return hook


@contextmanager
def _step(description: str, seconds: dict[str, float], key: str) -> Iterator[None]:
    """Log the step and, once it is done, its wall time (also recorded under ``key``).

    No spinner here: the stages show their own progress bars, and only one can be live at a time.
    """
    log.info("%s ...", description)
    start = time.perf_counter()
    yield
    seconds[key] = time.perf_counter() - start
    log.info("%s: done in %.1f s", description, seconds[key])
