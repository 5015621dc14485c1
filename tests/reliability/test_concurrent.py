"""Two oof-collect processes on one store at once: never a corrupted store, both outcomes clear."""

import pytest
from conftest import write_run, write_workspace
from drills import concurrent_collects


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
