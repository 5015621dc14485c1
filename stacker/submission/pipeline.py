"""``fit-l2`` end to end: the level-2 stage, then its two submissions (greedy and smooth thresholds).

Lives here rather than in ``level2`` because imports point backward
(level2 -> thresholds -> submission): level 2 writes ``level2/<learner>/``,
this module turns that into ``submissions/l2-<learner>-greedy.csv`` and
``-smooth.csv``, each with its provenance JSON.
"""

from __future__ import annotations

from dataclasses import dataclass

from stacker.config import L2Config, SubmitConfig
from stacker.data import Workspace
from stacker.level2.stage import L2Result, fit_level2, fit_level2_groups
from stacker.submission.submit import METHODS, SubmissionResult, submit


@dataclass(frozen=True)
class FitL2Outcome:
    """The level-2 result and the submissions written from it (one per threshold method)."""

    level2: L2Result
    submissions: list[SubmissionResult]


def fit_l2_and_submit(workspace: Workspace, config: L2Config = L2Config()) -> list[FitL2Outcome]:
    """Run :func:`~stacker.level2.fit_level2` (one fit, or one per group with ``config.group``), then write
    ``l2-<learner>[-<group>]-<method>`` for each method; one outcome per level-2 folder written."""
    results = [fit_level2(workspace, config)] if config.group is None else fit_level2_groups(workspace, config)
    outcomes = []
    for result in results:
        source = f"{workspace.level2_dir.name}/{result.output_dir.name}"
        submissions = [submit(workspace, SubmitConfig(source=source, rule=method)) for method in METHODS]
        outcomes.append(FitL2Outcome(level2=result, submissions=submissions))
    return outcomes
