"""The level-2 CV summary: honest out-of-fold scores of every stage, from ``level2/*/scores.json``.

Each ``fit-l2`` run writes the out-of-fold F-beta (thresholds fitted on K-1
folds, scored on the held-out fold) of the best single model per label, the
level-1 average and its own level-2 predictions. The summary puts every
learner side by side; the best-single and level-1 rows are the same in every
file and are taken from the first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stacker.exceptions import StoreError
from stacker.report import style

SCORES_FILE = "scores.json"
METHODS = ("greedy", "smooth")
# fit-l2's "best single": each label's best level-1 candidate, chosen on that label's OOF column.
PER_LABEL = "best model per label"


@dataclass(frozen=True)
class CVSummary:
    """Scores by stage.

    Attributes
    ----------
    metric : str
        The workspace metric, e.g. ``f2-samples``.
    labels : list of str
    stages : dict
        ``{stage: {method: {"out_of_fold": float, "per_label": [float, ...], ...}}}`` with stages
        ``best model per label`` (fit-l2's "best single"), ``level-1`` and ``level-2 <learner>``
        for each learner, in that order.
    honesty : str
        What makes the scores honest, as the first ``fit-l2`` run stated it ("" in older files).
    """

    metric: str
    labels: list[str]
    stages: dict[str, dict]
    honesty: str = ""

    def overall(self, method: str) -> dict[str, float]:
        """Out-of-fold score of each stage with ``method`` thresholds."""
        return {stage: float(scores[method]["out_of_fold"]) for stage, scores in self.stages.items()}

    def per_label(self, method: str) -> dict[str, list[float]]:
        """Each stage's binary F-beta per label (pooled held-out predictions) with ``method`` thresholds."""
        return {stage: [float(s) for s in scores[method]["per_label"]] for stage, scores in self.stages.items()}

    def best_stage(self) -> tuple[str, str, float]:
        """The (stage, method, score) with the highest out-of-fold score; ties go to greedy, then the earlier stage."""
        candidates = [(score, -m, -i, stage, method) for m, method in enumerate(METHODS)
                      for i, (stage, score) in enumerate(self.overall(method).items())]
        score, _, _, stage, method = max(candidates)
        return stage, method, score


def load_cv_summary(level2_dir: Path) -> CVSummary | None:
    """Read every ``level2/<learner>/scores.json`` (learners in name order); None when there is none."""
    paths = sorted(Path(level2_dir).glob(f"*/{SCORES_FILE}"))
    if not paths:
        return None
    documents = {path.parent.name: _read(path) for path in paths}
    first = next(iter(documents.values()))
    stages = {PER_LABEL: first["pipelines"]["best single"], "level-1": first["pipelines"]["level-1"]}
    for learner, document in documents.items():
        stages[f"level-2 {learner}"] = document["pipelines"]["level-2"]
    return CVSummary(metric=first["metric"], labels=list(first["labels"]), stages=stages,
                     honesty=str(first.get("honesty", "")))


def best_single_run(workspace, names: Sequence[str] | None = None) -> tuple[str, dict] | None:
    """The stored level-0 model with the best honest out-of-fold score (greedy thresholds), as it is.

    ``names`` limits the search (default: every stored model). Returns the
    winner's name and its :func:`stacker.level2.summary.score_matrix` scores
    (the measure ``fit-l2`` uses for its stages), or None for an empty store.
    Ties go to the first name.
    """
    from stacker.level2.summary import score_matrix
    from stacker.thresholds import evaluate_thresholds

    store = workspace.store()
    names = list(store.names() if names is None else names)
    if not names:
        return None
    oof, _ = store.load(names)
    y, folds, metric = workspace.y, workspace.folds.astype(np.int64), workspace.metric
    greedy = [evaluate_thresholds(y, oof[i], folds, metric.beta, metric.average, methods=("greedy",))
              ["methods"]["greedy"]["out_of_fold"] for i in range(len(names))]
    best = max(range(len(names)), key=lambda i: (greedy[i], -i))
    return names[best], score_matrix(y, oof[best], workspace.folds, metric)


def with_stage(summary: CVSummary, stage: str, scores: dict) -> CVSummary:
    """``summary`` with ``stage`` (scores as in ``stages``) put first."""
    return CVSummary(summary.metric, summary.labels, {stage: scores, **summary.stages}, summary.honesty)


def _read(path: Path) -> dict:
    try:
        document = json.loads(path.read_text())
        document["pipelines"]["level-2"], document["pipelines"]["level-1"], document["pipelines"]["best single"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as e:
        raise StoreError(f"{path} is not a fit-l2 scores file ({type(e).__name__}: {e}); rerun 'stacker fit-l2'") from e
    return document


def plot_cv_summary(summary: CVSummary, path: Path, *, dpi: int) -> Path:
    """Grouped bars: every stage's out-of-fold score with greedy and with smooth thresholds, values printed."""
    stages = list(summary.stages)
    x = np.arange(len(stages))
    width = 0.38
    values = {method: [summary.overall(method)[s] for s in stages] for method in METHODS}
    low = min(min(v) for v in values.values())
    high = max(max(v) for v in values.values())
    with style.figure(path, width=1.8 + 1.5 * len(stages), height=3.8, dpi=dpi) as (_, axes):
        ax = axes[0, 0]
        for offset, (method, colour) in zip((-width / 2, width / 2), ((METHODS[0], style.GREEDY),
                                                                      (METHODS[1], style.SMOOTH))):
            bars = ax.bar(x + offset, values[method], width, color=colour, label=f"{method} thresholds")
            ax.bar_label(bars, fmt="%.4f", fontsize=7.5, padding=2, color=style.INK)
        span = max(high - low, 0.01)
        ax.set_ylim(max(0.0, low - 1.5 * span), min(1.0, high + 0.6 * span) + 0.005)
        ax.set_xticks(x, [stage.replace(" (", "\n(") for stage in stages], fontsize=8)
        ax.set_ylabel(f"out-of-fold {summary.metric}")
        ax.legend(loc="upper left", ncols=2, fontsize=8)
        ax.set_title(f"Honest CV {summary.metric} by stage", loc="left")
    return path
