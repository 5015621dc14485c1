"""Every registered decision rule on the same checks, then each rule against its definition."""

from __future__ import annotations

import numpy as np
import pytest

from stacker.decide import create_rule, expected_fbeta_decisions, list_rules
from stacker.decide.rules import rule_class
from stacker.exceptions import RegistryError, ValidationError
from stacker.thresholds import apply_thresholds, fit_thresholds


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    y = (rng.random((160, 4)) < [0.7, 0.4, 0.2, 0.06]).astype(np.uint8)
    y[0] = 1
    logits = 1.5 * (2.0 * y - 1.0) + rng.normal(0.0, 1.0, y.shape)
    return 1.0 / (1.0 + np.exp(-logits)), y


def test_registry_lists_the_six_rules():
    assert list_rules() == ["bagged", "expected-f", "expected-f-calibrated", "greedy", "prevalence", "smooth"]


@pytest.mark.parametrize("name", list_rules())
def test_every_rule_keeps_the_contract(name, data):
    p, y = data
    rule = create_rule(name, beta=2.0, average="samples")
    params = rule.get_params()
    with pytest.raises(ValidationError, match=f"rule '{name}' is not fitted"):
        rule.predict(p)
    assert rule.fit(p, y) is rule and rule.get_params() == params  # fit returns self, changes no parameter
    assert not any(k.endswith("_") for k in vars(create_rule(name)))  # __init__ stores parameters only
    assert "n_labels_" in vars(rule)
    pred = rule.predict(p[:50])
    assert pred.dtype == np.uint8 and pred.shape == (50, 4) and set(np.unique(pred)) <= {0, 1}
    again = create_rule(name).fit(p, y).predict(p[:50])
    np.testing.assert_array_equal(pred, again)  # deterministic
    counts = rule.predict(p).sum(axis=0)  # every label decided, both ways, where the probabilities separate it
    assert ((counts > 0) & (counts < len(p))).all(), counts
    if rule.uses_thresholds:  # every label has a decision: a finite threshold, applied as p >= t
        assert rule.thresholds_.shape == (4,) and np.isfinite(rule.thresholds_).all()
        np.testing.assert_array_equal(pred, apply_thresholds(p[:50], rule.thresholds_))
    with pytest.raises(ValidationError, match=f"proba has 3 labels but rule '{name}' was fitted on 4"):
        rule.predict(p[:, :3])
    with pytest.raises(ValidationError, match="y_true has shape"):
        create_rule(name).fit(p, y[:, :3])


@pytest.mark.parametrize("name", list_rules())
def test_every_rule_serves_or_refuses_each_average_in_one_line(name, data):
    p, y = data
    for average in ("samples", "macro", "micro"):
        if average in rule_class(name).averages:
            assert create_rule(name, average=average).fit(p, y).predict(p).shape == p.shape
        else:
            with pytest.raises(ValidationError, match=rf"^rule '{name}' optimises f2-samples only; the metric is "
                                                     rf"f2-{average}: choose a per-label threshold rule") as e:
                create_rule(name, average=average)
            assert "\n" not in str(e.value)


def test_expected_f_rules_are_per_sample_only():
    assert rule_class("expected-f").averages == ("samples",) == rule_class("expected-f-calibrated").averages
    assert rule_class("greedy").averages == ("samples", "macro", "micro")


def test_unknown_rule_and_parameter():
    with pytest.raises(RegistryError, match="unknown decision rule 'best'; choose one of: bagged, expected-f"):
        create_rule("best")
    with pytest.raises(ValidationError, match="rule 'bagged' has no parameter 'bags'; valid: method='greedy', "
                                              "n_bags=20, random_state=0"):
        create_rule("bagged", bags=3)
    with pytest.raises(ValidationError, match="bagged n_bags must be an integer >= 1"):
        create_rule("bagged", n_bags=0)
    with pytest.raises(ValidationError, match="unknown calibration method 'beta'; choose one of: isotonic, platt"):
        create_rule("expected-f-calibrated", method="beta")


@pytest.mark.parametrize("name", ["greedy", "smooth"])
@pytest.mark.parametrize("average", ["samples", "macro", "micro"])
def test_threshold_rules_wrap_fit_thresholds(name, average, data):
    p, y = data
    rule = create_rule(name, beta=1.0, average=average).fit(p, y)
    np.testing.assert_array_equal(rule.thresholds_, fit_thresholds(y, p, 1.0, average, name).thresholds)


def test_prevalence_matches_each_label_rate_within_one_row(data):
    p, y = data
    rule = create_rule("prevalence").fit(p, y)
    assert np.abs(rule.predict(p).sum(axis=0).astype(int) - y.sum(axis=0)).max() <= 1
    ties = np.round(p, 1)  # many ties: the nearest reachable count, still close
    counts = create_rule("prevalence").fit(ties, y).predict(ties).sum(axis=0).astype(int)
    exact = [np.abs(np.array([np.sum(ties[:, j] >= t) for t in np.unique(ties[:, j])] + [0]) - y[:, j].sum()).min()
             for j in range(4)]
    np.testing.assert_array_equal(np.abs(counts - y.sum(axis=0)), exact)


def test_bagged_is_the_mean_of_seeded_bootstrap_fits(data):
    p, y = data
    rule = create_rule("bagged", n_bags=5, random_state=3).fit(p, y)
    rng = np.random.default_rng(3)
    fits = []
    for _ in range(5):
        rows = rng.integers(0, len(p), len(p))
        fits.append(fit_thresholds(y[rows], p[rows], 2.0, "samples", "greedy").thresholds)
    np.testing.assert_allclose(rule.thresholds_, np.mean(fits, axis=0))
    other = create_rule("bagged", n_bags=5, random_state=4).fit(p, y)
    assert not np.array_equal(rule.thresholds_, other.thresholds_)


def test_expected_f_uses_the_probabilities_as_given(data):
    p, y = data
    np.testing.assert_array_equal(create_rule("expected-f").fit(p, y).predict(p), expected_fbeta_decisions(p, 2.0))


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_calibrated_expected_f_calibrates_each_label_on_the_fitted_rows(method, data):
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression

    p, y = data
    fit, new = slice(0, 100), slice(100, 160)
    rule = create_rule("expected-f-calibrated", method=method).fit(p[fit], y[fit])
    calibrated = np.empty_like(p[new])
    for j in range(4):
        if method == "isotonic":
            model = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(p[fit, j], y[fit, j])
            calibrated[:, j] = model.predict(p[new, j])
        else:
            logit = lambda v: np.log(np.clip(v, 1e-6, 1 - 1e-6)) - np.log1p(-np.clip(v, 1e-6, 1 - 1e-6))
            model = LogisticRegression(C=1e6).fit(logit(p[fit, j])[:, None], y[fit, j])
            calibrated[:, j] = model.predict_proba(logit(p[new, j])[:, None])[:, 1]
    np.testing.assert_array_equal(rule.predict(p[new]), expected_fbeta_decisions(calibrated, 2.0))


def test_calibration_of_a_label_with_one_class_is_its_constant_rate(data):
    p, y = data
    y = y.copy()
    y[:, 3] = 0
    rule = create_rule("expected-f-calibrated").fit(p, y)
    assert rule.predict(p)[:, 3].sum() == 0  # calibrated to probability 0: never worth predicting
