"""One writer at a time on a store: an OS file lock (``filelock``) on ``<store>/.lock``.

Writers (``oof-collect``, ``prune --delete``, :meth:`Store.add`,
:meth:`Store.delete`) hold the lock; a second writer either refuses at once
with one line naming the holder, or waits up to ``wait`` seconds, saying so.
Readers (``ls``, ``select``) take no lock: the catalog row of a model is
committed only after its files are written, so they always see complete
models. The lock is the kernel's (``flock``): a writer killed with kill -9
releases it, and no stale lock is left to clean up.

The lock is re-entrant within a process (one lock object per store path), so
``oof-collect`` can hold it around many :meth:`Store.add` calls.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from filelock import FileLock, Timeout

from stacker.exceptions import StoreBusyError

LOCK_FILE = ".lock"
HOLDER_FILE = ".lock-holder"

log = logging.getLogger(__name__)


@contextmanager
def store_lock(root: Path | str, *, wait: float = 0.0) -> Iterator[None]:
    """Hold the writer lock of the store at ``root`` for the block.

    Parameters
    ----------
    root : path
        The store folder (created if absent).
    wait : float
        Seconds to wait for another writer to finish; 0 refuses at once.

    Raises
    ------
    StoreBusyError
        Another process holds the lock (after ``wait`` seconds).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    lock = _lock(root)
    first = not lock.is_locked
    _acquire(lock, root, wait)
    try:
        if first:
            _write_holder(root)
        yield
    finally:
        if first:  # the note names the current writer only: none is left behind to name a finished one
            (root / HOLDER_FILE).unlink(missing_ok=True)
        lock.release()


def try_store_lock(root: Path | str) -> FileLock | None:
    """The held lock of ``root`` if it is free now (release it when done), else None; for optional work."""
    try:
        lock = _lock(Path(root))
        lock.acquire(timeout=0)
    except (Timeout, OSError):  # busy, or a read-only store: skip the optional work
        return None
    return lock


def _lock(root: Path) -> FileLock:
    return FileLock(root.resolve() / LOCK_FILE, is_singleton=True)  # one object per store, however it is spelled


def _acquire(lock: FileLock, root: Path, wait: float) -> None:
    try:
        lock.acquire(timeout=0)
        return
    except Timeout:
        pass
    holder = _holder(root)
    if wait > 0:
        log.warning("the store %s is being written by %s; waiting up to %g s for it", root, holder, wait)
        try:
            lock.acquire(timeout=wait)
            return
        except Timeout:
            pass
    waited = f" after waiting {wait:g} s" if wait > 0 else ""
    raise StoreBusyError(
        f"the store {root} is being written by {holder}{waited}; only one writer at a time is allowed. "
        f"Run the command again when it has finished, or pass --wait SECONDS to wait for it"
    )


def _write_holder(root: Path) -> None:
    since = datetime.now(timezone.utc).strftime("%H:%M:%S UTC")
    try:
        (root / HOLDER_FILE).write_text(f"process {os.getpid()} (since {since})")
    except OSError:  # the note is informational; the lock is what counts
        pass


def _holder(root: Path) -> str:
    try:
        return (root / HOLDER_FILE).read_text().strip() or "another process"
    except OSError:
        return "another process"
