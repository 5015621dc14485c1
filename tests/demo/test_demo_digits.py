"""The digits-mosaic task: label statistics, images, determinism, no digit shared by train and test."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from PIL import Image

from stacker.data import Workspace
from stacker.demo.digits import (
    CANVAS,
    CELL,
    DIGIT_NAMES,
    EDGES_VARIANT,
    GRID,
    PREVALENCE,
    SMUDGE,
    build_digits_task,
    compose_mosaic,
    edge_image,
    render_view,
    sample_label_sets,
    split_digit_pool,
)


def test_prevalences_two_common_labels_and_a_rare_tail():
    y = sample_label_sets(40_000, np.random.default_rng(0))
    prevalence = y.mean(axis=0)
    assert (y.sum(axis=1) >= 1).all()
    assert sorted(prevalence)[-2] > 0.85  # two labels near 0.9
    assert (prevalence < 0.1).sum() >= 4  # several rare ones
    assert prevalence.min() > 0.02
    np.testing.assert_allclose(prevalence, [PREVALENCE[d] for d in range(10)], atol=0.01)


def test_co_occurrence_rules_hold():
    y = sample_label_sets(40_000, np.random.default_rng(1))
    eight, three, nine, four, five, two = (y[:, DIGIT_NAMES.index(n)] for n in
                                           ("eight", "three", "nine", "four", "five", "two"))
    assert eight.sum() > 0 and not (eight & (1 - three)).any()  # eight only beside three
    assert nine.sum() > 0 and not (nine & four).any()  # nine never beside four
    assert five[two == 1].mean() > 5 * five[two == 0].mean()
    zero, six = y[:, 0], y[:, 6]
    assert six.sum() > 0 and not (six & zero).any()  # six never beside zero


def test_digit_pools_are_disjoint_halves_of_every_class():
    train, test = split_digit_pool(np.random.default_rng(0))
    from sklearn.datasets import load_digits

    total = len(load_digits().images)
    assert sum(len(v) for v in train.values()) + sum(len(v) for v in test.values()) == total
    seen = {digit.tobytes() for pool in train.values() for digit in pool}
    # identical 8x8 bitmaps do occur in the bundled set; almost none may be shared
    shared = sum(digit.tobytes() in seen for pool in test.values() for digit in pool)
    assert shared <= 3


def test_mosaic_places_each_digit_in_its_own_cell():
    rng = np.random.default_rng(1)
    bright = np.ones((8, 8), dtype=np.float32)
    canvas, corners = compose_mosaic([bright, bright, bright], rng)
    assert canvas.shape == (CANVAS, CANVAS) and len(corners) == 3
    margin = (CANVAS - GRID * CELL) // 2
    cells = {((top - margin) // CELL, (left - margin) // CELL) for top, left in corners}
    assert len(cells) == 3  # each digit in its own cell
    assert canvas.sum() >= 3 * 64 * 0.55 and ((canvas > 0).sum() == 3 * 64)  # no overlap
    for top, left in corners:
        assert canvas[top:top + 8, left:left + 8].min() >= 0.55


def test_views_smudge_digits_independently():
    rng = np.random.default_rng(2)
    blank = np.zeros((8, 8), dtype=np.float32)  # a blank digit: noise alone averages about 0.09 over it
    canvas, corners = compose_mosaic([blank, blank], rng)
    views = np.stack([render_view(canvas, corners, rng) for _ in range(2000)])
    smudged = np.stack([views[:, top:top + 8, left:left + 8].mean(axis=(1, 2)) > 0.3 for top, left in corners])
    assert abs(smudged.mean() - SMUDGE) < 0.03
    both = (smudged[0] & smudged[1]).mean()
    assert abs(both - SMUDGE**2) < 0.02  # each digit smudged on its own
    assert views.shape[1:] == canvas.shape and 0 <= views.min() and views.max() <= 1
    edges = edge_image(views[0])
    assert edges.shape == canvas.shape and edges.max() == 1.0


def test_build_task_writes_a_loadable_workspace_with_two_variants(tmp_path):
    task = build_digits_task(tmp_path / "ws", n_train=40, n_test=12, seed=3)
    ws = Workspace.load(tmp_path / "ws")
    assert ws.labels == list(DIGIT_NAMES)
    assert len(ws.train_ids) == 40 and len(ws.test_ids) == 12 and task.y_test.shape == (12, 10)
    assert ws.metric.name == "f2-samples"
    for variant in ("original", EDGES_VARIANT):
        folder = ws.image_dir(variant)
        for image_id in [ws.train_ids[0], ws.test_ids[-1]]:
            with Image.open(folder / f"{image_id}.png") as image:
                assert image.size == (CANVAS, CANVAS) and image.mode == "L"
    train = pd.read_csv(tmp_path / "ws" / "train.csv")
    assert list(train.columns) == ["id", "tags"]
    assert all(set(tags.split()) <= set(DIGIT_NAMES) for tags in train["tags"])
    sample = pd.read_csv(tmp_path / "ws" / "sample_submission.csv")
    assert list(sample["id"]) == list(ws.test_ids)


def _digest(folder):
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != "stacker.toml":
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def test_same_seed_same_bytes_other_seed_other_task(tmp_path):
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        build_digits_task(tmp_path / name, n_train=20, n_test=5, seed=seed)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
