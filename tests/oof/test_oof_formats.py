"""Positional run-folder formats (.npy, .npz, .h5): exact round trip and the same validation as CSV/Parquet."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import write_run, write_table

from stacker.exceptions import RunFormatError
from stacker.oof import collect_runs, read_run
from stacker.oof.formats import FORMATS, register_format

ALL = ["csv", "parquet", "npy", "npz", "h5"]
POSITIONAL = ["npy", "npz", "h5"]


def test_every_registered_format_is_tested():
    assert sorted(s.lstrip(".") for s in FORMATS) == sorted(ALL)


def test_a_suffix_registers_once():
    with pytest.raises(ValueError, match="'.npy' is already registered"):
        register_format(".npy", labelled=False)(lambda path, stem, id_column: None)


@pytest.mark.parametrize("per_fold", [False, True], ids=["whole", "per-fold"])
@pytest.mark.parametrize("fmt", POSITIONAL)
def test_positional_run_reads_exactly_as_its_csv_twin(make_workspace, fmt, per_fold):
    ws = make_workspace(n_train=30, n_test=10)
    csv = read_run(write_run(ws, "same", fmt="csv", per_fold=per_fold, runs_dir=ws.root / "a"), ws)
    other = read_run(write_run(ws, "same", fmt=fmt, per_fold=per_fold, runs_dir=ws.root / "b"), ws)
    np.testing.assert_array_equal(other.oof, csv.oof)
    np.testing.assert_array_equal(other.test, csv.test)


@pytest.mark.parametrize("fmt", POSITIONAL)
def test_float32_values_round_trip_bit_for_bit(make_workspace, fmt):
    ws = make_workspace(n_train=30, n_test=10)
    rng = np.random.default_rng(1)
    oof = rng.random((30, 4)).astype(np.float32)
    test = rng.random((10, 4)).astype(np.float32)
    run_dir = ws.root / "runs" / "r"
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text('{"arch": "a"}')
    write_table(run_dir / "oof", fmt, None, oof, ws.labels)
    write_table(run_dir / "test", fmt, None, test, ws.labels)
    assert collect_runs(ws, ws.root / "runs").added == ["r"]
    stored_oof, stored_test = ws.store().load(["r"])
    np.testing.assert_array_equal(stored_oof[0], oof)
    np.testing.assert_array_equal(stored_test[0], test)


@pytest.mark.parametrize("fmt", POSITIONAL)
def test_run_json_labels_state_the_column_order(make_workspace, fmt):
    ws = make_workspace(n_train=30, n_test=10)
    plain = read_run(write_run(ws, "r", fmt=fmt, runs_dir=ws.root / "a"), ws)
    run_dir = ws.root / "b" / "r"
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps({"arch": "a", "labels": ws.labels[::-1]}))
    write_table(run_dir / "oof", fmt, None, plain.oof[:, ::-1], ws.labels[::-1])
    write_table(run_dir / "test", fmt, None, plain.test[:, ::-1], ws.labels[::-1])
    reordered = read_run(run_dir, ws)
    np.testing.assert_array_equal(reordered.oof, plain.oof)
    np.testing.assert_array_equal(reordered.test, plain.test)


def _rows(values, ids):
    return values[:-1], ids[:-1]


def _columns(values, ids):
    return values[:, :-1], ids


def _nan(values, ids):
    values = values.copy()
    values[3, 1] = np.nan
    return values, ids


def _range(values, ids):
    values = values.copy()
    values[2, 0] = 1.5
    return values, ids


# (problem, damage, message for labelled tables, message for positional ones), after "run 'bad', oof.<fmt>: ".
DAMAGE = [
    ("wrong row count", _rows, r"ids do not match the train ids: 1 missing \(first: 'train_29'\)",
     r"29 rows, expected 30 \(the train ids"),
    ("wrong column count", _columns, r"label columns missing: \['label_3'\]",
     r"3 columns but the workspace has 4 labels and run.json states no 'labels'"),
    ("NaN", _nan, r"1 NaN values \(first at id 'train_3', label 'label_1'\)",
     r"1 NaN values \(first at row 3 \(id 'train_3'\), label 'label_1'\)"),
    ("out of range", _range, r"1 out-of-range \(not in \[0, 1\]\) values \(first at id 'train_2', label 'label_0'\)",
     r"1 out-of-range \(not in \[0, 1\]\) values \(first at row 2 \(id 'train_2'\), label 'label_0'\)"),
]


@pytest.mark.parametrize("fmt", ALL)
@pytest.mark.parametrize("problem, damage, labelled, positional", DAMAGE, ids=[d[0] for d in DAMAGE])
def test_every_format_is_refused_with_one_line_naming_run_file_row_and_label(
        make_workspace, fmt, problem, damage, labelled, positional):
    ws = make_workspace(n_train=30, n_test=10)
    write_run(ws, "good", fmt=fmt)
    run_dir = write_run(ws, "bad", fmt=fmt)
    values = read_run(run_dir, ws).oof
    (run_dir / f"oof.{fmt}").unlink()
    values, ids = damage(values.astype(np.float64), ws.train_ids)
    write_table(run_dir / "oof", fmt, ids, values, ws.labels[:values.shape[1]])
    report = collect_runs(ws, ws.root / "runs")
    assert report.added == ["good"] and list(report.rejected) == ["bad"]
    reason = report.rejected["bad"]
    assert "\n" not in reason
    expected = labelled if fmt in ("csv", "parquet") else positional
    assert pytest.importorskip("re").match(rf"run 'bad', oof\.{fmt}: {expected}", reason), reason
    assert ws.store().names() == ["good"]


def test_npy_without_labels_and_other_column_count_is_refused_in_one_line(make_workspace):
    ws = make_workspace(n_train=30, n_test=10)
    run_dir = ws.root / "runs" / "r50"
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text('{"arch": "resnet50"}')
    np.save(run_dir / "oof.npy", np.full((30, 5), 0.5))
    np.save(run_dir / "test.npy", np.full((10, 5), 0.5))
    with pytest.raises(RunFormatError) as info:
        read_run(run_dir, ws)
    assert str(info.value) == (
        "run 'r50', oof.npy: 5 columns but the workspace has 4 labels and run.json states no 'labels'; "
        "add \"labels\": [...] (the column order) to run.json"
    )


def test_npz_with_several_arrays_none_named_oof_is_refused(make_workspace):
    ws = make_workspace(n_train=30, n_test=10)
    run_dir = write_run(ws, "r", fmt="npz")
    np.savez(run_dir / "oof.npz", probs=np.zeros((30, 4)), other=np.zeros((30, 4)))
    with pytest.raises(RunFormatError, match=r"run 'r', oof\.npz: cannot be read \(KeyError: \"holds arrays "
                                             r"\['other', 'probs'\]; expected one named 'oof'"):
        read_run(run_dir, ws)


@pytest.mark.parametrize("fmt", ["npz", "h5"])
def test_a_single_array_of_any_name_is_the_table(make_workspace, fmt):
    ws = make_workspace(n_train=30, n_test=10)
    run_dir = write_run(ws, "r", fmt=fmt)
    expected = read_run(run_dir, ws).oof
    (run_dir / f"oof.{fmt}").unlink()
    write_table(run_dir / "probs", fmt, None, expected, ws.labels).rename(run_dir / f"oof.{fmt}")
    np.testing.assert_array_equal(read_run(run_dir, ws).oof, expected)


def test_two_formats_of_one_table_are_refused(make_workspace):
    ws = make_workspace(n_train=30, n_test=10)
    run_dir = write_run(ws, "r", fmt="npy")
    write_table(run_dir / "oof", "h5", None, np.zeros((30, 4)), ws.labels)
    with pytest.raises(RunFormatError, match=r"run 'r': both oof.npy and oof.h5; keep one"):
        read_run(run_dir, ws)


def test_labels_naming_an_unknown_label_are_refused(make_workspace):
    ws = make_workspace(n_train=30, n_test=10)
    run_dir = write_run(ws, "r", fmt="npy")
    (run_dir / "run.json").write_text(json.dumps({"arch": "a", "labels": ["label_0", "label_1", "label_2", "haze"]}))
    with pytest.raises(RunFormatError, match=r"run 'r', oof.npy: label columns missing: \['label_3'\]"):
        read_run(run_dir, ws)


def test_csv_tables_still_read_by_name(make_workspace):
    ws = make_workspace(n_train=30, n_test=10)
    run_dir = write_run(ws, "r", fmt="csv")
    frame = pd.read_csv(run_dir / "oof.csv", dtype={"image_name": str})
    frame.iloc[::-1, ::-1].to_csv(run_dir / "oof.csv", index=False)
    np.testing.assert_array_equal(read_run(run_dir, ws).oof, frame[ws.labels].to_numpy(np.float32))
