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
from stacker.level2.stage import L2Result, fit_level2
from stacker.submission.submit import METHODS, SubmissionResult, submit


@dataclass(frozen=True)
class FitL2Outcome:
    """The level-2 result and the submissions written from it (one per threshold method)."""

    level2: L2Result
    submissions: list[SubmissionResult]


def fit_l2_and_submit(workspace: Workspace, config: L2Config = L2Config()) -> FitL2Outcome:
    """Run :func:`~stacker.level2.fit_level2`, then write ``l2-<learner>-<method>`` for each method."""
    result = fit_level2(workspace, config)
    source = f"{workspace.level2_dir.name}/{config.learner}"
    submissions = [submit(workspace, SubmitConfig(source=source, rule=method)) for method in METHODS]
    return FitL2Outcome(level2=result, submissions=submissions)
