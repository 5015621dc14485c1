"""Level 2 end to end on the stored runs: no feature set leaks, and all candidates beat the selected few."""

from __future__ import annotations

import numpy as np
import pytest

import stacker
from stacker.config import L2Config, SelectConfig
from stacker.level1 import load_level1_matrices
from stacker.level1.stage import run_selection
from stacker.level2.features import FEATURE_SETS
from stacker.level2.stage import fit_level2
from stacker.oof import collect_runs
from stacker.thresholds import evaluate_thresholds

from conftest import write_run


def cv_score(ws, proba) -> float:
    folds = ws.folds.astype(np.int64)
    return evaluate_thresholds(ws.y, proba, folds, 2.0, "samples", methods=("greedy",))["methods"]["greedy"]["out_of_fold"]


@pytest.fixture(scope="module")
def noise_workspace(tmp_path_factory):
    """16 runs of pure noise; selection nested (the default), so the level-1 OOF is honest too."""
    from conftest import write_workspace

    ws = write_workspace(tmp_path_factory.mktemp("noise") / "ws", n_train=300, n_test=20, n_labels=3, k=5, seed=3)
    for i in range(16):
        write_run(ws, f"m{i}", skill=0.0, arch=f"a{i}")
    assert collect_runs(ws, ws.root / "runs").ok
    run_selection(ws, SelectConfig(method="greedy", per_label=3, bag="none"))
    rng = np.random.default_rng(0)
    chance = float(np.mean([cv_score(ws, rng.random(ws.y.shape)) for _ in range(5)]))
    return ws, chance


def test_level1_oof_of_noise_stays_at_chance(noise_workspace):
    ws, chance = noise_workspace
    assert cv_score(ws, load_level1_matrices(ws)[0]) < chance + 0.03


@pytest.mark.parametrize("features", FEATURE_SETS)
def test_noise_labels_stay_at_chance_for_every_feature_set(noise_workspace, features):
    ws, chance = noise_workspace
    result = fit_level2(ws, L2Config(learner="logistic", features=features))
    assert result.scores["level-2"]["greedy"]["out_of_fold"] < chance + 0.03, (features, chance)
    assert "chosen without that fold" in result.honesty


def test_all_models_beats_the_selected_few_on_many_weak_correlated_models(make_workspace):
    """30 weak runs sharing a common noise: every column together carries more signal than the best three.

    The three are chosen by F-beta at the best threshold (``objective="fbeta"``), as a user picking the
    top models of a leaderboard does; chosen by log loss (the default) they come within the noise of
    every column here (-0.0009, fold SE 0.0046), so that selection is not the baseline of this test.
    """
    ws = make_workspace(n_train=600, n_test=30, n_labels=3, k=5, seed=1)
    rng = np.random.default_rng(7)
    n_all = len(ws.train_ids) + len(ws.test_ids)
    y_all = np.vstack([ws.y, rng.integers(0, 2, (len(ws.test_ids), 3))]).astype(float)
    shared = rng.normal(0.0, 1.0, (n_all, 3))
    for i in range(30):
        logits = 0.45 * (2 * y_all - 1) + 0.8 * shared + rng.normal(0.0, 1.0, (n_all, 3))
        p = 1.0 / (1.0 + np.exp(-logits))
        stacker.write_run(ws.root / "runs" / f"weak{i}", oof=p[:len(ws.train_ids)], test=p[len(ws.train_ids):],
                          arch=f"weak{i}")
    assert collect_runs(ws, ws.root / "runs").ok
    run_selection(ws, SelectConfig(method="greedy", per_label=3, bag="none", objective="fbeta"))
    scores = {features: fit_level2(ws, L2Config(learner="logistic", features=features)).scores["level-2"]
              for features in ("all-models", "selected")}
    margin = scores["all-models"]["greedy"]["out_of_fold"] - scores["selected"]["greedy"]["out_of_fold"]
    se = scores["all-models"]["greedy"]["standard_error"]
    print(f"all-models {scores['all-models']['greedy']['out_of_fold']:.4f} vs selected "
          f"{scores['selected']['greedy']['out_of_fold']:.4f}: margin {margin:+.4f} (fold SE {se:.4f})")
    assert margin > 0.0
