"""``oof-collect``: validate run folders and ingest each valid one into the store."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from stacker.config import CollectConfig
from stacker.data.workspace import Workspace
from stacker.exceptions import StackerError, WorkspaceError
from stacker.oof.location import is_url
from stacker.oof.remote_runs import find_remote_runs, read_remote_run, run_name
from stacker.oof.runfolder import RUN_JSON, RunData, read_run

log = logging.getLogger(__name__)


@dataclass
class CollectReport:
    """What one collect did: run names per outcome, and each rejected run's reason."""

    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.rejected


def resolve_runs_dir(workspace: Workspace, runs: Path | str) -> Path | str:
    """``runs`` as given if a URL, absolute or existing from the current folder, else inside the workspace."""
    if is_url(runs):
        return runs
    runs = Path(runs)
    return runs if runs.is_absolute() or runs.exists() else workspace.root / runs


def find_runs(runs_dir: Path | str) -> list[Path] | list[str]:
    """Run folders under ``runs_dir`` (a folder or a URL): itself if it holds run.json, else its sub-folders."""
    if is_url(runs_dir):
        return find_remote_runs(runs_dir)
    runs_dir = Path(runs_dir)
    if runs_dir.exists() and not runs_dir.is_dir():
        raise WorkspaceError(f"{runs_dir} is a file; pass the folder of run folders (or one run folder)")
    if not runs_dir.is_dir():
        raise WorkspaceError(f"runs folder not found: {runs_dir}")
    if (runs_dir / RUN_JSON).exists():
        return [runs_dir]
    found = sorted(p for p in runs_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not found:
        files = sorted(p.name for p in runs_dir.iterdir() if p.is_file() and not p.name.startswith("."))
        looks_like_a_run = any(f.split(".")[0] in ("oof", "test") for f in files)
        raise WorkspaceError(
            f"no run folders in {runs_dir}: " + (f"it holds {', '.join(files[:4])} but no {RUN_JSON}; add one "
                                                 f"(docs/run-format.md)" if looks_like_a_run else
                                                 f"expected {RUN_JSON} there, or sub-folders each with one "
                                                 f"(docs/run-format.md)"))
    return found


def collect_runs(workspace: Workspace, runs_dir: Path | str, config: CollectConfig = CollectConfig()) -> CollectReport:
    """Ingest every valid run under ``runs_dir``; each run is stored atomically or not at all.

    A rejected run does not stop the others; its reason is in the report.
    Run folders are read and validated through :mod:`stacker.parallel` (one
    task per run folder, on a cluster when one is connected); the store is
    written here, one run at a time, in run-folder order, while the store's
    writer lock is held (:meth:`~stacker.oof.store.Store.writing`): a second
    concurrent writer waits up to ``config.wait`` seconds, then raises
    StoreBusyError.
    """
    from stacker.parallel import Shared, iter_tasks

    store = workspace.store()
    report = CollectReport()
    run_dirs = find_runs(runs_dir)
    with store.writing(wait=config.wait):  # one writer at a time; readers go on reading
        shared = Shared(workspace)
        runs = iter_tasks(validate_run, [(run_dir, shared) for run_dir in run_dirs], jobs=1, prefer="threads",
                          description="collecting runs")
        for run_dir, run in zip(run_dirs, runs):
            _store_one(store, run_name(run_dir), run, config, report)
    return report


def validate_run(run_dir: Path | str, workspace: Workspace) -> RunData | str:
    """One run folder read and checked (a task: runs on a cluster worker when one is connected).

    Returns the run's arrays, or the one-line reason that rejects it (returned,
    not raised, so one bad run does not stop the others).
    """
    name = run_name(run_dir)
    if not name.isprintable():
        return f"run {name!r}: its folder name has control characters (a newline, a tab, ...); rename the folder"
    try:
        return read_remote_run(run_dir, workspace) if is_url(run_dir) else read_run(run_dir, workspace)
    except Exception as e:  # noqa: BLE001 - one unreadable folder must not stop the others
        return _rejection(run_name(run_dir), e)


def _store_one(store, name: str, run: RunData | str, config: CollectConfig, report: CollectReport) -> None:
    """Add one validated run to ``store`` and note the outcome, or note why the run is rejected."""
    if isinstance(run, str):
        report.rejected[name] = run
        return
    try:
        outcome = store.add(
            run.name, run.oof, run.test, arch=run.arch, variant=run.meta.get("variant"),
            seed=run.meta.get("seed"), meta=run.meta, replace=config.replace,
        )
    except Exception as e:  # noqa: BLE001 - one run the store refuses must not stop the others
        report.rejected[name] = _rejection(name, e)
        return
    getattr(report, outcome).append(run.name)


def _rejection(name: str, error: Exception) -> str:
    """Why run ``name`` is rejected, on one line: a StackerError's own message, else what failed and what to do."""
    log.debug("rejected %s: %s", name, error, exc_info=not isinstance(error, StackerError))
    if isinstance(error, StackerError):
        return _one_line(error)
    return (f"run {name!r}: cannot be collected ({type(error).__name__}: {_one_line(error)}); check it against "
            f"docs/run-format.md or move it out of the runs folder")


def _one_line(error: Exception, limit: int = 500) -> str:
    """The error's message on one line (a reader's message may hold newlines), at most ``limit`` characters."""
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
