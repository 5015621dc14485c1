"""Two oof-collect processes on one store at once: never a corrupted store, both outcomes clear;
readers work while a collect runs."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import write_run, write_workspace
from drills import concurrent_collects, env, run_cli

from stacker.data import Workspace


@pytest.mark.parametrize("wait", [0, 60], ids=["refuse", "wait"])
def test_two_concurrent_collects(tmp_path, wait):
    ws = write_workspace(tmp_path / "ws", n_train=48, n_test=12, n_labels=3, k=3)
    for i in range(6):
        write_run(ws, f"m{i}", seed=i, fmt=("csv", "parquet")[i % 2])
    results = concurrent_collects(ws.root, wait=wait)
    if wait:
        assert [code for code, _ in results] == [0, 0]  # the second waited for the first
    else:  # each either stored the runs or refused in one line (checked in the drill)
        assert sorted(code for code, _ in results) in ([0, 0], [0, 1])


def test_readers_work_and_see_whole_models_while_a_collect_runs(tmp_path):
    ws = write_workspace(tmp_path / "ws", n_train=48, n_test=12, n_labels=3, k=3)
    for i in range(12):
        write_run(ws, f"m{i:02d}", seed=i, fmt="csv")
    process = subprocess.Popen([sys.executable, "-m", "stacker", "oof-collect", "-w", str(ws.root), "runs"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env())
    seen, reads_during = [], 0
    while process.poll() is None:
        code, out, err = run_cli(["ls", "-w", str(ws.root), "--json"])
        assert code == 0, err
        names = [row["name"] for row in json.loads(out)] if out.strip() else []
        oof, test = Workspace.load(ws.root).store().load(names)  # every listed model loads whole
        assert oof.shape == (len(names), 48, 3) and np.isfinite(oof).all()
        seen.append(len(names))
        reads_during += process.poll() is None
    assert process.returncode == 0, process.stderr.read()
    assert reads_during >= 1 and seen == sorted(seen)  # read while it ran; models only ever appear
    assert len(ws.store().names()) == 12
