"""Blends of stage outputs: per-label Caruana selection (with replacement) over level-1/level-2 stages.

``blend_matrices`` works on arrays; ``run_blend`` reads the stage folders,
blends, and publishes ``blend/`` (the stage contract: oof, test, config, scores).
"""

from stacker.blend.stage import BlendResult, run_blend
from stacker.blend.weights import BlendFit, LabelBlend, blend_matrices, named_weights

__all__ = ["BlendFit", "BlendResult", "LabelBlend", "blend_matrices", "named_weights", "run_blend"]
