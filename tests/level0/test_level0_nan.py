"""The NaN guard: a blown-up learning rate stops the fold, names where, keeps the last good checkpoint."""

from __future__ import annotations

import json

import pytest
import torch

from level0_factories import image_workspace, tiny
from stacker.exceptions import TrainingError
from stacker.level0 import train_run


def test_huge_learning_rate_trips_the_guard_and_writes_no_probabilities(tmp_path):
    workspace = image_workspace(tmp_path / "ws", n_train=32, n_test=4, k=2)
    # epoch 0 trains normally; from epoch 1 the step schedule multiplies the rate by 1e30
    config = tiny(epochs=3, schedule="step", step_epochs=1, step_gamma=1e30, folds=(0,))
    with pytest.raises(TrainingError, match=r"fold 0: non-finite loss or gradient at epoch 1, step \d+ of that epoch"):
        train_run(workspace, config)
    run = workspace.root / "runs" / "test_resnet_original_s0"
    assert not list(run.rglob("*.parquet"))
    last = torch.load(run / "checkpoints" / "fold0_last.pt", weights_only=False)
    assert last["epoch"] == 1  # the checkpoint after the good epoch 0 is kept
    assert all(torch.isfinite(v).all() for v in last["model"].values() if v.is_floating_point())
    assert json.loads((run / "run.json").read_text())["folds"] == {}
