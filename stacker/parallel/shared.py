"""``Shared``: mark a task argument as data that several tasks read.

Locally, threads get the value as is (they share memory) and worker
processes get it memory-mapped from one temporary file written once (its
arrays read-only), not copied per task. On a Dask cluster each distinct
``Shared`` object is scattered once, replicated on every worker (a worker
that dies takes no data with it: the others hold copies, and its
replacement fetches what it needs from them), and every task that names it
gets a reference, so a large array crosses the network once per worker,
not once per task.
"""

from __future__ import annotations

from typing import Any


class Shared:
    """A value read by several tasks, e.g. one label's design matrix of shape (n_train, n_features)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        shape = getattr(self.value, "shape", None)
        return f"Shared({type(self.value).__name__}{'' if shape is None else list(shape)})"


def unwrap(args: tuple) -> tuple:
    """``args`` with every :class:`Shared` replaced by its value."""
    return tuple(a.value if isinstance(a, Shared) else a for a in args)
