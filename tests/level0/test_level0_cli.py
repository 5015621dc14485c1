"""`stacker train` through main(): options reach the config, bad input is one clear line, --sanity overfits."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from level0_factories import image_workspace, tiny
from stacker.__main__ import main
from stacker.exceptions import RegistryError, TrainingError, ValidationError
from stacker.level0 import sanity_check, train_run
from stacker.level0.run import parse_folds, resolve_config

TINY_ARGS = ["--arch", "test_resnet", "--img-size", "24", "--epochs", "1", "--batch-size", "8", "--device", "cpu",
             "--loss", "bce", "--tta", "flip", "--no-channels-last", "--workers", "1", "--threads", "1"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return image_workspace(tmp_path_factory.mktemp("cli") / "ws", n_train=24, n_test=4, k=2)


def test_train_command_writes_the_named_run(workspace, capsys):
    code = main(["train", *TINY_ARGS, "--folds", "1", "--name", "cli", "--augment", "vflip_p=0.5", "--json",
                 "-w", str(workspace.root)])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["val_scores"]) == {"1"}
    meta = json.loads((workspace.root / "runs" / "cli" / "run.json").read_text())
    assert meta["config"]["folds"] == [1] and meta["config"]["augment"]["vflip_p"] == 0.5
    assert (workspace.root / "runs" / "cli" / "fold1" / "oof.parquet").exists()
    assert not (workspace.root / "runs" / "cli" / "fold0").exists()


@pytest.mark.parametrize("args,message", [
    (["--arch", "resnet5O"], "RegistryError: unknown architecture 'resnet5O'.*close matches: resnet50"),
    (["--loss", "dice"], "RegistryError: unknown loss 'dice'; choose one of: bce, bce\\+soft-f2"),
    (["--stages", "128"], "ValidationError: stage '128'"),
    (["--folds", "7"], "ValidationError: --folds \\[7\\] not in folds.csv's folds 0..1"),
    (["--variant", "segmented"], "WorkspaceError: unknown image variant 'segmented'"),
    (["--device", "tpu"], "TrainingError: --device must be auto, cpu or cuda"),
    (["--precision", "bogus"], "TrainingError: --precision must be one of"),
    (["--patience", "-1"], "ValidationError: --patience must be >= 0; got -1"),
    (["--grad-clip", "-1"], "ValidationError: --grad-clip must be >= 0"),
    (["--augment", "vflip_p=2"], "ValidationError: --augment vflip_p=2.0: a probability must be in \\[0, 1\\]"),
    (["--pretrained", "/nonexistent.pt"], "TrainingError: pretrained weights file not found: /nonexistent.pt"),
])
def test_bad_options_give_one_line_and_exit_1(workspace, capsys, args, message):
    assert main(["train", *TINY_ARGS, "--name", "bad", *args, "-w", str(workspace.root)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert __import__("re").search(message, err), err
    assert not (workspace.root / "runs" / "bad").exists()  # nothing to block the corrected command


def test_library_refuses_a_seed_numpy_cannot_take(workspace):
    runs = workspace.root / "runs"
    before = sorted(runs.iterdir()) if runs.exists() else []
    with pytest.raises(ValidationError, match="--seed must be in 0..2\\*\\*32-1; got -1"):
        train_run(workspace, tiny(seed=-1, name="negative"))
    assert (sorted(runs.iterdir()) if runs.exists() else []) == before


def test_a_run_name_is_one_folder_under_runs(workspace, capsys):
    assert main(["train", *TINY_ARGS, "--name", "../escape", "-w", str(workspace.root)]) == 1
    assert "ValidationError: --name '../escape' cannot be a folder name" in capsys.readouterr().err
    assert not (workspace.root / "escape").exists()


def test_a_run_that_fails_before_its_first_checkpoint_leaves_no_folder(workspace, monkeypatch):
    import stacker.level0.run as run

    def broken(*args, **kwargs):
        raise TrainingError("the images could not be cached")

    monkeypatch.setattr(run, "load_cache", broken)
    with pytest.raises(TrainingError, match="could not be cached"):
        train_run(workspace, tiny(name="early"))
    assert not (workspace.root / "runs" / "early").exists()


def test_library_raises_the_same_errors(workspace):
    with pytest.raises(RegistryError, match="unknown optimizer 'lamb'"):
        train_run(workspace, tiny(optimizer="lamb"))
    with pytest.raises(ValidationError, match="--batch-size must be positive"):
        train_run(workspace, tiny(batch_size=0))
    with pytest.raises(ValidationError, match="--folds must be 'all' or fold numbers"):
        parse_folds("first")
    assert parse_folds("all") is None and parse_folds("1,0") == (0, 1)


def test_missing_image_is_reported_with_id_and_path(tmp_path):
    workspace = image_workspace(tmp_path / "ws", n_train=12, n_test=2, k=2)
    (workspace.root / "images" / "train_5.png").unlink()
    with pytest.raises(TrainingError, match=r"image for id 'train_5' not found: .*images/train_5\.png"):
        train_run(workspace, tiny())


def test_stages_override_size_and_epochs_and_name_defaults():
    config = resolve_config(tiny(stages=((16, 2), (24, 3)), img_size=99, epochs=99))
    assert (config.img_size, config.epochs, config.cache_size, config.name) == (24, 5, 32, "test_resnet_original_s0")
    assert resolve_config(tiny(cache_size=None)).cache_size == 24


def test_sanity_overfits_a_few_batches_and_fails_when_it_cannot_learn(workspace, capsys):
    config = tiny(optimizer="adamw", lr=0.01, sanity_batches=2, sanity_steps=40)
    passed = sanity_check(workspace, config)
    assert passed.passed and passed.final_loss < 0.1 * passed.initial_loss and passed.n_images == 12
    stuck = sanity_check(workspace, replace(config, lr=1e-9))
    assert not stuck.passed and stuck.final_loss == pytest.approx(stuck.initial_loss, rel=1e-3)
    assert main(["train", *TINY_ARGS, "--sanity", "--optimizer", "adamw", "--lr", "0.01",
                 "-w", str(workspace.root)]) == 0
    assert "passed" in capsys.readouterr().out
