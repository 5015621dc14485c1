"""One exception root for everything a user can get wrong.

The library raises these; only ``stacker.__main__`` catches them, prints
``Name: message`` and exits 1. Messages say what was expected, what was found
and how to fix it.
"""


class StackerError(Exception):
    """Root of every error stacker reports to a user (no traceback)."""


class WorkspaceError(StackerError):
    """stacker.toml, the train/test CSVs or folds.csv are missing or malformed."""


class RunFormatError(StackerError):
    """A run folder does not follow docs/run-format.md."""


class StoreError(StackerError):
    """The OOF store is missing a model, or a model conflicts with a stored one."""


class StoreBusyError(StoreError):
    """Another process is writing to the store (one writer at a time)."""


class ValidationError(StackerError):
    """Arrays or options passed to a library function are inconsistent."""


class RegistryError(StackerError):
    """An unknown or duplicate name in a registry."""


class TrainingError(StackerError):
    """Level-0 training cannot go on (NaN guard, missing images, bad checkpoint)."""


class SubmissionError(StackerError):
    """A submission file does not match the workspace's sample submission."""


class ClusterError(StackerError):
    """A Dask cluster spec is malformed, or its scheduler cannot be reached or has no workers."""
