"""Run-folder schema, the OOF store and ``collect``: the one contract between stages."""

from stacker.oof.collect import CollectReport, collect_runs, find_runs
from stacker.oof.matrix import read_matrix, write_matrix
from stacker.oof.runfolder import RunData, read_run
from stacker.oof.store import ModelEntry, Store, content_hash

__all__ = [
    "CollectReport", "ModelEntry", "RunData", "Store", "collect_runs", "content_hash", "find_runs",
    "read_matrix", "read_run", "write_matrix",
]
