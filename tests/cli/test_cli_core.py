"""The CLI boundary and the store commands, in-process through main() and once as a subprocess."""

import json
import subprocess
import sys

import pandas as pd
import pytest
from conftest import write_run

from stacker.__main__ import main


def test_every_command_is_listed_in_help():
    out = subprocess.run([sys.executable, "-m", "stacker", "--help"], capture_output=True, text=True, check=True)
    for command in ("init", "folds", "oof-collect", "ls"):
        assert command in out.stdout


def test_init_folds_collect_ls(tmp_path, make_workspace, capsys):
    ws = make_workspace(n_train=60, n_test=20)
    ws.folds_path.unlink()
    (ws.root / "stacker.toml").unlink()
    root = str(ws.root)
    assert main(["init", "-w", root, "--train", f"{root}/train.csv", "--test", f"{root}/sample_submission.csv",
                 "--id-column", "image_name"]) == 0
    assert main(["folds", "-w", root, "--k", "3"]) == 0
    assert pd.read_csv(ws.folds_path)["fold"].nunique() == 3
    from stacker.data import Workspace
    ws = Workspace.load(root)
    write_run(ws, "good", arch="cnn", seed=1)
    write_run(ws, "bad").joinpath("run.json").write_text("{}")
    capsys.readouterr()
    assert main(["oof-collect", "-w", root, "runs"]) == 1
    captured = capsys.readouterr()
    assert "added" in captured.out and "good" in captured.out
    assert "rejected bad: run 'bad', run.json: arch is required" in captured.err
    assert main(["ls", "-w", root, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["arch"], r["seed"]) for r in rows] == [("good", "cnn", 1)]
    assert set(rows[0]["per_label"]) == set(ws.labels) and 0 < rows[0]["mean"] <= 1


def test_every_commands_help_renders(capsys):
    from stacker.cli.app import build_app
    from typer.main import get_command

    commands = sorted(get_command(build_app()).commands)
    assert {"init", "submit", "decide", "thresholds", "stages"} <= set(commands)
    for command in commands:  # rich markup in a help text (e.g. "[/<group>]") fails only when rendered
        assert main([command, "--help"]) == 0, command
        assert "Usage: stacker " + command in capsys.readouterr().out


def test_stacker_error_is_one_line_exit_1(tmp_path, capsys):
    assert main(["ls", "-w", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("WorkspaceError: no stacker.toml") and "\n" not in err and "Traceback" not in err


@pytest.mark.parametrize("args", [["folds", "--k", "x"], ["no-such-command"], ["folds", "--seed", "-1"],
                                  ["select", "--seed", "4294967296"], ["fit-l2", "--jobs", "99999999999999999999"],
                                  ["stack", "--jobs", "-5"], ["report", "--dpi", "100000"]])
def test_usage_errors_exit_2(args, capsys):
    assert main(args) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_folds_refuses_to_change_an_existing_assignment(make_workspace, capsys):
    ws = make_workspace(k=3)
    before = ws.folds_path.read_text()
    assert main(["folds", "-w", str(ws.root), "--k", "5"]) == 1
    assert "--force" in capsys.readouterr().err
    assert ws.folds_path.read_text() == before


def test_forcing_new_folds_over_a_filled_store_warns_that_its_models_are_on_the_old_ones(make_store, caplog):
    from stacker.config import FoldsConfig
    from stacker.data.folds import assign_folds
    from stacker.exceptions import WorkspaceError

    ws = make_store(n_runs=2, k=3)
    assign_folds(ws, FoldsConfig(k=5), force=True)
    assert "the store holds 2 models made on the old folds" in caplog.text
    with pytest.raises(WorkspaceError, match="--k must be an integer between 2 and"):
        assign_folds(ws, FoldsConfig(k="5"), force=True)
    with pytest.raises(WorkspaceError, match="--seed must be an integer in 0..2\\*\\*32-1; got -1"):
        assign_folds(ws, FoldsConfig(k=5, seed=-1), force=True)
