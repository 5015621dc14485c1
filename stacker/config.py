"""Frozen settings, one dataclass per stage; each default is defined here once.

Every stage saves its resolved config (``dataclasses.asdict``) beside what it
produced, so an output always says how it was made.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Workspace layout: folders every stage reads and writes, relative to the workspace root.
CONFIG_FILE = "stacker.toml"
OOF_DIR = "oof"
LEVEL1_DIR = "level1"
LEVEL2_DIR = "level2"
SUBMISSIONS_DIR = "submissions"
REPORT_DIR = "report"
RUNS_DIR = "runs"


@dataclass(frozen=True)
class WorkspaceConfig:
    """What ``stacker.toml`` holds. Paths are relative to the workspace root."""

    train: str
    test: str
    id_column: str = "id"
    labels: tuple[str, ...] | None = None
    metric: str = "f2-samples"
    folds: str = "folds.csv"
    tags_column: str = "tags"
    images: str = "images"
    variants: dict[str, str] = field(default_factory=dict)
    image_ext: str | None = None


@dataclass(frozen=True)
class FoldsConfig:
    """``stacker folds``: multi-label stratified K-fold assignment."""

    k: int = 5
    seed: int = 0


@dataclass(frozen=True)
class CollectConfig:
    """``stacker oof-collect``: ingest run folders into the OOF store."""

    replace: bool = False


# --- level0 (stacker train) ---

# --- level1 (stacker prune / select) ---

# --- level2 (stacker fit-l2) ---

# --- thresholds / submission ---

# --- report / demo ---
