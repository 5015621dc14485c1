"""The level-1 selection trace: per label, the objective after each model added to its average.

Read from ``level1/selection.json`` (``per_label.<label>.trace``); step 1 is the
best single candidate, so the rise of a line is what averaging bought that label.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stacker.report import style


@dataclass(frozen=True)
class TraceRow:
    """One label's selection: chosen models in order, final score, and gain over its first pick."""

    label: str
    models: list[str]
    score: float
    trace: list[float]

    @property
    def gain(self) -> float:
        """Final score minus the score of the first (best single) candidate."""
        return self.score - self.trace[0] if self.trace else 0.0


def trace_rows(selection: dict) -> list[TraceRow]:
    """The per-label rows of a ``selection.json`` document, in its label order."""
    return [
        TraceRow(label, list(entry.get("models", [])), float(entry.get("score", float("nan"))),
                 [float(s) for s in entry.get("trace", [])])
        for label, entry in selection["per_label"].items()
    ]


def plot_selection_trace(rows: list[TraceRow], path: Path, *, objective: str, dpi: int) -> Path:
    """One line per label: objective after step 1, 2, ... of the selection; labels named at the line ends."""
    import matplotlib

    colours = matplotlib.colormaps["tab10"]
    longest = max((len(r.trace) for r in rows), default=1)
    ends = [r.trace[-1] for r in rows if r.trace]
    spread = (max(ends) - min(ends)) if ends else 0.0
    label_y = spread_labels(ends, gap=max(spread, 0.05) * 0.045)
    with style.figure(path, width=7.5, height=4.4, dpi=dpi) as (_, axes):
        ax = axes[0, 0]
        drawn = [r for r in rows if r.trace]
        for i, (row, y_text) in enumerate(zip(drawn, label_y)):
            steps = range(1, len(row.trace) + 1)
            ax.plot(steps, row.trace, marker="o", markersize=4, linewidth=1.6, color=colours(i % 10))
            ax.annotate(f"{row.label} (+{row.gain:.3f})", (len(row.trace), row.trace[-1]), xytext=(longest + 0.15, y_text),
                        textcoords="data", va="center", fontsize=7.5, color=colours(i % 10),
                        arrowprops={"arrowstyle": "-", "color": colours(i % 10), "linewidth": 0.5, "alpha": 0.6})
        ax.set_xticks(range(1, longest + 1))
        ax.set_xlim(0.8, longest + 1.1)
        ax.set_xlabel("models in the label's average")
        ax.set_ylabel(objective)
        ax.set_title("Level-1 selection trace per label", loc="left")
    return path


def spread_labels(values: list[float], gap: float) -> list[float]:
    """Label heights near ``values``, in the same order, at least ``gap`` apart (pushed apart around their mean)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    placed = [0.0] * len(values)
    previous = -float("inf")
    for i in order:
        placed[i] = max(values[i], previous + gap)
        previous = placed[i]
    if values:
        shift = (max(placed) - max(values)) / 2  # centre the stack on the data rather than only pushing up
        placed = [p - shift for p in placed]
    return placed
