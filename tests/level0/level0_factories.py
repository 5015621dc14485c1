"""Tiny image workspaces and configs for the level-0 trainer tests (PNG/JPEG files written with PIL).

A plain module, not a conftest.py: other test areas import their factories as `conftest`.
Configs run torch single-threaded (tiny models gain nothing from threads on busy shared cores).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from stacker.config import AugmentConfig, TrainConfig
from stacker.data import Workspace, make_folds, write_folds

ID = "image_name"


def write_images(folder: Path, ids: list[str], y: np.ndarray, *, size: int, ext: str, seed: int) -> None:
    """Noise images where label j lights up a square in colour channel j (so labels are learnable)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for image_id, row in zip(ids, y):
        pixels = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
        for j, on in enumerate(row):
            if on:
                pixels[size // 4: 3 * size // 4, size // 4: 3 * size // 4, j % 3] = 230
        Image.fromarray(pixels).save(folder / f"{image_id}.{ext}")


def image_workspace(root: Path, *, n_train: int = 32, n_test: int = 8, n_labels: int = 3, k: int = 2,
                    size: int = 32, ext: str = "png", seed: int = 0) -> Workspace:
    """A workspace with train/test CSVs, folds.csv and ``images/<id>.<ext>`` for every id."""
    rng = np.random.default_rng(seed)
    labels = [f"label_{j}" for j in range(n_labels)]
    y = (rng.random((n_train, n_labels)) < np.linspace(0.6, 0.2, n_labels)).astype(np.uint8)
    y[:n_labels] = np.eye(n_labels, dtype=np.uint8)  # every label has positives
    train_ids = [f"train_{i}" for i in range(n_train)]
    test_ids = [f"test_{i}" for i in range(n_test)]
    root.mkdir(parents=True, exist_ok=True)
    tags = [" ".join(label for label, on in zip(labels, row) if on) for row in y]
    pd.DataFrame({ID: train_ids, "tags": tags}).to_csv(root / "train.csv", index=False)
    pd.DataFrame({ID: test_ids, "tags": labels[0]}).to_csv(root / "test.csv", index=False)
    write_images(root / "images", train_ids, y, size=size, ext=ext, seed=seed)
    y_test = (rng.random((n_test, n_labels)) < 0.4).astype(np.uint8)
    write_images(root / "images", test_ids, y_test, size=size, ext=ext, seed=seed + 1)
    workspace = Workspace.init(root, train=root / "train.csv", test=root / "test.csv", id_column=ID)
    write_folds(workspace.folds_path, workspace.train_ids, make_folds(workspace.y, k=k, seed=seed), id_column=ID)
    return Workspace.load(root)


TINY = TrainConfig(
    arch="test_resnet", img_size=24, epochs=2, batch_size=8, lr=0.05, optimizer="sgd", warmup_epochs=0,
    tta="none", device="cpu", workers=2, threads=1, loss="bce", patience=0, cache_size=32, channels_last=False,
    augment=AugmentConfig(rrc_scale=(0.6, 1.0)),
)


def tiny(**changes) -> TrainConfig:
    """:data:`TINY` with ``changes``."""
    return replace(TINY, **changes)
