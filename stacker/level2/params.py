"""``--param key=value`` for a learner: type inference, checked against the learner's parameters.

Values are read as Python literals would be on a command line: ``true``/``false``
-> bool, ``none``/``null`` -> None, ``200`` -> int, ``0.05``/``1e-3`` -> float,
anything else -> str. The value is then matched to the parameter's declared
type (its annotation in the learner's ``__init__``): an int where a float is
expected becomes a float, an integral float where an int is expected (``1e3``)
becomes an int, a comma-separated list where a tuple is expected
(``Cs=0.01,0.1,1``) becomes a tuple of numbers, None is accepted only where
the annotation allows it; other mismatches raise.
"""

from __future__ import annotations

import typing
from types import NoneType, UnionType
from typing import Sequence

from stacker.exceptions import ValidationError
from stacker.level2.learners import learner_class


def parse_params(learner: str, pairs: Sequence[str]) -> dict:
    """``["num_leaves=7", "learning_rate=0.1"]`` -> ``{"num_leaves": 7, "learning_rate": 0.1}``.

    Raises ValidationError for a malformed pair, an unknown or repeated
    parameter, or a value of the wrong type, naming the valid parameters.
    """
    cls = learner_class(learner)
    defaults = cls.defaults()
    types = param_types(cls)
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
        params[key] = _coerce(key, text.strip(), types[key], defaults[key])
    return params


def param_types(cls) -> dict[str, tuple[type, ...]]:
    """Each keyword parameter's allowed types from its annotation (``float | None`` -> ``(float, NoneType)``)."""
    hints = typing.get_type_hints(cls.__init__)
    types = {}
    for name, default in cls.defaults().items():
        hint = hints.get(name, type(default))
        args = typing.get_args(hint) if isinstance(hint, UnionType) or typing.get_origin(hint) is typing.Union else ()
        types[name] = tuple(typing.get_origin(a) or a for a in args) or (typing.get_origin(hint) or hint,)
    return types


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


def _coerce(key: str, text: str, allowed: tuple[type, ...], default):
    value = infer_value(text)
    if value is None and NoneType in allowed:
        return None
    if tuple in allowed:
        items = tuple(infer_value(part.strip()) for part in text.split(","))
        if items and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items):
            return items
    if float in allowed and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if int in allowed and isinstance(value, float) and value.is_integer():
        return int(value)
    if type(value) not in allowed:
        expected = " or ".join("None" if t is NoneType else t.__name__ for t in allowed)
        hint = " (a comma-separated list of numbers)" if tuple in allowed else ""
        raise ValidationError(
            f"--param {key}={value!r}: expected {expected}{hint} (like the default {default!r}), "
            f"found {type(value).__name__}"
        )
    return value
