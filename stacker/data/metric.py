"""The workspace metric: F-beta with an averaging mode, spelled ``f2-samples``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from stacker.exceptions import WorkspaceError

AVERAGES = ("samples", "macro", "micro")
_PATTERN = re.compile(r"^f(?P<beta>\d+(?:\.\d+)?)-(?P<average>\w+)$")


@dataclass(frozen=True)
class MetricSpec:
    """F-beta averaged per sample (Planet), per label (macro) or over all cells (micro)."""

    beta: float = 2.0
    average: str = "samples"

    @property
    def name(self) -> str:
        return f"f{self.beta:g}-{self.average}"


def parse_metric(text: str) -> MetricSpec:
    """``"f2-samples"`` -> ``MetricSpec(2.0, "samples")``; also ``f1-macro``, ``f0.5-micro``."""
    match = _PATTERN.match(text.strip().lower())
    if not match or match["average"] not in AVERAGES or float(match["beta"]) <= 0:
        raise WorkspaceError(
            f"metric {text!r} is not understood; expected f<beta>-<average> with beta > 0 "
            f"and average one of {', '.join(AVERAGES)} (e.g. f2-samples, f1-macro, f0.5-micro)"
        )
    return MetricSpec(beta=float(match["beta"]), average=match["average"])
