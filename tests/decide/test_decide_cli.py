"""``stacker decide`` and ``stacker submit --rule`` in-process: tables, decide.json, provenance, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from stacker.__main__ import main
from stacker.data import Workspace
from stacker.decide import evaluate_rules, expected_fbeta_decisions
from stacker.config import L2Config
from stacker.level2.stage import fit_level2
from stacker.oof.matrix import read_matrix, read_views


@pytest.fixture
def ws(make_level1):
    return make_level1(n_train=120, n_test=25, n_labels=3, k=3)


def with_metric(ws, metric: str) -> Workspace:
    path = ws.root / "stacker.toml"
    path.write_text(path.read_text().replace('metric = "f2-samples"', f'metric = "{metric}"'))
    return Workspace.load(ws.root)


def test_decide_prints_the_table_and_writes_decide_json(ws, capsys):
    assert main(["decide", "--from", "level1", "--rules", "greedy,expected-f,prevalence", "-w", str(ws.root)]) == 0
    out = capsys.readouterr().out
    assert "out-of-fold" in out and "fold SE" in out and "diff vs best" in out and "best out of fold:" in out
    saved = json.loads((ws.level1_dir / "decide.json").read_text())
    oof = read_matrix(ws.level1_dir / "oof.parquet", ws.labels)
    expected = evaluate_rules(ws.y, oof, ws.folds.astype(np.int64), 2.0, "samples",
                              rules=("greedy", "expected-f", "prevalence"))
    assert saved["best"] == expected["best"] and list(saved["rules"]) == ["greedy", "expected-f", "prevalence"]
    for name, r in expected["rules"].items():
        assert saved["rules"][name]["out_of_fold"] == pytest.approx(r["out_of_fold"])
        assert saved["rules"][name]["diff_se"] == pytest.approx(r["diff_se"])
    assert saved["rules"]["greedy"]["thresholds"] == pytest.approx(
        dict(zip(ws.labels, expected["rules"]["greedy"]["thresholds"])))
    assert saved["rules"]["expected-f"]["thresholds"] is None and saved["metric"] == "f2-samples"
    for name in expected["rules"]:  # every rule is a row of the printed table
        assert any(line.lstrip("│ ").startswith(name) for line in out.splitlines())


def test_decide_fits_the_rule_for_fold_k_on_the_stages_view_of_fold_k(ws, capsys):
    fit_level2(ws, L2Config(learner="logistic", features="all-models"))
    stage = ws.level2_dir / "logistic"
    assert main(["decide", "--from", "level2/logistic", "--rules", "greedy,smooth", "-w", str(ws.root)]) == 0
    saved = json.loads((stage / "decide.json").read_text())
    oof = read_matrix(stage / "oof.parquet", ws.labels)
    views = read_views(stage / "nested.parquet", ws.labels, ws.n_folds, len(oof))
    expected = evaluate_rules(ws.y, oof, ws.folds.astype(np.int64), rules=("greedy", "smooth"), views=views)
    for name, r in expected["rules"].items():
        assert saved["rules"][name]["fold_scores"] == pytest.approx(r["fold_scores"])
        np.testing.assert_allclose(saved["rules"][name]["fold_thresholds"], r["fold_thresholds"])
    assert "nested views" in saved["honesty"]


def test_decide_json_output_equals_the_saved_file(ws, capsys):
    assert main(["decide", "--rules", "smooth,bagged", "--json", "-w", str(ws.root)]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads((ws.level1_dir / "decide.json").read_text())


def test_rules_that_do_not_apply_are_named_in_one_line(ws, capsys):
    ws = with_metric(ws, "f1-macro")
    assert main(["decide", "--rules", "greedy,expected-f", "-w", str(ws.root)]) == 0
    out = capsys.readouterr().out
    assert "not applicable: rule 'expected-f' optimises f1-samples only; the metric is f1-macro" in out
    assert main(["submit", "--rule", "expected-f", "-w", str(ws.root)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ValidationError: rule 'expected-f' optimises f1-samples only") and "\n" not in err
    assert not ws.submissions_dir.exists() or not list(ws.submissions_dir.iterdir())


@pytest.mark.parametrize("args, match", [
    (["--rules", "greedy,argmax"], "RegistryError: unknown decision rule 'argmax'; choose one of: bagged"),
    (["--rules", ","], "ValidationError: rules is empty"),
    (["--from", "level2/lightgbm"], "oof.parquet is missing"),
])
def test_decide_errors_without_traceback(ws, capsys, args, match):
    assert main(["decide", *args, "-w", str(ws.root)]) == 1
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err
    assert not (ws.level1_dir / "decide.json").exists()


def test_submit_with_expected_f_decides_each_test_row(ws, capsys):
    assert main(["submit", "--rule", "expected-f", "-w", str(ws.root)]) == 0
    assert "l1-expected-f.csv (rule expected-f" in capsys.readouterr().out
    frame = pd.read_csv(ws.submissions_dir / "l1-expected-f.csv", dtype=str, keep_default_na=False)
    test = read_matrix(ws.level1_dir / "test.parquet", ws.labels)
    decided = expected_fbeta_decisions(test, 2.0)
    assert frame["tags"].tolist() == [" ".join(l for l, on in zip(ws.labels, row) if on) for row in decided]
    doc = json.loads((ws.submissions_dir / "l1-expected-f.json").read_text())
    oof = read_matrix(ws.level1_dir / "oof.parquet", ws.labels)
    honest = evaluate_rules(ws.y, oof, ws.folds.astype(np.int64), rules=("expected-f",))["rules"]["expected-f"]
    assert doc["rule"] == "expected-f" and doc["thresholds"] is None and doc["rule_params"] == {}
    assert doc["cv_f2"] == pytest.approx(honest["out_of_fold"]) and doc["cv"]["fold_se"] == pytest.approx(
        honest["fold_se"])


def test_thresholds_is_an_alias_of_rule(ws, capsys):
    assert main(["submit", "--thresholds", "smooth", "--name", "a", "-w", str(ws.root)]) == 0
    assert main(["submit", "--rule", "smooth", "--name", "b", "-w", str(ws.root)]) == 0
    a, b = (ws.submissions_dir / "a.csv").read_text(), (ws.submissions_dir / "b.csv").read_text()
    assert a == b and json.loads((ws.submissions_dir / "a.json").read_text())["rule"] == "smooth"
    capsys.readouterr()
    assert main(["submit", "--rule", "greedy", "--thresholds", "smooth", "-w", str(ws.root)]) == 2
    assert "--rule greedy and --thresholds smooth disagree" in capsys.readouterr().err
    assert main(["submit", "--thresholds", "expected-f", "-w", str(ws.root)]) == 2  # the alias is for thresholds only
