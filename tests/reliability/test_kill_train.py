"""SIGKILL drill for ``stacker train``: killed mid-run, the run folder holds only whole folds,
oof-collect refuses it in one line until it is complete, and ``--resume`` gives the uninterrupted run's files."""

import sys
from pathlib import Path

import numpy as np
from drills import TRAIN, run_cli, train_kill_drill

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "level0"))
from level0_factories import image_workspace  # noqa: E402


def test_a_killed_train_leaves_whole_folds_and_resumes_to_the_uninterrupted_run(tmp_path):
    ws = image_workspace(tmp_path / "ws", n_train=24, n_test=4, k=2)
    assert run_cli([*TRAIN, "--name", "straight", "-w", str(ws.root)])[0] == 0
    delay = train_kill_drill(ws.root, "killed", np.random.default_rng(14), ws.root / "runs" / "straight")
    assert 0 <= delay < 1.5
