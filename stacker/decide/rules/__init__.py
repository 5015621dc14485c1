"""Decision rules: how probabilities become tag sets, one rule per file behind a registry.

Like the level-2 learners::

    from stacker.decide.rules import create_rule, list_rules
    list_rules()   # ['bagged', 'expected-f', 'expected-f-calibrated', 'greedy', 'prevalence', 'smooth']
    create_rule("expected-f", beta=2.0, average="samples").fit(P_oof, Y).predict(P_test)   # uint8 (n, L)

A new rule subclasses :class:`Rule` (or :class:`ThresholdRule` for one cut-off
per label), takes keyword-only parameters after ``beta``, ``average`` and
``zero_division``, states the metric averages it optimises, and is decorated
with ``@register_rule("name")``; ``stacker decide``, ``stacker submit --rule``
and the registry-wide tests pick it up from there.
"""

from __future__ import annotations

from stacker.decide.rules._base import AVERAGES, Rule, ThresholdRule, not_applicable
from stacker.exceptions import ValidationError
from stacker.registry import Registry

RULES: Registry[Rule] = Registry("decision rule")
register_rule = RULES.register


def list_rules() -> list[str]:
    """Registered rule names, sorted."""
    return RULES.names()


def rule_class(name: str) -> type[Rule]:
    """The class registered as ``name``; unknown names raise RegistryError listing the valid ones."""
    return RULES.get(name)


def create_rule(name: str, *, beta: float = 2.0, average: str = "samples", zero_division: float = 0.0,
                **params) -> Rule:
    """Build rule ``name`` for the metric ``f<beta>-<average>`` with its own ``params``.

    Raises ValidationError for a parameter the rule does not have, and for a
    metric it does not optimise (e.g. ``expected-f`` with a macro average).
    """
    cls = rule_class(name)
    unknown = sorted(set(params) - set(cls.param_names()))
    if unknown:
        valid = ", ".join(f"{k}={v!r}" for k, v in cls.defaults().items()) or "(none)"
        raise ValidationError(f"rule {name!r} has no parameter {', '.join(map(repr, unknown))}; valid: {valid}")
    return cls(beta=beta, average=average, zero_division=zero_division, **params)


def applies_to(name: str, average: str) -> bool:
    """Whether rule ``name`` optimises the metric average ``average``."""
    return average in rule_class(name).averages


# Importing the modules registers the rules.
from stacker.decide.rules import (  # noqa: E402,F401
    bagged,
    expected_f,
    expected_f_calibrated,
    greedy,
    prevalence,
    smooth,
)

__all__ = ["AVERAGES", "RULES", "Rule", "ThresholdRule", "applies_to", "create_rule", "list_rules",
           "not_applicable", "register_rule", "rule_class"]
