"""``stacker blend``: per-label Caruana blend of stage outputs, honest per fold, read by stages and submit."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from conftest import synthetic_probabilities, write_level1
from stacker.__main__ import main
from stacker.blend import blend_matrices, run_blend
from stacker.config import BlendConfig, L2Config
from stacker.exceptions import StoreError, ValidationError
from stacker.level1 import GreedySelector, create_objective, subset_mean
from stacker.level2.stage import fit_level2
from stacker.level2.summary import score_matrix
from stacker.data.stages import STORE_NODE, stage_inputs, stage_layer
from stacker.oof.matrix import read_matrix, read_views, write_matrix
from stacker.submission.stages import stage_sources
from stacker.stack.scaling import scale_inputs


def write_stage(workspace, source: str, probabilities: np.ndarray) -> None:
    """``<source>/oof.parquet`` and ``test.parquet`` from (n_train + n_test, n_labels) probabilities."""
    n_train = len(workspace.train_ids)
    write_matrix(workspace.root / source / "oof.parquet", probabilities[:n_train], workspace.labels)
    write_matrix(workspace.root / source / "test.parquet", probabilities[n_train:], workspace.labels)


@pytest.fixture
def make_stages(make_workspace):
    """``make_stages(names=("a", "b", "c"), skill=1.2, seed=0) -> Workspace``.

    A weak level 1 (candidates of skill 0.5 and 1.0) plus ``level2/<name>`` stages of
    equal ``skill`` with independent noise, so that averaging them helps.
    """

    def factory(names=("a", "b", "c"), skill: float = 1.2, seed: int = 0):
        workspace = make_workspace(n_train=150, n_test=20, n_labels=3, k=3, seed=seed)
        write_level1(workspace, skills=(0.5, 1.0), seed=seed)
        rng = np.random.default_rng(seed)
        y_all = np.vstack([workspace.y, rng.integers(0, 2, (len(workspace.test_ids), len(workspace.labels)))])
        for name in names:
            write_stage(workspace, f"level2/{name}", synthetic_probabilities(y_all, skill, rng))
        return workspace

    return factory


def stage_matrix(workspace, source: str, file: str = "oof.parquet") -> np.ndarray:
    return read_matrix(workspace.root / source / file, workspace.labels)


# --- the arrays ---

def test_blend_of_one_input_is_that_input(make_stages):
    ws = make_stages(names=("a",))
    run_blend(ws, BlendConfig(sources=("level2/a",), per_label=4, replacement=True, scaling="none"))
    for file in ("oof.parquet", "test.parquet"):
        np.testing.assert_array_equal(stage_matrix(ws, "blend", file), stage_matrix(ws, "level2/a", file))
    scores = json.loads((ws.root / "blend" / "scores.json").read_text())["pipelines"]
    assert scores["blend"]["greedy"]["out_of_fold"] == scores["level2/a"]["greedy"]["out_of_fold"]
    run_blend(ws, BlendConfig(sources=("level2/a",)))  # scaled (the default): that input, aligned fold by fold
    oof, test = stage_matrix(ws, "level2/a")[None], stage_matrix(ws, "level2/a", "test.parquet")[None]
    scaled_oof, _, scaled_test = scale_inputs(oof, None, test, ws.folds)
    np.testing.assert_allclose(stage_matrix(ws, "blend"), scaled_oof[0], atol=1e-6)
    np.testing.assert_allclose(stage_matrix(ws, "blend", "test.parquet"), scaled_test[0], atol=1e-6)
    assert json.loads((ws.root / "blend" / "scores.json").read_text())["pipelines"]["level2/a"] == scores["level2/a"]


@pytest.mark.parametrize("replacement", [True, False])
def test_blend_is_never_worse_in_sample_than_its_best_input(make_stages, replacement):
    ws = make_stages()
    sources = ["level1", "level2/a", "level2/b", "level2/c"]
    oof = np.stack([stage_matrix(ws, s) for s in sources])
    test = np.stack([stage_matrix(ws, s, "test.parquet") for s in sources])
    objective = create_objective("fbeta", beta=ws.metric.beta)
    fit = blend_matrices(oof, test, ws.y, ws.folds, objective, per_label=4, replacement=replacement)
    for j, choice in enumerate(fit.labels):
        best_input = objective.score(ws.y[:, j], oof[:, :, j]).max()
        assert choice.selector.score_ >= best_input
        assert choice.selector.score_ == pytest.approx(
            objective.score(ws.y[:, j], subset_mean(oof[:, :, j], choice.selector.selected_)[None, :])[0])
        np.testing.assert_array_equal(fit.test[:, j], subset_mean(test[:, :, j], choice.selector.selected_))


def test_oof_rows_of_each_fold_use_the_weights_chosen_without_it(make_stages):
    ws = make_stages()
    oof = np.stack([stage_matrix(ws, s) for s in ("level2/a", "level2/b", "level2/c")])
    objective = create_objective("fbeta", beta=ws.metric.beta)
    fit = blend_matrices(oof, oof[:, :5], ws.y, ws.folds, objective, per_label=3, replacement=True)
    for j, choice in enumerate(fit.labels):
        for fold in choice.folds:
            inside = ws.folds != fold.fold
            again = GreedySelector(objective, per_label=3, replacement=True).fit(oof[:, inside, j], ws.y[inside, j])
            assert tuple(again.selected_) == fold.models
            np.testing.assert_array_equal(fit.oof[~inside, j], subset_mean(oof[:, ~inside, j], fold.models))


def test_with_views_each_folds_weights_are_chosen_on_the_inputs_views_of_that_fold(make_stages):
    ws = make_stages()
    oof = np.stack([stage_matrix(ws, s) for s in ("level2/a", "level2/b", "level2/c")])
    rng = np.random.default_rng(0)
    views = np.repeat(oof[:, None], ws.n_folds, axis=1)
    for k in range(ws.n_folds):  # other rows of each view differ from the OOF; fold k's own rows are its OOF
        views[:, k, ws.folds != k] = rng.random(views[:, k, ws.folds != k].shape, dtype=np.float32)
    objective = create_objective("fbeta", beta=ws.metric.beta)
    fit = blend_matrices(oof, oof[:, :5], ws.y, ws.folds, objective, per_label=2, replacement=True, views=views)
    for j, choice in enumerate(fit.labels):
        for fold in choice.folds:
            inside = ws.folds != fold.fold
            P = views[:, fold.fold, :, j]
            again = GreedySelector(objective, per_label=2, replacement=True).fit(P[:, inside], ws.y[inside, j])
            assert tuple(again.selected_) == fold.models
            np.testing.assert_array_equal(fit.views[fold.fold, :, j], subset_mean(P, fold.models))
            np.testing.assert_array_equal(fit.oof[~inside, j], subset_mean(oof[:, ~inside, j], fold.models))


# --- the stage ---

@pytest.mark.parametrize("objective", ["logloss", "auc"])
def test_the_objective_option_chooses_the_weights_each_fold(make_stages, objective):
    ws = make_stages()
    sources = ("level1", "level2/a", "level2/b", "level2/c")
    result = run_blend(ws, BlendConfig(sources=sources, objective=objective, scaling="none"))
    oof = np.stack([stage_matrix(ws, s) for s in sources])
    test = np.stack([stage_matrix(ws, s, "test.parquet") for s in sources])
    expected = blend_matrices(oof, test, ws.y, ws.folds, create_objective(objective), per_label=4, replacement=True,
                              views=np.repeat(oof[:, None], ws.n_folds, axis=1))
    np.testing.assert_array_equal(stage_matrix(ws, "blend"), expected.oof)
    np.testing.assert_array_equal(stage_matrix(ws, "blend", "test.parquet"), expected.test)
    fbeta = blend_matrices(oof, test, ws.y, ws.folds, create_objective("fbeta", beta=ws.metric.beta), per_label=4,
                           replacement=True)
    assert not np.array_equal(expected.oof, fbeta.oof)  # the option reaches the selector
    config = json.loads((result.output_dir / "config.json").read_text())
    assert config["config"]["objective"] == objective and objective in config["objective"].lower()


def test_stage_files_and_reported_score_equals_rescoring_its_oof(make_stages):
    ws = make_stages()
    result = run_blend(ws, BlendConfig(sources=("level2/*", "level1"), per_label=4))
    folder = ws.root / "blend"
    assert sorted(p.name for p in folder.iterdir()) == [
        "blend.json", "config.json", "nested.parquet", "oof.parquet", "scores.json", "test.parquet"]
    assert result.sources == ["level2/a", "level2/b", "level2/c", "level1"]
    config = json.loads((folder / "config.json").read_text())
    assert config["config"] == {"sources": ["level2/*", "level1"], "per_label": 4, "replacement": True,
                                "scaling": "fold", "objective": "logloss"}
    assert config["inputs"] == result.sources and set(config["input_files"]) == set(result.sources)
    document = json.loads((folder / "blend.json").read_text())
    for label in ws.labels:
        assert sum(document["per_label"][label]["weights"].values()) == pytest.approx(1.0)
        assert len(document["nested"]["per_label"][label]["folds"]) == ws.n_folds
    views = read_views(folder / "nested.parquet", ws.labels, ws.n_folds, len(ws.y))
    rescored = score_matrix(ws.y, stage_matrix(ws, "blend"), ws.folds, ws.metric, views)
    saved = json.loads((folder / "scores.json").read_text())["pipelines"]
    for method in ("greedy", "smooth"):
        assert saved["blend"][method]["out_of_fold"] == pytest.approx(rescored[method]["out_of_fold"])
        assert saved["blend"][method]["standard_error"] == pytest.approx(rescored[method]["standard_error"])
    assert set(saved) == {"blend", *result.sources}


def test_noise_labels_stay_at_chance_through_level2_and_blend(make_workspace):
    """Level 2 on pure noise, then a blend: its honest CV is no better than predicting every label."""
    ws = make_workspace(n_train=150, n_test=20, n_labels=3, k=3, seed=1)
    write_level1(ws, skills=(0.0,) * 6, seed=1)  # candidates carry no signal about the labels
    for learner in ("logistic", "ridge"):
        fit_level2(ws, L2Config(learner=learner))
    rng = np.random.default_rng(7)
    for i in range(20):  # many noise stages: enough choice for a leaky blend to fit the noise
        write_stage(ws, f"level2/noise{i}", rng.random((len(ws.train_ids) + len(ws.test_ids), len(ws.labels))))
    result = run_blend(ws, BlendConfig(per_label=4))
    chance = score_matrix(ws.y, np.ones(ws.y.shape, dtype=np.float32), ws.folds, ws.metric)
    blend = result.scores["blend"]["greedy"]
    assert blend["out_of_fold"] <= chance["greedy"]["out_of_fold"] + 2 * blend["standard_error"]
    nested = result.document["nested"]["mean"]
    assert nested["in_sample"] > nested["held_out"]  # choosing the weights did overfit: nesting removed that
    # ranking power of the honest OOF stays at chance; the same blend with the weights chosen on every row
    # (what an OOF that is not nested would hold) ranks its own noise well: the test can tell them apart
    inputs = np.stack([stage_matrix(ws, s) for s in result.sources])
    leaky = np.stack([subset_mean(inputs[:, :, j], [result.sources.index(s) for s in entry["order"]])
                      for j, entry in enumerate(result.document["per_label"].values())], axis=1)
    both = [j for j in range(len(ws.labels)) if min(ws.y[:, j].sum(), (1 - ws.y[:, j]).sum()) >= 10]
    honest_auc = np.mean([roc_auc_score(ws.y[:, j], stage_matrix(ws, "blend")[:, j]) for j in both])
    leaky_auc = np.mean([roc_auc_score(ws.y[:, j], leaky[:, j]) for j in both])
    assert honest_auc < 0.55 < leaky_auc, (honest_auc, leaky_auc)


def test_stages_lists_the_blend_and_submit_best_picks_it(make_stages, capsys):
    ws = make_stages()
    assert main(["blend", "-w", str(ws.root), "--per-label", "4"]) == 0
    out = capsys.readouterr().out
    assert "level2/a" in out and "held-out" in out and "wrote" in out
    assert stage_sources(ws)[-1] == "blend"
    assert main(["stages", "--json", "-w", str(ws.root)]) == 0
    table = json.loads(capsys.readouterr().out)
    assert "blend" in {c["source"] for c in table["candidates"]} and table["chosen"]["source"] == "blend"
    assert main(["submit", "--best", "-w", str(ws.root)]) == 0
    provenance = json.loads((ws.root / "submissions" / "best.json").read_text())
    assert provenance["source"] == "blend"
    assert main(["submit", "--from", "blend", "--rule", "smooth", "-w", str(ws.root)]) == 0
    provenance = json.loads((ws.root / "submissions" / "blend-smooth.json").read_text())
    assert provenance["learner"]["name"] == "blend" and set(provenance["learner"]["weights"]) == set(ws.labels)
    assert main(["thresholds", "--from", "blend", "-w", str(ws.root)]) == 0


def test_a_blend_does_not_blend_itself_by_default(make_stages):
    ws = make_stages(names=("a",))
    run_blend(ws, BlendConfig())
    assert run_blend(ws, BlendConfig()).sources == ["level1", "level2/a"]


@pytest.mark.parametrize("args, error, match", [
    (["--from", "level2/nope"], "StoreError", "matches no stage folder.*level1, level2/a"),
    (["--from", "level3/*"], "StoreError", "matches no stage folder"),
    (["--from", "blend"], "ValidationError", "cannot feed itself"),
    (["--from", "level1,,level2/a"], "ValidationError", "empty entry"),
    (["--from", "level2/short"], "StoreError", "has 100 rows but the workspace has 150"),
    (["--from", "level2/nolabels"], "StoreError", "lacks label columns"),
    (["--from", "level0/nope"], "StoreError", "no level-0 candidate.*candidates: \\['level0/c0', 'level0/c1'\\]"),
])
def test_bad_from_is_refused_in_one_line_and_nothing_is_written(make_stages, capsys, args, error, match):
    ws = make_stages(names=("a",))
    write_matrix(ws.root / "level2/short/oof.parquet", np.full((100, 3), 0.5), ws.labels)
    write_matrix(ws.root / "level2/short/test.parquet", np.full((20, 3), 0.5), ws.labels)
    write_matrix(ws.root / "level2/nolabels/oof.parquet", np.full((150, 3), 0.5), ["x", "y", "z"])
    write_matrix(ws.root / "level2/nolabels/test.parquet", np.full((20, 3), 0.5), ["x", "y", "z"])
    assert main(["blend", *args, "-w", str(ws.root)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"{error}:")
    import re
    assert re.search(match, err)
    assert not (ws.root / "blend").exists()
    assert not [p for p in ws.root.iterdir() if p.name.startswith(".blend")]


def test_level0_candidates_feed_a_blend_as_their_own_views(make_stages):
    """``level0/<name>``: a candidate of the level-1 store, read from the store, honest in every fold by itself."""
    ws = make_stages(names=("a",))
    store = ws.level1_store()
    result = run_blend(ws, BlendConfig(sources=("level0/c1",), scaling="none"))
    oof, test = store.load(["c1"])
    np.testing.assert_array_equal(stage_matrix(ws, "blend"), oof[0])
    np.testing.assert_array_equal(stage_matrix(ws, "blend", "test.parquet"), test[0])
    views = read_views(ws.root / "blend/nested.parquet", ws.labels, ws.n_folds, len(ws.train_ids))
    for k in range(ws.n_folds):  # no fit below a candidate saw fold k's labels: its OOF is its view of fold k
        np.testing.assert_array_equal(views[k], oof[0])
    config = json.loads((ws.root / "blend/config.json").read_text())
    assert config["inputs_without_views"] == [] and "except that" not in config["honesty"]
    assert config["input_files"] == {"level0/c1": {"content_hash": store.entry("c1").content_hash}}
    assert result.scores["level0/c1"] == score_matrix(ws.y, oof[0], ws.folds, ws.metric)
    assert stage_inputs(ws.root, "blend") == [STORE_NODE] and stage_layer(ws.root, "blend") == 1

    mixed = run_blend(ws, BlendConfig(sources=("level0/*", "level2/a", "level0/c0")))
    assert mixed.sources == ["level0/c0", "level0/c1", "level2/a"]
    assert stage_inputs(ws.root, "blend") == [STORE_NODE, "level2/a"] and stage_layer(ws.root, "blend") == 3
    assert main(["submit", "--from", "blend", "-w", str(ws.root)]) == 0
    provenance = json.loads((ws.root / "submissions/blend-greedy.json").read_text())
    assert set(provenance["learner"]["weights"]["label_0"]) <= {"level0/c0", "level0/c1", "level2/a"}


def test_library_errors(make_stages):
    ws = make_stages(names=("a",))
    with pytest.raises(ValidationError, match="per-label must be an integer >= 1"):
        run_blend(ws, BlendConfig(per_label=0))
    with pytest.raises(ValidationError, match="not one string"):
        run_blend(ws, BlendConfig(sources="level1"))
    with pytest.raises(ValidationError, match="unknown blend objective 'f2'; choose one of: auc, fbeta, logloss"):
        run_blend(ws, BlendConfig(objective="f2"))
    with pytest.raises(StoreError, match="no stage folder"):
        run_blend(_empty(ws), BlendConfig())


def _empty(ws):
    import shutil

    shutil.rmtree(ws.root / "level1")
    shutil.rmtree(ws.root / "level2")
    return ws


def test_notebook_blend_writes_what_the_cli_writes(make_stages, tmp_path):
    import stacker

    ws = make_stages()
    assert main(["blend", "--from", "level2/*", "-w", str(ws.root)]) == 0
    cli_files = {f: (ws.root / "blend" / f).read_bytes() for f in ("oof.parquet", "test.parquet", "blend.json")}
    api = stacker.Workspace.load(ws.root)
    result = api.blend("level2/*")
    assert {f: (ws.root / "blend" / f).read_bytes() for f in cli_files} == cli_files
    frame = result.table
    assert list(frame.columns) == ["label", "weights", "level2/a", "level2/b", "level2/c", "in_sample", "held_out"]
    assert len(frame) == 3 and np.allclose(frame[["level2/a", "level2/b", "level2/c"]].sum(axis=1), 1.0)
    np.testing.assert_array_equal(result.oof, stage_matrix(ws, "blend"))
    assert api.submit(result, rule="greedy").csv.name == "blend-greedy.csv"
