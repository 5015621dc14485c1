"""The demo: a real multi-label image task built offline, and the whole workflow run on it.

- :func:`~stacker.demo.digits.build_digits_task` - digits mosaics, two image variants, a workspace.
- :mod:`~stacker.demo.sklearn_runs` - scikit-learn / LightGBM models as plain CSV run folders.
- :func:`run_demo` - folds, level 0, collect, select, fit-l2, submissions, report.
"""

from stacker.demo.pipeline import SMALL, DemoResult, run_demo

__all__ = ["SMALL", "DemoResult", "run_demo"]
