"""Kill-and-resume reproduces the uninterrupted run bit for bit, also inside a multi-epoch first stage."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from level0_factories import image_workspace, tiny
from stacker.config import AugmentConfig
from stacker.exceptions import TrainingError
from stacker.level0 import train_run

POLICY = AugmentConfig(hflip_p=0.5, vflip_p=0.5, rotate_p=0.5, shift_p=0.5, brightness_p=0.5, contrast_p=0.5,
                       hue_p=0.5)


class Killed(Exception):
    """Stands in for the process being killed right after an epoch's checkpoint."""


def kill_after(epoch_to_kill: int):
    def hook(fold: int, epoch: int, record: dict) -> None:
        if epoch == epoch_to_kill:
            raise Killed
    return hook


def checkpoint(run, which="last"):
    return torch.load(run / "checkpoints" / f"fold0_{which}.pt", weights_only=False)


@pytest.mark.parametrize("kill_epoch", [0, 1])
def test_resume_after_a_kill_gives_the_uninterrupted_weights(tmp_path, kill_epoch):
    workspace = image_workspace(tmp_path / "ws", n_train=32, n_test=4, k=2)
    # a first stage of two epochs (kill inside it or at its end), head-only first epoch, full augmentation
    config = tiny(stages=((16, 2), (24, 1)), folds=(0,), freeze_epochs=1, augment=POLICY, warmup_epochs=1,
                  optimizer="adamw", lr=0.01)
    straight = train_run(workspace, config.__class__(**{**config.__dict__, "name": "straight"}))
    resumed_config = config.__class__(**{**config.__dict__, "name": "resumed"})
    with pytest.raises(Killed):
        train_run(workspace, resumed_config, on_epoch_end=kill_after(kill_epoch))
    assert checkpoint(workspace.root / "runs" / "resumed")["epoch"] == kill_epoch + 1
    resumed = train_run(workspace, resumed_config, resume=True)
    a, b = checkpoint(straight.path), checkpoint(resumed.path)
    assert a["epoch"] == b["epoch"] == 3
    assert [h["size"] for h in b["history"]] == [16, 16, 24]  # progressive resizing survived the restart
    for key, value in a["model"].items():
        assert torch.equal(value, b["model"][key]), key
    for state_a, state_b in zip(a["optimizer"]["state"].values(), b["optimizer"]["state"].values()):
        assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)
    assert [h["train_loss"] for h in a["history"]] == [h["train_loss"] for h in b["history"]]
    for table in ("oof", "test"):
        pd.testing.assert_frame_equal(pd.read_parquet(straight.path / "fold0" / f"{table}.parquet"),
                                      pd.read_parquet(resumed.path / "fold0" / f"{table}.parquet"))


def test_resume_with_other_settings_is_refused(tmp_path):
    workspace = image_workspace(tmp_path / "ws", n_train=16, n_test=4, k=2)
    with pytest.raises(Killed):
        train_run(workspace, tiny(epochs=2, folds=(0,)), on_epoch_end=kill_after(0))
    with pytest.raises(TrainingError, match=r"different settings \(lr: 0.05 then, 0.1 now\)"):
        train_run(workspace, tiny(epochs=2, folds=(0,), lr=0.1), resume=True)
