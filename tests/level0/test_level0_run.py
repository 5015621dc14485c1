"""A two-fold run on tiny PNGs: the run folder contract, out-of-fold honesty, oof-collect, refusal to overwrite."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from level0_factories import image_workspace, tiny
from stacker.exceptions import TrainingError
from stacker.level0 import train_run
from stacker.level0.augment import DeviceAugment
from stacker.level0.model import build_model
from stacker.level0.run import load_cache


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    workspace = image_workspace(tmp_path_factory.mktemp("run") / "ws", n_train=32, n_test=8, k=2)
    return workspace, train_run(workspace, tiny())


def test_run_folder_holds_each_folds_held_out_ids_and_every_test_id(trained):
    workspace, result = trained
    assert result.path == workspace.root / "runs" / "test_resnet_original_s0"
    id_column = workspace.config.id_column
    for k in range(2):
        oof = pd.read_parquet(result.path / f"fold{k}" / "oof.parquet")
        test = pd.read_parquet(result.path / f"fold{k}" / "test.parquet")
        assert list(oof.columns) == [id_column, *workspace.labels] == list(test.columns)
        assert oof[id_column].tolist() == workspace.train_ids[workspace.folds == k].tolist()
        assert test[id_column].tolist() == workspace.test_ids.tolist()
        values = np.concatenate([oof[workspace.labels].to_numpy(), test[workspace.labels].to_numpy()])
        assert values.dtype == np.float32 and np.isfinite(values).all()
        assert values.min() >= 0 and values.max() <= 1
    assert not list(result.path.rglob("*.tmp"))


def test_run_json_has_arch_seed_resolved_config_and_fold_summaries(trained):
    _, result = trained
    meta = json.loads((result.path / "run.json").read_text())
    assert (meta["arch"], meta["variant"], meta["seed"], meta["complete"]) == ("test_resnet", "original", 0, True)
    assert meta["config"]["stages"] == [[24, 2]] and meta["config"]["name"] == "test_resnet_original_s0"
    assert set(meta["folds"]) == {"0", "1"}
    summary = meta["folds"]["0"]
    assert 0 <= summary["val_score"] <= 1 and len(summary["history"]) == 2
    assert {"images_per_s", "data_wait", "train_loss", "val_loss", "lr"} <= set(summary["history"][0])
    assert result.val_scores == {k: meta["folds"][str(k)]["val_score"] for k in (0, 1)}
    assert "epoch 1" in (result.path / "train.log").read_text()


def test_oof_rows_are_predicted_by_the_fold_model_that_did_not_see_them(trained):
    workspace, result = trained
    cache = load_cache(workspace, result.config)
    rows = np.flatnonzero(workspace.folds == 0)
    x = DeviceAugment(result.config.augment, crop_pct=result.config.crop_pct).val(
        torch.from_numpy(np.asarray(cache.images[rows])), 24)
    oof = pd.read_parquet(result.path / "fold0" / "oof.parquet")[workspace.labels].to_numpy()
    predictions = {}
    for k in (0, 1):
        model = build_model("test_resnet", len(workspace.labels))
        model.load_state_dict(torch.load(result.path / "checkpoints" / f"fold{k}_best.pt")["model"])
        with torch.no_grad():
            predictions[k] = torch.sigmoid(model.eval()(x)).numpy()
    np.testing.assert_allclose(oof, predictions[0], atol=1e-6)
    assert not np.allclose(oof, predictions[1], atol=1e-3)


def test_oof_collect_accepts_the_run(trained):
    from stacker.oof import collect_runs

    workspace, result = trained
    report = collect_runs(workspace, result.path)
    assert report.ok, report.rejected
    assert report.added == [result.name] or report.unchanged == [result.name]


def test_existing_run_is_not_overwritten_and_a_finished_run_resumes_to_itself(trained):
    workspace, result = trained
    with pytest.raises(TrainingError, match="already exists; pass --resume"):
        train_run(workspace, tiny())
    oof_path = result.path / "fold1" / "oof.parquet"
    before = oof_path.stat().st_mtime_ns
    again = train_run(workspace, tiny(workers=1), resume=True)
    assert oof_path.stat().st_mtime_ns == before
    assert again.val_scores == result.val_scores
