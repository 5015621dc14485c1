"""The stage graph: which stage feeds which, each with its best honest CV score, the chosen one highlighted.

Nodes are the OOF store (:data:`~stacker.data.stages.STORE_NODE`, layer 0)
and every stage folder (:func:`~stacker.data.stages.stage_folders`); edges run
from each recorded input (:func:`~stacker.data.stages.stage_inputs`) to the
stage it feeds. Each stage carries its best out-of-fold score over the decision
rules (the candidates of :func:`~stacker.submission.stages.score_stages`), that
rule and the score's fold standard error. The figure puts one column per layer
(store, level 1, level 2, ..., a blend one above its highest input), one rounded
box per node and one arrow per edge, drawn with plain matplotlib patches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from stacker.data.stages import STORE_NODE, stage_folders, stage_inputs, stage_layer
from stacker.report import style

# Box and grid sizes in inches (the axes use an equal aspect, so data units are inches).
COLUMN_STEP = 2.6
ROW_STEP = 0.9
BOX_WIDTH = 1.95
BOX_HEIGHT = 0.7
# Longest box title before it is shortened in the middle (keeps the learner and the group visible).
NAME_WIDTH = 20
STORE_TITLE = "OOF store"
CHOSEN_FILL = "#eeecfb"  # a light tint of style.ACCENT
STORE_FILL = "#f0f2f7"


@dataclass(frozen=True)
class StageNode:
    """One node of the stage graph.

    Attributes
    ----------
    name : str
        Stage folder relative to the workspace (``level1/a``, ``level2/logistic@a``, ``blend``)
        or :data:`~stacker.data.stages.STORE_NODE` for the OOF store.
    layer : int
        0 for the store, N for ``levelN/...``, one above the highest input for a blend.
    inputs : tuple of str
        The nodes that feed this one, as the stage recorded them (empty for the store).
    score, standard_error : float or None
        The best out-of-fold score over the stage's decision rules and its fold-to-fold
        standard error; None for the store or a stage without a scored candidate.
    rule : str or None
        The decision rule of ``score``.
    """

    name: str
    layer: int
    inputs: tuple[str, ...] = ()
    score: float | None = None
    standard_error: float | None = None
    rule: str | None = None


@dataclass(frozen=True)
class StageGraph:
    """The OOF store and every stage, store first then stage-folder order, and the chosen stage.

    Attributes
    ----------
    nodes : list of StageNode
    chosen : str or None
        The stage :func:`~stacker.submission.stages.choose_best` picks (None when not given).
    """

    nodes: list[StageNode]
    chosen: str | None = None

    def edges(self) -> list[tuple[str, str]]:
        """``(input, stage)`` pairs between nodes of the graph, in node then input order.

        An input recorded by a stage whose folder is gone has no node and no edge.
        """
        names = {node.name for node in self.nodes}
        return [(source, node.name) for node in self.nodes for source in node.inputs if source in names]

    def columns(self) -> list[list[StageNode]]:
        """Nodes grouped by layer, lowest layer first, node order kept within a layer."""
        layers = sorted({node.layer for node in self.nodes})
        return [[node for node in self.nodes if node.layer == layer] for layer in layers]


def build_stage_graph(root: Path | str, candidates: Sequence, chosen: str | None = None) -> StageGraph:
    """The stage graph of the workspace at ``root`` with each stage's best scored candidate.

    Parameters
    ----------
    root : path
        The workspace root (stage folders and their ``config.json`` are read, nothing is written).
    candidates : sequence of Candidate
        ``(source, method, out_of_fold, standard_error)`` records, e.g. from
        :func:`~stacker.submission.stages.score_stages`; per stage the best
        ``out_of_fold`` is kept, ties going to the earlier candidate.
    chosen : str, optional
        The stage to highlight (``choose_best(...).best.source``).
    """
    best = best_per_stage(candidates)
    nodes = [StageNode(STORE_NODE, 0)]
    for source in stage_folders(root):
        candidate = best.get(source)
        nodes.append(StageNode(
            source, stage_layer(root, source), tuple(stage_inputs(root, source)),
            score=None if candidate is None else candidate.out_of_fold,
            standard_error=None if candidate is None else candidate.standard_error,
            rule=None if candidate is None else candidate.method))
    return StageGraph(nodes, chosen)


def best_per_stage(candidates: Sequence) -> dict:
    """``{source: candidate}`` with each source's highest ``out_of_fold``; ties go to the earlier candidate."""
    best: dict = {}
    for candidate in candidates:
        current = best.get(candidate.source)
        if current is None or candidate.out_of_fold > current.out_of_fold:
            best[candidate.source] = candidate
    return best


def short_name(name: str, width: int = NAME_WIDTH) -> str:
    """A box title: the folder inside its layer folder (the column says the layer), cut in the middle if long.

    ``level2/logistic@edges`` -> ``logistic@edges``; ``level1`` and ``blend`` stay as they are;
    the store is ``OOF store``.
    """
    if name == STORE_NODE:
        return STORE_TITLE
    _, _, inner = name.partition("/")
    title = inner or name
    if len(title) <= width:
        return title
    head = (width - 1) // 2
    return f"{title[:head]}…{title[len(title) - (width - 1 - head):]}"


def column_title(column: Sequence[StageNode]) -> str:
    """``store`` for layer 0, else the layer folders in it (``level 2``, ``blend``, ``level 2 · blend``)."""
    if column[0].layer == 0:
        return "store"
    tops = dict.fromkeys(node.name.split("/")[0] for node in column)
    return " · ".join(top.replace("level", "level ", 1) if top.startswith("level") else top for top in tops)


def layout(graph: StageGraph) -> dict[str, tuple[float, float]]:
    """Box centres in inches: x by layer column, y spread evenly within a column and centred on 0.

    Within a column (beyond the first) nodes are ordered by the mean row of
    their inputs, so a group's stages line up and arrows cross less; ties and
    nodes without placed inputs keep graph order.
    """
    rows: dict[str, float] = {}
    positions: dict[str, tuple[float, float]] = {}
    for x, column in enumerate(graph.columns()):
        ordered = sorted(enumerate(column), key=lambda item: (_mean_row(item[1], rows), item[0]))
        for i, (_, node) in enumerate(ordered):
            rows[node.name] = i
            positions[node.name] = (x * COLUMN_STEP, ((len(column) - 1) / 2 - i) * ROW_STEP)
    return positions


def _mean_row(node: StageNode, rows: dict[str, float]) -> float:
    placed = [rows[s] for s in node.inputs if s in rows]
    return sum(placed) / len(placed) if placed else float("inf")


@dataclass(frozen=True)
class GraphArtists:
    """What :func:`draw_stage_graph` drew: ``boxes`` by node name, ``arrows`` by ``(input, stage)`` edge."""

    boxes: dict
    arrows: dict


def draw_stage_graph(ax, graph: StageGraph) -> GraphArtists:
    """Draw ``graph`` on ``ax`` (equal aspect, inches): one rounded box per node, one arrow per edge."""
    positions = layout(graph)
    boxes = {node.name: _draw_box(ax, node, positions[node.name], node.name == graph.chosen) for node in graph.nodes}
    arrows = {(source, target): _draw_arrow(ax, positions[source], positions[target], target == graph.chosen)
              for source, target in graph.edges()}
    top = max(y for _, y in positions.values()) + BOX_HEIGHT / 2
    for x, column in enumerate(graph.columns()):
        ax.text(x * COLUMN_STEP, top + 0.18, column_title(column), ha="center", va="bottom", fontsize=9,
                fontweight="bold", color=style.MUTED)
    n_columns, n_rows = len(graph.columns()), max(len(c) for c in graph.columns())
    ax.set_xlim(-BOX_WIDTH / 2 - 0.1, (n_columns - 1) * COLUMN_STEP + BOX_WIDTH / 2 + 0.1)
    ax.set_ylim(-n_rows * ROW_STEP / 2 - 0.05, top + 0.45)
    ax.set_aspect("equal")
    ax.axis("off")
    return GraphArtists(boxes, arrows)


def _draw_box(ax, node: StageNode, centre: tuple[float, float], chosen: bool):
    from matplotlib.patches import FancyBboxPatch

    x, y = centre
    fill = CHOSEN_FILL if chosen else STORE_FILL if node.name == STORE_NODE else "white"
    box = FancyBboxPatch((x - BOX_WIDTH / 2, y - BOX_HEIGHT / 2), BOX_WIDTH, BOX_HEIGHT,
                         boxstyle="round,pad=0,rounding_size=0.12", facecolor=fill,
                         edgecolor=style.ACCENT if chosen else style.MUTED, linewidth=2.4 if chosen else 0.9,
                         zorder=2)
    ax.add_patch(box)
    ax.text(x, y + 0.17, short_name(node.name), ha="center", va="center", fontsize=8.5, fontweight="bold",
            color=style.ACCENT if chosen else style.INK, zorder=3)
    score, rule = _box_lines(node)
    ax.text(x, y - 0.03, score, ha="center", va="center", fontsize=8, color=style.INK, zorder=3)
    ax.text(x, y - 0.2, rule, ha="center", va="center", fontsize=7.5, color=style.MUTED, zorder=3)
    return box


def _box_lines(node: StageNode) -> tuple[str, str]:
    """The score line and the rule line of a box."""
    if node.name == STORE_NODE:
        return "level-0 runs", "out of fold"
    if node.score is None:
        return "not scored", ""
    return f"{node.score:.4f} ± {node.standard_error:.4f}", f"rule {node.rule}"


def _draw_arrow(ax, start: tuple[float, float], end: tuple[float, float], into_chosen: bool):
    """An arrow from the right edge of the input's box to the left edge of the stage's; bent when it skips a layer."""
    skips = round((end[0] - start[0]) / COLUMN_STEP) > 1
    return ax.annotate(
        "", xy=(end[0] - BOX_WIDTH / 2, end[1]), xytext=(start[0] + BOX_WIDTH / 2, start[1]), zorder=1,
        arrowprops={"arrowstyle": "-|>", "color": style.ACCENT if into_chosen else style.MUTED,
                    "linewidth": 1.1 if into_chosen else 0.8, "shrinkA": 1, "shrinkB": 1, "mutation_scale": 9,
                    "connectionstyle": f"arc3,rad={-0.18 if skips else 0.0}"})


def plot_stage_graph(graph: StageGraph, path: Path, *, metric: str, dpi: int) -> Path:
    """Draw ``graph`` to ``path`` (PNG); ``metric`` names the score in the title."""
    n_columns, n_rows = len(graph.columns()), max(len(c) for c in graph.columns())
    width = max(6.5, (n_columns - 1) * COLUMN_STEP + BOX_WIDTH + 0.6)  # at least the title's width
    height = n_rows * ROW_STEP + 1.2
    with style.figure(path, width=width, height=height, dpi=dpi) as (fig, axes):
        draw_stage_graph(axes[0, 0], graph)
        fig.suptitle(f"Stage graph: each stage's best honest CV {metric} ± SE", x=0.01, ha="left",
                     fontsize=11, fontweight="bold", color=style.INK)
    return path
