"""Progress bars: drawn only on a real terminal or in Jupyter; elsewhere a silent pass-through."""

from __future__ import annotations

import io

import pytest

from stacker import progress


class _Stream(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.mark.parametrize("tty, drawn", [(False, False), (True, True)], ids=["pipe", "terminal"])
def test_track_draws_only_on_a_terminal_even_with_force_color(monkeypatch, tty, drawn):
    monkeypatch.setenv("FORCE_COLOR", "1")
    stream = _Stream(tty)
    monkeypatch.setattr("sys.stderr", stream)
    progress.enable(True)
    try:
        items = list(progress.track(range(5), "counting"))
        with progress.status("waiting"):
            pass
    finally:
        progress.enable(False)
    assert items == [0, 1, 2, 3, 4]
    assert ("\x1b" in stream.getvalue()) is drawn
