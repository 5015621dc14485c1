"""Backbones by name, local pretrained weights, freezing, and early stopping with the best epoch restored."""

from __future__ import annotations

import json

import pytest
import timm
import torch

from level0_factories import image_workspace, tiny
from stacker.exceptions import RegistryError, TrainingError
from stacker.level0 import train_run
from stacker.level0.checkpoint import seed_for
from stacker.level0.model import build_model, set_backbone_trainable


def test_model_outputs_one_logit_per_label_and_normalises_its_input():
    model = build_model("test_efficientnet", 5).eval()
    x = torch.rand(2, 3, 32, 32)
    out = model(x)
    assert out.shape == (2, 5)
    mean, std = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
    expected = model.backbone((x - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1))
    torch.testing.assert_close(out, expected)


def test_unknown_arch_suggests_close_names():
    with pytest.raises(RegistryError, match="unknown architecture 'test_resnt'.*close matches: test_resnet"):
        build_model("test_resnt", 3)


def test_local_pretrained_weights_are_loaded_except_the_head(tmp_path):
    torch.manual_seed(1)
    source = timm.create_model("test_resnet", num_classes=1000)
    path = tmp_path / "weights.pth"
    torch.save(source.state_dict(), path)
    model = build_model("test_resnet", 3, pretrained=path)
    loaded, saved = model.backbone.state_dict(), source.state_dict()
    head = {"fc.weight", "fc.bias"}
    assert loaded["fc.weight"].shape == (3, saved["fc.weight"].shape[1])
    assert all(torch.equal(loaded[k], saved[k]) for k in saved if k not in head)
    with pytest.raises(TrainingError, match="pretrained weights file not found"):
        build_model("test_resnet", 3, pretrained=tmp_path / "missing.pth")


def test_freezing_leaves_only_the_head_trainable():
    model = build_model("test_resnet", 3)
    set_backbone_trainable(model, False)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"backbone.fc.weight", "backbone.fc.bias"}
    set_backbone_trainable(model, True)
    assert all(p.requires_grad for p in model.parameters())


def test_frozen_epochs_do_not_move_the_backbone(tmp_path):
    workspace = image_workspace(tmp_path / "ws", n_train=16, n_test=2, k=2)
    snapshots = {}

    def hook(fold, epoch, record):
        path = workspace.root / "runs" / "frozen" / "checkpoints" / "fold0_last.pt"
        snapshots[epoch] = torch.load(path, weights_only=False)["model"]

    train_run(workspace, tiny(epochs=2, freeze_epochs=1, folds=(0,), name="frozen"), on_epoch_end=hook)
    torch.manual_seed(seed_for(0, 0))  # the trainer's initial weights for seed 0, fold 0
    initial = build_model("test_resnet", 3).state_dict()
    conv, head = "backbone.conv1.0.weight", "backbone.fc.weight"
    assert torch.equal(initial[conv], snapshots[0][conv])  # frozen in epoch 0
    assert not torch.equal(initial[head], snapshots[0][head])  # the head trains from the start
    assert not torch.equal(snapshots[0][conv], snapshots[1][conv])  # unfrozen in epoch 1


def test_early_stopping_stops_after_patience_and_keeps_the_best_epoch(tmp_path):
    workspace = image_workspace(tmp_path / "ws", n_train=16, n_test=2, k=2)
    # a learning rate this small cannot change the score: no epoch after the first improves
    result = train_run(workspace, tiny(epochs=6, patience=2, lr=1e-12, folds=(0,)))
    summary = json.loads((result.path / "run.json").read_text())["folds"]["0"]
    assert summary["stopped_early"] and summary["epochs_run"] == 3 and summary["best_epoch"] == 0
    best = torch.load(result.path / "checkpoints" / "fold0_best.pt", weights_only=False)
    assert best["epoch"] == 0 and best["score"] == pytest.approx(summary["val_score"])


def test_an_image_size_the_arch_cannot_take_is_a_clear_error(tmp_path):
    workspace = image_workspace(tmp_path / "ws", n_train=8, n_test=2, k=2)
    with pytest.raises(TrainingError, match="test_convnext cannot take 8x8 images.*larger --img-size"):
        train_run(workspace, tiny(arch="test_convnext", stages=((8, 1), (24, 1))))
