"""The fit-l2 stage runner: level-1 files in, level2/<learner>/ out."""

from __future__ import annotations

import json

import numpy as np
import pytest

from stacker.config import L2Config
from stacker.exceptions import RegistryError, ValidationError
from stacker.level2.stage import fit_level2
from stacker.oof.matrix import read_matrix, read_views
from stacker.thresholds import evaluate_thresholds


def test_fit_level2_writes_predictions_config_and_scores(make_level1):
    ws = make_level1(n_train=150, n_test=30, n_labels=3, k=3)
    config = L2Config(learner="logistic", features="all-labels", params={"C": 0.5}, seed=2)
    result = fit_level2(ws, config)
    out = ws.level2_dir / "logistic"
    assert result.output_dir == out
    oof, test = read_matrix(out / "oof.parquet", ws.labels), read_matrix(out / "test.parquet", ws.labels)
    assert oof.shape == (150, 3) and test.shape == (30, 3)
    assert np.all((oof >= 0) & (oof <= 1)) and np.isfinite(test).all()
    saved = json.loads((out / "config.json").read_text())
    assert saved["config"] == {"learner": "logistic", "features": "all-labels", "params": {"C": 0.5}, "jobs": 1, "seed": 2,
                             "group": None, "nested_outputs": True}
    assert saved["params"]["C"] == 0.5 and saved["params"]["max_iter"] == 500  # resolved, defaults included
    assert saved["features"]["label_0"] == ["level1:label_0", "level1:label_1", "level1:label_2", "c2:label_0",
                                            "c3:label_0"]
    assert "selection used all OOF labels" in saved["honesty"]
    scores = json.loads((out / "scores.json").read_text())
    assert set(scores["pipelines"]) == {"best single", "level-1", "level-2"}
    views = read_views(out / "nested.parquet", ws.labels, ws.n_folds, len(oof))  # fold k's thresholds: view k
    expected = evaluate_thresholds(ws.y, oof, ws.folds.astype(np.int64), 2.0, "samples", views=views)["methods"]
    for method in ("greedy", "smooth"):
        assert scores["pipelines"]["level-2"][method]["out_of_fold"] == pytest.approx(expected[method]["out_of_fold"])
    assert scores["best_single"] == result.best_single and set(result.best_single) <= {"c0", "c1", "c2", "c3"}


def test_summary_table_has_a_row_per_label_and_an_overall_row(make_level1):
    ws = make_level1(n_train=120, n_labels=3)
    result = fit_level2(ws, L2Config(learner="ridge"))
    assert result.columns == ["label", "best single greedy", "best single smooth", "level-1 greedy",
                              "level-1 smooth", "level-2 greedy", "level-2 smooth"]
    assert [row[0] for row in result.rows] == [*ws.labels, "overall", "± SE (folds)"]
    assert result.rows[-2][5] == result.scores["level-2"]["greedy"]["out_of_fold"]
    assert result.rows[-1][5] == result.scores["level-2"]["greedy"]["standard_error"] > 0
    assert all(0.0 <= v <= 1.0 for row in result.rows for v in row[1:])


def test_fit_level2_is_deterministic_for_a_seed(make_level1):
    ws = make_level1(n_train=120, n_labels=2)
    config = L2Config(learner="lightgbm", params={"n_estimators": 10}, seed=1)
    fit_level2(ws, config)
    first = read_matrix(ws.level2_dir / "lightgbm" / "oof.parquet", ws.labels)
    fit_level2(ws, config)
    np.testing.assert_array_equal(first, read_matrix(ws.level2_dir / "lightgbm" / "oof.parquet", ws.labels))


def test_fit_level2_refuses_bad_input_before_fitting(make_level1):
    ws = make_level1(n_train=90, n_labels=2)
    with pytest.raises(RegistryError, match="unknown learner 'svm'"):
        fit_level2(ws, L2Config(learner="svm"))
    with pytest.raises(ValidationError, match="no parameter 'depth'"):
        fit_level2(ws, L2Config(learner="xgboost", params={"depth": 3}))
    selection = json.loads((ws.level1_dir / "selection.json").read_text())
    selection["per_label"]["label_1"]["models"] = ["c9"]
    (ws.level1_dir / "selection.json").write_text(json.dumps(selection))
    with pytest.raises(ValidationError, match=r"not in the level-1 store .*\['c9'\]; rerun 'stacker select'"):
        fit_level2(ws, L2Config(learner="logistic"))
    assert not (ws.level2_dir / "logistic").exists()


def test_best_single_thresholds_for_a_fold_are_fitted_on_the_model_chosen_without_it(make_level1):
    """Fold k's rows come from the candidate chosen without fold k; so must the rows its thresholds are fitted on
    (with few folds the other folds' rows would come from other candidates)."""
    from stacker.level2.summary import best_single_models
    from stacker.thresholds import apply_thresholds, fbeta_score, optimize_thresholds

    ws = make_level1(skills=(0.3, 0.8, 1.2, 1.6), n_train=120, n_labels=3, k=3)
    result = fit_level2(ws, L2Config(learner="ridge", features="all-models"))
    candidates = ws.level1_store().load(ws.level1_store().names())[0]
    y, folds = ws.y, ws.folds
    pooled = np.zeros_like(y)
    for k in range(3):
        rows = folds == k
        chosen = best_single_models(y[~rows], candidates[:, ~rows], 2.0)
        column = np.stack([candidates[m, :, j] for j, m in enumerate(chosen)], axis=1)
        thresholds = optimize_thresholds(y[~rows], column[~rows], 2.0, "samples", method="greedy")
        pooled[rows] = apply_thresholds(column[rows], thresholds)
    assert result.scores["best single"]["greedy"]["out_of_fold"] == pytest.approx(fbeta_score(y, pooled))
