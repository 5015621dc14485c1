"""One look for every report figure: matplotlib on the Agg backend, a shared palette, PNG output.

Figures are drawn off-screen (no display, no network) and saved at a fixed DPI.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Colours shared by the figures and the HTML page (kept in sync through this module).
INK = "#1f2933"
MUTED = "#7b8794"
GRID = "#e4e7eb"
POSITIVE = "#d64545"
NEGATIVE = "#3e7cb1"
GREEDY = "#e8833a"
SMOOTH = "#2f9e77"
ACCENT = "#5b4bdb"
SEQUENTIAL = "viridis"

_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlecolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": GRID,
    "grid.linewidth": 0.8,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}


@contextmanager
def figure(path: Path, *, width: float, height: float, dpi: int, nrows: int = 1, ncols: int = 1, **kwargs) -> Iterator:
    """``with figure(path, width=..., height=..., dpi=...) as (fig, axes):`` draw; saved to ``path`` on exit.

    ``axes`` is what ``plt.subplots`` returns for ``nrows`` x ``ncols``; the
    figure is closed in every case so long reports do not pile up memory.
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    with plt.rc_context(_RC):
        fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False, **kwargs)
        try:
            yield fig, axes
            fig.tight_layout()
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, dpi=dpi)
        finally:
            plt.close(fig)


def grid_shape(n: int, max_cols: int = 5) -> tuple[int, int]:
    """Rows and columns of a small-multiples grid for ``n`` panels."""
    cols = min(n, max_cols) or 1
    return (n + cols - 1) // cols, cols


def hide_unused(axes, n_used: int) -> None:
    """Switch off the panels of a grid beyond the first ``n_used``."""
    for ax in axes.ravel()[n_used:]:
        ax.set_visible(False)
