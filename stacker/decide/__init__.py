"""Decision rules: from probabilities to tag sets, compared honestly out of fold.

Pure math on arrays (numpy; scikit-learn for calibration), importing only
:mod:`stacker.thresholds` backward; :mod:`stacker.decide.stage` is the I/O side
(a stage's ``oof.parquet`` in, ``decide.json`` out).

- :func:`create_rule` / :func:`list_rules` - the rule registry (``greedy``,
  ``smooth``, ``prevalence``, ``bagged``, ``expected-f``, ``expected-f-calibrated``).
- :func:`evaluate_rules` - each rule fitted on K-1 folds and scored on the
  held-out one, with fold standard errors and paired differences to the best.
- :func:`expected_fbeta_decisions` / :func:`expected_fbeta_prefixes` - the
  exact expected F-beta under independent marginals, vectorised over samples.
"""

from stacker.decide.evaluate import evaluate_rules, standard_error
from stacker.decide.expected import expected_fbeta_decisions, expected_fbeta_prefixes
from stacker.decide.rules import RULES, Rule, ThresholdRule, create_rule, list_rules, register_rule

__all__ = [
    "RULES",
    "Rule",
    "ThresholdRule",
    "create_rule",
    "evaluate_rules",
    "expected_fbeta_decisions",
    "expected_fbeta_prefixes",
    "list_rules",
    "register_rule",
    "standard_error",
]
