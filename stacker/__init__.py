"""stacker: a stacking and ensembling engine for multi-label classification.

Data flows one way: level-0 trainers write run folders, ``oof-collect`` ingests
them into the OOF store, level-1 selects and bags models per label, level-2
stacks them with nested CV, thresholds turn probabilities into tags and the
submission stage writes a Kaggle CSV with its provenance.

From Python (a notebook): ``stacker.Workspace`` (one method per stage) and
``stacker.write_run`` (a run folder from any framework's arrays); see
:mod:`stacker.api`. Both are loaded on first use so the CLI starts fast.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "Workspace": "stacker.api", "write_run": "stacker.api", "CollectResult": "stacker.api",
    "SelectResult": "stacker.api", "Level2Result": "stacker.api", "SubmitResult": "stacker.api",
    "DecideResult": "stacker.api", "BlendResult": "stacker.api",
    "StackerError": "stacker.exceptions",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    """Load the notebook API on first use (``stacker.Workspace``)."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'stacker' has no attribute {name!r}")
