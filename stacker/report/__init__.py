"""The report: leaderboard, model similarity, selection trace, histograms, threshold curves, stage graph, CV summary.

:func:`build_report` writes ``<workspace>/report/index.html`` (static, offline)
with one PNG per section; each section module also works on plain arrays.
"""

from stacker.report.build import build_report
from stacker.report.correlation import (
    ModelSimilarity,
    agreement,
    model_similarity,
    pearson_by_label,
)
from stacker.report.cv_summary import CVSummary, load_cv_summary
from stacker.report.histograms import class_histograms
from stacker.report.leaderboard import Leaderboard, build_leaderboard
from stacker.report.stage_graph import StageGraph, StageNode, build_stage_graph
from stacker.report.trace import TraceRow, trace_rows

__all__ = [
    "CVSummary", "Leaderboard", "ModelSimilarity", "StageGraph", "StageNode", "TraceRow", "agreement",
    "build_leaderboard", "build_report", "build_stage_graph", "class_histograms", "load_cv_summary",
    "model_similarity", "pearson_by_label", "trace_rows",
]
