"""Every stage of a workspace with its honest CV score, and the honest choice of what to submit.

A *stage* is a folder holding ``oof.parquet`` and ``test.parquet``: ``level1``,
each ``level2/<learner>`` and ``blend``. A *candidate* is a stage with a decision rule
(``greedy`` and ``smooth`` thresholds, and ``expected-f`` where the metric is
per-sample): what one submission would be. Each candidate is scored out of
fold by :func:`stacker.decide.stage.evaluate_stage_rules` (the rule fitted on
K-1 folds of the stage's predictions made without the held-out fold, scored on
that fold), with its per-fold scores and their standard error.

Choosing the best of many candidates by the same CV scores is itself a
selection, so its score is optimistic. :func:`choose_best` measures that the
nested way: for each fold ``k`` it picks the candidate that is best on the
*other* folds and takes that candidate's score on fold ``k``; the fold-size
weighted mean of those is the honest score of the procedure "submit the best
stage", and the best candidate's own score minus it is the optimism of the
choice. The margin over the runner-up stage is paired over folds (the same
rows), so its standard error says whether the choice is beyond the noise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from stacker.data.stages import (
    incomplete_stages, read_stage_matrix, recorded_optimism, stage_folders, stage_inputs, stage_layer, stale_inputs,
)
from stacker.config import STAGE_OOF_FILE, STAGE_TEST_FILE
from stacker.decide.evaluate import standard_error
from stacker.decide.stage import evaluate_stage_rules
from stacker.decide.rules import applies_to
from stacker.exceptions import SubmissionError

logger = logging.getLogger(__name__)

# The rules every stage is scored with when choosing what to submit (those that apply to the metric).
CHOICE_RULES = ("greedy", "smooth", "expected-f")
# A margin counts as beyond the noise when it exceeds this many paired standard errors (about 95%, one-sided).
NOISE_SE = 2.0


@dataclass(frozen=True)
class Candidate:
    """One stage with one decision rule, scored out of fold.

    Attributes
    ----------
    source : str
        Stage folder relative to the workspace (``level1``, ``level2/<learner>``).
    method : str
        The decision rule (``greedy``, ``smooth``, ``expected-f``).
    out_of_fold : float
        Held-out predictions of every fold pooled, scored once.
    fold_scores : ndarray of shape (n_folds,)
        Each held-out fold alone (fold ids in increasing order).
    evaluation : dict or None
        The rule's :func:`~stacker.decide.evaluate_rules` result (``rule``
        fitted on every row) when :func:`score_stages` made the candidate, so
        submitting it needs no refit.
    """

    source: str
    method: str
    out_of_fold: float
    fold_scores: np.ndarray
    evaluation: dict | None = field(default=None, repr=False, compare=False)

    @property
    def standard_error(self) -> float:
        """Fold-to-fold standard error of the mean score."""
        return standard_error(self.fold_scores)


@dataclass(frozen=True)
class Choice:
    """The best candidate, how far ahead of the runner-up stage it is, and how optimistic the choice is.

    Attributes
    ----------
    best, runner_up : Candidate
        ``runner_up`` is the best candidate of any *other* stage (None with one stage).
    margin, margin_se : float
        Best minus runner-up out-of-fold score (the difference in the printed
        table), and the standard error of the per-fold differences (paired).
    nested_score : float
        Honest score of "choose the best candidate, then submit it": fold ``k``
        scored with the candidate best on the other folds; stated on the
        out-of-fold scale as ``best.out_of_fold - optimism``.
    optimism : float
        The best candidate's fold-size weighted mean fold score minus that of
        the nested choice (for a per-sample metric the weighted mean of the
        fold scores is the out-of-fold score itself).
    fold_choices : list of str
        ``source/method`` chosen without each fold.
    candidates : list of Candidate
        Everything that was compared, in scoring order.
    """

    best: Candidate
    runner_up: Candidate | None
    margin: float
    margin_se: float
    nested_score: float
    optimism: float
    fold_choices: list[str]
    candidates: list[Candidate]

    @property
    def beyond_noise(self) -> bool:
        """True when the margin over the runner-up exceeds ``NOISE_SE`` paired standard errors."""
        return self.runner_up is not None and self.margin > NOISE_SE * self.margin_se

    def summary(self) -> str:
        """One line: what was chosen, by how much, and whether that is beyond the noise."""
        best = self.best
        line = f"best: {best.source} with rule {best.method}, CV {best.out_of_fold:.4f} ± {best.standard_error:.4f}"
        if self.runner_up is None:
            return line + " (the only stage)"
        verdict = "beyond the noise" if self.beyond_noise else "within the noise"
        return (f"{line}; ahead of {self.runner_up.source} ({self.runner_up.method}) by {self.margin:+.4f} "
                f"± {self.margin_se:.4f} paired over folds ({verdict}); choosing among the stages costs "
                f"{self.optimism:+.4f} (nested choice scores {self.nested_score:.4f})")

    def to_dict(self) -> dict:
        """JSON-ready record of the comparison (for provenance)."""
        return {
            "chosen": {"source": self.best.source, "method": self.best.method},
            "runner_up": None if self.runner_up is None else {"source": self.runner_up.source,
                                                              "method": self.runner_up.method},
            "margin": self.margin, "margin_se": self.margin_se, "beyond_noise": self.beyond_noise,
            "nested_choice_score": self.nested_score, "choice_optimism": self.optimism,
            "fold_choices": self.fold_choices,
            "candidates": [{"source": c.source, "method": c.method, "out_of_fold": c.out_of_fold,
                            "standard_error": c.standard_error, "fold_scores": c.fold_scores.tolist()}
                           for c in self.candidates],
        }


def stage_sources(workspace) -> list[str]:
    """Stage folders with both prediction files, layer by layer, ``blend`` last, less the stale ones.

    A stage made from inputs that changed since (:func:`~stacker.data.stages.stale_inputs`, e.g. a level 2
    after ``select`` ran again) is left out with a warning that says what to re-run.
    """
    for source in incomplete_stages(workspace.root):
        missing = [f for f in (STAGE_OOF_FILE, STAGE_TEST_FILE) if not (Path(workspace.root) / source / f).exists()]
        logger.warning("left out %s: it has no %s; re-run the stage that writes it", source, " or ".join(missing))
    current = []
    for source in stage_folders(workspace.root):
        stale = stale_inputs(workspace, source)
        if stale:
            logger.warning("left out %s: %s; re-run it to compare it", source, "; ".join(stale))
        else:
            current.append(source)
    return current


def score_stages(workspace, sources: list[str] | None = None, rules: tuple[str, ...] = CHOICE_RULES) -> list[Candidate]:
    """Every (stage, rule) candidate scored out of fold on the workspace folds and metric.

    Rules that do not apply to the workspace metric (``expected-f`` is per-sample) are left out.
    """
    sources = stage_sources(workspace) if sources is None else sources
    if not sources and stage_folders(workspace.root):
        raise SubmissionError(f"every stage in {workspace.root} is out of date (made from inputs that changed "
                              f"since, as the warnings above say); re-run them, from the lowest layer")
    if not sources:
        raise SubmissionError(f"no stage in {workspace.root} has oof.parquet and test.parquet; run 'stacker select' "
                              f"(and 'stacker fit-l2') first")
    rules = tuple(r for r in rules if applies_to(r, workspace.metric.average))
    candidates = []
    for source in sources:
        oof = read_stage_matrix(Path(workspace.root) / source / STAGE_OOF_FILE, workspace.labels,
                                len(workspace.train_ids))
        evaluation = evaluate_stage_rules(workspace, source, oof, rules)
        for method, result in evaluation["rules"].items():
            candidates.append(Candidate(source, method, float(result["out_of_fold"]),
                                        np.asarray(result["fold_scores"], dtype=np.float64), result))
    return candidates


def stage_fold_sizes(workspace) -> np.ndarray:
    """Rows per fold of the workspace, fold ids in increasing order (the weights of per-fold scores)."""
    return np.bincount(np.unique(workspace.folds, return_inverse=True)[1])


def choose_best(candidates: list[Candidate], fold_sizes) -> Choice:
    """The candidate with the best out-of-fold score (ties: the earlier one), with margin and choice optimism.

    Parameters
    ----------
    candidates : list of Candidate
        In a stable order (``score_stages``'s); ties go to the earlier one.
    fold_sizes : array_like of shape (n_folds,)
        Rows per fold (weights of the per-fold scores), fold ids in increasing order.
    """
    if not candidates:
        raise SubmissionError("no candidate to choose from; run 'stacker select' first")
    weights = np.asarray(fold_sizes, dtype=np.float64)
    best_index = max(range(len(candidates)), key=lambda i: (candidates[i].out_of_fold, -i))
    best = candidates[best_index]
    others = [i for i, c in enumerate(candidates) if c.source != best.source]
    runner_index = max(others, key=lambda i: (candidates[i].out_of_fold, -i)) if others else None
    runner_up = None if runner_index is None else candidates[runner_index]
    margin, margin_se = 0.0, 0.0
    if runner_up is not None:  # the table's difference; its noise from the per-fold differences (same rows)
        margin = best.out_of_fold - runner_up.out_of_fold
        margin_se = standard_error(best.fold_scores - runner_up.fold_scores)
    scores = np.stack([c.fold_scores for c in candidates])  # (n_candidates, n_folds)
    nested, fold_choices = [], []
    for k in range(len(weights)):
        keep = np.arange(len(weights)) != k
        on_others = scores[:, keep] @ weights[keep] / weights[keep].sum()
        pick = int(np.flatnonzero(on_others == on_others.max())[0])
        nested.append(scores[pick, k])
        fold_choices.append(f"{candidates[pick].source}/{candidates[pick].method}")
    # Optimism on the folds' scale (the nested choice is scored fold by fold), then stated on the table's: for a
    # per-sample metric the two are the same number; for macro or micro F the pooled score differs from the mean.
    optimism = float(np.average(best.fold_scores, weights=weights) - np.average(nested, weights=weights))
    nested_score = best.out_of_fold - optimism
    return Choice(best, runner_up, margin, margin_se, nested_score, optimism, fold_choices, list(candidates))


def stage_rows(workspace, candidates: list[Candidate]) -> list[dict]:
    """One row per stage, best first: its layer, inputs, CV score per rule and the optimism of its own choices.

    Keys: ``stage``, ``layer``, ``inputs``, one per rule (its out-of-fold
    score), ``best_rule``, ``cv`` and ``se`` (of the best rule), and from the
    stage's ``scores.json``: ``what`` (the choices it made: selection, blend
    weights, fits), ``in_sample`` (its greedy CV score with those choices made
    on every row), ``nested`` (the same with the choices made without each
    fold: the honest score) and ``optimism`` (their difference); None where the
    stage did not record them (e.g. ``select --no-nested``).
    """
    rows: dict[str, dict] = {}
    for c in candidates:
        row = rows.setdefault(c.source, {"stage": c.source, "layer": stage_layer(workspace.root, c.source),
                                         "inputs": stage_inputs(workspace.root, c.source), "best_rule": None,
                                         "cv": float("-inf"), "se": None})
        row[c.method] = c.out_of_fold
        if c.out_of_fold > row["cv"]:
            row.update(best_rule=c.method, cv=c.out_of_fold, se=c.standard_error)
    for row in rows.values():
        optimism = recorded_optimism(workspace.root, row["stage"]) or {}
        row.update({"what": optimism.get("what"), "in_sample": optimism.get("in_sample"),
                    "nested": optimism.get("held_out"), "optimism": optimism.get("optimism")})
    return sorted(rows.values(), key=lambda r: -r["cv"])
