"""Submissions: format, provenance, round trip through --check, tampered files refused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from stacker.__main__ import main
from stacker.config import SubmitConfig
from stacker.exceptions import SubmissionError, ValidationError
from stacker.oof.matrix import read_matrix
from stacker.submission import check_submission, default_name, format_submission, submit
from stacker.thresholds import evaluate_thresholds

ID = "image_name"


@pytest.fixture
def ws(make_level1):
    return make_level1(n_train=120, n_test=25, n_labels=3, k=3)


def test_submit_from_level1_writes_csv_and_provenance(ws):
    result = submit(ws, SubmitConfig(source="level1", rule="smooth"))
    assert result.csv == ws.submissions_dir / "l1-smooth.csv"
    frame = pd.read_csv(result.csv, dtype=str, keep_default_na=False)
    assert list(frame.columns) == [ID, "tags"] and frame[ID].tolist() == list(ws.test_ids)
    test = read_matrix(ws.level1_dir / "test.parquet", ws.labels)
    expected = [" ".join(l for l, t, p in zip(ws.labels, result.thresholds, row) if p >= t) for row in test]
    assert frame["tags"].tolist() == expected
    doc = json.loads(result.provenance.read_text())
    oof = read_matrix(ws.level1_dir / "oof.parquet", ws.labels)
    honest = evaluate_thresholds(ws.y, oof, ws.folds.astype(np.int64), 2.0, "samples")["methods"]["smooth"]
    assert doc["cv_f2"] == pytest.approx(honest["out_of_fold"]) == result.cv_f2
    assert doc["metric"] == "f2-samples" and doc["rule"] == "smooth" and doc["rule_params"]["bandwidth"] == 0.25 and doc["learner"] is None
    assert doc["stage_scores"] is None
    assert list(doc["thresholds"]) == ws.labels
    assert set(doc["models"]) == {"c2", "c3"}  # the selected candidates, with store and member hashes
    assert doc["models"]["c3"]["content_hash"] == ws.level1_store().entry("c3").content_hash
    assert doc["models"]["c3"]["members"] == ["m3_s0", "m3_s1"] and len(doc["models"]["c3"]["member_hashes"]) == 2
    assert doc["selection"]["per_label"]["label_0"]["models"] == ["c2", "c3"]
    assert set(doc["versions"]) == {"numpy", "pandas", "scikit-learn", "lightgbm", "xgboost", "torch", "stacker"}
    assert "thresholds are fitted on K-1 folds" in doc["honesty"] and doc["created"].endswith("+00:00")


def test_submission_round_trips_through_check(ws):
    result = submit(ws, SubmitConfig(source="level1"))
    report = check_submission(ws, result.csv)
    assert report.n_rows == 25 and report.n_tags == sum(len(t.split()) for t in
                                                         pd.read_csv(result.csv, keep_default_na=False)["tags"])


def tampered(ws, tmp_path, edit) -> str:
    good = submit(ws, SubmitConfig(source="level1")).csv
    frame = pd.read_csv(good, dtype=str, keep_default_na=False)
    path = tmp_path / "bad.csv"
    edit(frame).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda f: f.drop(index=3), r"id 'test_3' \(line 5 of the sample submission\) is missing"),
    (lambda f: f.assign(tags=["label_1 cat", *f["tags"][1:]]), r"line 2 \(id 'test_0'\): unknown tag 'cat'; known"),
    (lambda f: f.assign(tags=["label_1 label_1", *f["tags"][1:]]),
     r"line 2 \(id 'test_0'\): tag 'label_1' appears twice"),
    (lambda f: f.assign(tags=["label_1\tlabel_2", *f["tags"][1:]]), r"line 2 \(id 'test_0'\): tags 'label_1\\tlabel_2' "
                                                                   r"must be separated by single spaces"),
    (lambda f: f.iloc[[1, 0, *range(2, len(f))]], r"line 2: id 'test_1' where the sample submission has 'test_0'"),
    (lambda f: pd.concat([f, f.iloc[[4]]]), r"line 27: duplicated id 'test_4' \(first at line 6\)"),
    (lambda f: f.assign(**{ID: [*f[ID][:-1], "test_999"]}), r"line 26: id 'test_999' is not in the sample"),
    (lambda f: f.rename(columns={"tags": "labels"}), r"columns \['image_name', 'labels'\], expected"),
    (lambda f: f.assign(**{ID: ["", *f[ID][1:]]}), r"line 2 has an empty id"),
])
def test_tampered_submissions_fail_with_the_line(ws, tmp_path, edit, message):
    with pytest.raises(SubmissionError, match=message):
        check_submission(ws, tampered(ws, tmp_path, edit))


def test_per_label_column_format_is_matched():
    sample = pd.DataFrame({"id": ["a", "b"], "x": ["1", "0"], "y": ["0", "0"], "note": ["k", "l"]})
    out = format_submission(sample, np.array([[1, 0], [1, 1]]), ["x", "y"], id_column="id", tags_column="tags")
    assert out.to_dict("list") == {"id": ["a", "b"], "x": [1, 1], "y": [0, 1], "note": ["k", "l"]}
    with pytest.raises(SubmissionError, match="no 'tags' column and no column named like a label"):
        format_submission(sample[["id", "note"]], np.zeros((2, 2)), ["x", "y"], id_column="id", tags_column="tags")
    with pytest.raises(SubmissionError, match=r"predictions have shape \(3, 2\); .* needs \(2, 2\)"):
        format_submission(sample, np.zeros((3, 2)), ["x", "y"], id_column="id", tags_column="tags")


def test_submit_refuses_a_missing_stage_and_bad_names(ws):
    with pytest.raises(SubmissionError, match="no oof.parquet in .*level2/xgboost; .*stacker fit-l2"):
        submit(ws, SubmitConfig(source="level2/xgboost"))
    with pytest.raises(ValidationError, match="--from must be a stage folder: 'level1', 'level2/<learner>' .* or 'blend'"):
        submit(ws, SubmitConfig(source="../elsewhere"))
    with pytest.raises(SubmissionError, match="plain file stem"):
        submit(ws, SubmitConfig(name="../x"))
    with pytest.raises(SubmissionError, match="unknown decision rule 'best'; choose one of: bagged, expected-f"):
        submit(ws, SubmitConfig(rule="best"))
    assert default_name("level2/mlp", "greedy") == "l2-mlp-greedy" and default_name("level1", "smooth") == "l1-smooth"


def test_cli_submit_and_check(ws, tmp_path, capsys, monkeypatch):
    assert main(["submit", "--from", "level1", "--thresholds", "greedy", "--name", "mine", "-w", str(ws.root)]) == 0
    assert "mine.csv" in capsys.readouterr().out
    csv = ws.submissions_dir / "mine.csv"
    assert main(["submit", "--check", str(csv), "-w", str(ws.root)]) == 0
    assert "OK (25 rows" in capsys.readouterr().out
    monkeypatch.chdir(tmp_path)  # a relative path not found here is looked up in the workspace
    assert main(["submit", "--check", "submissions/mine.csv", "-w", str(ws.root)]) == 0
    assert "OK (25 rows" in capsys.readouterr().out
    bad = tampered(ws, tmp_path, lambda f: f.drop(index=0))
    assert main(["submit", "--check", str(bad), "-w", str(ws.root)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("SubmissionError: submission ") and err.endswith(
        "id 'test_0' (line 2 of the sample submission) is missing") and "\n" not in err


def test_nothing_is_written_when_provenance_cannot_be_built(ws):
    from stacker.exceptions import StoreError

    (ws.level1_dir / "selection.json").unlink()
    with pytest.raises(StoreError, match="no level-1 selection .* run 'stacker select' first"):
        submit(ws, SubmitConfig(source="level1"))
    assert not (ws.submissions_dir / "l1-greedy.csv").exists()


def test_provenance_states_the_submitted_stages_own_honesty(make_level1):
    from stacker.blend.stage import run_blend
    from stacker.config import BlendConfig, L2Config
    from stacker.level2.stage import fit_level2

    ws = make_level1(n_train=90, n_test=20, n_labels=2, k=3)
    fit_level2(ws, L2Config(learner="ridge", features="all-models"))
    run_blend(ws, BlendConfig(sources=("level1", "level2/ridge")))
    for source in ("level2/ridge", "blend"):
        recorded = json.loads((ws.root / source / "config.json").read_text())["honesty"]
        result = submit(ws, SubmitConfig(source=source, rule="greedy"))
        assert json.loads(result.provenance.read_text())["honesty"] == recorded
    blend_honesty = json.loads((ws.root / "blend" / "config.json").read_text())["honesty"]
    assert "except that level1 had no nested views" in blend_honesty  # the factory's level 1 wrote none
