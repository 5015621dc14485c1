"""Run folders under an fsspec URL (``s3://team-bucket/runs/``): listed remotely, read from a local copy.

A run folder may be CSV, Parquet, npy, npz or HDF5 (docs/run-format.md); some
of those readers need a local file, so each run folder is copied to a
temporary folder of the same name (where the task runs: a cluster worker
reads the run itself) and validated there exactly as a local one.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from stacker.data.workspace import Workspace
from stacker.exceptions import StackerError, WorkspaceError
from stacker.oof.location import filesystem
from stacker.oof.runfolder import RUN_JSON, RunData, read_run


def find_remote_runs(url: str) -> list[str]:
    """Run-folder URLs under ``url``: ``url`` itself if it holds run.json, else its sub-folders (sorted)."""
    fs, path = filesystem(url)
    path = path.rstrip("/")
    fs.invalidate_cache(path)
    if not fs.isdir(path):
        raise WorkspaceError(f"runs folder not found: {url}")
    if fs.exists(f"{path}/{RUN_JSON}"):
        return [url.rstrip("/")]
    base = url.rstrip("/")
    names = sorted(p.rstrip("/").rsplit("/", 1)[-1] for p in fs.ls(path, detail=False) if fs.isdir(p))
    return [f"{base}/{name}" for name in names if not name.startswith(".")]


def read_remote_run(url: str, workspace: Workspace) -> RunData:
    """Copy the run folder at ``url`` to a temporary folder and validate it there."""
    fs, path = filesystem(url)
    name = path.rstrip("/").rsplit("/", 1)[-1]
    with tempfile.TemporaryDirectory(prefix="stacker-run-") as tmp:
        local = Path(tmp) / name
        try:
            fs.get(path.rstrip("/") + "/", str(local) + "/", recursive=True)
        except (OSError, ValueError) as e:
            raise StackerError(f"run {name!r}: cannot copy {url} ({e})") from e
        return read_run(local, workspace)


def run_name(run_dir: Path | str) -> str:
    """The run's name: its folder's last component (local path or URL)."""
    return str(run_dir).rstrip("/").rsplit("/", 1)[-1]
