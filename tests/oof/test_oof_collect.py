"""Run-folder validation, idempotent atomic ingest, crash safety, and Store.load."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import write_run

from stacker.config import CollectConfig
from stacker.exceptions import StoreError
from stacker.oof import collect_runs, read_run
from stacker.oof import store as store_module


def _edit_table(path, edit):
    frame = pd.read_csv(path, dtype={"image_name": str})
    frame = edit(frame)
    frame.to_csv(path, index=False)


def _set(row, label, value):
    def edit(frame):
        frame[label] = frame[label].astype(object)
        frame.loc[row, label] = value
        return frame
    return edit


BAD_RUNS = [
    ("no run.json", lambda d: (d / "run.json").unlink(), r"run.json: missing"),
    ("bad json", lambda d: (d / "run.json").write_text("{arch: x"), r"run.json: is not valid JSON"),
    ("no arch", lambda d: (d / "run.json").write_text('{"seed": 1}'), r"run.json: arch is required"),
    ("missing oof", lambda d: (d / "oof.csv").unlink(), r"no oof.parquet or oof.csv"),
    ("missing id", lambda d: _edit_table(d / "oof.csv", lambda f: f.drop(index=5)),
     r"oof.csv: ids do not match the train ids: 1 missing \(first: 'train_5'\), 0 unexpected"),
    ("extra id", lambda d: _edit_table(d / "test.csv", lambda f: pd.concat([f, f.tail(1).assign(image_name="zz")])),
     r"test.csv: ids do not match the test ids: 0 missing .* 1 unexpected \(first: 'zz'\)"),
    ("duplicated id", lambda d: _edit_table(d / "oof.csv", lambda f: f.assign(image_name=f.image_name.replace("train_3", "train_2"))),
     r"oof.csv: 1 duplicated ids \(first: 'train_2'\)"),
    ("missing label", lambda d: _edit_table(d / "oof.csv", lambda f: f.drop(columns="label_2")),
     r"label columns missing: \['label_2'\]"),
    ("unknown column", lambda d: _edit_table(d / "oof.csv", lambda f: f.assign(hze=0.1)),
     r"columns \['hze'\] are not workspace labels"),
    ("renamed label", lambda d: _edit_table(d / "oof.csv", lambda f: f.rename(columns={"label_2": "label 2"})),
     r"label columns missing: \['label_2'\] \(columns are matched by name\); columns \['label 2'\] are not "
     r"workspace labels \(renamed\?\)"),

    ("nan", lambda d: _edit_table(d / "oof.csv", _set(7, "label_1", np.nan)),
     r"oof.csv: 1 NaN values \(first at id 'train_7', label 'label_1'\)"),
    ("inf", lambda d: _edit_table(d / "test.csv", _set(2, "label_0", np.inf)),
     r"test.csv: 1 infinite values \(first at id 'test_2', label 'label_0'\)"),
    ("out of range", lambda d: _edit_table(d / "oof.csv", _set(4, "label_3", 1.5)),
     r"out-of-range .* \(first at id 'train_4', label 'label_3'\)"),
    ("text value", lambda d: _edit_table(d / "oof.csv", _set(9, "label_0", "high")),
     r"label 'label_0' has non-numeric values \(first at id 'train_9'\)"),
]


@pytest.mark.parametrize("problem, damage, match", BAD_RUNS, ids=[b[0] for b in BAD_RUNS])
def test_bad_run_is_rejected_with_a_clear_line(make_workspace, problem, damage, match):
    ws = make_workspace(n_train=30, n_test=10)
    write_run(ws, "good")
    damage(write_run(ws, "bad"))
    report = collect_runs(ws, ws.root / "runs")
    assert report.added == ["good"]
    assert list(report.rejected) == ["bad"]
    reason = report.rejected["bad"]
    assert "\n" not in reason and "'bad'" in reason
    assert pytest.importorskip("re").search(match, reason), reason
    assert ws.store().names() == ["good"]


def test_a_run_folder_name_with_a_newline_is_rejected(make_workspace):
    ws = make_workspace(n_train=30, n_test=10)
    write_run(ws, "bad").rename(ws.root / "runs" / "bad\nname")
    report = collect_runs(ws, ws.root / "runs")
    assert report.rejected == {"bad\nname": "run 'bad\\nname': its folder name has control characters (a newline, a "
                                            "tab, ...); rename the folder"}
    assert not ws.store().names()


def test_per_fold_layout_matches_folds_file(make_workspace):
    ws = make_workspace(n_train=30, n_test=10, k=3)
    run = write_run(ws, "pf", per_fold=True, fmt="parquet")
    data = read_run(run, ws)
    whole = write_run(ws, "pf", per_fold=False, runs_dir=ws.root / "other")
    np.testing.assert_allclose(data.oof, read_run(whole, ws).oof, rtol=1e-6)
    # a fold file holding another fold's ids is refused
    f0, f1 = pd.read_parquet(run / "fold0" / "oof.parquet"), pd.read_parquet(run / "fold1" / "oof.parquet")
    f0.to_parquet(run / "fold1" / "oof.parquet")
    f1.to_parquet(run / "fold0" / "oof.parquet")
    report = collect_runs(ws, ws.root / "runs")
    assert "fold0/oof.parquet: ids do not match the fold 0 held-out ids" in report.rejected["pf"]


def test_missing_fold_folder_is_named(make_workspace):
    ws = make_workspace(n_train=30, n_test=10, k=3)
    run = write_run(ws, "pf", per_fold=True)
    for path in (run / "fold2").iterdir():
        path.unlink()
    (run / "fold2").rmdir()
    report = collect_runs(ws, ws.root / "runs")
    assert "fold folders [0, 1] do not match folds.csv's folds [0, 1, 2]" in report.rejected["pf"]


def test_per_fold_test_predictions_are_averaged(make_workspace):
    ws = make_workspace(n_train=30, n_test=10, k=2)
    run = write_run(ws, "pf", per_fold=True)
    for k, value in enumerate((0.2, 0.6)):
        frame = pd.read_csv(run / f"fold{k}" / "test.csv")
        frame[ws.labels] = value
        frame.to_csv(run / f"fold{k}" / "test.csv", index=False)
    np.testing.assert_allclose(read_run(run, ws).test, 0.4, rtol=1e-6)


def test_columns_and_rows_are_matched_by_name_not_position(make_workspace):
    ws = make_workspace(n_train=30, n_test=10)
    run = write_run(ws, "a")
    expected = read_run(run, ws)
    frame = pd.read_csv(run / "oof.csv")
    frame[frame.columns[::-1]].sample(frac=1.0, random_state=0).to_csv(run / "oof.csv", index=False)
    np.testing.assert_array_equal(read_run(run, ws).oof, expected.oof)


def test_collect_is_idempotent_and_refuses_silent_overwrite(make_workspace):
    ws = make_workspace(n_train=30, n_test=10)
    write_run(ws, "a")
    write_run(ws, "b", fmt="parquet")
    assert collect_runs(ws, ws.root / "runs").added == ["a", "b"]
    before = {e.name: e.content_hash for e in ws.store().entries()}
    again = collect_runs(ws, ws.root / "runs")
    assert again.unchanged == ["a", "b"] and not again.added
    assert {e.name: e.content_hash for e in ws.store().entries()} == before
    write_run(ws, "a", seed=9)  # same name, new content
    report = collect_runs(ws, ws.root / "runs")
    assert "already stored with different content" in report.rejected["a"] and "--replace" in report.rejected["a"]
    assert ws.store().entry("a").content_hash == before["a"]
    assert collect_runs(ws, ws.root / "runs", CollectConfig(replace=True)).replaced == ["a"]
    assert ws.store().entry("a").content_hash != before["a"]
    assert len(list((ws.oof_dir / "data").iterdir())) == 4  # the old files were swept


def test_crash_mid_ingest_leaves_store_as_it_was(make_workspace, monkeypatch):
    ws = make_workspace(n_train=30, n_test=10)
    write_run(ws, "a")
    collect_runs(ws, ws.root / "runs")
    oof_before, _ = ws.store().load()
    write_run(ws, "b")
    real_write = store_module.write_matrix
    calls = []

    def crash_on_test_file(path, values, labels):
        calls.append(path)
        if path.name.endswith(".test.parquet"):
            raise KeyboardInterrupt  # Ctrl-C after the OOF file was written
        real_write(path, values, labels)

    monkeypatch.setattr(store_module, "write_matrix", crash_on_test_file)
    with pytest.raises(KeyboardInterrupt):
        collect_runs(ws, ws.root / "runs")
    monkeypatch.undo()
    assert calls, "the crash hook was not reached"
    store = ws.store()  # reopening sweeps the orphan
    assert store.names() == ["a"]
    np.testing.assert_array_equal(store.load()[0], oof_before)
    assert len(list((ws.oof_dir / "data").iterdir())) == 2
    assert collect_runs(ws, ws.root / "runs").added == ["b"]


def test_crash_while_the_first_catalog_is_made_leaves_no_catalog(make_workspace, monkeypatch):
    # The CI kill drill once SIGKILLed the first oof-collect between creating catalog.sqlite and its tables.
    ws = make_workspace(n_train=30, n_test=10)
    write_run(ws, "a")
    real_connect = store_module.sqlite3.connect

    class DiesAfterTheSchema:
        def __init__(self, path):
            self.db = real_connect(path)

        def __getattr__(self, name):
            return getattr(self.db, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.db.__exit__(*exc)

        def executemany(self, *args):
            raise KeyboardInterrupt  # killed after the tables, before the store's shape rows

    monkeypatch.setattr(store_module.sqlite3, "connect", DiesAfterTheSchema)
    with pytest.raises(KeyboardInterrupt):
        collect_runs(ws, ws.root / "runs")
    monkeypatch.undo()
    assert not (ws.oof_dir / store_module.CATALOG).exists()
    assert ws.store().names() == []
    assert collect_runs(ws, ws.root / "runs").added == ["a"]
    assert sorted(p.suffix for p in (ws.oof_dir / "data").iterdir()) == [".parquet", ".parquet"]


def test_store_load_stacks_in_requested_order(make_store):
    ws = make_store(n_runs=3, n_train=30, n_test=10)
    store = ws.store()
    oof, test = store.load(["m2", "m0"])
    assert oof.shape == (2, 30, 4) and test.shape == (2, 10, 4) and oof.dtype == np.float32
    from stacker.oof import read_run
    np.testing.assert_allclose(oof[0], read_run(ws.root / "runs" / "m2", ws).oof)
    with pytest.raises(StoreError, match="unknown models \\['zz'\\]"):
        store.load(["zz"])


def test_store_refuses_a_different_workspace_shape(make_store):
    ws = make_store(n_runs=1, n_train=30, n_test=10)
    from stacker.oof import Store
    with pytest.raises(StoreError, match="built for other labels: the workspace adds \\(none\\) and drops"):
        Store(ws.oof_dir, labels=ws.labels[:2], n_train=30, n_test=10)
    with pytest.raises(StoreError, match="built for the workspace's labels in another order"):
        Store(ws.oof_dir, labels=ws.labels[::-1], n_train=30, n_test=10)
    with pytest.raises(StoreError, match="built for 30 train and 10 test rows; the workspace has 31 train"):
        Store(ws.oof_dir, labels=ws.labels, n_train=31, n_test=10)


def test_store_files_hold_no_pickles(make_store):
    ws = make_store(n_runs=2, n_train=30, n_test=10)
    files = [p for p in ws.oof_dir.rglob("*") if p.is_file()]
    assert {p.suffix for p in files if not p.name.startswith(".")} == {".sqlite", ".parquet"}
    assert {p.name for p in files if p.name.startswith(".")} <= {".lock", ".lock-holder"}  # the writer lock


def test_delete_is_all_or_nothing(make_store):
    ws = make_store(n_runs=3, n_train=30, n_test=10)
    store = ws.store()
    with pytest.raises(StoreError):
        store.delete(["m0", "nope"])
    assert store.names() == ["m0", "m1", "m2"]
    store.delete(["m0"])
    assert store.names() == ["m1", "m2"]
    meta = json.loads(json.dumps(store.entry("m1").meta))
    assert meta["arch"] == "arch1"


def test_collecting_again_repairs_a_damaged_or_lost_store_file(make_store):
    ws = make_store(n_runs=2, n_train=30, n_test=10)
    store = ws.store()
    oof_before, test_before = store.load(["m0", "m1"])
    data = ws.oof_dir / "data"
    digest = store.entry("m1").content_hash
    (data / f"{digest}.oof.parquet").write_bytes(b"PAR1 damaged")
    (data / f"{digest}.test.parquet").unlink()
    with pytest.raises(StoreError, match=f"{digest}.oof.parquet is not a readable matrix"):
        store.load(["m1"])
    report = collect_runs(ws, ws.root / "runs")
    assert (report.repaired, report.unchanged, report.added, report.rejected) == (["m1"], ["m0"], [], {})
    oof, test = ws.store().load(["m0", "m1"])
    np.testing.assert_array_equal(oof, oof_before)
    np.testing.assert_array_equal(test, test_before)
    assert collect_runs(ws, ws.root / "runs").unchanged == ["m0", "m1"]  # intact now: nothing rewritten


def test_a_lost_catalog_is_said_and_collecting_again_rebuilds_it(make_store, caplog):
    ws = make_store(n_runs=2, n_train=30, n_test=10)
    (ws.oof_dir / "catalog.sqlite").unlink()
    assert ws.store().names() == []
    assert "has no catalog (catalog.sqlite) but 4 data files: the catalog was lost" in caplog.text
    report = collect_runs(ws, ws.root / "runs")
    assert report.added == ["m0", "m1"] and ws.store().names() == ["m0", "m1"]
