"""Workspace, label matrix and names, and the one persisted fold assignment."""

from stacker.data.folds import assign_folds, make_folds, read_folds, write_folds
from stacker.data.metric import MetricSpec, parse_metric
from stacker.data.workspace import Workspace

__all__ = ["MetricSpec", "Workspace", "assign_folds", "make_folds", "parse_metric", "read_folds", "write_folds"]
