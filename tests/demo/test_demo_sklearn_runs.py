"""scikit-learn demo runs: out-of-fold by construction, plain CSV run folders that collect accepts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from stacker.data import Workspace, make_folds, write_folds
from stacker.demo.digits import build_digits_task
from stacker.demo.sklearn_runs import (
    cross_fit,
    demo_models,
    load_pixels,
    train_sklearn_runs,
)
from stacker.exceptions import RegistryError
from stacker.oof import collect_runs


@pytest.fixture(scope="module")
def digits_workspace(tmp_path_factory) -> Workspace:
    root = tmp_path_factory.mktemp("digits") / "ws"
    ws = build_digits_task(root, n_train=90, n_test=20, seed=0).workspace
    write_folds(ws.folds_path, ws.train_ids, make_folds(ws.y, k=3, seed=0), id_column="id")
    return Workspace.load(root)


def test_cross_fit_predicts_each_row_with_the_model_that_did_not_see_it():
    rng = np.random.default_rng(0)
    X = np.arange(30, dtype=float)[:, None]
    Y = rng.integers(0, 2, (30, 2))
    folds = np.repeat([0, 1, 2], 10)
    X_test = np.full((4, 1), 99.0)
    seen: list[set] = []

    def fit_predict(X_train, Y_train, X_eval):
        trained = set(X_train[:, 0].tolist())
        seen.append(trained)
        # 1.0 for an eval row the model was trained on (a leak), 0.5 otherwise
        return np.array([[1.0 if x in trained else 0.5] * 2 for x in X_eval[:, 0]])

    oof, test = cross_fit(fit_predict, X, Y, folds, X_test)
    assert len(seen) == 3 and all(len(s) == 20 for s in seen)
    np.testing.assert_array_equal(oof, 0.5)  # no row predicted by a model that saw it
    np.testing.assert_array_equal(test, 0.5)


@pytest.mark.parametrize("name", demo_models.names())
def test_every_demo_model_gives_probabilities_for_every_label(digits_workspace, name):
    ws = digits_workspace
    X = load_pixels(ws, ws.train_ids)
    assert X.shape == (90, 16 * 16) and 0 <= X.min() and X.max() <= 1
    P = demo_models.create(name, seed=0)(X[:60], ws.y[:60], X[60:])
    assert P.shape == (30, len(ws.labels))
    assert np.isfinite(P).all() and P.min() >= 0 and P.max() <= 1


def test_unknown_demo_model_lists_the_valid_ones(digits_workspace, tmp_path):
    with pytest.raises(RegistryError, match="unknown demo model 'svm'; choose one of: extra-trees, lightgbm, logistic"):
        train_sklearn_runs(digits_workspace, tmp_path, models=("svm",))


def test_runs_are_plain_csv_folders_that_collect_accepts(digits_workspace, tmp_path):
    ws = digits_workspace
    paths = train_sklearn_runs(ws, tmp_path / "runs", models=("logistic",), variant="edges", seed=4)
    assert [p.name for p in paths] == ["sk-logistic_edges_s4"]
    assert sorted(f.name for f in paths[0].iterdir()) == ["oof.csv", "run.json", "test.csv"]
    meta = json.loads((paths[0] / "run.json").read_text())
    assert meta["arch"] == "sklearn-logistic" and meta["variant"] == "edges" and meta["seed"] == 4
    report = collect_runs(ws, tmp_path / "runs")
    assert report.ok and report.added == ["sk-logistic_edges_s4"]
