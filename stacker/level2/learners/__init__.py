"""Level-2 learners: one binary classifier per label on the stacking features.

A flat family (one learner per file) behind a registry, like timm's models::

    from stacker.level2.learners import create_learner, list_learners
    list_learners()                      # ['lightgbm', 'logistic', 'mlp', 'ridge', 'xgboost']
    create_learner("lightgbm", num_leaves=7).fit(X, y).predict_proba(X)

A new learner subclasses :class:`Learner`, takes keyword-only parameters (with
Kaggle defaults for a few dozen probability features, and a ``random_state``
that nested CV sets per fit), runs single-threaded, and is decorated with
``@register_learner("name")``; the CLI's ``--learner`` choices and the tests
pick it up from there.
"""

from __future__ import annotations

from stacker.exceptions import ValidationError
from stacker.level2.learners._base import Learner, logit
from stacker.registry import Registry

LEARNERS: Registry[Learner] = Registry("learner")
register_learner = LEARNERS.register


def list_learners() -> list[str]:
    """Registered learner names, sorted."""
    return LEARNERS.names()


def learner_class(name: str) -> type[Learner]:
    """The class registered as ``name``; unknown names raise RegistryError listing the valid ones."""
    return LEARNERS.get(name)


def create_learner(name: str, **params) -> Learner:
    """Build learner ``name`` with ``params``; an unknown parameter, or a value the learner's library refuses
    (tried on a tiny task whenever ``params`` are given), raises ValidationError."""
    cls = learner_class(name)
    unknown = sorted(set(params) - set(cls.param_names()))
    if unknown:
        valid = ", ".join(f"{k}={v!r}" for k, v in cls.defaults().items())
        raise ValidationError(f"learner {name!r} has no parameter {', '.join(map(repr, unknown))}; valid: {valid}")
    if params:
        _try_params(name, params)
    return cls(**params)


def _try_params(name: str, params: dict) -> None:
    """Fit ``name`` with ``params`` on 40 synthetic rows, so a bad value fails here in one line, not in a worker."""
    import numpy as np

    y = np.tile([0, 1], 20)
    X = np.clip(np.random.default_rng(0).random((40, 2)) * 0.5 + 0.25 * y[:, None], 0.0, 1.0)
    try:
        learner_class(name)(**params).fit(X, y).predict_proba(X[:2])
    except ValidationError:
        raise
    except Exception as e:  # each library has its own error types (sklearn, LightGBM, XGBoost, torch)
        shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
        raise ValidationError(f"learner {name!r} refuses {shown}: {' '.join(str(e).split())[:300]}") from e


# Importing the modules registers the learners (heavy libraries load inside fit).
from stacker.level2.learners import lightgbm, logistic, mlp, ridge, xgboost  # noqa: E402,F401

__all__ = ["LEARNERS", "Learner", "create_learner", "learner_class", "list_learners", "logit", "register_learner"]
