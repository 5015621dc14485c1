"""Submission CSVs in the sample submission's format, their provenance, and their validation.

- :func:`submit` - threshold a stage's predictions into ``submissions/<name>.csv`` + ``.json``.
- :func:`fit_l2_and_submit` - ``fit-l2``: level 2, then its greedy and smooth submissions.
- :func:`check_submission` - validate a CSV against the sample submission.
- :func:`format_submission` / :func:`write_submission` - the CSV itself.
"""

from stacker.submission.check import CheckReport, check_submission
from stacker.submission.pipeline import FitL2Outcome, fit_l2_and_submit
from stacker.submission.provenance import package_versions
from stacker.submission.submit import SubmissionResult, default_name, submit
from stacker.submission.write import format_submission, read_sample, write_submission

__all__ = [
    "CheckReport", "FitL2Outcome", "SubmissionResult", "check_submission", "default_name", "fit_l2_and_submit",
    "format_submission", "package_versions", "read_sample", "submit", "write_submission",
]
