"""SIGKILL drills: oof-collect, select, fit-l2 and submit killed at seeded random moments.

After each kill the workspace opens, ``stacker ls`` works, every published output
is complete (files parse, hashes match) and a rerun equals an uninterrupted run.
One test for all commands, so the uninterrupted baseline is built once.
"""

import signal
import subprocess
import sys

import numpy as np
import pytest
from conftest import write_run, write_workspace
from drills import PIPELINE, env, kill_drill, make_baseline

KILLS_PER_COMMAND = 2


def test_killed_commands_leave_a_whole_workspace_and_a_rerun_equals_an_uninterrupted_one(tmp_path):
    ws = write_workspace(tmp_path / "ws", n_train=48, n_test=12, n_labels=3, k=3)
    for i in range(4):
        write_run(ws, f"m{i}", skill=0.5 + 0.5 * i, arch=f"arch{i % 2}", seed=i // 2, fmt=("csv", "parquet")[i % 2])
    baseline = make_baseline(ws.root, tmp_path)
    rng = np.random.default_rng(14)
    for command, _ in PIPELINE:
        moments = [kill_drill(baseline, command, rng, tmp_path) for _ in range(KILLS_PER_COMMAND)]
        assert all(0 < t < baseline.seconds[command] for t in moments), (command, moments)


def test_ctrl_c_prints_what_was_kept_and_exits_130(make_level1):
    ws = make_level1(n_train=48, n_test=12, n_labels=3, k=3)
    # as at a terminal: a suite started in the background of a non-interactive shell inherits SIGINT ignored,
    # and Python keeps an ignored SIGINT ignored in the child, so the child gets the default action back first
    process = subprocess.Popen([sys.executable, "-m", "stacker", "fit-l2", "-w", str(ws.root), "--learner", "mlp"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env(),
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        process.wait(timeout=2.5)
        pytest.fail("fit-l2 finished before the interrupt")
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)
    err = process.communicate(timeout=60)[1]
    # 130, or death by SIGINT after the line when a second interrupt lands during interpreter shutdown
    # (a shell shows both as exit status 130)
    assert process.returncode in (130, -signal.SIGINT), err
    assert err.strip().splitlines()[-1].startswith("interrupted; the previous level2/<learner>/"), err
    assert "Traceback" not in err
    assert not (ws.level2_dir / "mlp").exists() and not ws.submissions_dir.exists()
    assert [p.name for p in ws.root.iterdir() if p.name.endswith(".tmp")] == []
