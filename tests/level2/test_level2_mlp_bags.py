"""The mlp's bags trained together (learners/_bags.py) equal the bags trained one after another with torch's modules."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from stacker.level2.learners import create_learner

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from mlp import fit_one_by_one, make_task  # noqa: E402  the reference loop (bench/mlp.py)


@pytest.mark.parametrize("params", [
    {},                                               # the defaults: 5 bags, one hidden layer, dropout 0.1
    {"bags": 3, "layers": 2, "hidden": 8, "dropout": 0.3, "weight_decay": 0.0},
    {"bags": 4, "dropout": 0.0, "lr": 0.02, "patience": 3},
    {"bags": 1},                                      # one network on a held-out share
])
def test_bags_trained_together_equal_bags_trained_one_by_one(params):
    X, y = make_task(240, n_features=12, seed=3)
    learner = create_learner("mlp", max_epochs=40, batch_size=64, **params).fit(X, y)
    reference, epochs = fit_one_by_one(create_learner("mlp", max_epochs=40, batch_size=64, **params), X, y)
    assert learner.best_epochs_ == epochs
    np.testing.assert_allclose(learner.predict_proba(X), reference, atol=1e-5)


def test_a_bag_with_fewer_batches_skips_the_steps_it_lacks():
    X, y = make_task(101, n_features=6, seed=8)
    params = {"bags": 3, "batch_size": 34, "max_epochs": 30, "patience": 30}
    learner = create_learner("mlp", **params)
    batches = [max(1, len(train) // 34) for train, _ in learner._splits(y)]
    assert len(set(batches)) == 2  # the case under test: bags step a different number of times per epoch
    reference, epochs = fit_one_by_one(learner, X, y)
    learner.fit(X, y)
    assert learner.best_epochs_ == epochs
    np.testing.assert_allclose(learner.predict_proba(X), reference, atol=1e-5)
