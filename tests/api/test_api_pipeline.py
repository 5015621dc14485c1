"""The notebook API end to end: the same files and scores as the CLI, result objects, no terminal codes."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from conftest import ID, write_run, write_workspace

import stacker
from stacker import progress
from stacker.__main__ import main
from stacker.exceptions import StackerError, ValidationError, WorkspaceError
from stacker.oof import read_run

SKILLS = (0.5, 1.0, 1.5, 2.0)
STAGE_FILES = ["folds.csv", "level1/oof.parquet", "level1/test.parquet", "level2/logistic/oof.parquet",
               "level2/logistic/test.parquet", "submissions/l2-logistic-greedy.csv",
               "submissions/l2-logistic-smooth.csv", "submissions/l1-smooth.csv", "level2/logistic/decide.json",
               "submissions/l2-logistic-expected-f.csv"]


def _cli_workspace(root):
    ws = write_workspace(root, n_train=90, n_test=30, n_labels=3, k=3)
    for i, skill in enumerate(SKILLS):
        write_run(ws, f"m{i}", skill=skill, arch=f"arch{i % 2}", seed=i // 2)
    return ws


def _cli_pipeline(root):
    ws = _cli_workspace(root)
    w = ["-w", str(root)]
    assert main(["oof-collect", *w, "runs"]) == 0
    assert main(["select", *w, "--beam", "2", "--per-label", "2", "--jobs", "1"]) == 0
    assert main(["fit-l2", *w, "--learner", "logistic", "--features", "all-labels"]) == 0
    assert main(["submit", *w, "--from", "level1", "--thresholds", "smooth"]) == 0
    assert main(["decide", *w, "--from", "level2/logistic", "--rules", "greedy,expected-f,prevalence"]) == 0
    assert main(["submit", *w, "--from", "level2/logistic", "--rule", "expected-f"]) == 0
    return ws


def _api_pipeline(root, cli_ws):
    """The same pipeline in a fresh folder through stacker.* alone; runs written as .npy by write_run."""
    train = pd.read_csv(cli_ws.root / "train.csv", dtype=str, keep_default_na=False)
    ws = stacker.Workspace.create(root, train=train, test=cli_ws.root / "sample_submission.csv", id_column=ID)
    folds = ws.make_folds(k=3)
    for run_dir in sorted((cli_ws.root / "runs").iterdir()):
        run = read_run(run_dir, cli_ws)
        stacker.write_run(root / "runs" / run.name, oof=run.oof, test=run.test, arch=run.arch, seed=run.meta["seed"])
    collected = ws.collect("runs")
    sel = ws.select(beam=2, per_label=2, jobs=1)
    l2 = ws.fit_level2("logistic", features="all-labels")
    subs = [ws.submit(l2, rule="greedy"), ws.submit(l2, rule="smooth"), ws.submit("level1", rule="smooth")]
    decided = ws.decide(l2, rules=("greedy", "expected-f", "prevalence"))
    subs.append(ws.submit(l2, rule="expected-f"))
    return ws, folds, collected, sel, l2, subs, decided


@pytest.fixture
def both(tmp_path, capsys):
    cli_ws = _cli_pipeline(tmp_path / "cli")
    capsys.readouterr()
    return cli_ws, _api_pipeline(tmp_path / "api", cli_ws)


def test_api_pipeline_writes_the_same_files_and_scores_as_the_cli(both):
    cli_ws, (ws, folds, collected, sel, l2, subs, decided) = both
    for relative in STAGE_FILES:
        assert (ws.root / relative).read_bytes() == (cli_ws.root / relative).read_bytes(), relative
    for name in ("selection.json",):
        assert json.loads((ws.level1_dir / name).read_text()) == json.loads((cli_ws.level1_dir / name).read_text())
    scores = json.loads((cli_ws.level2_dir / "logistic" / "scores.json").read_text())
    assert json.loads(json.dumps(l2.scores)) == scores["pipelines"]
    for sub in subs:
        cli_doc = json.loads(cli_ws.submissions_dir.joinpath(sub.csv.name).with_suffix(".json").read_text())
        assert sub.cv_score == cli_doc["cv_f2"]
    np.testing.assert_array_equal(folds, ws.folds)
    assert ws.store().names() == cli_ws.store().names() == ["m0", "m1", "m2", "m3"]


def test_results_have_dataframe_views_and_arrays_of_the_stated_shapes(both):
    cli_ws, (ws, folds, collected, sel, l2, subs, decided) = both
    assert collected.ok and collected.table.to_dict("list") == {
        "run": ["m0", "m1", "m2", "m3"], "outcome": ["added"] * 4, "reason": [""] * 4}
    assert list(sel.table.columns) == ["label", "models", "score", "threshold", "held_out"]  # nested by default
    assert list(sel.table["label"]) == ws.labels
    assert sel.oof.shape == (90, 3) and sel.test.shape == (30, 3)
    assert sel.scores.to_dict() == {k: v["score"] for k, v in sel.report.selection["per_label"].items()}
    assert l2.oof.shape == (90, 3) and l2.test.shape == (30, 3) and l2.source == "level2/logistic"
    assert list(l2.table.iloc[-2:, 0]) == ["overall", "± SE (folds)"]
    frame = subs[0].table
    assert frame.shape[0] == 30 and frame.equals(pd.read_csv(subs[0].csv, dtype=str, keep_default_na=False))
    assert list(decided.table.columns) == ["rule", "out_of_fold", "fold_se", "diff_vs_best", "diff_se"]
    assert decided.table["rule"].iloc[0] == decided.best and len(decided.table) == 3
    assert list(decided.table["out_of_fold"]) == sorted(decided.table["out_of_fold"], reverse=True)
    for result in (collected, sel, l2, subs[0], decided):
        assert result._repr_html_().startswith("<div>") and "<table" in result._repr_html_()


def test_leaderboard_is_the_table_of_ls_best_first(both, capsys):
    cli_ws, (ws, *_ ) = both
    board = ws.leaderboard()
    assert list(board.columns) == ["model", "arch", "variant", "seed", "mean", *ws.labels]
    assert list(board["mean"]) == sorted(board["mean"], reverse=True)
    assert main(["ls", "-w", str(cli_ws.root), "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    for record in board.to_dict("records"):
        row = rows[record["model"]]
        assert record["mean"] == pytest.approx(row["mean"], abs=0)
        assert {label: record[label] for label in ws.labels} == row["per_label"]
    np.testing.assert_allclose(board[ws.labels].mean(axis=1), board["mean"], rtol=1e-12)
    assert list(ws.leaderboard(level1=True)["model"])  # bags are listed too


@pytest.mark.parametrize("env", [{}, {"FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "1"}], ids=["plain", "force-color", "tty-compatible"])
def test_captured_output_of_an_api_pipeline_has_no_terminal_codes(tmp_path, capsys, monkeypatch, env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    cli_ws = _cli_workspace(tmp_path / "src")
    progress.enable(True)
    try:
        _api_pipeline(tmp_path / "api", cli_ws)
    finally:
        progress.enable(False)
    captured = capsys.readouterr()
    assert not re.search(r"\x1b", captured.out + captured.err), (captured.out + captured.err)[:200]


def test_unknown_stage_option_is_refused_listing_the_valid_ones(make_store):
    ws = stacker.Workspace.load(make_store(n_runs=2).root)
    with pytest.raises(ValidationError, match=r"unknown SelectConfig options \['beam_width'\]; valid: \['bag'"):
        ws.select(beam_width=3)


def test_create_refuses_to_overwrite_a_different_train_csv(make_workspace):
    ws = make_workspace(n_train=30, n_test=10)
    before = (ws.root / "train.csv").read_text()
    with pytest.raises(WorkspaceError, match=r"train.csv exists with other content; pass its path"):
        stacker.Workspace.create(ws.root, train=pd.DataFrame({ID: ["a"], "tags": ["x"]}),
                                 test=ws.root / "sample_submission.csv", id_column=ID, force=True)
    assert (ws.root / "train.csv").read_text() == before
    assert issubclass(WorkspaceError, StackerError)


def test_create_refuses_an_existing_workspace_unknown_settings_and_a_labels_string(make_workspace, tmp_path):
    ws = make_workspace(n_train=30, n_test=10)
    before = (ws.root / "stacker.toml").read_text()
    train, test = ws.root / "train.csv", ws.root / "sample_submission.csv"
    with pytest.raises(WorkspaceError, match="stacker.toml already exists; pass --force \\(force=True\\)"):
        stacker.Workspace.create(ws.root, train=train, test=test, id_column=ID)
    assert (ws.root / "stacker.toml").read_text() == before
    with pytest.raises(WorkspaceError, match="unknown workspace settings \\['idcolumn'\\]; valid: "):
        stacker.Workspace.create(tmp_path / "new", train=train, test=test, idcolumn=ID)
    with pytest.raises(WorkspaceError, match="labels must be a sequence of label names, not one string"):
        stacker.Workspace.create(tmp_path / "new", train=train, test=test, id_column=ID, labels="a,b")
    with pytest.raises(WorkspaceError, match="train must be a path or a DataFrame; found NoneType"):
        stacker.Workspace.create(tmp_path / "new", train=None, test=test, id_column=ID)
    assert not (tmp_path / "new").exists()
    again = stacker.Workspace.create(ws.root, train=train, test=test, id_column=ID, metric="f1-samples", force=True)
    assert again.config.metric == "f1-samples"


@pytest.mark.parametrize("call, says", [
    (lambda ws: ws.decide("level1", rules=None), "DecideConfig.rules must be a list or tuple"),
    (lambda ws: ws.decide("level1", rules=("bagged",), params={"bagged": 5}), "params maps a rule to its parameters"),
    (lambda ws: ws.decide("level1", params=[1]), "DecideConfig.params must be a dict; found [1]"),
    (lambda ws: ws.blend(None), "sources must be stage folders or results (one, or a list of them); found NoneType"),
    (lambda ws: ws.stack(None), "sources must be stage folders or results"),
    (lambda ws: ws.stack(["level1"], params="C=1"), "StackConfig.params must be a dict; found 'C=1'"),
    (lambda ws: ws.fit_level2("logistic", params=None), "L2Config.params must be a dict; found None"),
    (lambda ws: ws.fit_level2("logistic", nested_outputs="x"), "L2Config.nested_outputs must be True or False"),
    (lambda ws: ws.select(nested="no"), "SelectConfig.nested must be True or False; found 'no'"),
    (lambda ws: ws.stack(["level1"], jobs="2"), "StackConfig.jobs must be an integer; found '2'"),
    (lambda ws: ws.submit("level1", name=5), "SubmitConfig.name must be a string; found 5"),
    (lambda ws: ws.submit("level1", best="yes"), "SubmitConfig.best must be True or False; found 'yes'"),
    (lambda ws: ws.submit(object()), "a stage must be a folder name (e.g. 'level2/logistic') or a result of"),
    (lambda ws: ws.collect(None), "runs must be a folder path or URL; found NoneType"),
    (lambda ws: stacker.Workspace.load(None), "a workspace is a folder path; found NoneType"),
])
def test_api_arguments_of_the_wrong_type_are_one_stacker_error(make_level1, call, says):
    ws = stacker.Workspace.load(make_level1(n_train=60, n_test=20, n_labels=2, k=3).root)
    before = sorted(p.relative_to(ws.root).as_posix() for p in ws.root.rglob("*"))
    with pytest.raises(StackerError) as raised:
        call(ws)
    assert says in str(raised.value)
    assert sorted(p.relative_to(ws.root).as_posix() for p in ws.root.rglob("*")) == before


def test_a_single_rule_name_and_results_as_stages_are_taken_as_meant(make_level1, tmp_path, monkeypatch):
    ws = stacker.Workspace.load(make_level1(n_train=60, n_test=20, n_labels=2, k=3).root)
    assert list(ws.decide("level1", rules="greedy").table["rule"]) == ["greedy"]  # one name, not its letters
    level2 = ws.fit_level2("ridge", features="all-models")
    assert ws.blend(level2).source == "blend"  # one result as the sources
    assert ws.stack(level2, "ridge", name="over-ridge").source == "level3/over-ridge"
    monkeypatch.chdir(tmp_path)  # a later chdir does not move the workspace
    assert set(ws.stages()["stage"]) >= {"level1", "level2/ridge", "level3/over-ridge"}
