"""The stage graph: nodes, layers and edges of a layered workspace, its figure, and its report section."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from matplotlib.text import Annotation

from conftest import write_run, write_workspace
from stacker.__main__ import main
from stacker.config import ReportConfig
from stacker.data.stages import STORE_NODE
from stacker.report import build_report, style
from stacker.report.stage_graph import (
    BOX_HEIGHT,
    BOX_WIDTH,
    NAME_WIDTH,
    StageGraph,
    StageNode,
    best_per_stage,
    build_stage_graph,
    draw_stage_graph,
    layout,
    plot_stage_graph,
    short_name,
)
from stacker.submission.stages import Candidate, choose_best, score_stages, stage_fold_sizes

LEVEL2 = ["level2/logistic@a", "level2/logistic@b"]
NODES = ["oof", "level1/a", "level1/b", *LEVEL2, "level3/logistic", "blend"]
LAYERS = [0, 1, 1, 2, 2, 3, 4]
EDGES = {("oof", "level1/a"), ("oof", "level1/b"), ("level1/a", LEVEL2[0]), ("level1/b", LEVEL2[1]),
         (LEVEL2[0], "level3/logistic"), (LEVEL2[1], "level3/logistic"),
         *((s, "blend") for s in ["level1/a", "level1/b", *LEVEL2, "level3/logistic"])}


@pytest.fixture(scope="module")
def layered(tmp_path_factory):
    """Through the CLI: grouped level 1 (variant a, b), level2/logistic@a/@b, a level-3 stack and a blend of all."""
    ws = write_workspace(tmp_path_factory.mktemp("layered") / "ws", n_train=150, n_test=30, n_labels=3, k=3)
    for i in range(3):
        for variant in "ab":
            write_run(ws, f"r{i}{variant}", skill=0.6 + 0.5 * i, arch=f"arch{i % 2}", variant=variant, seed=i)
    root = str(ws.root)
    for argv in (["oof-collect", str(ws.root / "runs")], ["select", "--group", "variant"],
                 ["fit-l2", "--learner", "logistic", "--group", "variant"],
                 ["stack", "--from", ",".join(LEVEL2), "--learner", "logistic"], ["blend"]):
        assert main([*argv, "-w", root]) == 0, argv
    return ws


@pytest.fixture(scope="module")
def scored(layered):
    """The layered workspace's candidates, the chosen stage and its graph."""
    candidates = score_stages(layered)
    choice = choose_best(candidates, stage_fold_sizes(layered))
    return candidates, choice, build_stage_graph(layered.root, candidates, chosen=choice.best.source)


def test_graph_of_a_layered_workspace_has_every_stage_at_its_layer_fed_by_its_inputs(scored):
    _, _, graph = scored
    assert [n.name for n in graph.nodes] == NODES
    assert [n.layer for n in graph.nodes] == LAYERS
    assert set(graph.edges()) == EDGES and len(graph.edges()) == len(EDGES)
    assert [[n.name for n in column] for column in graph.columns()] == [
        ["oof"], ["level1/a", "level1/b"], LEVEL2, ["level3/logistic"], ["blend"]]


def test_each_stage_shows_its_best_rule_score_and_standard_error(scored):
    candidates, choice, graph = scored
    store, *stages = graph.nodes
    assert (store.score, store.rule, store.inputs) == (None, None, ())
    for node in stages:
        mine = [c for c in candidates if c.source == node.name]
        best = max(mine, key=lambda c: c.out_of_fold)
        assert len(mine) >= 2 and node.score == best.out_of_fold
        assert (node.rule, node.standard_error) == (best.method, best.standard_error)
    assert graph.chosen == choice.best.source
    assert graph.chosen in NODES[1:]


def test_figure_has_one_box_per_stage_one_arrow_per_edge_and_highlights_the_chosen_stage(scored):
    _, choice, graph = scored
    ax = Figure().subplots()
    drawn = draw_stage_graph(ax, graph)
    assert list(drawn.boxes) == NODES
    assert sum(isinstance(p, FancyBboxPatch) for p in ax.patches) == len(NODES)
    assert set(drawn.arrows) == EDGES
    assert sum(isinstance(t, Annotation) for t in ax.texts) == len(EDGES)
    chosen = drawn.boxes[choice.best.source]
    others = [box for name, box in drawn.boxes.items() if name != choice.best.source]
    accent = style.ACCENT.lower()
    assert _hex(chosen.get_edgecolor()) == accent
    assert all(_hex(box.get_edgecolor()) != accent for box in others)
    assert all(chosen.get_linewidth() > box.get_linewidth() for box in others)
    shown = {t.get_text() for t in ax.texts}
    best = next(n for n in graph.nodes if n.name == choice.best.source)
    assert f"{best.score:.4f} ± {best.standard_error:.4f}" in shown and f"rule {best.rule}" in shown


def _hex(rgba) -> str:
    from matplotlib.colors import to_hex

    return to_hex(rgba)


def test_best_per_stage_keeps_the_highest_score_and_the_earlier_of_a_tie():
    first = Candidate("level1", "greedy", 0.7, np.array([0.7, 0.7]))
    tie = Candidate("level1", "smooth", 0.7, np.array([0.6, 0.8]))
    other = Candidate("blend", "smooth", 0.65, np.array([0.6, 0.7]))
    better = Candidate("blend", "expected-f", 0.66, np.array([0.6, 0.72]))
    assert best_per_stage([first, tie, other, better]) == {"level1": first, "blend": better}


def test_short_name_drops_the_layer_folder_and_cuts_long_names_in_the_middle():
    assert short_name(STORE_NODE) == "OOF store"
    assert short_name("level1") == "level1" and short_name("blend") == "blend"
    assert short_name("level2/lightgbm@edges") == "lightgbm@edges"
    cut = short_name("level2/lightgbm_with_a_long_name@north-east-coast")
    assert len(cut) == NAME_WIDTH and cut.startswith("lightgbm") and cut.endswith("coast") and "…" in cut


def _stage(root: Path, source: str, inputs: list[str] | None = None) -> None:
    folder = root / source
    folder.mkdir(parents=True)
    for name in ("oof.parquet", "test.parquet"):
        (folder / name).touch()  # the graph only needs the files to exist
    if inputs is not None:
        (folder / "config.json").write_text(json.dumps({"inputs": inputs}))


@pytest.fixture
def twenty_stages(tmp_path):
    """4 level-1 groups, 2 learners x 4 groups at level 2 (long names), 2 level-3 stacks, a blend, one gone input."""
    groups = ["a", "b", "c", "north-east-coast"]
    level2 = [f"level2/{learner}@{g}" for learner in ("logistic", "lightgbm_with_a_long_name") for g in groups]
    for g in groups:
        _stage(tmp_path, f"level1/{g}")
    for source in level2:
        _stage(tmp_path, source)
    _stage(tmp_path, "level3/logistic", level2)
    _stage(tmp_path, "level3/ridge", [*level2[:4], "level2/deleted@a"])
    _stage(tmp_path, "blend", ["level3/logistic", "level3/ridge", "level1/b"])
    return tmp_path


def test_layout_of_many_stages_has_no_overlapping_boxes(twenty_stages):
    graph = build_stage_graph(twenty_stages, [])
    assert len(graph.nodes) == 16 and [n.layer for n in graph.nodes][-1] == 4
    assert ("level2/deleted@a", "level3/ridge") not in graph.edges()  # its folder is gone: no node, no edge
    assert len(graph.edges()) == 4 + 8 + 8 + 4 + 3
    positions = layout(graph)
    names = list(positions)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            (xa, ya), (xb, yb) = positions[a], positions[b]
            assert abs(xa - xb) >= BOX_WIDTH or abs(ya - yb) >= BOX_HEIGHT, (a, b)
    assert all(len(short_name(n.name)) <= NAME_WIDTH for n in graph.nodes)


def test_layout_orders_each_layer_by_its_inputs_so_a_group_stays_together(twenty_stages):
    positions = layout(build_stage_graph(twenty_stages, []))
    level2 = sorted((name for name in positions if name.startswith("level2/")), key=lambda n: -positions[n][1])
    assert [name.partition("@")[2] for name in level2] == ["a", "a", "b", "b", "c", "c", *["north-east-coast"] * 2]
    assert len({positions[name][0] for name in level2}) == 1


def test_unscored_stages_still_draw_to_a_png(twenty_stages, tmp_path):
    graph = build_stage_graph(twenty_stages, [], chosen="blend")
    path = plot_stage_graph(graph, tmp_path / "graph.png", metric="f2-samples", dpi=50)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_graph_of_the_store_alone_is_one_box():
    ax = Figure().subplots()
    drawn = draw_stage_graph(ax, StageGraph([StageNode(STORE_NODE, 0)]))
    assert list(drawn.boxes) == [STORE_NODE] and drawn.arrows == {}


def test_report_shows_the_stage_graph_and_scores_the_stages_once(layered, monkeypatch):
    from stacker.submission import stages

    calls = []
    real = stages.score_stages
    monkeypatch.setattr(stages, "score_stages", lambda ws, *a, **kw: calls.append(ws) or real(ws, *a, **kw))
    page = build_report(layered, ReportConfig(dpi=50)).read_text()
    assert len(calls) == 1
    assert '<section id="stage-graph"><h2>Stage graph</h2>' in page
    assert '<img src="stage_graph.png" alt="Stage graph">' in page
    assert "honest out-of-fold" in page
    assert (layered.report_dir / "stage_graph.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_without_stages_says_what_makes_one(make_store):
    ws = make_store(n_runs=2, n_train=60, n_test=10, n_labels=2)
    page = build_report(ws, ReportConfig(dpi=50)).read_text()
    assert not (ws.report_dir / "stage_graph.png").exists()
    section = page[page.index('<section id="stage-graph">'):]
    assert section.index('class="missing"') < section.index("</section>")
    assert "No stage yet: run <code>stacker select</code>" in section
