"""The select and prune stages end to end: files, level-1 store, selection.json, CLI in-process."""

from __future__ import annotations

import json

import numpy as np
import pytest

from stacker.__main__ import main
from stacker.config import PruneConfig, SelectConfig
from stacker.exceptions import RegistryError, StoreError, ValidationError
from stacker.level1 import load_level1_matrices, load_selection, prune_store, run_selection, subset_mean
from stacker.level1.prune import below_every_label, parse_quantile
from stacker.oof import collect_runs
from stacker.thresholds import fbeta_score
from conftest import write_run


def test_selection_json_schema_and_level1_matrices(make_store):
    ws = make_store(n_runs=4)
    report = run_selection(ws, SelectConfig(method="beam", beam=2, per_label=2, nested=False, objective="fbeta"))
    doc = json.loads((ws.level1_dir / "selection.json").read_text())
    assert doc == load_selection(ws) == report.selection
    assert set(doc) == {"config", "per_label", "oof_out_of_fold", "views"} and doc["oof_out_of_fold"] is False
    assert doc["views"] is False  # not nested: no views written
    assert doc["config"] == {"method": "beam", "beam": 2, "per_label": 2, "bag": "arch+variant", "bag_top": None,
                             "restarts": 20, "seed": 0, "objective": "fbeta", "nested": False, "jobs": None, "group": None,
                             "metric": "f2-samples"}
    assert list(doc["per_label"]) == ws.labels
    store = ws.level1_store()
    assert store.names() == report.candidates == ["arch0", "arch1"]
    cand_oof, cand_test = store.load(report.candidates)
    oof, test = load_level1_matrices(ws)
    for j, label in enumerate(ws.labels):
        entry = doc["per_label"][label]
        assert set(entry) == {"models", "score", "trace", "threshold"}
        assert 1 <= len(entry["models"]) <= 2 and entry["trace"][-1] == entry["score"]
        chosen = [report.candidates.index(m) for m in entry["models"]]
        np.testing.assert_array_equal(oof[:, j], subset_mean(cand_oof[:, :, j], chosen))
        np.testing.assert_array_equal(test[:, j], subset_mean(cand_test[:, :, j], chosen))
        # the stored threshold reproduces the stored F2 on the written OOF average
        predicted = (oof[:, j] >= entry["threshold"]).astype(np.uint8)
        assert fbeta_score(ws.y[:, j], predicted, beta=2.0, average="binary") == pytest.approx(entry["score"])


def test_nested_by_default_level1_oof_averages_the_selection_made_without_each_fold(make_store):
    ws = make_store(n_runs=6, n_labels=3)
    # F-beta at the best threshold jumps with the rows, so some fold's choice differs on this small store
    report = run_selection(ws, SelectConfig(method="greedy", per_label=2, bag="none", objective="fbeta"))
    doc = report.selection
    assert doc["config"]["nested"] is True and doc["oof_out_of_fold"] is True
    cand_oof, cand_test = ws.level1_store().load(report.candidates)
    oof, test = load_level1_matrices(ws)
    differs = 0
    for j, label in enumerate(ws.labels):
        full = [report.candidates.index(m) for m in doc["per_label"][label]["models"]]
        np.testing.assert_array_equal(test[:, j], subset_mean(cand_test[:, :, j], full))
        for fold in doc["nested"]["per_label"][label]["folds"]:
            rows = ws.folds == fold["fold"]
            chosen = [report.candidates.index(m) for m in fold["models"]]
            np.testing.assert_array_equal(oof[rows, j], subset_mean(cand_oof[:, rows, j], chosen))
            differs += chosen != full
    assert differs > 0  # some fold chose differently, so the honest OOF is not the full selection's average


def test_bags_in_the_level1_store_average_members_and_record_hashes(make_store):
    ws = make_store(n_runs=4)
    run_selection(ws, SelectConfig(method="greedy"))
    runs = {e.name: e for e in ws.store().entries()}
    run_oof, _ = ws.store().load(["m1", "m3"])
    bag = ws.level1_store().entry("arch1")
    assert (bag.kind, bag.arch, bag.variant) == ("bag", "arch1", None)
    assert bag.meta == {"members": ["m1", "m3"],
                        "member_hashes": {"m1": runs["m1"].content_hash, "m3": runs["m3"].content_hash}}
    bag_oof, _ = ws.level1_store().load(["arch1"])
    np.testing.assert_allclose(bag_oof[0], run_oof.mean(axis=0), rtol=1e-6)


def test_level1_store_is_rebuilt_to_the_current_candidates(make_store):
    ws = make_store(n_runs=4)
    run_selection(ws, SelectConfig(method="greedy"))
    run_selection(ws, SelectConfig(method="greedy", bag="none"))
    assert ws.level1_store().names() == ["m0", "m1", "m2", "m3"]
    run_selection(ws, SelectConfig(method="greedy", bag_top=1))
    top = ws.level1_store().entries()
    assert [e.name for e in top] == ["m2", "m3"]  # the more skilful seed of each arch, under its run name
    assert all(e.kind == "bag" and e.meta["members"] == [e.name] for e in top)


def test_variants_split_bags(make_workspace):
    ws = make_workspace()
    for i, variant in enumerate(["original", "original", "jpg"]):
        write_run(ws, f"inc{i}", arch="inception_v3", variant=variant, seed=i)
    assert collect_runs(ws, ws.root / "runs").ok
    report = run_selection(ws, SelectConfig(method="greedy"))
    assert report.candidates == ["inc2", "inception_v3+original"]


def test_nested_section_reports_in_sample_and_held_out(make_store):
    ws = make_store(n_runs=4)
    doc = run_selection(ws, SelectConfig(method="greedy", nested=True, bag="none", objective="fbeta")).selection
    nested = doc["nested"]
    assert nested["folds"] == ws.n_folds == 3
    assert list(nested["per_label"]) == ws.labels
    for label, summary in nested["per_label"].items():
        assert [f["fold"] for f in summary["folds"]] == [0, 1, 2]
        assert summary["held_out"] == pytest.approx(np.mean([f["held_out"] for f in summary["folds"]]))
    assert nested["mean"]["in_sample"] >= nested["mean"]["held_out"]


def test_results_do_not_depend_on_jobs(make_store):
    ws = make_store(n_runs=4)
    one = run_selection(ws, SelectConfig(method="random-greedy", restarts=3, jobs=1, bag="none")).selection
    two = run_selection(ws, SelectConfig(method="random-greedy", restarts=3, jobs=2, bag="none")).selection
    assert one["per_label"] == two["per_label"]


def test_stage_errors(make_workspace, make_store):
    empty = make_workspace()  # the same folder make_store fills below: check the empty store first
    with pytest.raises(StoreError, match="holds no models; run 'stacker oof-collect RUNS' first"):
        run_selection(empty)
    with pytest.raises(StoreError, match="run 'stacker select' first"):
        load_selection(empty)
    ws = make_store(n_runs=2)
    with pytest.raises(RegistryError, match="unknown objective 'mse'; choose one of: auc, fbeta, logloss"):
        run_selection(ws, SelectConfig(objective="mse"))
    with pytest.raises(RegistryError, match="unknown selection method 'exhaustive'"):
        run_selection(ws, SelectConfig(method="exhaustive"))
    with pytest.raises(ValidationError, match="--per-label must be an integer >= 1; found 0"):
        run_selection(ws, SelectConfig(per_label=0))
    ws.level1_dir.mkdir(parents=True, exist_ok=True)
    (ws.level1_dir / "selection.json").write_text("{not json")
    with pytest.raises(StoreError, match="not valid JSON"):
        load_selection(ws)


def test_cli_select_json_and_table(make_store, capsys):
    ws = make_store(n_runs=4)
    code = main(["select", "-w", str(ws.root), "--beam", "3", "--per-label", "2", "--bag", "none",
                 "--objective", "logloss", "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["config"]["objective"] == "logloss" and doc["config"]["bag"] == "none"
    assert doc == load_selection(ws)
    assert main(["select", "-w", str(ws.root), "--method", "greedy", "--nested"]) == 0
    out = capsys.readouterr().out
    assert "held-out" in out and "selection optimism" in out and "selection.json" in out


def test_cli_errors_exit_without_traceback(make_workspace, make_store, capsys):
    empty = make_workspace()
    assert main(["select", "-w", str(empty.root)]) == 1
    assert "StoreError: " in capsys.readouterr().err
    ws = make_store(n_runs=2)
    assert main(["select", "-w", str(ws.root), "--method", "exhaustive"]) == 2
    assert main(["prune", "-w", str(ws.root), "--below", "1.5"]) == 1
    assert "ValidationError: --below must be 'median' or a quantile" in capsys.readouterr().err


def test_below_every_label_and_parse_quantile():
    scores = np.array([[0.1, 0.9], [0.2, 0.2], [0.5, 0.5], [0.6, 0.7]])
    pruned, cutoffs = below_every_label(scores, 0.5)
    np.testing.assert_allclose(cutoffs, [0.35, 0.6])
    assert pruned.tolist() == [False, True, False, False]  # model 0 is good at label 1, so it stays
    tied = np.column_stack([scores, np.zeros(4)])  # a label every model ties on (constant in train) tells none apart
    assert below_every_label(tied, 0.5)[0].tolist() == [False, True, False, False]
    assert not below_every_label(np.zeros((3, 2)), 0.5)[0].any()
    assert parse_quantile("median") == 0.5 and parse_quantile("0.25") == 0.25
    for bad in ("0", "1", "half", "-0.2"):
        with pytest.raises(ValidationError, match="strictly between 0 and 1"):
            parse_quantile(bad)


def test_prune_lists_then_deletes(make_store, capsys):
    ws = make_store(n_runs=4)  # skill grows with the index: m0 is worst on every label
    report = prune_store(ws, PruneConfig(below=0.5))
    assert report.pruned == ["m0"] and not report.deleted and ws.store().names() == ["m0", "m1", "m2", "m3"]
    assert main(["prune", "-w", str(ws.root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pruned"] == ["m0"]
    assert main(["prune", "-w", str(ws.root), "--below", "median", "--delete"]) == 0
    assert "deleted 1 models" in capsys.readouterr().out
    assert ws.store().names() == ["m1", "m2", "m3"]


def test_cli_select_as_a_real_subprocess(make_store):
    import subprocess
    import sys

    ws = make_store(n_runs=2)
    done = subprocess.run([sys.executable, "-m", "stacker", "select", "-w", str(ws.root), "--method", "greedy",
                           "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == load_selection(ws)


def test_sync_level1_store_outcomes(make_store):
    from stacker.level1 import Bag
    from stacker.level1.stage import sync_level1_store

    ws = make_store(n_runs=2)
    store, hashes = ws.level1_store(), {e.name: e.content_hash for e in ws.store().entries()}
    oof, test = ws.store().load(["m0", "m1"])
    bags = [Bag("m0", "arch0", None, ("m0",)), Bag("m1", "arch1", None, ("m1",))]
    assert sync_level1_store(store, bags, oof, test, hashes) == {"deleted": [], "added": ["m0", "m1"]}
    assert sync_level1_store(store, bags, oof, test, hashes) == {"deleted": [], "unchanged": ["m0", "m1"]}
    outcome = sync_level1_store(store, bags[1:], oof[::-1][1:], test[::-1][1:], hashes)
    assert outcome == {"deleted": ["m0"], "replaced": ["m1"]}
    assert store.names() == ["m1"]


def test_a_rerun_publishes_a_new_level1_folder_that_reuses_unchanged_bags(make_store):
    ws = make_store(n_runs=4)
    run_selection(ws, SelectConfig(method="greedy"))
    before = {e.name: e for e in ws.level1_store().entries()}
    inodes = {p.name: p.stat().st_ino for p in (ws.level1_dir / "data").iterdir()}
    run_selection(ws, SelectConfig(method="greedy", per_label=1))
    assert {e.name: e for e in ws.level1_store().entries()} == before  # same rows, same 'created'
    assert {p.name: p.stat().st_ino for p in (ws.level1_dir / "data").iterdir()} == inodes  # linked, not rewritten
    assert [p.name for p in ws.root.iterdir() if p.name.startswith(".level1")] == []
