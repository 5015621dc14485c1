"""The OOF store on object storage: manifests on ``memory://`` and on a real S3 API (moto server on 127.0.0.1).

collect -> select -> fit-l2 -> submit from ``s3://`` URLs gives the files of a
local store, and a kill -9 of oof-collect leaves a store that opens and lists
only complete runs.
"""

from __future__ import annotations

import logging
import re
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from stacker.__main__ import main
from stacker.data import Workspace
from stacker.exceptions import StoreError
from stacker.oof.object_store import ObjectStore
from stacker.oof.store import Store, content_hash
from conftest import write_run, write_workspace

REPO = Path(__file__).resolve().parents[2]


def _models(rng, n=3):
    return [(f"m{i}", rng.random((6, 2)), rng.random((4, 2))) for i in range(n)]


def test_object_store_behaves_as_the_local_store(tmp_path):
    rng = np.random.default_rng(0)
    shape = dict(labels=["a", "b"], n_train=6, n_test=4)
    local, remote = Store(tmp_path / "oof", **shape), ObjectStore("memory://same/oof", **shape)
    for store in (local, remote):
        assert store.names() == [] and store.entries() == []
        for name, oof, test in _models(np.random.default_rng(1)):
            assert store.add(name, oof, test, arch="x", seed=1, meta={"k": name}) == "added"
        assert store.add("m0", *_models(np.random.default_rng(1))[0][1:], arch="x", seed=1) == "unchanged"
        with pytest.raises(StoreError, match="already stored with different content"):
            store.add("m1", rng.random((6, 2)), rng.random((4, 2)), arch="x")
        store.delete(["m2"])
    assert remote.names() == local.names() == ["m0", "m1"]
    strip = [(e.name, e.kind, e.arch, e.seed, e.content_hash, e.meta) for e in local.entries()]
    assert [(e.name, e.kind, e.arch, e.seed, e.content_hash, e.meta) for e in remote.entries()] == strip
    for a, b in zip(local.load(), ObjectStore("memory://same/oof", **shape).load()):
        np.testing.assert_array_equal(a, b)
    data = remote.fs.ls(f"{remote.path}/data", detail=False)
    assert len(data) == 4  # m2's matrices went with its manifest


def test_object_store_refuses_another_workspace_shape_and_odd_names_round_trip():
    store = ObjectStore("memory://shape/oof", labels=["a", "b"], n_train=6, n_test=4)
    store.add("runs/odd name?", np.full((6, 2), 0.5), np.full((4, 2), 0.5), arch="x")
    assert ObjectStore("memory://shape/oof", labels=["a", "b"], n_train=6, n_test=4).names() == ["runs/odd name?"]
    with pytest.raises(StoreError, match=r"built for other labels: the workspace adds \(none\) and drops \['b'\]"):
        ObjectStore("memory://shape/oof", labels=["a"], n_train=6, n_test=4)
    with pytest.raises(StoreError, match=r"built for 6 train and 4 test rows; the workspace has 7 train and 4 test"):
        ObjectStore("memory://shape/oof", labels=["a", "b"], n_train=7, n_test=4)


def test_object_store_takes_no_local_lock_its_manifest_is_the_commit(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a file lock on the URL would appear here as a folder 'memory:'
    store = ObjectStore("memory://nolock/oof", labels=["a", "b"], n_train=6, n_test=4)
    with store.writing(wait=5), store.writing():
        store.add("m0", np.full((6, 2), 0.5), np.full((4, 2), 0.5), arch="x")
        store.delete(["m0"])
    assert list(tmp_path.iterdir()) == []


# ----- a real S3 API: moto's server on 127.0.0.1 ------------------------------------
@pytest.fixture(scope="module")
def s3():
    """An S3 endpoint (moto server, random free port, stopped after the module) with bucket 'team'."""
    pytest.importorskip("s3fs")
    server_module = pytest.importorskip("moto.server")
    import fsspec

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "FSSPEC_S3_ENDPOINT_URL": endpoint}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        patch.setitem(fsspec.config.conf, "s3", {"endpoint_url": endpoint})
        fs = fsspec.filesystem("s3", skip_instance_cache=True)
        deadline = time.monotonic() + 20
        while True:  # the server thread is up within a second or two
            try:
                fs.mkdir("team")
                break
            except FileExistsError:  # an earlier try that timed out on a busy machine created it
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield fs, env
    server.stop()


def _twin_workspaces(tmp_path, fs, prefix: str, n_runs: int = 4):
    """A local-store workspace and an s3-store twin; run folders written locally and uploaded under ``prefix``."""
    local = write_workspace(tmp_path / "local", n_train=90, n_test=20, n_labels=3)
    remote = write_workspace(tmp_path / "remote", n_train=90, n_test=20, n_labels=3)
    with open(remote.root / "stacker.toml", "a") as f:
        f.write(f'store = "s3://team/{prefix}/oof"\n')
    remote = Workspace.load(remote.root)
    for i in range(n_runs):
        write_run(local, f"r{i:02d}", skill=0.5 + 0.4 * i, arch=f"a{i % 2}", seed=i, fmt=["csv", "npy"][i % 2],
                  per_fold=i == 1)
    fs.put(str(local.root / "runs") + "/", f"team/{prefix}/runs/", recursive=True)
    return local, remote


def test_collect_select_fit_l2_submit_from_s3_gives_the_local_files(tmp_path, s3, capsys):
    fs, _ = s3
    local, remote = _twin_workspaces(tmp_path, fs, "e2e")
    steps = [["select", "--beam", "2", "--per-label", "2"], ["fit-l2", "--learner", "logistic"],
             ["submit", "--from", "level1", "--thresholds", "smooth"]]
    assert main(["oof-collect", "runs", "-w", str(local.root)]) == 0
    assert main(["oof-collect", "s3://team/e2e/runs/", "-w", str(remote.root)]) == 0
    assert "store s3://team/e2e/oof: 4 models" in capsys.readouterr().out
    for step in steps:
        for ws in (local, remote):
            assert main([*step, "-w", str(ws.root)]) == 0, step
    assert fs.ls("team/e2e/oof/catalog", detail=False) and not (remote.root / "oof").exists()
    assert [e.content_hash for e in remote.store().entries()] == [e.content_hash for e in local.store().entries()]
    for name in ["level1/selection.json", "level1/oof.parquet", "level2/logistic/oof.parquet",
                 "level2/logistic/scores.json", "submissions/l1-smooth.csv", "submissions/l2-logistic-smooth.csv"]:
        assert (remote.root / name).read_bytes() == (local.root / name).read_bytes(), name
    assert main(["ls", "-w", str(remote.root)]) == 0 and "r03" in capsys.readouterr().out


def test_kill_9_of_oof_collect_leaves_a_store_listing_only_complete_runs(tmp_path, s3):
    fs, env = s3
    local, remote = _twin_workspaces(tmp_path, fs, "kill", n_runs=20)
    command = [sys.executable, "-m", "stacker", "oof-collect", "s3://team/kill/runs", "-w", str(remote.root)]
    environment = {**os.environ, **env, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not _manifests(fs, "team/kill/oof") and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    store = remote.store()
    names = store.names()
    assert 1 <= len(names) < 20, f"the kill came too late or too early: {len(names)} runs listed"
    oof, test = store.load(names)
    for entry, o, t in zip(store.entries(), oof, test):  # every listed run is complete: its hash checks out
        assert content_hash(o, t, remote.labels) == entry.content_hash
    # A rerun completes the store; on a LocalCluster, whose workers read the run folders from S3 themselves.
    assert main(["oof-collect", "s3://team/kill/runs", "--cluster", "local:2", "-w", str(remote.root)]) == 0
    assert remote.store().names() == [f"r{i:02d}" for i in range(20)]


def _manifests(fs, root: str) -> list[str]:
    fs.invalidate_cache(f"{root}/catalog")
    return fs.glob(f"{root}/catalog/*.json")


@pytest.mark.parametrize("url, message", [
    ("nosuch://bucket/oof", r"StoreError: cannot open 'nosuch://bucket/oof': Protocol not known: nosuch; install"),
    ("s3://no-such-bucket/oof", r"rejected r0: cannot write to the store s3://no-such-bucket/oof .*check the URL, "
                                r"that the bucket exists and your credentials"),
])
def test_a_store_url_that_cannot_work_is_one_line_and_exit_1(tmp_path, s3, capsys, url, message):
    ws = write_workspace(tmp_path / "ws", n_train=30, n_test=5, n_labels=2)
    write_run(ws, "r0")
    with open(ws.root / "stacker.toml", "a") as f:
        f.write(f'store = "{url}"\n')
    assert main(["oof-collect", "runs", "-w", str(ws.root)]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert re.search(message, err) and "Traceback" not in err, err
