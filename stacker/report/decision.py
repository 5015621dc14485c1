"""The decision section: every rule's honest score (from ``<stage>/decide.json``) and its thresholds on each label's curve.

``stacker decide`` compares the decision rules of one stage and saves the
table; the report shows it and, per label, the exact binary F-beta against the
threshold with each threshold rule's choice marked, so one sees where
``prevalence`` or ``bagged`` sit relative to the greedy optimum. Per-sample
rules (``expected-f``) have no threshold to mark.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from stacker.decide.stage import DECIDE_FILE
from stacker.report import style
from stacker.report.curves import curve_value

# Threshold rules in the colours the other figures use; rules registered later cycle through the rest.
COLOURS = {"greedy": style.GREEDY, "smooth": style.SMOOTH, "prevalence": style.POSITIVE, "bagged": style.NEGATIVE}
_OTHERS = (style.ACCENT, style.INK, style.MUTED)
MARKERS = ("o", "D", "s", "^", "v", "P", "X")


def find_decisions(stage_dirs: Sequence[Path], preferred: Path | None) -> Path | None:
    """The ``decide.json`` to show: ``preferred``'s when it has one, else the newest among ``stage_dirs``."""
    if preferred is not None and (preferred / DECIDE_FILE).exists():
        return preferred / DECIDE_FILE
    found = [d / DECIDE_FILE for d in stage_dirs if (d / DECIDE_FILE).exists()]
    return max(found, key=lambda p: (p.stat().st_mtime, str(p))) if found else None


def threshold_rules(document: dict) -> dict[str, np.ndarray]:
    """``{rule: thresholds (n_labels,)}`` for the rules that have thresholds, in the document's label order."""
    labels = document["labels"]
    return {name: np.array([r["thresholds"][label] for label in labels])
            for name, r in document["rules"].items() if r["thresholds"] is not None}


def plot_rule_thresholds(proba: np.ndarray, y: np.ndarray, labels: Sequence[str], path: Path, *, beta: float,
                         thresholds: dict[str, np.ndarray], dpi: int) -> Path:
    """Per label, the exact F-beta-vs-threshold curve with each rule's threshold marked.

    ``proba`` and ``y``: (n_samples, n_labels); ``thresholds``: ``{rule: (n_labels,)}``.
    """
    from stacker.thresholds import fbeta_curve

    colours = _colours(thresholds)
    rows, cols = style.grid_shape(len(labels))
    with style.figure(path, width=2.6 * cols, height=2.1 * rows + 0.5, dpi=dpi, nrows=rows, ncols=cols,
                      sharex=True, sharey=True) as (fig, axes):
        for j, (ax, label) in enumerate(zip(axes.ravel(), labels)):
            t_exact, f_exact = fbeta_curve(y[:, j], proba[:, j], beta)
            ax.step(t_exact, f_exact, where="pre", color=style.MUTED, linewidth=0.9, label="exact F")
            for i, (rule, values) in enumerate(thresholds.items()):
                t = float(values[j])
                ax.plot([t], [curve_value(t_exact, f_exact, t)], marker=MARKERS[i % len(MARKERS)],
                        color=colours[rule], markersize=max(7.5 - 1.0 * i, 4.0), markeredgecolor="white",
                        linestyle="none", label=rule)  # later rules drawn smaller, on top: overlaps stay visible
            ax.set_title(label, loc="left", fontsize=8.5)
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1.02)
        style.hide_unused(axes, len(labels))
        axes.ravel()[0].legend(loc="lower left", fontsize=6.5)
        fig.suptitle(f"F{beta:g} against threshold per label, each threshold rule's choice marked", x=0.01,
                     ha="left", fontsize=11, fontweight="bold", color=style.INK)
    return path


def _colours(thresholds: dict) -> dict[str, str]:
    others = iter(_OTHERS * len(thresholds))
    return {rule: COLOURS.get(rule) or next(others) for rule in thresholds}
