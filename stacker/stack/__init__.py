"""Layered stacking: a learner per label on the outputs of earlier stages, one layer up (``level<N>/<name>/``).

``StackFeatures`` builds the design matrices from stage matrices (per fold, from the inputs' views);
``run_stack`` reads the stage folders, fits with nested CV, and publishes the
next layer (the stage contract: oof, test, config, scores).
"""

from stacker.stack.features import STACK_FEATURES, StackFeatures
from stacker.stack.stage import StackResult, run_stack

__all__ = ["STACK_FEATURES", "StackFeatures", "StackResult", "run_stack"]
