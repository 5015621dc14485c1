"""``--param key=value``: type inference and the error table."""

from __future__ import annotations

import pytest

from stacker.exceptions import ValidationError
from stacker.level2.params import infer_value, parse_params


@pytest.mark.parametrize("text, value", [
    ("true", True), ("False", False), ("none", None), ("7", 7), ("-3", -3), ("0.05", 0.05), ("1e-3", 1e-3),
    ("balanced", "balanced"),
])
def test_values_are_inferred(text, value):
    assert infer_value(text) == value and type(infer_value(text)) is type(value)


def test_values_are_matched_to_the_parameter_type():
    params = parse_params("lightgbm", ["num_leaves=7", "learning_rate=1", "n_estimators=1e3"])
    assert params == {"num_leaves": 7, "learning_rate": 1.0, "n_estimators": 1000}
    assert type(params["learning_rate"]) is float and type(params["n_estimators"]) is int
    assert parse_params("logistic", ["class_weight=balanced"]) == {"class_weight": "balanced"}
    assert parse_params("logistic", []) == {}
    assert parse_params("logistic", ["C=none", "Cs=0.1,1,10"]) == {"C": None, "Cs": (0.1, 1, 10)}
    assert parse_params("ridge", ["alpha=3"]) == {"alpha": 3.0} and type(parse_params("ridge", ["alpha=3"])["alpha"]) is float


@pytest.mark.parametrize("learner, pairs, message", [
    ("lightgbm", ["num_leaves"], r"'num_leaves' is not key=value"),
    ("lightgbm", ["=3"], r"is not key=value"),
    ("lightgbm", ["leaves=7"], r"learner 'lightgbm' has no parameter 'leaves'; valid: n_estimators=1000"),
    ("lightgbm", ["num_leaves=7", "num_leaves=8"], r"num_leaves is given twice"),
    ("lightgbm", ["num_leaves=many"], r"num_leaves='many': expected int \(like the default 7\), found str"),
    ("lightgbm", ["num_leaves=7.5"], r"expected int .* found float"),
    ("ridge", ["alpha=true"], r"alpha=True: expected float or None .* found bool"),
    ("logistic", ["Cs=0.1,x"], r"Cs='0.1,x': expected tuple \(a comma-separated list of numbers\)"),
    ("logistic", ["max_iter=none"], r"max_iter=None: expected int"),
])
def test_bad_params_raise_with_the_fix(learner, pairs, message):
    with pytest.raises(ValidationError, match=message):
        parse_params(learner, pairs)
