"""Layered stacking: grouped selection, level 2 per group, stacks of stacks, the stage graph, honesty at every layer."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

import stacker
from stacker.__main__ import main
from stacker.config import BlendConfig, L2Config, SelectConfig, StackConfig
from stacker.data import Workspace, make_folds, write_folds
from stacker.data.stages import (
    STORE_NODE, read_views, stage_folders, stage_inputs, stage_layer, upstream_stages,
)
from stacker.exceptions import StoreError, ValidationError
from stacker.level1.stage import run_grouped_selection, run_selection
from stacker.level2.stage import fit_level2, fit_level2_groups
from stacker.level2.summary import score_matrix
from stacker.oof import collect_runs
from stacker.oof.matrix import read_matrix, read_views as read_views_file
from stacker.stack import StackFeatures, run_stack
from stacker.stack.scaling import scale_inputs
from stacker.blend import run_blend

from conftest import ID, write_run, write_workspace

VARIANTS = ("orig", "seg")


def variant_workspace(root, *, n_train=150, skills=(0.6, 1.0, 1.4), seed=0):
    """Runs of three archs x two variants (one seed each), collected; returns the workspace."""
    ws = write_workspace(root, n_train=n_train, n_test=20, n_labels=3, k=3, seed=seed)
    for v, variant in enumerate(VARIANTS):
        for a, skill in enumerate(skills):
            write_run(ws, f"{variant}_arch{a}", skill=skill, arch=f"arch{a}", variant=variant, seed=10 * v + a)
    assert collect_runs(ws, ws.root / "runs").ok
    return ws


def test_grouped_selection_equals_select_on_each_variants_runs_alone(tmp_path):
    ws = variant_workspace(tmp_path / "all")
    config = SelectConfig(method="beam", beam=2, per_label=2, group="variant")
    reports = run_grouped_selection(ws, config)
    assert [r.group for r in reports] == list(VARIANTS) and ws.level1_groups() == list(VARIANTS)
    assert not (ws.level1_dir / "oof.parquet").exists()  # no ungrouped selection yet
    for report in reports:
        alone = write_workspace(tmp_path / report.group, n_train=150, n_test=20, n_labels=3, k=3, seed=0)
        for run in sorted((ws.root / "runs").glob(f"{report.group}_*")):
            shutil.copytree(run, alone.root / "runs" / run.name)
        assert collect_runs(alone, alone.root / "runs").ok
        expected = run_selection(alone, SelectConfig(method="beam", beam=2, per_label=2))
        assert report.selection["per_label"] == expected.selection["per_label"]
        assert report.selection["nested"] == expected.selection["nested"]
        for name in ("oof.parquet", "test.parquet"):
            np.testing.assert_array_equal(read_matrix(ws.level1_dir / report.group / name, ws.labels),
                                          read_matrix(alone.level1_dir / name, ws.labels))
        assert ws.level1_store(report.group).names() == alone.level1_store().names()
    grouped = {g: (ws.level1_dir / g / "oof.parquet").read_bytes() for g in VARIANTS}
    run_selection(ws, SelectConfig(per_label=2))  # an ungrouped select keeps the groups...
    assert ws.level1_groups() == list(VARIANTS) and (ws.level1_dir / "oof.parquet").exists()
    assert {g: (ws.level1_dir / g / "oof.parquet").read_bytes() for g in VARIANTS} == grouped
    ungrouped = (ws.level1_dir / "oof.parquet").read_bytes()
    run_grouped_selection(ws, SelectConfig(per_label=2, group="arch"))  # ...and a grouped one the ungrouped files
    assert ws.level1_groups() == ["arch0", "arch1", "arch2"] and ws.level1_store().names()
    assert (ws.level1_dir / "oof.parquet").read_bytes() == ungrouped


def test_group_key_errors_are_one_line(tmp_path, capsys):
    ws = variant_workspace(tmp_path / "ws")
    write_run(ws, "plain", skill=1.0, arch="arch9")  # no variant in its run.json
    assert collect_runs(ws, ws.root / "runs").ok
    with pytest.raises(ValidationError, match=r"--group variant: runs \['plain'\] .* have no 'variant' value"):
        run_grouped_selection(ws, SelectConfig(group="variant"))
    assert not ws.level1_dir.exists()  # nothing was published
    with pytest.raises(ValidationError, match="call run_grouped_selection"):
        run_selection(ws, SelectConfig(group="arch"))
    assert main(["select", "--group", "arch", "--per-label", "2", "-w", str(ws.root)]) == 0
    assert ws.level1_groups() == ["arch0", "arch1", "arch2", "arch9"]
    capsys.readouterr()
    assert main(["fit-l2", "--learner", "ridge", "--group", "variant", "-w", str(ws.root)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ValidationError: --group variant: level 1 is grouped by arch") and "\n" not in err
    assert main(["fit-l2", "--learner", "ridge", "-w", str(ws.root)]) == 1
    assert "level 1 is grouped (arch0, arch1, arch2, arch9): use --group" in capsys.readouterr().err


@pytest.fixture(scope="module")
def layered(tmp_path_factory):
    """select --group variant, fit-l2 logistic --group variant, stack the two, blend everything (by the CLI)."""
    ws = variant_workspace(tmp_path_factory.mktemp("layered") / "ws")
    w = ["-w", str(ws.root)]
    assert main(["select", "--group", "variant", "--per-label", "2", *w]) == 0
    assert main(["fit-l2", "--learner", "logistic", "--group", "variant", *w]) == 0
    assert main(["stack", "--from", "level2/logistic@orig,level2/logistic@seg", "--learner", "logistic", *w]) == 0
    assert main(["blend", "--from", "level2/*,level3/*", *w]) == 0
    return ws


def test_the_stage_graph_has_every_layer_and_edge(layered):
    root = layered.root
    assert stage_folders(root) == ["level1/orig", "level1/seg", "level2/logistic@orig", "level2/logistic@seg",
                                   "level3/logistic", "blend"]
    assert stage_inputs(root, "level1/seg") == [STORE_NODE]
    assert stage_inputs(root, "level2/logistic@seg") == ["level1/seg"]
    assert stage_inputs(root, "level3/logistic") == ["level2/logistic@orig", "level2/logistic@seg"]
    assert [stage_layer(root, s) for s in stage_folders(root)] == [1, 1, 2, 2, 3, 4]  # blend: above its inputs
    assert upstream_stages(root, "level3/logistic") == ["level3/logistic", "level2/logistic@orig",
                                                        "level2/logistic@seg", "level1/orig", "level1/seg"]


def test_a_stack_is_level2_nested_cv_on_its_inputs_views(layered):
    ws = layered
    sources = ["level2/logistic@orig", "level2/logistic@seg"]
    oof = np.stack([read_matrix(ws.root / s / "oof.parquet", ws.labels) for s in sources])
    test = np.stack([read_matrix(ws.root / s / "test.parquet", ws.labels) for s in sources])
    views, missing = read_views(ws, sources, oof)
    assert missing == [] and views.shape == (2, ws.n_folds, len(ws.train_ids), 3)
    features = StackFeatures(oof, views, test, sources, ws.labels, "inputs")
    np.testing.assert_array_equal(features.fold(1, 0).train, views[:, 0, :, 1].T)  # fold 0's fit: the views of 0
    np.testing.assert_array_equal(features.fold(1, None).train, oof[:, :, 1].T)
    assert features.fold(1, 0).names == ["level2/logistic@orig:label_1", "level2/logistic@seg:label_1"]
    wide = StackFeatures(oof, views, test, sources, ws.labels, "inputs+labels").fold(0, 0)
    assert wide.train.shape == (len(ws.train_ids), 6) and wide.names[:2] == features.fold(0, 0).names
    from stacker.level2.learners import create_learner
    from stacker.level2.nested import nested_cv

    scaled = StackFeatures(*scale_inputs(oof, views, test, ws.folds), sources, ws.labels, "inputs")  # the default
    expected = nested_cv(scaled, ws.y, ws.folds, create_learner("logistic"), seed=0, views=True)
    written = read_matrix(ws.root / "level3/logistic/oof.parquet", ws.labels)
    np.testing.assert_allclose(written, expected.oof.astype(np.float32))
    np.testing.assert_allclose(read_views_file(ws.root / "level3/logistic/nested.parquet", ws.labels, ws.n_folds,
                                               len(ws.train_ids)), expected.views.astype(np.float32))
    config = json.loads((ws.root / "level3/logistic/config.json").read_text())
    assert config["inputs"] == sources and config["layer"] == 3 and set(config["input_files"]) == set(sources)
    scores = json.loads((ws.root / "level3/logistic/scores.json").read_text())
    written_views = read_views_file(ws.root / "level3/logistic/nested.parquet", ws.labels, ws.n_folds, len(written))
    rescored = score_matrix(ws.y, written, ws.folds, ws.metric, written_views)["greedy"]["out_of_fold"]
    assert scores["pipelines"]["level3/logistic"]["greedy"]["out_of_fold"] == pytest.approx(rescored)


def test_every_stage_writes_views_whose_own_fold_is_its_oof(layered):
    ws = layered
    selection = json.loads((ws.root / "level1/orig/selection.json").read_text())
    store = ws.level1_store("orig")
    candidates = dict(zip(store.names(), store.load(store.names())[0]))
    for stage in stage_folders(ws.root):
        views = read_views_file(ws.root / stage / "nested.parquet", ws.labels, ws.n_folds, len(ws.train_ids))
        oof = read_matrix(ws.root / stage / "oof.parquet", ws.labels)
        for k in range(ws.n_folds):
            np.testing.assert_array_equal(views[k][ws.folds == k], oof[ws.folds == k], err_msg=stage)
    views = read_views_file(ws.root / "level1/orig/nested.parquet", ws.labels, ws.n_folds, len(ws.train_ids))
    for j, label in enumerate(ws.labels):  # level 1's view of fold k: the selection made without k, on every row
        for entry in selection["nested"]["per_label"][label]["folds"]:
            expected = np.mean([candidates[m][:, j] for m in entry["models"]], axis=0)
            np.testing.assert_allclose(views[entry["fold"], :, j], expected, rtol=1e-6)


def test_a_stack_on_an_input_without_views_says_so_and_stale_views_are_refused(layered, tmp_path, capsys, caplog):
    ws = stacker.Workspace.load(shutil.copytree(layered.root, tmp_path / "ws"))
    fit_level2_groups(ws, L2Config(learner="ridge", group="variant", nested_outputs=False))
    assert not (ws.root / "level2/ridge@orig/nested.parquet").exists()
    with caplog.at_level("WARNING", logger="stacker.data.stages"):
        run_stack(ws, StackConfig(sources=("level2/ridge@orig", "level2/logistic@seg"), name="mixed"))
    assert "level2/ridge@orig had no nested views" in caplog.text
    config = json.loads((ws.root / "level3/mixed/config.json").read_text())
    assert config["inputs_without_views"] == ["level2/ridge@orig"]
    assert "except that level2/ridge@orig had no nested views" in config["honesty"]
    shutil.copy(ws.root / "level2/logistic@orig/nested.parquet", ws.root / "level2/logistic@seg/nested.parquet")
    capsys.readouterr()
    assert main(["stack", "--from", "level2/logistic@*", "-w", str(ws.root)]) == 1
    err = capsys.readouterr().err.strip()
    assert "level2/logistic@seg/nested.parquet does not match level2/logistic@seg/oof.parquet" in err
    assert "\n" not in err


def test_stacks_of_stacks_and_errors(layered, capsys):
    ws = layered
    result = run_stack(ws, StackConfig(sources=("level3/logistic", "blend"), learner="ridge"))
    assert result.source == "level5/ridge" and result.layer == 5  # the blend is layer 4
    assert run_stack(ws, StackConfig(sources=("level5/ridge",), learner="ridge")).source == "level6/ridge"
    with pytest.raises(StoreError, match="matches no stage folder"):
        run_stack(ws, StackConfig(sources=("level9/*",)))
    with pytest.raises(ValidationError, match="unknown stack feature set 'all'; choose one of: inputs, inputs"):
        run_stack(ws, StackConfig(features="all"))
    with pytest.raises(ValidationError, match="cannot be a folder name"):
        run_stack(ws, StackConfig(sources=("blend",), name="../x"))
    shutil.rmtree(ws.root / "level5")
    shutil.rmtree(ws.root / "level6")
    assert main(["stack", "--from", "nothing", "-w", str(ws.root)]) == 1
    assert capsys.readouterr().err.startswith("StoreError: --from 'nothing' matches no stage folder")


def test_stages_nested_and_provenance_carry_every_layers_optimism(layered, capsys):
    ws = layered
    assert main(["stages", "--nested", "--json", "-w", str(ws.root)]) == 0
    rows = {r["stage"]: r for r in json.loads(capsys.readouterr().out)["stages"]}
    assert set(rows) == set(stage_folders(ws.root))
    for stage, row in rows.items():
        assert row["optimism"] == pytest.approx(row["in_sample"] - row["nested"]), stage
        assert row["nested"] == pytest.approx(row["greedy"]), stage  # the honest score is the stage's own CV
    assert rows["level1/orig"]["what"] == "selection" and rows["blend"]["what"] == "blend weights"
    assert main(["stages", "--nested", "-w", str(ws.root)]) == 0
    assert "optimism" in capsys.readouterr().out
    assert main(["submit", "--from", "level3/logistic", "-w", str(ws.root)]) == 0
    provenance = json.loads((ws.submissions_dir / "level3-logistic-greedy.json").read_text())
    assert list(provenance["stages"]) == upstream_stages(ws.root, "level3/logistic")
    assert provenance["stages"]["level1/seg"]["optimism"]["what"] == "selection"
    assert set(provenance["selection"]["groups"]) == {"level1/orig", "level1/seg"}
    assert {m.split("/")[0] for m in provenance["models"]} == set(VARIANTS)


def test_noise_stays_at_chance_through_three_layers(tmp_path):
    """Pure-noise runs of two variants: level 1, level 2 per variant, a level-3 stack and a blend stay at chance."""
    ws = write_workspace(tmp_path / "noise", n_train=240, n_test=20, n_labels=3, k=4, seed=5)
    for variant in VARIANTS:
        for a in range(6):
            write_run(ws, f"{variant}{a}", skill=0.0, arch=f"a{a}", variant=variant)
    assert collect_runs(ws, ws.root / "runs").ok
    run_grouped_selection(ws, SelectConfig(method="greedy", per_label=3, bag="none", group="variant"))
    fit_level2_groups(ws, L2Config(learner="logistic", features="all-models+labels", group="variant"))
    run_stack(ws, StackConfig(sources=("level2/*",), learner="logistic", features="inputs+labels"))
    run_blend(ws, BlendConfig(sources=("level1/*", "level2/*", "level3/*")))
    chance = score_matrix(ws.y, np.ones(ws.y.shape, dtype=np.float32), ws.folds, ws.metric)["greedy"]["out_of_fold"]
    for stage in stage_folders(ws.root):
        score = score_matrix(ws.y, read_matrix(ws.root / stage / "oof.parquet", ws.labels), ws.folds, ws.metric)
        greedy = score["greedy"]
        assert greedy["out_of_fold"] <= chance + 2 * greedy["standard_error"] + 0.005, (stage, greedy, chance)


def chain_oof(Y, folds, level0, views: bool) -> dict:
    """Level 2 (logistic on every level-0 column) -> level 3 (logistic) and a blend of both, on arrays."""
    from stacker.level1.objectives import create_objective
    from stacker.level2.features import LabelFeatures
    from stacker.level2.learners import create_learner
    from stacker.level2.nested import nested_cv
    from stacker.blend.weights import blend_matrices

    n_labels = Y.shape[1]
    level2 = nested_cv([LabelFeatures([], level0[:, :, j].T, level0[:, :5, j].T) for j in range(n_labels)], Y, folds,
                       create_learner("logistic"), views=views)
    oof2, test2 = level2.oof[None].astype(np.float32), level2.test[None].astype(np.float32)
    views2 = level2.views[None].astype(np.float32) if views else None
    level3 = nested_cv(StackFeatures(oof2, views2, test2, ["l2"], [f"y{j}" for j in range(n_labels)], "inputs+labels"),
                       Y, folds, create_learner("logistic"), views=views)
    oof = np.stack([oof2[0], level3.oof.astype(np.float32)])
    stacked_views = np.stack([views2[0], level3.views.astype(np.float32)]) if views else None
    blend = blend_matrices(oof, oof[:, :5], Y, folds, create_objective("fbeta", beta=2.0), per_label=3,
                           replacement=True, views=stacked_views)
    return {"level 2": level2.oof, "level 3": level3.oof, "blend": blend.oof}


def test_no_folds_labels_reach_that_folds_oof_through_any_layer():
    """Change only fold 0's labels: with nested views no layer's OOF of fold 0 moves; fed plain OOF, level 3's does."""
    rng = np.random.default_rng(0)
    n, n_models, n_labels = 160, 4, 2
    folds = rng.permutation(np.arange(n) % 4)
    Y = rng.integers(0, 2, (n, n_labels))
    level0 = np.clip(0.3 * Y[None] + rng.random((n_models, n, n_labels)) * 0.7, 0, 1).astype(np.float32)
    other = Y.copy()
    other[folds == 0] = 1 - other[folds == 0]
    for views in (True, False):
        before, after = chain_oof(Y, folds, level0, views), chain_oof(other, folds, level0, views)
        moved = {layer: not np.array_equal(before[layer][folds == 0], after[layer][folds == 0]) for layer in before}
        if views:
            assert moved == {"level 2": False, "level 3": False, "blend": False}
        else:  # the level-2 fits behind folds 1-3's OOF trained on fold 0's labels, and level 3 learns from them
            assert moved["level 3"] and not moved["level 2"]


def contrast_task(root, seed, *, n_train=400, n_test=20, n_weak=24, weak=0.33, strong=(1.2, 0.2), bias=4.0,
                  jitter=0.45, prevalence=(0.5, 0.4, 0.3, 0.2), k=5):
    """Two variants whose signal needs opposite regularisation; conditionally independent given the labels.

    ``orig``: ``n_weak`` weak runs with independent errors; only their (heavily shrunk, near-equal) average is
    worth much. ``seg``: two runs that share a large label-free bias (std ``bias``, e.g. one artefact of the
    segmented crops that every seg run reacts to) and see the labels at different strengths; their signal is
    in the contrast ``seg0 - seg1``, which cancels the bias and which only a weakly regularised fit can form.
    Labels are moderately common so that F2-samples responds to both.
    """
    rng = np.random.default_rng(seed)
    labels = [f"label_{j}" for j in range(len(prevalence))]
    y_train = (rng.random((n_train, len(labels))) < np.asarray(prevalence)).astype(np.uint8)
    y_train[0] = 1
    root.mkdir(parents=True, exist_ok=True)
    tags = [" ".join(label for label, on in zip(labels, row) if on) for row in y_train]
    pd.DataFrame({ID: [f"train_{i}" for i in range(n_train)], "tags": tags}).to_csv(root / "train.csv", index=False)
    pd.DataFrame({ID: [f"test_{i}" for i in range(n_test)], "tags": labels[0]}).to_csv(
        root / "sample_submission.csv", index=False)
    ws = Workspace.init(root, train=root / "train.csv", test=root / "sample_submission.csv", id_column=ID)
    write_folds(ws.folds_path, ws.train_ids, make_folds(ws.y, k=k, seed=seed), id_column=ID)
    ws = Workspace.load(root)
    y = np.vstack([ws.y, rng.integers(0, 2, (n_test, len(labels)))]).astype(float)
    sign = 2.0 * y - 1.0

    def write(name, variant, logits):
        p = 1.0 / (1.0 + np.exp(-logits))
        stacker.write_run(ws.root / "runs" / name, oof=p[:n_train], test=p[n_train:], arch=name, variant=variant)

    for i in range(n_weak):
        write(f"orig{i}", "orig", weak * sign + rng.normal(0.0, 1.0, y.shape))
    shared = rng.normal(0.0, bias, y.shape)
    for i, strength in enumerate(strong):
        write(f"seg{i}", "seg", strength * sign + shared + rng.normal(0.0, jitter, y.shape))
    assert collect_runs(ws, ws.root / "runs").ok
    return ws


def test_stacking_the_variants_apart_then_combining_beats_stacking_them_together(tmp_path):
    """Level 3 re-weights each variant's honest stack: a per-variant shrinkage that one level 2 cannot learn.

    Same learner (logistic, C by inner CV) and feature set (all-models) on both paths. The seg signal lies in
    the contrast seg0 - seg1, a low-variance direction of two runs that correlate through their shared bias;
    the single L2 penalty of the together fit (one C for 26 columns) shrinks that direction most and unevenly,
    so part of the bias leaks into its prediction and the seg evidence is under-weighted against the 24 orig
    runs. Apart, each level 2 only has to get the direction within its variant right; the level-3 logistic
    (two columns) sets each variant's weight from their out-of-fold predictions. Without the shared bias the
    margin is zero (checked: +0.003, +0.001, -0.000 on seeds 0-2).
    """
    ws = contrast_task(tmp_path / "ws", seed=0)
    run_grouped_selection(ws, SelectConfig(method="greedy", bag="none", group="variant"))
    per_variant = fit_level2_groups(ws, L2Config(learner="logistic", features="all-models", group="variant"))
    sources = tuple(f"level2/{r.output_dir.name}" for r in per_variant)
    assert sources == ("level2/logistic@orig", "level2/logistic@seg")
    stacked = run_stack(ws, StackConfig(sources=sources, learner="logistic"))
    run_selection(ws, SelectConfig(method="greedy", bag="none"))
    together = fit_level2(ws, L2Config(learner="logistic", features="all-models")).scores["level-2"]["greedy"]
    apart = stacked.scores[stacked.source]["greedy"]
    best = max(stacked.sources, key=lambda s: stacked.scores[s]["greedy"]["out_of_fold"])
    over_together, over_best = paired_margin(apart, together), paired_margin(apart, stacked.scores[best]["greedy"])
    print(f"apart then combined {apart['out_of_fold']:.4f}, together {together['out_of_fold']:.4f}, best variant "
          f"alone ({best}) {stacked.scores[best]['greedy']['out_of_fold']:.4f}; margin over together "
          f"{over_together[0]:+.4f} ± {over_together[1]:.4f}, over the best variant {over_best[0]:+.4f} ± "
          f"{over_best[1]:.4f} (paired over folds)")
    assert over_together[0] > 2 * over_together[1]  # the complementary signal is used better apart than together
    assert over_best[0] > 2 * over_best[1]  # and both variants carry it


def paired_margin(a: dict, b: dict) -> tuple[float, float]:
    """Mean and standard error over folds of score ``a`` minus score ``b`` (``score_matrix`` entries)."""
    differences = np.array(a["fold_scores"]) - np.array(b["fold_scores"])
    return float(differences.mean()), float(differences.std(ddof=1) / np.sqrt(len(differences)))


def test_notebook_layers_write_what_the_cli_writes(layered, tmp_path):
    ws = stacker.Workspace.load(shutil.copytree(layered.root, tmp_path / "ws"))
    selections = ws.select(per_label=2, group="variant")
    assert set(selections) == set(VARIANTS) and selections["seg"].oof.shape == (len(ws.train_ids), 3)
    level2 = ws.fit_level2("logistic", group="variant")
    assert {v: r.source for v, r in level2.items()} == {v: f"level2/logistic@{v}" for v in VARIANTS}
    top = ws.stack([level2["orig"], level2["seg"]], "logistic")
    assert top.source == "level3/logistic" and list(top.table.columns)[1] == "level3/logistic greedy"
    for name in ("oof.parquet", "test.parquet"):
        assert (ws.root / top.source / name).read_bytes() == (layered.root / top.source / name).read_bytes()
    assert ws.submit(top, rule="smooth").csv.name == "level3-logistic-smooth.csv"


def test_a_stack_on_level0_candidates_is_nested_cv_on_them_and_lands_in_layer_two(make_level1):
    """``stack --from 'level0/*'``: each candidate of the level-1 store is an input whose OOF is its own view."""
    from stacker.level2.learners import create_learner
    from stacker.level2.nested import nested_cv

    ws = make_level1(skills=(0.5, 1.0, 1.5), n_train=150, n_test=20, n_labels=3, k=3)
    result = run_stack(ws, StackConfig(sources=("level0/*",), learner="ridge", name="over-candidates"))
    assert result.source == "level2/over-candidates" and result.layer == 2  # candidates are layer 0
    names = ws.level1_store().names()
    oof, test = ws.level1_store().load(names)
    views = np.broadcast_to(oof[:, None], (len(names), ws.n_folds, *oof.shape[1:]))
    features = StackFeatures(*scale_inputs(oof, views, test, ws.folds), [f"level0/{n}" for n in names], ws.labels,
                             "inputs")
    expected = nested_cv(features, ws.y, ws.folds, create_learner("ridge"), seed=0, views=True)
    np.testing.assert_allclose(read_matrix(ws.root / result.source / "oof.parquet", ws.labels),
                               expected.oof.astype(np.float32))
    assert stage_inputs(ws.root, result.source) == [STORE_NODE]
    assert stage_layer(ws.root, result.source) == 2


def test_a_stack_landing_in_level2_does_not_replace_fit_l2s_stage(make_level1, capsys):
    from stacker.__main__ import main
    from stacker.config import L2Config
    from stacker.level2.stage import fit_level2

    ws = make_level1(n_train=90, n_test=20, n_labels=2, k=3)
    fit_level2(ws, L2Config(learner="ridge", features="all-models"))
    before = (ws.root / "level2" / "ridge" / "oof.parquet").read_bytes()
    assert main(["stack", "--from", "level1", "--learner", "logistic", "--name", "ridge", "-w", str(ws.root)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ValidationError: level2/ridge holds the stage 'stacker fit-l2' wrote") and "--name" in err
    assert (ws.root / "level2" / "ridge" / "oof.parquet").read_bytes() == before
    result = run_stack(ws, StackConfig(sources=("level1",), learner="logistic", name="ridge-stack"))
    assert result.source == "level2/ridge-stack"
    assert run_stack(ws, StackConfig(sources=("level1",), learner="ridge", name="ridge-stack")).layer == 2  # its own


def test_with_two_folds_the_missing_views_note_says_why_rerunning_cannot_help():
    from stacker.data.stages import missing_views_note

    assert missing_views_note([], 2) == ""
    two = missing_views_note(["level2/ridge"], 2)
    assert "no stage can make them with 2 folds" in two and "use 3 folds or more" in two and "--no-nested" not in two
    five = missing_views_note(["level2/ridge"], 5)
    assert "written with --no-nested-outputs" in five and "re-run them for a fully honest chain" in five
