"""Factory fixtures shared by every test area (twine-style: build what a test needs, small)."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stacker.data import Workspace, make_folds, write_folds
from stacker.oof import collect_runs

ID = "image_name"


def pytest_collection_modifyitems(config, items):
    """Slow end-to-end tests first, so one worker starts them while the other takes the rest (stable order)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def synthetic_labels(n: int, n_labels: int, rng: np.random.Generator) -> np.ndarray:
    """Binary labels (n, n_labels) with skewed prevalences from 0.9 down to about 0.05."""
    prevalence = np.geomspace(0.9, 0.05, n_labels)
    y = (rng.random((n, n_labels)) < prevalence).astype(np.uint8)
    y[0] = 1  # every label has at least one positive
    return y


def write_workspace(
    root: Path, *, n_train: int = 120, n_test: int = 40, n_labels: int = 4, k: int = 3, seed: int = 0
) -> Workspace:
    """A workspace with Planet-style train.csv (tags), a sample submission and folds.csv."""
    rng = np.random.default_rng(seed)
    labels = [f"label_{j}" for j in range(n_labels)]
    y = synthetic_labels(n_train, n_labels, rng)
    train_ids = [f"train_{i}" for i in range(n_train)]
    tags = [" ".join(label for label, on in zip(labels, row) if on) for row in y]
    root.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({ID: train_ids, "tags": tags}).to_csv(root / "train.csv", index=False)
    pd.DataFrame({ID: [f"test_{i}" for i in range(n_test)], "tags": labels[0]}).to_csv(
        root / "sample_submission.csv", index=False
    )
    workspace = Workspace.init(root, train=root / "train.csv", test=root / "sample_submission.csv", id_column=ID,
                               force=True)  # a factory may refill a folder it made before
    write_folds(workspace.folds_path, workspace.train_ids, make_folds(workspace.y, k=k, seed=seed), id_column=ID)
    return Workspace.load(root)


def synthetic_probabilities(y: np.ndarray, skill: float, rng: np.random.Generator) -> np.ndarray:
    """Probabilities that separate y with signal ``skill`` (0 = noise), in (0, 1)."""
    logits = skill * (2.0 * y - 1.0) + rng.normal(0.0, 1.0, y.shape)
    return 1.0 / (1.0 + np.exp(-logits))


def write_run(
    workspace: Workspace, name: str, *, skill: float = 1.0, arch: str = "arch", variant: str | None = None,
    seed: int = 0, per_fold: bool = False, fmt: str = "csv", runs_dir: Path | None = None,
) -> Path:
    """A valid run folder of synthetic probabilities (whole-file or per-fold layout).

    ``fmt``: ``csv`` or ``parquet`` (id column + label columns) or a positional
    format ``npy``, ``npz``, ``h5`` (bare arrays in workspace row and label order).
    """
    rng = np.random.default_rng([zlib.crc32(name.encode()), seed])
    run_dir = (runs_dir or workspace.root / "runs") / name
    run_dir.mkdir(parents=True, exist_ok=True)
    meta = {"arch": arch, "seed": seed} | ({"variant": variant} if variant else {})
    (run_dir / "run.json").write_text(json.dumps(meta))
    labels, id_column = workspace.labels, workspace.config.id_column
    oof = synthetic_probabilities(workspace.y, skill, rng)
    test = rng.random((len(workspace.test_ids), len(labels)))

    def table(ids, values, path):
        write_table(path, fmt, ids, values, labels, id_column)

    if per_fold:
        for k in range(workspace.n_folds):
            held_out = workspace.folds == k
            (run_dir / f"fold{k}").mkdir(exist_ok=True)
            table(workspace.train_ids[held_out], oof[held_out], run_dir / f"fold{k}" / "oof")
            table(workspace.test_ids, test, run_dir / f"fold{k}" / "test")
    else:
        table(workspace.train_ids, oof, run_dir / "oof")
        table(workspace.test_ids, test, run_dir / "test")
    return run_dir


def write_table(path: Path, fmt: str, ids, values: np.ndarray, labels: list[str], id_column: str = ID) -> Path:
    """Write one run-folder table ``<path>.<fmt>`` (``path`` without suffix); returns its path."""
    path = path.with_suffix(f".{fmt}")
    if fmt in ("csv", "parquet"):
        frame = pd.DataFrame(values, columns=labels)
        frame.insert(0, id_column, ids)
        frame.to_csv(path, index=False) if fmt == "csv" else frame.to_parquet(path, index=False)
    elif fmt == "npy":
        np.save(path, values)
    elif fmt == "npz":
        np.savez(path, **{path.stem: values})
    elif fmt == "h5":
        import h5py

        with h5py.File(path, "w") as f:
            f.create_dataset(path.stem, data=values)
    else:
        raise ValueError(f"unknown table format {fmt!r}")
    return path


@pytest.fixture
def make_workspace(tmp_path):
    """``make_workspace(n_train=120, n_test=40, n_labels=4, k=3, seed=0) -> Workspace``."""

    def factory(**kwargs) -> Workspace:
        return write_workspace(tmp_path / "ws", **kwargs)

    return factory


@pytest.fixture
def make_store(make_workspace):
    """``make_store(n_runs=4, n_labels=4, ...) -> Workspace`` whose OOF store holds n_runs models.

    Models ``m0..m{n-1}`` have increasing skill; archs alternate between two names
    and each arch has two seeds, so bagging has something to collapse.
    """

    def factory(n_runs: int = 4, **kwargs) -> Workspace:
        workspace = make_workspace(**kwargs)
        for i in range(n_runs):
            write_run(workspace, f"m{i}", skill=0.5 + 0.5 * i, arch=f"arch{i % 2}", seed=i // 2)
        report = collect_runs(workspace, workspace.root / "runs")
        assert report.ok, report.rejected
        return workspace

    return factory


def write_level1(
    workspace: Workspace, *, skills: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0), n_selected: int = 2, seed: int = 0,
    probabilities: np.ndarray | None = None,
) -> dict:
    """Level-1 outputs as ``stacker select`` writes them, without running selection.

    Candidates ``c0..c{M-1}`` (one per skill, or ``probabilities`` of shape
    (M, n_train + n_test, n_labels)) go into the level-1 store as bags with
    ``members``/``member_hashes`` meta; every label selects the last
    ``n_selected`` candidates; ``level1/oof.parquet`` / ``test.parquet`` hold
    their per-label average and ``level1/selection.json`` the selection.
    Returns the selection document.
    """
    from stacker.oof.matrix import write_matrix

    rng = np.random.default_rng(seed)
    n_train, labels = len(workspace.train_ids), workspace.labels
    if probabilities is None:
        y_all = np.vstack([workspace.y, rng.integers(0, 2, (len(workspace.test_ids), len(labels)))])
        probabilities = np.stack([synthetic_probabilities(y_all, s, rng) for s in skills])
    names = [f"c{i}" for i in range(len(probabilities))]
    store = workspace.level1_store()
    for i, (name, values) in enumerate(zip(names, probabilities)):
        members = [f"m{i}_s0", f"m{i}_s1"]
        store.add(name, values[:n_train], values[n_train:], arch=f"arch{i}", kind="bag",
                  meta={"members": members, "member_hashes": {m: f"{i:02d}{m}" * 4 for m in members}})
    chosen = names[-n_selected:]
    average = probabilities[-n_selected:].mean(axis=0)
    write_matrix(workspace.level1_dir / "oof.parquet", average[:n_train], labels)
    write_matrix(workspace.level1_dir / "test.parquet", average[n_train:], labels)
    selection = {
        "config": {"method": "test-factory"},
        "per_label": {label: {"models": chosen, "score": 0.0, "trace": [], "threshold": 0.5} for label in labels},
    }
    (workspace.level1_dir / "selection.json").write_text(json.dumps(selection))
    return selection


@pytest.fixture
def make_level1(make_workspace):
    """``make_level1(skills=..., n_selected=2, **workspace_kwargs) -> Workspace`` with level-1 outputs written."""

    def factory(*, skills=(0.5, 1.0, 1.5, 2.0), n_selected: int = 2, **kwargs) -> Workspace:
        workspace = make_workspace(**kwargs)
        write_level1(workspace, skills=skills, n_selected=n_selected, seed=kwargs.get("seed", 0))
        return workspace

    return factory
