"""Every fanning-out stage on a real Dask LocalCluster (2 worker processes, 1 thread each).

The cluster gives exactly the local outputs (files compared byte for byte),
a failing task gives the local error, and a worker killed mid-fit-l2 is
replaced while the stage finishes with the same output.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from stacker.__main__ import main
from stacker.config import L2Config
from stacker.exceptions import ClusterError, ValidationError
from stacker.level2.features import LabelFeatures
from stacker.level2.learners import create_learner
from stacker.level2.nested import nested_cv
from stacker.level2.stage import fit_level2
from stacker.oof import collect_runs
from stacker.parallel import ClusterSpec, active_client, connect, map_tasks
from conftest import write_run

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler():
    """The address of a LocalCluster of 2 single-threaded worker processes, shared by this module."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  host="127.0.0.1") as cluster:
        yield cluster.scheduler_address


def _files(root, names):
    return {name: (root / name).read_bytes() for name in names}


def test_select_nested_on_the_cluster_writes_exactly_the_local_files(make_store, scheduler, capsys):
    ws = make_store(n_runs=6, n_train=150, n_labels=3)
    args = ["select", "--beam", "2", "--per-label", "2", "--bag", "none", "--nested", "-w", str(ws.root)]
    names = ["selection.json", "oof.parquet", "test.parquet"]
    assert main(args) == 0
    local = _files(ws.level1_dir, names)
    shutil.rmtree(ws.level1_dir)
    assert main([*args, "--cluster", scheduler]) == 0
    assert _files(ws.level1_dir, names) == local
    assert "nested" in json.loads(local["selection.json"])
    plain = ["--no-nested" if a == "--nested" else a for a in args]
    assert main(plain) == 0
    local = _files(ws.level1_dir, names)
    assert main([*plain, "--cluster", scheduler]) == 0  # select --no-nested too
    assert _files(ws.level1_dir, names) == local and "nested" not in json.loads(local["selection.json"])


def test_fit_l2_on_the_cluster_writes_exactly_the_local_files(make_level1, scheduler, capsys):
    ws = make_level1(n_train=150, n_test=30, n_labels=3)
    args = ["fit-l2", "--learner", "lightgbm", "--param", "n_estimators=20", "-w", str(ws.root)]
    names = ["level2/lightgbm/oof.parquet", "level2/lightgbm/test.parquet", "level2/lightgbm/scores.json",
             "level2/lightgbm/config.json", "submissions/l2-lightgbm-smooth.csv"]
    assert main(args) == 0
    local = _files(ws.root, names)
    shutil.rmtree(ws.level2_dir)
    shutil.rmtree(ws.submissions_dir)
    assert main([*args, "--cluster", scheduler]) == 0
    assert _files(ws.root, names) == local


def test_decide_on_the_cluster_writes_exactly_the_local_file(make_level1, scheduler, capsys):
    ws = make_level1(n_train=150, n_test=30, n_labels=3)
    fit_level2(ws, L2Config(learner="ridge"))  # a stage with views: each fold's rule is fitted on its view
    args = ["decide", "--from", "level2/ridge", "--rules", "greedy,smooth,bagged,expected-f", "-w", str(ws.root)]
    path = ws.level2_dir / "ridge" / "decide.json"
    assert main(args) == 0
    local = path.read_bytes()
    path.unlink()
    assert main([*args, "--cluster", scheduler]) == 0
    assert path.read_bytes() == local


def test_blend_on_the_cluster_writes_exactly_the_local_files(make_level1, scheduler, capsys):
    ws = make_level1(n_train=150, n_test=30, n_labels=3)
    for learner in ("ridge", "logistic"):
        fit_level2(ws, L2Config(learner=learner))
    args = ["blend", "--per-label", "4", "-w", str(ws.root)]
    names = [f"blend/{name}" for name in ("oof.parquet", "test.parquet", "nested.parquet", "blend.json", "scores.json")]
    assert main(args) == 0
    local = _files(ws.root, names)
    shutil.rmtree(ws.root / "blend")
    assert main([*args, "--cluster", scheduler]) == 0
    assert _files(ws.root, names) == local


def test_oof_collect_on_the_cluster_stores_exactly_the_local_models(make_workspace, scheduler, capsys):
    ws = make_workspace(n_train=90, n_labels=3)
    for i, fmt in enumerate(["csv", "parquet", "npy"]):
        write_run(ws, f"r{i}", skill=1.0 + i, arch=f"a{i}", fmt=fmt, per_fold=i == 1)
    (ws.root / "runs" / "broken").mkdir()
    (ws.root / "runs" / "broken" / "run.json").write_text("{not json")
    local = collect_runs(ws, ws.root / "runs")
    stored = ws.store().load()
    hashes = [e.content_hash for e in ws.store().entries()]
    shutil.rmtree(ws.oof_dir)
    assert main(["oof-collect", "runs", "--cluster", scheduler, "-w", str(ws.root)]) == 1  # one run rejected
    assert [e.content_hash for e in ws.store().entries()] == hashes
    for before, after in zip(stored, ws.store().load()):
        np.testing.assert_array_equal(before, after)
    assert local.added == ["r0", "r1", "r2"] and list(local.rejected) == ["broken"]
    assert f"rejected broken: {local.rejected['broken']}" in " ".join(capsys.readouterr().err.split())


def test_a_failing_task_raises_the_local_error_and_nothing_is_written(make_level1, scheduler):
    rng = np.random.default_rng(0)
    Y = rng.integers(0, 2, (60, 3))
    folds = np.arange(60) % 3
    features = [LabelFeatures(["a", "b"], rng.random((60, 2)), rng.random((10, 2))) for _ in range(3)]
    features[1].train[7, 0] = np.nan
    errors = []
    for cluster in (None, ClusterSpec(address=scheduler)):
        with connect(cluster), pytest.raises(ValidationError) as info:
            nested_cv(features, Y, folds, create_learner("logistic"), n_jobs=2)
        errors.append(f"{type(info.value).__name__}: {info.value}")
    assert errors[0] == errors[1] and "NaN" in errors[0]


def test_unreachable_scheduler_is_one_line_and_exit_1(make_level1, capsys, monkeypatch):
    import stacker.parallel.session as connect_module

    monkeypatch.setattr(connect_module, "CONNECT_TIMEOUT_S", 1.0)
    ws = make_level1(n_train=60, n_labels=2)
    started = time.monotonic()
    assert main(["fit-l2", "--learner", "ridge", "--cluster", "tcp://127.0.0.1:9", "-w", str(ws.root)]) == 1
    err = capsys.readouterr().err.strip()
    assert time.monotonic() - started < 30
    assert err.startswith("ClusterError: cannot reach a Dask scheduler at tcp://127.0.0.1:9 within 1 s")
    assert "dask scheduler" in err and "\n" not in err and not ws.level2_dir.exists()
    assert active_client() is None


def test_cluster_from_stacker_toml_and_option_wins(make_level1, scheduler, capsys):
    ws = make_level1(n_train=60, n_labels=2)
    with open(ws.root / "stacker.toml", "a") as f:
        f.write('cluster = "tcp://127.0.0.1:9"\n')
    assert main(["fit-l2", "--learner", "ridge", "--cluster", scheduler, "-w", str(ws.root)]) == 0
    assert "dask cluster" in capsys.readouterr().err


def test_a_bad_cluster_in_stacker_toml_is_named_as_that_setting(make_level1, capsys):
    ws = make_level1(n_train=60, n_labels=2)
    with open(ws.root / "stacker.toml", "a") as f:
        f.write('cluster = "bogus"\n')
    assert main(["fit-l2", "--learner", "ridge", "-w", str(ws.root)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"ClusterError: {ws.root / 'stacker.toml'}: cluster must be a Dask scheduler address")
    assert main(["fit-l2", "--learner", "ridge", "--cluster", "bogus", "-w", str(ws.root)]) == 1
    assert capsys.readouterr().err.startswith("ClusterError: --cluster must be a Dask scheduler address")


def test_a_worker_killed_mid_fit_l2_is_replaced_and_the_output_is_the_same(make_level1, scheduler):
    ws = make_level1(n_train=1500, n_test=50, n_labels=3, k=3)
    config = L2Config(learner="lightgbm", params={"n_estimators": 150})
    fit_level2(ws, config)
    names = ["level2/lightgbm/oof.parquet", "level2/lightgbm/test.parquet", "level2/lightgbm/scores.json"]
    local = _files(ws.root, names)
    shutil.rmtree(ws.level2_dir)
    with connect(ClusterSpec(address=scheduler)) as client:
        pids = client.run(os.getpid)
        outcome = {}
        stage = threading.Thread(target=lambda: outcome.setdefault("result", fit_level2(ws, config)))
        stage.start()
        victim = _wait_for_a_busy_worker(client, "level-2")
        os.kill(pids[victim], signal.SIGKILL)
        stage.join(timeout=120)
        assert "result" in outcome, "fit-l2 did not finish after a worker was killed"
        client.wait_for_workers(2, timeout=30)
        assert set(client.run(os.getpid).values()) != set(pids.values())  # the killed worker was replaced
    assert _files(ws.root, names) == local


def _wait_for_a_busy_worker(client, prefix: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker, keys in client.processing().items():
            if any(str(key).startswith(prefix) for key in keys):
                return worker
        time.sleep(0.005)
    raise AssertionError(f"no worker ran a {prefix!r} task within {timeout} s")


def test_train_folds_all_on_the_cluster_writes_the_local_run(tmp_path, scheduler, capsys):
    sys.path.insert(0, str(Path(__file__).parents[1] / "level0"))
    from level0_factories import image_workspace

    ws = image_workspace(tmp_path / "ws", n_train=16, n_test=4, k=2)
    args = ["train", "--arch", "test_resnet", "--img-size", "24", "--epochs", "1", "--batch-size", "8", "--device",
            "cpu", "--loss", "bce", "--tta", "none", "--no-channels-last", "--workers", "1", "--threads", "1",
            "--folds", "all", "-w", str(ws.root)]
    names = [f"fold{k}/{part}.parquet" for k in (0, 1) for part in ("oof", "test")]
    assert main([*args, "--name", "local"]) == 0
    assert main([*args, "--name", "dask", "--cluster", scheduler]) == 0
    assert _files(ws.root / "runs" / "dask", names) == _files(ws.root / "runs" / "local", names)
    meta = json.loads((ws.root / "runs" / "dask" / "run.json").read_text())
    assert meta["complete"] and sorted(meta["folds"]) == ["0", "1"]


def test_tasks_needing_a_resource_no_worker_offers_are_refused(scheduler):
    with connect(ClusterSpec(address=scheduler)), pytest.raises(ClusterError, match="GPU=1.*--resources"):
        map_tasks(abs, [(-1,)], description="fold", resources={"GPU": 1})
