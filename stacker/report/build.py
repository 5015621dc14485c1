"""``build_report``: the report of a workspace, one section per stage that has run.

Reads the workspace's outputs (never writes them) and writes ``report/index.html``
with its PNGs. A section whose stage has not run yet says which command makes it:

=====================  ==========================================  =======================
section                reads                                       made by
=====================  ==========================================  =======================
leaderboard            OOF store (``oof/``)                        ``stacker oof-collect``
model similarity       OOF store, >= 2 models                      ``stacker oof-collect``
selection trace        ``level1/selection.json``                   ``stacker select``
probability histograms ``level1/oof.parquet``, ``level2/*/oof``    ``stacker select`` / ``fit-l2``
threshold curves       the final stage's OOF                       ``stacker select`` / ``fit-l2``
decision rules         ``<stage>/decide.json`` and that stage's OOF ``stacker decide``
stage graph            every stage's OOF and ``config.json``       ``stacker select`` and later stages
CV summary             ``level2/*/scores.json``, ``submissions/``  ``stacker fit-l2``
=====================  ==========================================  =======================
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from stacker import __version__, progress
from stacker.config import STAGE_OOF_FILE, ReportConfig, ThresholdConfig
from stacker.data.workspace import Workspace
from stacker.exceptions import StoreError
from stacker.publish import publishing
from stacker.report.correlation import model_similarity, plot_similarity
from stacker.report.curves import plot_threshold_curves
from stacker.report.cv_summary import (
    CVSummary,
    best_single_run,
    load_cv_summary,
    plot_cv_summary,
    with_stage,
)
from stacker.report.histograms import plot_histograms
from stacker.report.html import Card, Section, Table, render_page, write_page
from stacker.report.leaderboard import build_leaderboard, plot_leaderboard
from stacker.report.trace import plot_selection_trace, trace_rows

log = logging.getLogger(__name__)

INDEX = "index.html"
SINGLE_RUN = "best single run"
_DEFAULT = ReportConfig()
FIGURES = ("leaderboard.png", "similarity.png", "trace.png", "histograms.png", "curves.png", "decision.png",
           "stage_graph.png", "cv_summary.png")


@dataclass(frozen=True)
class Stage:
    """OOF predictions of one stage (level-1 average or a level-2 learner), shape (n_train, n_labels).

    ``folder``: where the stage's files are (``level1`` or ``level2/<learner>``).
    """

    name: str
    oof: np.ndarray
    folder: Path | None = None


@dataclass
class _Context:
    """What every section builder needs: the workspace, the options and what earlier sections loaded."""

    workspace: Workspace
    config: ReportConfig
    out: Path
    summary: CVSummary | None
    n_models: int = 0
    thresholds: dict = field(default_factory=dict)  # (stage name, method) -> fitted thresholds
    stages: dict = field(default_factory=dict)  # "final" -> the Stage the last sections show
    choice: dict = field(default_factory=dict)  # "stages" -> choose_best over every stage folder (or None)


def build_report(workspace: Workspace, config: ReportConfig = _DEFAULT) -> Path:
    """Write ``<workspace>/report/index.html`` and its PNGs; return the page's path.

    Each section is drawn only when its stage's outputs exist; otherwise it
    holds a note naming the command that produces them.
    """
    with publishing(workspace.report_dir) as out:  # a new report/ replaces the previous one in one rename
        ctx = _Context(workspace, config, out, _summary(workspace, config))
        builders = (_leaderboard, _similarity, _trace, _histograms, _curves, _decision, _stage_graph, _cv_summary)
        sections = [build(ctx) for build in progress.track(builders, "drawing the report", total=len(builders))]
        page = render_page(
            title="stacker report", subtitle=_subtitle(workspace), cards=_cards(ctx), sections=sections,
            footer=f"stacker {__version__} · generated {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · "
                   f"every score is out of fold on the workspace folds",
        )
        write_page(out / INDEX, page)
    return workspace.report_dir / INDEX


def _summary(workspace: Workspace, config: ReportConfig) -> CVSummary | None:
    """The level-2 CV summary with the best single stored run as its first stage.

    The run is the best by honest CV score among the ``max_models`` best by mean per-label F-beta
    (scoring every run of a large store honestly would take minutes).
    """
    summary = load_cv_summary(workspace.level2_dir)
    entries = workspace.store().entries()
    if summary is None or not entries:
        return summary
    names = [e.name for e in entries]
    board = build_leaderboard(names, workspace.store().load(names)[0], workspace.y, workspace.labels,
                              workspace.metric.beta)
    single = best_single_run(workspace, [names[i] for i in board.order()[: config.max_models]])
    name, scores = single
    return with_stage(summary, f"{SINGLE_RUN} ({name})", scores)


def _subtitle(workspace: Workspace) -> str:
    return (f"{workspace.root.resolve().name}: {len(workspace.train_ids)} train / {len(workspace.test_ids)} test "
            f"images, {len(workspace.labels)} labels, metric {workspace.metric.name}, {workspace.n_folds} folds")


def _cards(ctx: _Context) -> list[Card]:
    ws = ctx.workspace
    cards = [Card("models stored", str(ctx.n_models), "level-0 runs in the OOF store"),
             Card("labels", str(len(ws.labels)), f"prevalence {ws.y.mean(axis=0).max():.0%} to "
                                                  f"{ws.y.mean(axis=0).min():.1%}")]
    single_score = None
    if ctx.summary is not None:
        overall = ctx.summary.overall("greedy")
        single = next(iter(overall))
        single_score = overall[single]
        cards += [Card("best single run", f"{single_score:.4f}", f"CV {ctx.summary.metric}, greedy; "
                                                                  f"{single.removeprefix(SINGLE_RUN).strip(' ()')}"),
                  Card("level-1 average", f"{overall['level-1']:.4f}", f"CV {ctx.summary.metric}, greedy")]
    choice = _stage_choice(ctx)
    if choice is not None:  # what 'submit --best' picks among every stage folder and rule
        best = choice.best
        versus = "" if single_score is None else f"; {best.out_of_fold - single_score:+.4f} over the best single run"
        cards.append(Card("best stage", f"{best.out_of_fold:.4f}", f"{best.source}, rule {best.method}{versus}"))
    return cards


def _leaderboard(ctx: _Context) -> Section:
    title, key = "Leaderboard", "leaderboard"
    intro = ("Each stored model's best F-beta on each label (exact best threshold, out of fold); ranks per label, "
             "1 = best.")
    ws = ctx.workspace
    entries = ws.store().entries()
    ctx.n_models = len(entries)
    if not entries:
        return Section(key, title, intro, missing="No models stored yet: run `stacker oof-collect runs/`.")
    oof, _ = ws.store().load([e.name for e in entries])
    board = build_leaderboard([e.name for e in entries], oof, ws.y, ws.labels, ws.metric.beta)
    plot_leaderboard(board, ctx.out / "leaderboard.png", beta=ws.metric.beta, dpi=ctx.config.dpi,
                     max_models=ctx.config.max_models)
    by_name = {e.name: e for e in entries}
    rows = [[r["name"], by_name[r["name"]].arch, by_name[r["name"]].variant or "-", r["mean"], r["mean_rank"],
             *(score for score, _ in r["per_label"].values())] for r in board.rows()]
    table = Table(["model", "arch", "variant", f"mean F{ws.metric.beta:g}", "mean rank", *ws.labels], rows,
                  caption="best model first", heat=True)
    return Section(key, title, intro, images=["leaderboard.png"], tables=[table])


def _similarity(ctx: _Context) -> Section:
    title, key = "Model similarity", "similarity"
    intro = ("Stacking feeds on diversity. Left: Pearson correlation of OOF probabilities (per label, averaged). "
             "Right: share of cells where two models' 0/1 predictions agree, each at its own best threshold.")
    ws = ctx.workspace
    entries = ws.store().entries()
    if len(entries) < 2:
        return Section(key, title, intro, missing="Needs at least two stored models: run `stacker oof-collect runs/`.")
    names = [e.name for e in entries][: ctx.config.max_models]
    oof, _ = ws.store().load(names)
    plot_similarity(model_similarity(names, oof, ws.y, ws.metric.beta), ctx.out / "similarity.png", dpi=ctx.config.dpi)
    return Section(key, title, intro, images=["similarity.png"])


def _trace(ctx: _Context) -> Section:
    title, key = "Selection trace", "trace"
    intro = "Per label, the objective after each model added to its level-1 average; step 1 is the best single candidate."
    path = ctx.workspace.level1_dir / "selection.json"
    if not path.exists():
        return Section(key, title, intro, missing="No level-1 selection yet: run `stacker select`.")
    from stacker.level1 import load_selection

    selection = load_selection(ctx.workspace)
    rows = trace_rows(selection)
    objective = str(selection.get("config", {}).get("objective", "objective"))
    plot_selection_trace(rows, ctx.out / "trace.png", objective=objective, dpi=ctx.config.dpi)
    table = Table(["label", "models (in order added)", "first", "final", "gain"],
                  [[r.label, ", ".join(r.models), r.trace[0] if r.trace else float("nan"), r.score, r.gain]
                   for r in rows])
    return Section(key, title, intro, images=["trace.png"], tables=[table])


def _final_stage(ctx: _Context) -> Stage | None:
    """The stage ``submit --best`` would submit (any layer, or the blend), else None (read once per report)."""
    if "final" not in ctx.stages:
        ctx.stages["final"] = _read_final_stage(ctx)
    return ctx.stages["final"]


def _read_final_stage(ctx: _Context) -> Stage | None:
    from stacker.data.stages import read_stage_matrix

    ws = ctx.workspace
    choice = _stage_choice(ctx)
    if choice is None:
        return None
    folder = ws.root / choice.best.source
    return Stage(choice.best.source, read_stage_matrix(folder / STAGE_OOF_FILE, ws.labels, len(ws.train_ids)), folder)


def _thresholds(ctx: _Context, stage: Stage, method: str) -> np.ndarray:
    """The workspace-metric thresholds of ``stage``'s OOF, fitted once per method for all sections."""
    from stacker.thresholds import optimize_thresholds

    key = (stage.name, method)
    if key not in ctx.thresholds:
        metric, defaults = ctx.workspace.metric, ThresholdConfig()
        ctx.thresholds[key] = optimize_thresholds(ctx.workspace.y, stage.oof, metric.beta, metric.average, method,
                                                  bandwidth=defaults.bandwidth, max_sweeps=defaults.max_sweeps)
    return ctx.thresholds[key]


def _histograms(ctx: _Context) -> Section:
    title, key = "Probability histograms", "histograms"
    intro = ("Out-of-fold probabilities of the final stage per label, positives (red) against negatives (blue), "
             "each class scaled to its own density; dashed: the greedy submission threshold.")
    stage = _final_stage(ctx)
    if stage is None:
        return Section(key, title, intro, missing="No level-1 or level-2 output yet: run `stacker select` "
                                                  "(and `stacker fit-l2`).")
    ws = ctx.workspace
    plot_histograms(stage.oof, ws.y, ws.labels, ctx.out / "histograms.png", title=f"{stage.name}: OOF probabilities",
                    thresholds=_thresholds(ctx, stage, "greedy"), bins=ctx.config.bins, dpi=ctx.config.dpi)
    return Section(key, title, f"{intro} Stage shown: {stage.name}.", images=["histograms.png"])


def _curves(ctx: _Context) -> Section:
    title, key = "Threshold curves", "curves"
    intro = ("Each label's binary F-beta against its threshold on the final stage's OOF: exact (grey steps) and "
             "smoothed (violet), with the greedy (orange) and smooth (green) thresholds chosen for the workspace metric.")
    stage = _final_stage(ctx)
    if stage is None:
        return Section(key, title, intro, missing="No level-1 or level-2 output yet: run `stacker select` "
                                                  "(and `stacker fit-l2`).")
    ws = ctx.workspace
    plot_threshold_curves(stage.oof, ws.y, ws.labels, ctx.out / "curves.png", beta=ws.metric.beta,
                          greedy=_thresholds(ctx, stage, "greedy"), smooth=_thresholds(ctx, stage, "smooth"),
                          bandwidth=ThresholdConfig().bandwidth, dpi=ctx.config.dpi)
    return Section(key, title, f"{intro} Stage shown: {stage.name}.", images=["curves.png"])


def _decision(ctx: _Context) -> Section:
    title, key = "Decision rules", "decision"
    intro = ("How probabilities become tag sets: each rule fitted on K-1 folds and scored on the held-out one "
             "(pooled), with the folds' standard error and the mean paired per-fold difference to the best rule; "
             "a difference within about two standard errors is noise. Below: each label's exact F-beta against its "
             "threshold with every threshold rule's choice (fitted on all rows) marked; per-sample rules "
             "(expected-f) have no threshold.")
    from stacker.data.stages import read_stage_json, read_stage_matrix
    from stacker.decide.stage import rule_rows
    from stacker.report.decision import find_decisions, plot_rule_thresholds, threshold_rules

    ws, final = ctx.workspace, _final_stage(ctx)
    stage_dirs = [ws.level1_dir, *sorted(p for p in ws.level2_dir.glob("*") if p.is_dir())]
    path = find_decisions(stage_dirs, final.folder if final is not None else None)
    if path is None:
        source = "level1" if final is None or final.folder is None else final.folder.relative_to(ws.root).as_posix()
        return Section(key, title, intro, missing=f"No rule comparison yet: run `stacker decide --from {source}`.")
    fix = "re-run 'stacker decide' for that stage"
    document = read_stage_json(path, fix)
    oof_file = path.parent / STAGE_OOF_FILE
    stale = " It is older than the stage's oof.parquet: re-run `stacker decide`." if (
        oof_file.stat().st_mtime > path.stat().st_mtime) else ""
    try:
        thresholds = threshold_rules(document)
        rows = rule_rows(document)
        caption = f"{document['source']}: {document['metric']}, best {document['best']}"
        notes = "".join(f" Not applicable: {reason}." for reason in document.get("not_applicable", {}).values())
    except (KeyError, TypeError, AttributeError) as e:
        raise StoreError(f"{path} lacks the fields 'stacker decide' writes ({type(e).__name__}: {e}); {fix}") from e
    images = []
    if thresholds:
        proba = read_stage_matrix(oof_file, ws.labels, len(ws.train_ids))
        plot_rule_thresholds(proba, ws.y, ws.labels, ctx.out / "decision.png",
                             beta=ws.metric.beta, thresholds=thresholds, dpi=ctx.config.dpi)
        images = ["decision.png"]
    table = Table(["rule", "out-of-fold", "fold SE", "diff vs best", "± SE"], rows, caption=caption)
    return Section(key, title, f"{intro} Stage shown: {document['source']}.{stale}{notes}", images=images,
                   tables=[table])


def _stage_choice(ctx: _Context):
    """``choose_best`` over every (stage folder, rule) scored out of fold, or None without stages (scored once)."""
    from stacker.data.stages import stage_folders
    from stacker.submission.stages import choose_best, score_stages, stage_fold_sizes

    if "stages" not in ctx.choice:
        ws = ctx.workspace
        ctx.choice["stages"] = (choose_best(score_stages(ws), stage_fold_sizes(ws)) if stage_folders(ws.root)
                                else None)
    return ctx.choice["stages"]


def _stage_graph(ctx: _Context) -> Section:
    title, key = "Stage graph", "stage-graph"
    intro = ("Arrows: which stage feeds which (columns are layers: the OOF store, level 1, level 2, ..., a blend "
             "one above its highest input). Numbers: each stage's best honest out-of-fold score over the decision "
             "rules ± the folds' standard error, with that rule; highlighted: the stage `stacker submit --best` picks.")
    from stacker.report.stage_graph import build_stage_graph, plot_stage_graph

    choice = _stage_choice(ctx)
    if choice is None:
        return Section(key, title, intro, missing="No stage yet: run `stacker select` (then `stacker fit-l2`, "
                                                  "`stacker stack`, `stacker blend`).")
    ws = ctx.workspace
    graph = build_stage_graph(ws.root, choice.candidates, chosen=choice.best.source)
    plot_stage_graph(graph, ctx.out / "stage_graph.png", metric=ws.metric.name, dpi=ctx.config.dpi)
    return Section(key, title, f"{intro} Chosen: {choice.best.source} with rule {choice.best.method}.",
                   images=["stage_graph.png"])


def _cv_summary(ctx: _Context) -> Section:
    title, key = "CV summary", "cv"
    summary = ctx.summary
    intro = ("Out-of-fold scores: thresholds fitted on K-1 folds and scored on the held-out fold; level-2 fits are "
             "nested on the same folds.")
    if summary is not None and summary.honesty:  # the stage's own statement (e.g. whether level 1 was nested)
        intro = f"Out-of-fold scores: {summary.honesty}."
    if summary is None:
        return Section(key, title, intro, missing="No level-2 model yet: run `stacker fit-l2 --learner lightgbm`.")
    plot_cv_summary(summary, ctx.out / "cv_summary.png", dpi=ctx.config.dpi)
    stages = list(summary.stages)
    overall = Table(["stage", "greedy", "smooth"],
                    [[s, summary.overall("greedy")[s], summary.overall("smooth")[s]] for s in stages],
                    caption=f"overall CV {summary.metric}")
    per_label = summary.per_label("greedy")
    labels = Table(["label", *stages], [[label, *(per_label[s][j] for s in stages)]
                                        for j, label in enumerate(summary.labels)],
                   caption="per-label binary F-beta of the pooled held-out predictions (greedy thresholds)", heat=True)
    return Section(key, title, intro, images=["cv_summary.png"], tables=[overall, labels, *_submissions(ctx)])


def _submissions(ctx: _Context) -> list[Table]:
    """The submissions written so far, with their honest CV score, from their provenance files."""
    rows = []
    for path in sorted(ctx.workspace.submissions_dir.glob("*.json")):
        try:
            document = json.loads(path.read_text())
            rule = document["rule"] if "rule" in document else document["thresholds_method"]  # older files
            rows.append([f"submissions/{document['csv']}", document["source"], rule,
                         float(document["cv_f2"])])
        except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as e:
            log.warning("skipping %s in the report: not a submission provenance file (%s)", path, e)
    if not rows:
        return []
    return [Table(["submission", "from", "rule", "CV score"], rows, caption="submissions and their CV score")]
