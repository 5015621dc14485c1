"""Layered stacking: a learner per label on the outputs of earlier stages, one layer up (``level<N>/<name>/``).

``stack_features`` builds the design matrices from stage matrices;
``run_stack`` reads the stage folders, fits with nested CV, and publishes the
next layer (the stage contract: oof, test, config, scores).
"""

from stacker.stack.stage import STACK_FEATURES, StackResult, run_stack, stack_features

__all__ = ["STACK_FEATURES", "StackResult", "run_stack", "stack_features"]
