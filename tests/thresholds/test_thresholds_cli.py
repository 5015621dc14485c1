"""``stacker thresholds`` in-process: table and JSON output, and errors without traceback."""

from __future__ import annotations

import json

import numpy as np
import pytest

from stacker.__main__ import main
from stacker.config import ThresholdConfig
from stacker.oof.matrix import write_matrix
from stacker.thresholds import evaluate_thresholds
from stacker.thresholds.stage import evaluate_stage
from conftest import synthetic_probabilities


@pytest.fixture
def workspace_with_level1(make_workspace):
    ws = make_workspace(n_train=150, n_labels=3, k=3)
    proba = synthetic_probabilities(ws.y, 1.5, np.random.default_rng(0))
    write_matrix(ws.level1_dir / "oof.parquet", proba, ws.labels)
    return ws, proba


def test_json_output_matches_library(workspace_with_level1, capsys):
    ws, proba = workspace_with_level1
    assert main(["thresholds", "-w", str(ws.root), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    expected = evaluate_thresholds(ws.y, proba.astype(np.float32), ws.folds, ws.metric.beta, ws.metric.average)
    assert out["best"] == expected["best"] and out["labels"] == ws.labels
    for name in ("greedy", "smooth"):
        assert out["methods"][name]["out_of_fold"] == pytest.approx(expected["methods"][name]["out_of_fold"])
        assert list(out["methods"][name]["thresholds"].values()) == pytest.approx(
            expected["methods"][name]["thresholds"].tolist())


def test_table_output(workspace_with_level1, capsys):
    ws, _ = workspace_with_level1
    assert main(["thresholds", "-w", str(ws.root)]) == 0
    out = capsys.readouterr().out
    assert "out-of-fold" in out and "best out of fold:" in out and ws.labels[0] in out


@pytest.mark.parametrize(
    "source, match",
    [("level2/lightgbm", "oof.parquet is missing"), ("../elsewhere", "level2/<learner>")],
)
def test_errors_without_traceback(workspace_with_level1, capsys, source, match):
    ws, _ = workspace_with_level1
    assert main(["thresholds", "-w", str(ws.root), "--from", source]) == 1
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err


def test_missing_label_column_and_wrong_rows(workspace_with_level1):
    from stacker.exceptions import StoreError, ValidationError

    ws, proba = workspace_with_level1
    write_matrix(ws.level2_dir / "ridge" / "oof.parquet", proba[:, :2], ws.labels[:2])
    with pytest.raises(StoreError, match="lacks label columns"):
        evaluate_stage(ws, "level2/ridge", ThresholdConfig())
    write_matrix(ws.level2_dir / "ridge" / "oof.parquet", proba[:10], ws.labels)
    with pytest.raises(ValidationError, match="has 10 rows but the workspace has 150"):
        evaluate_stage(ws, "level2/ridge", ThresholdConfig())
