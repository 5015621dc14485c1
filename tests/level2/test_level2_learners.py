"""Every registered learner goes through the same checks (parametrized over the registry)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from stacker.exceptions import RegistryError, ValidationError
from stacker.level2.learners import Learner, create_learner, learner_class, list_learners, register_learner

# Small settings so the whole file runs in seconds; defaults are for real data.
FAST = {"lightgbm": {"n_estimators": 30}, "xgboost": {"n_estimators": 30}, "mlp": {"max_epochs": 15}}


def fast(name: str, **params) -> Learner:
    return create_learner(name, **{**FAST.get(name, {}), **params})


def separable(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Four noisy probability features of a 30%-positive label."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.uint8)
    X = 1.0 / (1.0 + np.exp(-(2.0 * (2 * y[:, None] - 1) + rng.normal(0, 1.2, (n, 4)))))
    return X.astype(np.float32), y


def test_registry_holds_the_five_learners():
    assert set(list_learners()) >= {"logistic", "ridge", "lightgbm", "xgboost", "mlp"}


@pytest.mark.parametrize("name", list_learners())
def test_learner_fits_and_predicts_probabilities(name):
    X, y = separable()
    learner = fast(name, random_state=3)
    assert learner.fit(X[:200], y[:200]) is learner
    p = learner.predict_proba(X[200:])
    assert p.shape == (100,) and p.dtype == np.float64
    assert np.all((p >= 0) & (p <= 1))
    assert roc_auc_score(y[200:], p) > 0.85  # it learned the signal


@pytest.mark.parametrize("name", list_learners())
def test_learner_is_deterministic_for_a_seed(name):
    X, y = separable(seed=1)
    a = fast(name, random_state=7).fit(X, y).predict_proba(X)
    b = fast(name, random_state=7).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", list_learners())
def test_learner_with_one_class_predicts_that_class(name):
    X, _ = separable(n=40)
    p = fast(name).fit(X, np.zeros(40, dtype=np.uint8)).predict_proba(X)
    np.testing.assert_array_equal(p, np.zeros(40))


@pytest.mark.parametrize("name", list_learners())
def test_learner_params_round_trip_and_fit_does_not_change_them(name):
    cls = learner_class(name)
    assert "random_state" in cls.param_names()
    learner = create_learner(name)
    assert learner.get_params() == cls.defaults()
    X, y = separable(n=80)
    before = fast(name).get_params()
    after = fast(name).fit(X, y).get_params()
    assert before == after


def test_unknown_learner_and_unknown_parameter_are_refused():
    with pytest.raises(RegistryError, match="unknown learner 'lgbm'; choose one of: .*lightgbm"):
        create_learner("lgbm")
    with pytest.raises(ValidationError, match="learner 'ridge' has no parameter 'C'; valid: alpha=None, alphas="):
        create_learner("ridge", C=1.0)


def test_a_name_cannot_be_registered_twice():
    with pytest.raises(RegistryError, match="'logistic' is already registered"):
        register_learner("logistic")(learner_class("logistic"))


def test_predict_checks_the_feature_count_and_fit_state():
    X, y = separable(n=60)
    with pytest.raises(ValidationError, match="not fitted"):
        create_learner("logistic").predict_proba(X)
    learner = create_learner("logistic").fit(X, y)
    with pytest.raises(ValidationError, match="X has 3 features; the learner was fitted on 4"):
        learner.predict_proba(X[:, :3])
    with pytest.raises(ValidationError, match="y must be 0/1"):
        create_learner("logistic").fit(X, np.full(60, 2))


def test_ridge_calibration_is_monotone_in_the_ridge_score():
    X, y = separable(seed=2)
    learner = create_learner("ridge").fit(X, y)
    from stacker.level2.learners import logit

    score = learner.model_.predict(logit(X.astype(np.float64)))
    p = learner.predict_proba(X)
    order = np.argsort(score)
    assert np.all(np.diff(p[order]) >= -1e-12)


def test_mlp_stops_early_when_validation_loss_stalls():
    X, y = separable(n=400, seed=4)
    learner = create_learner("mlp", max_epochs=200, patience=3, lr=0.05).fit(X, y)
    assert len(learner.best_epochs_) == 5 and max(learner.best_epochs_) < 200 - 3


def test_bagged_mlp_predicts_the_mean_of_networks_each_stopped_on_its_own_inner_fold():
    import torch
    from sklearn.model_selection import StratifiedKFold

    from stacker.level2.learners import logit

    X, y = separable(n=300, seed=5)
    learner = create_learner("mlp", bags=3, max_epochs=20, random_state=4).fit(X, y)
    Z = torch.as_tensor((logit(X) - learner.mean_) / learner.scale_, dtype=torch.float32)
    with torch.no_grad():
        each = [torch.sigmoid(net.eval()(Z).squeeze(1)).double().numpy() for net in learner.nets_]
    np.testing.assert_allclose(learner.predict_proba(X), np.mean(each, axis=0), atol=1e-6)
    assert len(learner.nets_) == 3 and not np.allclose(each[0], each[1])  # three different networks
    # Each network stopped on its own stratified inner fold: refitting one on that fold's split reproduces it.
    train, valid = list(StratifiedKFold(3, shuffle=True, random_state=4).split(X, y))[1]
    alone = create_learner("mlp", bags=1, max_epochs=20, random_state=4 + 7919)
    alone._splits = lambda _: [(train, valid)]
    np.testing.assert_allclose(alone.fit(X, y).predict_proba(X), each[1], atol=1e-6)


def test_one_bag_is_one_network_on_a_held_out_share_and_bad_bags_are_refused():
    X, y = separable(n=200, seed=6)
    single = create_learner("mlp", bags=1, max_epochs=10).fit(X, y)
    assert len(single.nets_) == 1
    rare = np.zeros_like(y)
    rare[:3] = 1  # too rare for 5 inner folds: one network instead
    assert len(create_learner("mlp", max_epochs=5).fit(X, rare).nets_) == 1
    for bad in (0, 2.5, True):
        with pytest.raises(ValidationError, match="bags must be an integer >= 1"):
            create_learner("mlp", bags=bad, max_epochs=5).fit(X, y)


@pytest.mark.parametrize("name, params, says", [
    ("ridge", {"alpha": -1}, "learner 'ridge' refuses alpha=-1: The 'alpha' parameter of Ridge must be"),
    ("logistic", {"C": 0}, "learner 'logistic' refuses C=0: The 'C' parameter"),
    ("lightgbm", {"num_leaves": 1}, "learner 'lightgbm' refuses num_leaves=1"),
    ("xgboost", {"max_depth": -3}, "learner 'xgboost' refuses max_depth=-3"),
    ("mlp", {"hidden": 0}, "mlp hidden must be an integer >= 1; found 0"),
    ("mlp", {"dropout": 1.0}, "mlp dropout must be in \\[0, 1\\)"),
    ("mlp", {"lr": 0.0}, "mlp lr must be > 0"),
])
def test_a_parameter_value_the_library_refuses_fails_at_creation(name, params, says):
    with pytest.raises(ValidationError, match=says):
        create_learner(name, **params)


def test_fit_l2_names_a_refused_parameter_in_one_line(make_level1, capsys):
    from stacker.__main__ import main

    ws = make_level1(n_train=60, n_test=20, n_labels=2, k=3)
    assert main(["fit-l2", "--learner", "ridge", "--param", "alpha=-1", "-w", str(ws.root)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ValidationError: learner 'ridge' refuses alpha=-1") and "\n" not in err
    assert not (ws.root / "level2").exists()
