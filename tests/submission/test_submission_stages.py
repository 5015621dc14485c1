"""Honest stage choice: ``stacker stages`` and ``submit --best`` pick the argmax, with margin, noise and optimism."""

from __future__ import annotations

import json

import numpy as np
import pytest

import stacker
from stacker.__main__ import main
from stacker.config import L2Config, SubmitConfig
from stacker.level2.stage import fit_level2
from stacker.submission import submit
from stacker.submission.stages import Candidate, choose_best, score_stages, stage_fold_sizes, stage_sources
from stacker.thresholds import evaluate_thresholds
from stacker.oof.matrix import read_matrix, read_views


def candidate(source, method, folds):
    scores = np.asarray(folds, dtype=float)
    return Candidate(source, method, float(scores.mean()), scores)


def test_choose_best_margin_and_nested_choice_against_brute_force():
    cands = [candidate("level1", "greedy", [0.80, 0.70, 0.90]), candidate("level1", "smooth", [0.81, 0.71, 0.86]),
             candidate("level2/a", "greedy", [0.90, 0.60, 0.84]), candidate("level2/b", "smooth", [0.79, 0.72, 0.85])]
    sizes = np.array([10, 10, 10])
    choice = choose_best(cands, sizes)
    assert choice.best is cands[0]  # mean 0.8000 beats 0.7933, 0.7800, 0.7867
    assert choice.runner_up is cands[3]  # the best of the other stages (level1/smooth is the same stage)
    assert choice.margin == pytest.approx(np.mean([0.01, -0.02, 0.05]))
    assert choice.margin_se == pytest.approx(np.std([0.01, -0.02, 0.05], ddof=1) / np.sqrt(3))
    assert not choice.beyond_noise and "within the noise" in choice.summary()
    # brute force: without fold k, the best mean of the other two folds; then its score on k
    expected = []
    for k in range(3):
        others = [np.mean(np.delete(c.fold_scores, k)) for c in cands]
        expected.append(cands[int(np.argmax(others))].fold_scores[k])
    assert choice.nested_score == pytest.approx(np.mean(expected))
    assert choice.optimism == pytest.approx(0.80 - np.mean(expected))
    assert choice.fold_choices == ["level1/greedy", "level2/a/greedy", "level1/smooth"]


def test_with_a_pooled_score_that_is_not_the_fold_mean_the_choice_speaks_the_tables_scale():
    """Macro or micro F: the out-of-fold score of pooled decisions differs from the mean of the fold scores."""
    blend = Candidate("blend", "greedy", 0.5377, np.array([0.47, 0.51]))
    level1 = Candidate("level1", "smooth", 0.5250, np.array([0.50, 0.54]))
    choice = choose_best([level1, blend], np.array([30, 30]))
    assert choice.best is blend and choice.margin == pytest.approx(0.5377 - 0.5250)  # never "ahead by" < 0
    assert choice.optimism == pytest.approx(0.49 - 0.52)  # the nested choice took level1 on both folds
    assert choice.nested_score == pytest.approx(0.5377 + 0.03)
    assert f"by {choice.margin:+.4f}" in choice.summary()


def test_a_clear_winner_is_beyond_the_noise_and_costs_nothing_to_choose():
    cands = [candidate("level1", "greedy", [0.70, 0.71, 0.69, 0.70]),
             candidate("level2/a", "greedy", [0.80, 0.82, 0.79, 0.81])]
    choice = choose_best(cands, [5, 5, 5, 5])
    assert choice.best.source == "level2/a" and choice.beyond_noise and "beyond the noise" in choice.summary()
    assert choice.optimism == pytest.approx(0.0) and choice.fold_choices == ["level2/a/greedy"] * 4


def test_ties_go_to_the_earlier_candidate():
    cands = [candidate("level1", "greedy", [0.5, 0.5]), candidate("level2/a", "greedy", [0.5, 0.5])]
    assert choose_best(cands, [3, 3]).best.source == "level1"


def test_submit_best_picks_the_argmax_of_the_printed_table(make_level1, capsys):
    ws = make_level1(n_train=150, n_test=30, n_labels=3, k=3)
    for learner in ("logistic", "ridge"):
        fit_level2(ws, L2Config(learner=learner, features="all-models"))
    assert stage_sources(ws) == ["level1", "level2/logistic", "level2/ridge"]
    assert main(["stages", "--json", "-w", str(ws.root)]) == 0
    table = json.loads(capsys.readouterr().out)["candidates"]
    assert [(c["source"], c["method"]) for c in table[:3]] == [("level1", r) for r in ("greedy", "smooth", "expected-f")]
    assert len(table) == 9
    top = max(range(9), key=lambda i: (table[i]["out_of_fold"], -i))
    # every printed score is the honest evaluation of that stage's oof.parquet (thresholds: as evaluate_thresholds,
    # fold k's fitted on the stage's view of fold k)
    for row in table:
        oof = read_matrix(ws.root / row["source"] / "oof.parquet", ws.labels)
        nested = ws.root / row["source"] / "nested.parquet"  # this level 1 was selected without views
        views = read_views(nested, ws.labels, ws.n_folds, len(oof)) if nested.exists() else None
        if row["method"] in ("greedy", "smooth"):
            evaluation = evaluate_thresholds(ws.y, oof, ws.folds.astype(np.int64), 2.0, "samples",
                                             views=views)["methods"]
            assert row["out_of_fold"] == pytest.approx(evaluation[row["method"]]["out_of_fold"])
    assert main(["submit", "--best", "-w", str(ws.root)]) == 0
    out = capsys.readouterr().out
    assert "stages by honest CV" in out and "best: " in out
    result = submit(ws, SubmitConfig(best=True))
    assert (result.source, result.method) == (table[top]["source"], table[top]["method"])
    # the rule fitted while choosing decides the test rows as submitting that stage and rule directly does
    plain = submit(ws, SubmitConfig(source=result.source, rule=result.method, name="plain"))
    assert plain.csv.read_text() == result.csv.read_text() and plain.cv_f2 == result.cv_f2
    provenance = json.loads(result.provenance.read_text())
    assert provenance["source"] == table[top]["source"] and provenance["rule"] == table[top]["method"]
    assert provenance["cv_f2"] == pytest.approx(table[top]["out_of_fold"])
    recorded = provenance["choice"]
    assert recorded["chosen"] == {"source": table[top]["source"], "method": table[top]["method"]}
    assert {"margin", "margin_se", "beyond_noise", "nested_choice_score", "choice_optimism"} <= set(recorded)
    assert [c["out_of_fold"] for c in recorded["candidates"]] == pytest.approx([c["out_of_fold"] for c in table])


def test_score_stages_matches_stage_fold_sizes(make_level1):
    ws = make_level1(n_train=90, n_labels=2, k=3)
    candidates = score_stages(ws)
    assert [(c.source, c.method) for c in candidates] == [("level1", "greedy"), ("level1", "smooth"),
                                                          ("level1", "expected-f")]
    assert stage_fold_sizes(ws).sum() == 90 and len(stage_fold_sizes(ws)) == 3
    assert all(len(c.fold_scores) == 3 for c in candidates)


def test_notebook_stages_frame_is_the_same_table_best_first(make_level1):
    ws = make_level1(n_train=120, n_labels=2, k=3)
    fit_level2(ws, L2Config(learner="ridge", features="all-models"))
    frame = stacker.Workspace.load(ws.root).stages()
    assert list(frame.columns[:4]) == ["stage", "rule", "cv", "se"] and len(frame) == 6
    assert frame["cv"].is_monotonic_decreasing
    choice = choose_best(score_stages(ws), stage_fold_sizes(ws))
    assert (frame.loc[0, "stage"], frame.loc[0, "rule"]) == (choice.best.source, choice.best.method)
    assert frame.attrs["choice"] == choice.summary()


def test_a_stage_made_from_inputs_that_changed_since_is_left_out_and_not_submitted(make_level1, capsys, caplog):
    from stacker.blend.stage import run_blend
    from stacker.config import BlendConfig
    from stacker.oof.matrix import write_matrix

    ws = make_level1(n_train=90, n_labels=2, k=3)
    fit_level2(ws, L2Config(learner="ridge", features="all-models"))
    run_blend(ws, BlendConfig(sources=("level1", "level2/ridge")))
    assert stage_sources(ws) == ["level1", "level2/ridge", "blend"]
    level1 = ws.root / "level1" / "oof.parquet"  # 'select' ran again: level 1 changed under level 2
    write_matrix(level1, 0.9 * read_matrix(level1, ws.labels), ws.labels)
    assert stage_sources(ws) == ["level1"]
    assert "left out level2/ridge: level2/ridge was made from an earlier level1 (oof.parquet changed since)" \
        in caplog.text
    assert "left out blend: blend was made from an earlier level1 (oof.parquet changed since); level2/ridge was made" \
        in caplog.text
    capsys.readouterr()
    assert main(["stages", "--json", "-w", str(ws.root)]) == 0
    assert {row["source"] for row in json.loads(capsys.readouterr().out)["candidates"]} == {"level1"}
    assert main(["submit", "--from", "level2/ridge", "--rule", "greedy", "-w", str(ws.root)]) == 1
    assert capsys.readouterr().err.startswith("SubmissionError: level2/ridge is out of date: level2/ridge was made")
    assert not list((ws.root / "submissions").glob("*.csv"))
    assert main(["submit", "--best", "-w", str(ws.root)]) == 0  # the current stages only
    assert json.loads((ws.root / "submissions" / "best.json").read_text())["source"] == "level1"
    fit_level2(ws, L2Config(learner="ridge", features="all-models"))  # level 2 current again; the blend is not
    caplog.clear()
    assert stage_sources(ws) == ["level1", "level2/ridge"]
    assert caplog.text.count("left out") == 1 and "left out blend: blend was made from an earlier level1" in caplog.text


def test_a_stage_missing_a_prediction_file_is_named_not_silently_dropped(make_level1, caplog):
    ws = make_level1(n_train=90, n_labels=2, k=3)
    fit_level2(ws, L2Config(learner="ridge", features="all-models"))
    (ws.root / "level2" / "ridge" / "oof.parquet").unlink()
    assert stage_sources(ws) == ["level1"]
    assert "left out level2/ridge: it has no oof.parquet; re-run the stage that writes it" in caplog.text


def test_a_stage_made_on_other_folds_is_out_of_date(make_level1, caplog):
    from stacker.data import Workspace
    from stacker.data.folds import make_folds, write_folds

    ws = make_level1(n_train=90, n_labels=2, k=3)
    fit_level2(ws, L2Config(learner="ridge", features="all-models"))
    write_folds(ws.folds_path, ws.train_ids, make_folds(ws.y, k=4, seed=1), id_column=ws.config.id_column)
    ws = Workspace.load(ws.root)
    assert stage_sources(ws) == ["level1"]
    assert "left out level2/ridge: level2/ridge was made on 3 folds; folds.csv now has 4" in caplog.text


def test_a_stage_whose_views_are_gone_says_so(make_level1, caplog):
    ws = make_level1(n_train=90, n_labels=2, k=3)
    fit_level2(ws, L2Config(learner="ridge", features="all-models"))
    assert json.loads((ws.root / "level2" / "ridge" / "config.json").read_text())["views"] is True
    score_stages(ws)
    assert "is gone" not in caplog.text
    (ws.root / "level2" / "ridge" / "nested.parquet").unlink()
    score_stages(ws)
    assert "level2/ridge/nested.parquet is gone although its stage wrote it" in caplog.text
    assert caplog.text.count("is gone") == 1  # level 1 (the factory's) recorded no views: nothing to miss
