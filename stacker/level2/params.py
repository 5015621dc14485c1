"""``--param key=value`` for a learner: type inference, checked against the learner's parameters.

Values are read as Python literals would be on a command line: ``true``/``false``
-> bool, ``none``/``null`` -> None, ``200`` -> int, ``0.05``/``1e-3`` -> float,
anything else -> str. The value is then matched to the type of the parameter's
default: an int where a float is expected becomes a float, an integral float
where an int is expected (``1e3``) becomes an int; other mismatches raise.
"""

from __future__ import annotations

from typing import Sequence

from stacker.exceptions import ValidationError
from stacker.level2.learners import learner_class


def parse_params(learner: str, pairs: Sequence[str]) -> dict:
    """``["num_leaves=7", "learning_rate=0.1"]`` -> ``{"num_leaves": 7, "learning_rate": 0.1}``.

    Raises ValidationError for a malformed pair, an unknown or repeated
    parameter, or a value of the wrong type, naming the valid parameters.
    """
    defaults = learner_class(learner).defaults()
    params: dict = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValidationError(f"--param {pair!r} is not key=value (e.g. --param num_leaves=31)")
        if key not in defaults:
            valid = ", ".join(f"{k}={v!r}" for k, v in defaults.items())
            raise ValidationError(f"--param {pair!r}: learner {learner!r} has no parameter {key!r}; valid: {valid}")
        if key in params:
            raise ValidationError(f"--param {key} is given twice; give each parameter once")
        params[key] = _coerce(key, infer_value(text.strip()), defaults[key])
    return params


def infer_value(text: str):
    """The bool, None, int, float or str that ``text`` spells."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _coerce(key: str, value, default):
    if default is None or value is None:
        return value
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if expected is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if type(value) is not expected:
        raise ValidationError(
            f"--param {key}={value!r}: expected {expected.__name__} (like the default {default!r}), "
            f"found {type(value).__name__}"
        )
    return value
