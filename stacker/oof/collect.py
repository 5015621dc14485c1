"""``oof-collect``: validate run folders and ingest each valid one into the store."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from stacker import progress
from stacker.config import CollectConfig
from stacker.data.workspace import Workspace
from stacker.exceptions import StackerError, WorkspaceError
from stacker.oof.lock import store_lock
from stacker.oof.runfolder import RUN_JSON, read_run

log = logging.getLogger(__name__)


@dataclass
class CollectReport:
    """What one collect did: run names per outcome, and each rejected run's reason."""

    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.rejected


def resolve_runs_dir(workspace: Workspace, runs: Path | str) -> Path:
    """``runs`` as given if absolute or existing from the current folder, else inside the workspace."""
    runs = Path(runs)
    return runs if runs.is_absolute() or runs.exists() else workspace.root / runs


def find_runs(runs_dir: Path) -> list[Path]:
    """Run folders under ``runs_dir``: the folder itself if it holds run.json, else its sub-folders."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise WorkspaceError(f"runs folder not found: {runs_dir}")
    if (runs_dir / RUN_JSON).exists():
        return [runs_dir]
    return sorted(p for p in runs_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def collect_runs(workspace: Workspace, runs_dir: Path, config: CollectConfig = CollectConfig()) -> CollectReport:
    """Ingest every valid run under ``runs_dir``; each run is stored atomically or not at all.

    A rejected run does not stop the others; its reason is in the report. The
    store's writer lock is held throughout: a second concurrent writer waits
    up to ``config.wait`` seconds, then raises StoreBusyError.
    """
    store = workspace.store()
    report = CollectReport()
    runs = find_runs(runs_dir)
    with store_lock(store.root, wait=config.wait):  # one writer at a time; readers go on reading
        for run_dir in progress.track(runs, "collecting runs"):
            _collect_one(store, run_dir, workspace, config, report)
    return report


def _collect_one(store, run_dir: Path, workspace: Workspace, config: CollectConfig, report: CollectReport) -> None:
    try:
        run = read_run(run_dir, workspace)
        outcome = store.add(
            run.name, run.oof, run.test, arch=run.arch, variant=run.meta.get("variant"),
            seed=run.meta.get("seed"), meta=run.meta, replace=config.replace,
        )
    except StackerError as e:
        report.rejected[run_dir.name] = _one_line(e)
        log.debug("rejected %s: %s", run_dir.name, e)
        return
    except Exception as e:  # noqa: BLE001 - one unreadable folder must not stop the others
        report.rejected[run_dir.name] = (
            f"run {run_dir.name!r}: cannot be collected ({type(e).__name__}: {_one_line(e)}); check it against "
            f"docs/run-format.md or move it out of the runs folder"
        )
        log.debug("rejected %s", run_dir.name, exc_info=True)
        return
    getattr(report, outcome).append(run.name)


def _one_line(error: Exception, limit: int = 500) -> str:
    """The error's message on one line (a reader's message may hold newlines), at most ``limit`` characters."""
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
