"""Progress reporting that the library can call and only the CLI turns on.

The library never prints: long loops wrap their iterables in :func:`track`,
which is a plain pass-through unless the CLI has enabled terminal progress
bars with :func:`enable` (rich).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")

_enabled = False


def enable(on: bool = True) -> None:
    """Show rich progress bars for every :func:`track` from now on (CLI only)."""
    global _enabled
    _enabled = on


def is_enabled() -> bool:
    """Whether the CLI asked for progress bars."""
    return _enabled


def track(iterable: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Yield from ``iterable``, with a progress bar when enabled."""
    if not _enabled:
        yield from iterable
        return
    from rich.console import Console
    from rich.progress import track as rich_track

    console = Console(stderr=True)
    yield from rich_track(iterable, description=description, total=total, transient=True, console=console)


@contextmanager
def status(message: str) -> Iterator[None]:
    """A spinner with ``message`` while the block runs, when enabled."""
    if not _enabled:
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(message):
        yield
