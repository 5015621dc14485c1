"""The store's writer lock: a second writer refuses with one line, or waits; readers never wait."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import write_run

from stacker.__main__ import main
from stacker.config import CollectConfig
from stacker.exceptions import StoreBusyError, StoreError
from stacker.oof import collect_runs

ROOT = Path(__file__).resolve().parents[2]
HOLD = "import sys; from stacker.oof.lock import store_lock\nwith store_lock(sys.argv[1]):\n    print('held', flush=True); sys.stdin.read()"


def _hold_lock(store_root):
    """A process holding the store's lock until its stdin is closed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(store_root)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout.readline().strip() == "held"
    return process


def test_second_writer_refuses_with_one_line_and_readers_go_on(make_store, capsys):
    ws = make_store(n_runs=2, n_train=24, n_test=6, n_labels=2, k=2)
    write_run(ws, "late")
    holder = _hold_lock(ws.oof_dir)
    try:
        capsys.readouterr()
        assert main(["oof-collect", "-w", str(ws.root), "runs"]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith("StoreBusyError: the store ") and "\n" not in err
        assert f"process {holder.pid}" in err and "--wait SECONDS" in err
        assert main(["ls", "-w", str(ws.root)]) == 0  # a reader does not wait
        assert ws.store().names() == ["m0", "m1"]
        with pytest.raises(StoreBusyError, match=r"after waiting 0.2 s"):
            collect_runs(ws, ws.root / "runs", CollectConfig(wait=0.2))
        with pytest.raises(StoreBusyError):
            ws.store().delete(["m0"])
    finally:
        holder.stdin.close()
        holder.wait()
    assert collect_runs(ws, ws.root / "runs").added == ["late"]


def test_a_waiting_writer_goes_on_when_the_first_finishes(make_store, caplog):
    ws = make_store(n_runs=1, n_train=24, n_test=6, n_labels=2, k=2)
    write_run(ws, "late")
    holder = _hold_lock(ws.oof_dir)
    threading.Timer(1.0, holder.stdin.close).start()  # the first writer finishes in a second
    start = time.monotonic()
    report = collect_runs(ws, ws.root / "runs", CollectConfig(wait=30))
    holder.wait()
    assert report.added == ["late"] and 0.8 < time.monotonic() - start < 30
    assert any("waiting up to 30 s" in r.getMessage() for r in caplog.records)


def test_sweep_leaves_a_running_writers_files_alone(make_store):
    ws = make_store(n_runs=1, n_train=24, n_test=6, n_labels=2, k=2)
    orphan = ws.oof_dir / "data" / ("f" * 64 + ".oof.parquet")
    orphan.write_bytes(b"written by a writer whose catalog row is not committed yet")
    holder = _hold_lock(ws.oof_dir)
    try:
        ws.store()  # opening sweeps unreferenced files, but not while another process writes
        assert orphan.exists()
    finally:
        holder.stdin.close()
        holder.wait()
    ws.store()
    assert not orphan.exists()


def test_load_rereads_the_catalog_when_a_concurrent_replace_swept_a_file(make_store, monkeypatch):
    ws = make_store(n_runs=2, n_train=24, n_test=6, n_labels=2, k=2)
    store = ws.store()
    stale = {e.name: e.content_hash for e in store.entries()} | {"m0": "0" * 64}  # m0 replaced meanwhile
    real = type(store)._hashes
    calls = []

    def hashes_once_stale(self, names):
        calls.append(names)
        return [stale[n] for n in names] if len(calls) == 1 else real(self, names)

    monkeypatch.setattr(type(store), "_hashes", hashes_once_stale)
    oof, _ = store.load(["m0", "m1"])
    assert len(calls) == 2 and oof.shape == (2, 24, 2)
    monkeypatch.setattr(type(store), "_hashes", lambda self, names: [stale[n] for n in names])
    with pytest.raises(StoreError, match="is missing"):  # the catalog itself points at a missing file
        store.load(["m0"])


def test_the_lock_is_reentrant_in_a_process_however_the_store_path_is_spelled(tmp_path, monkeypatch):
    from stacker.oof.lock import store_lock

    monkeypatch.chdir(tmp_path)
    with store_lock("oof"), store_lock(tmp_path / "oof"):  # a second lock object would refuse (wait 0)
        assert "process" in (tmp_path / "oof" / ".lock-holder").read_text()
    assert not (tmp_path / "oof" / ".lock-holder").exists()  # released: no note left to name a finished writer
