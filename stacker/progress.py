"""Progress reporting that the library can call and only the CLI turns on.

The library never prints: long loops wrap their iterables in :func:`track`,
which is a plain pass-through unless progress was enabled with :func:`enable`
(the CLI does when stderr is a terminal; a notebook may call
``stacker.progress.enable()``). Bars are drawn by rich only where they can be:
on a terminal, or in Jupyter as a widget; anywhere else (a pipe, captured
output) nothing is drawn, so no terminal control codes end up in a log.
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
    from rich.progress import track as rich_track

    console = _live_console()
    if console is None:
        yield from iterable
        return
    yield from rich_track(iterable, description=description, total=total, transient=True, console=console)


@contextmanager
def status(message: str) -> Iterator[None]:
    """A spinner with ``message`` while the block runs, when enabled."""
    console = _live_console() if _enabled else None
    if console is None:
        yield
        return
    with console.status(message):
        yield


def _live_console():
    """A rich console on stderr if it can draw live displays (a real terminal, or Jupyter), else None.

    The stream itself is asked, not rich's ``is_terminal``: FORCE_COLOR or
    TTY_COMPATIBLE in the environment (CI, some notebook front ends) would
    make rich write cursor-control codes into captured output.
    """
    import sys

    from rich.console import Console

    console = Console(stderr=True)
    isatty = getattr(sys.stderr, "isatty", None)
    return console if console.is_jupyter or (isatty is not None and isatty()) else None
