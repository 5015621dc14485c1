"""A real multi-label image task built offline from scikit-learn's bundled digits.

Each image is a 3 x 3 mosaic of 10 x 10 cells on a 32 x 32 canvas; every cell
holds one jittered, noisy 8 x 8 handwritten digit or stays empty. The labels of
an image are the digit classes it shows, drawn with skewed prevalences (two
labels near 0.9, several rare ones) and with co-occurrence rules, as on Kaggle's
Planet task (where rare labels ride with common ones): "eight" only appears
beside "three", "nine" never beside "four", "six" never beside "zero", and
"two", "five" and "three" are much more likely beside a parent label
(zero -> two -> five, four -> three -> eight). A level-2 learner that sees every label's
level-1 output can learn these rules; a per-label model cannot. Train and test
mosaics take their digits from disjoint halves of the bundled set, so no
handwritten digit is seen in both.

Two image variants are written: ``images/`` (grayscale) and ``images_edges/``
(Sobel gradient magnitude), so that one architecture can be trained on two
views of the same data, as with segmented images on Planet. Each variant is
its own noisy rendering in which every digit is smudged out with probability
0.25, independently, so the two variants carry complementary evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from stacker.data.workspace import Workspace

ID_COLUMN = "id"
DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# Independent labels: probability that an image shows the digit.
BASE = {1: 0.9, 7: 0.88, 4: 0.45, 0: 0.32}
# Dependent labels, drawn in this order: digit -> (parent, P(digit | parent shown), P(digit | parent absent)).
DEPENDENT = {2: (0, 0.6, 0.04), 5: (2, 0.5, 0.04), 6: (0, 0.0, 0.13), 3: (4, 0.12, 0.015), 8: (3, 0.55, 0.0),
             9: (4, 0.0, 0.08)}
# The resulting marginal prevalence of each digit (0.9 and 0.88 down to about 0.03).
PREVALENCE = {1: 0.9, 7: 0.88, 4: 0.45, 0: 0.32, 2: 0.219, 5: 0.141, 6: 0.088, 3: 0.062, 9: 0.044, 8: 0.034}
GRID = 3
CELL = 10
CANVAS = 32
NOISE = 0.22
SMUDGE = 0.25
IMAGE_DIR = "images"
EDGES_DIR = "images_edges"
EDGES_VARIANT = "edges"


@dataclass(frozen=True)
class DigitsTask:
    """What :func:`build_digits_task` wrote: the workspace and its label matrices."""

    workspace: Workspace
    y_test: np.ndarray  # (n_test, n_labels) uint8: the hidden test labels, for the demo's own checks


def build_digits_task(root: Path | str, *, n_train: int, n_test: int, seed: int = 0) -> DigitsTask:
    """Write the digits mosaic task into ``root`` and return its workspace.

    Writes ``images/<id>.png``, ``images_edges/<id>.png``, ``train.csv``
    (id, space-separated tags), ``sample_submission.csv`` and ``stacker.toml``
    (labels in digit order, metric f2-samples, ``[variants] edges``).
    The same ``seed`` gives byte-identical files.
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    (train_pool, test_pool) = split_digit_pool(rng)
    y_train = sample_label_sets(n_train, rng)
    y_test = sample_label_sets(n_test, rng)
    train_ids = [f"train_{i:05d}" for i in range(n_train)]
    test_ids = [f"test_{i:05d}" for i in range(n_test)]
    _write_images(root, train_ids, y_train, train_pool, rng)
    _write_images(root, test_ids, y_test, test_pool, rng)
    _write_csvs(root, train_ids, y_train, test_ids)
    workspace = Workspace.init(
        root, train=root / "train.csv", test=root / "sample_submission.csv", id_column=ID_COLUMN,
        labels=tuple(DIGIT_NAMES), metric="f2-samples", images=IMAGE_DIR,
        variants={EDGES_VARIANT: EDGES_DIR}, image_ext="png",
    )
    return DigitsTask(workspace=workspace, y_test=y_test)


def split_digit_pool(rng: np.random.Generator) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Split the 1,797 bundled digits in two halves per class: ``{digit: images (n, 8, 8) in [0, 1]}``."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.astype(np.float32) / 16.0
    train, test = {}, {}
    for digit in range(10):
        members = rng.permutation(np.flatnonzero(digits.target == digit))
        half = len(members) // 2
        train[digit], test[digit] = images[members[:half]], images[members[half:]]
    return train, test


def sample_label_sets(n: int, rng: np.random.Generator) -> np.ndarray:
    """Label matrix (n, 10) uint8 drawn from :data:`BASE` and :data:`DEPENDENT`; every row shows a digit.

    Marginal prevalences are about :data:`PREVALENCE`.
    """
    y = np.zeros((n, 10), dtype=np.uint8)
    draws = rng.random((n, 10))
    for digit, p in BASE.items():
        y[:, digit] = draws[:, digit] < p
    for digit, (parent, p_with, p_without) in DEPENDENT.items():
        y[:, digit] = draws[:, digit] < np.where(y[:, parent] == 1, p_with, p_without)
    empty = np.flatnonzero(y.sum(axis=1) == 0)
    digits, weights = np.array(list(BASE)), np.array(list(BASE.values()))
    y[empty, rng.choice(digits, size=len(empty), p=weights / weights.sum())] = 1  # keeps the rules
    return y


def compose_mosaic(digits: list[np.ndarray], rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """A clean (32, 32) float canvas in [0, 1] with ``digits`` (8 x 8 each) in random cells, jittered.

    Returns the canvas and the top-left corner of each digit.
    """
    canvas = np.zeros((CANVAS, CANVAS), dtype=np.float32)
    cells = rng.choice(GRID * GRID, size=len(digits), replace=False)
    margin = (CANVAS - GRID * CELL) // 2
    corners = []
    for digit, cell in zip(digits, cells):
        dy, dx = rng.integers(0, CELL - 8 + 1, size=2)
        top, left = margin + (cell // GRID) * CELL + dy, margin + (cell % GRID) * CELL + dx
        canvas[top:top + 8, left:left + 8] = np.maximum(
            canvas[top:top + 8, left:left + 8], digit * rng.uniform(0.55, 1.0)
        )
        corners.append((int(top), int(left)))
    return canvas, corners


def render_view(canvas: np.ndarray, corners: list[tuple[int, int]], rng: np.random.Generator) -> np.ndarray:
    """One noisy view of a clean mosaic: each digit smudged over with probability :data:`SMUDGE`, plus noise.

    Each image variant is its own view, smudged independently, so a digit hidden
    in one variant is often visible in the other (two sensors, as RGB and
    infrared on Planet): models of the two variants know different things.
    """
    view = canvas.copy()
    for top, left in corners:
        if rng.random() < SMUDGE:
            view[top:top + 8, left:left + 8] = rng.uniform(0.2, 0.9, (8, 8))
    view += rng.normal(0.0, NOISE, view.shape).astype(np.float32)
    return np.clip(view, 0.0, 1.0)


def edge_image(image: np.ndarray) -> np.ndarray:
    """Sobel gradient magnitude of ``image`` (H, W), scaled to [0, 1]."""
    from scipy import ndimage

    magnitude = np.hypot(ndimage.sobel(image, axis=0), ndimage.sobel(image, axis=1))
    top = magnitude.max()
    return magnitude / top if top > 0 else magnitude


def _mosaic_digits(row: np.ndarray, pool: dict[int, np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """One handwritten sample of each digit class present in ``row``."""
    return [pool[d][rng.integers(len(pool[d]))] for d in np.flatnonzero(row)]


def _write_images(root: Path, ids: list[str], y: np.ndarray, pool: dict, rng: np.random.Generator) -> None:
    from PIL import Image

    for folder in (IMAGE_DIR, EDGES_DIR):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for image_id, row in zip(ids, y):
        canvas, corners = compose_mosaic(_mosaic_digits(row, pool, rng), rng)
        views = (render_view(canvas, corners, rng), edge_image(render_view(canvas, corners, rng)))
        for folder, image in zip((IMAGE_DIR, EDGES_DIR), views):
            Image.fromarray((image * 255).round().astype(np.uint8), mode="L").save(root / folder / f"{image_id}.png")


def _write_csvs(root: Path, train_ids: list[str], y_train: np.ndarray, test_ids: list[str]) -> None:
    tags = [" ".join(DIGIT_NAMES[d] for d in np.flatnonzero(row)) for row in y_train]
    pd.DataFrame({ID_COLUMN: train_ids, "tags": tags}).to_csv(root / "train.csv", index=False)
    common = " ".join(DIGIT_NAMES[d] for d, p in PREVALENCE.items() if p > 0.5)
    pd.DataFrame({ID_COLUMN: test_ids, "tags": common}).to_csv(root / "sample_submission.csv", index=False)
