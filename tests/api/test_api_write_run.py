"""``stacker.write_run``: any framework's arrays -> a run folder oof-collect accepts, refusals at write time."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

import stacker
from stacker.exceptions import RunFormatError
from stacker.oof import collect_runs, read_run


def _arrays(ws, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((len(ws.train_ids), len(ws.labels))).astype(np.float32),
            rng.random((len(ws.test_ids), len(ws.labels))).astype(np.float32))


def _ids(ws):
    return ws.train_ids, ws.test_ids


INPUTS = {
    "numpy": lambda a, labels: a,
    "float64": lambda a, labels: a.astype(np.float64),
    "pandas": lambda a, labels: pd.DataFrame(a, columns=labels),
    "torch": lambda a, labels: torch.from_numpy(a),
}


@pytest.mark.parametrize("fmt", ["npy", "npz", "h5", "parquet", "csv"])
@pytest.mark.parametrize("kind", list(INPUTS))
def test_written_run_is_read_back_exactly(make_workspace, kind, fmt):
    ws = make_workspace(n_train=30, n_test=10)
    oof, test = _arrays(ws)
    convert = INPUTS[kind]
    labels = ws.labels if fmt in ("parquet", "csv") else None
    run_dir = stacker.write_run(ws.root / "runs" / "r50_s0", oof=convert(oof, ws.labels), test=convert(test, ws.labels),
                                arch="resnet50", seed=0, variant="jpeg", labels=labels, ids=_ids(ws), format=fmt,
                                id_column=ws.config.id_column)
    run = read_run(run_dir, ws)
    np.testing.assert_array_equal(run.oof, oof)
    np.testing.assert_array_equal(run.test, test)
    assert (run.arch, run.meta["seed"], run.meta["variant"]) == ("resnet50", 0, "jpeg")
    assert sorted(p.name for p in run_dir.iterdir()) == sorted(["run.json", f"oof.{fmt}", f"test.{fmt}"])
    assert collect_runs(ws, ws.root / "runs").added == ["r50_s0"]


def test_dataframe_columns_in_any_order_are_stored_as_labels(make_workspace):
    ws = make_workspace(n_train=30, n_test=10)
    oof, test = _arrays(ws)
    reversed_labels = ws.labels[::-1]
    run_dir = stacker.write_run(ws.root / "runs" / "r", oof=pd.DataFrame(oof[:, ::-1], columns=reversed_labels),
                                test=pd.DataFrame(test[:, ::-1], columns=reversed_labels), arch="a")
    assert json.loads((run_dir / "run.json").read_text())["labels"] == reversed_labels
    np.testing.assert_array_equal(read_run(run_dir, ws).oof, oof)


def _nan(a):
    a = a.copy()
    a[4, 2] = np.nan
    return a


def _above(a):
    a = a.copy()
    a[1, 3] = 1.25
    return a


REFUSALS = [
    ("NaN", dict(oof=_nan), r"run 'r50', oof\.npy: 1 NaN values \(first at row 4, column 2\); re-export"),
    ("out of range", dict(test=_above),
     r"run 'r50', test\.npy: 1 out-of-range \(not in \[0, 1\]\) values \(first at row 1, column 3\)"),
    ("1-D", dict(oof=lambda a: a[:, 0]), r"run 'r50', oof\.npy: array has shape \(30,\); expected 2-D"),
    ("columns differ", dict(test=lambda a: a[:, :3]), r"run 'r50': oof has 4 columns, test 3"),
]


@pytest.mark.parametrize("problem, damage, match", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_bad_values_are_refused_with_the_collect_message_and_nothing_is_written(make_workspace, problem, damage, match):
    ws = make_workspace(n_train=30, n_test=10)
    oof, test = _arrays(ws)
    tables = {"oof": oof, "test": test}
    tables.update({stem: change(tables[stem]) for stem, change in damage.items()})
    with pytest.raises(RunFormatError, match=match):
        stacker.write_run(ws.root / "runs" / "r50", arch="resnet50", **tables)
    assert not (ws.root / "runs").exists() or not any((ws.root / "runs").iterdir())


def test_write_time_message_equals_the_collect_message(make_workspace):
    ws = make_workspace(n_train=30, n_test=10)
    oof, test = _arrays(ws)
    with pytest.raises(RunFormatError) as at_write:
        stacker.write_run(ws.root / "runs" / "r", oof=_nan(oof), test=test, arch="a", labels=ws.labels)
    run_dir = ws.root / "runs" / "r"
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text('{"arch": "a"}')
    np.save(run_dir / "oof.npy", _nan(oof))
    np.save(run_dir / "test.npy", test)
    at_collect = collect_runs(ws, ws.root / "runs").rejected["r"]
    assert at_collect == str(at_write.value).replace("row 4", "row 4 (id 'train_4')")


def test_other_refusals(make_workspace, tmp_path):
    ws = make_workspace(n_train=30, n_test=10)
    oof, test = _arrays(ws)
    path = tmp_path / "runs" / "r"
    with pytest.raises(RunFormatError, match=r"unknown format 'pickle'; choose one of npy, npz, h5, parquet, csv"):
        stacker.write_run(path, oof=oof, test=test, arch="a", format="pickle")
    with pytest.raises(RunFormatError, match=r"format 'parquet' needs ids=\(oof_ids, test_ids\) and labels"):
        stacker.write_run(path, oof=oof, test=test, arch="a", format="parquet")
    with pytest.raises(RunFormatError, match=r"arch must be a non-empty string, found ''"):
        stacker.write_run(path, oof=oof, test=test, arch="")
    with pytest.raises(RunFormatError, match=r"seed must be an integer, found 0.5"):
        stacker.write_run(path, oof=oof, test=test, arch="a", seed=0.5)
    with pytest.raises(RunFormatError, match=r"test\.csv: \(9,\) ids for 10 rows"):
        stacker.write_run(path, oof=oof, test=test, arch="a", format="csv", labels=ws.labels,
                          ids=(ws.train_ids, ws.test_ids[:9]))
    assert not path.exists() and [p.name for p in path.parent.iterdir()] == []
    stacker.write_run(path, oof=oof, test=test, arch="a")
    with pytest.raises(RunFormatError, match=r"already exists; pass overwrite=True"):
        stacker.write_run(path, oof=oof, test=test, arch="b")
    stacker.write_run(path, oof=test[:0], test=test, arch="b", overwrite=True)
    assert json.loads((path / "run.json").read_text()) == {"arch": "b"}
    assert sorted(p.name for p in path.parent.iterdir()) == ["r"]


def test_a_frame_with_its_id_column_or_without_a_label_is_one_run_format_error(tmp_path):
    oof = pd.DataFrame({"image_name": ["a", "b"], "x": [0.1, 0.2], "y": [0.3, 0.4]})
    with pytest.raises(RunFormatError, match="column 'image_name' is not numeric; pass only the probability"):
        stacker.write_run(tmp_path / "r1", oof=oof, test=oof[["x", "y"]], arch="a")
    with pytest.raises(RunFormatError, match=r"label columns missing: \['nope'\]"):
        stacker.write_run(tmp_path / "r2", oof=oof[["x", "y"]], test=oof[["x", "y"]], arch="a", labels=["x", "nope"])
    assert not (tmp_path / "r1").exists() and not (tmp_path / "r2").exists()
