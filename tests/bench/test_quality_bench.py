"""The quality benchmark's baselines and zoo builder (bench/baselines.py, bench/zoo.py) on tiny synthetic data."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import fbeta_score as sk_fbeta

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import baselines  # noqa: E402
import zoo  # noqa: E402

N_TRAIN, N_TEST, N_LABELS, N_RUNS, K = 300, 80, 3, 6, 5


def synthetic_zoo(seed: int = 0):
    """Labels, folds and runs of growing noise: (Y, Y_test, folds, P_oof (runs, n, L), P_test (runs, n_test, L))."""
    rng = np.random.default_rng(seed)
    Y_all = (rng.random((N_TRAIN + N_TEST, N_LABELS)) < [0.5, 0.3, 0.1]).astype(np.uint8)
    logits = np.stack([1.5 * (2.0 * Y_all - 1) + rng.normal(0, 0.6 + 0.3 * m, Y_all.shape) for m in range(N_RUNS)])
    P = 1 / (1 + np.exp(-logits))
    folds = rng.permutation(np.arange(N_TRAIN) % K)
    return Y_all[:N_TRAIN], Y_all[N_TRAIN:], folds, P[:, :N_TRAIN], P[:, N_TRAIN:]


def brute_force_best_f2(y: np.ndarray, p: np.ndarray) -> float:
    """Best binary F2 of ``p >= t`` over every distinct value t (vectorized, checked against scikit-learn)."""
    predicted = p[None, :] >= np.unique(p)[:, None]  # (n_thresholds, n_samples)
    tp = (predicted & (y == 1)).sum(axis=1)
    f2 = 5 * tp / (5 * tp + 4 * (y.sum() - tp) + (predicted.sum(axis=1) - tp))
    best = int(np.argmax(f2))
    assert f2[best] == pytest.approx(sk_fbeta(y, predicted[best], beta=2.0))
    return float(f2[best])


def test_caruana_with_one_step_is_the_best_single_run_by_log_loss_per_label():
    Y, _, _, P_oof, P_test = synthetic_zoo()
    P_oof = P_oof[::-1].copy()  # the best run is no longer run 0
    P_test = P_test[::-1].copy()
    got = baselines.caruana_selection(P_oof, P_test, Y, steps=1)
    for j in range(N_LABELS):
        losses = [baselines.log_loss(Y[:, j], P_oof[m, :, j]) for m in range(N_RUNS)]
        best = int(np.argmin(losses))
        assert best == N_RUNS - 1  # the least noisy run, now last
        np.testing.assert_allclose(got.oof[:, j], P_oof[best, :, j])
        np.testing.assert_allclose(got.test[:, j], P_test[best, :, j])


def test_caruana_counts_sum_to_the_steps_and_each_step_takes_the_lowest_log_loss():
    Y, _, _, P_oof, _ = synthetic_zoo()
    counts = baselines.caruana_weights(P_oof[:, :, 0], Y[:, 0], steps=7)
    assert counts.sum() == 7 and counts.dtype.kind == "i"
    # brute force: replay the steps, checking each pick against every alternative
    total, picks = np.zeros(N_TRAIN), []
    for step in range(1, 8):
        losses = [baselines.log_loss(Y[:, 0], (total + P_oof[m, :, 0]) / step) for m in range(N_RUNS)]
        picks.append(int(np.argmin(losses)))
        total += P_oof[picks[-1], :, 0]
    np.testing.assert_array_equal(counts, np.bincount(picks, minlength=N_RUNS))


def test_top_k_mean_of_identical_runs_is_the_run():
    Y, _, _, P_oof, P_test = synthetic_zoo()
    same_oof, same_test = np.repeat(P_oof[:1], 4, axis=0), np.repeat(P_test[:1], 4, axis=0)
    got = baselines.top_k_mean(same_oof, same_test, Y, k=3)
    np.testing.assert_allclose(got.oof, P_oof[0])
    np.testing.assert_allclose(got.test, P_test[0])


def test_top_k_runs_are_the_best_by_brute_force_binary_f2_at_every_threshold():
    Y, _, _, P_oof, _ = synthetic_zoo()
    chosen = baselines.top_k_runs(P_oof, Y, k=3)
    for j in range(N_LABELS):
        brute = [brute_force_best_f2(Y[:, j], P_oof[m, :, j]) for m in range(N_RUNS)]
        assert sorted(chosen[j].tolist()) == sorted(np.argsort(brute)[::-1][:3].tolist())


def test_logistic_stack_oof_rows_come_from_fits_that_excluded_their_fold():
    Y, _, folds, P_oof, P_test = synthetic_zoo()
    before = baselines.logistic_stack(P_oof, P_test, Y, folds)
    flipped = Y.copy()
    flipped[folds == 2] = 1 - flipped[folds == 2]  # change only fold 2's labels
    after = baselines.logistic_stack(P_oof, P_test, flipped, folds)
    held_out = folds == 2
    np.testing.assert_array_equal(after.oof[held_out], before.oof[held_out])  # never saw fold 2's labels
    assert np.abs(after.oof[~held_out] - before.oof[~held_out]).min() > 0  # every other fit did
    # test rows: one fit on every train row, C=1
    model = LogisticRegression(C=1.0, max_iter=2000).fit(P_oof[:, :, 1].T, Y[:, 1])
    np.testing.assert_allclose(before.test[:, 1], model.predict_proba(P_test[:, :, 1].T)[:, 1])


def test_best_single_is_the_run_with_the_best_in_sample_per_sample_f2():
    Y, _, _, P_oof, P_test = synthetic_zoo()
    index, single = baselines.best_single(P_oof[::-1], P_test[::-1], Y)
    assert index == N_RUNS - 1  # run 0 (least noise), reversed to the end
    np.testing.assert_array_equal(single.oof, P_oof[0])


def test_score_of_perfect_predictions_is_the_ceiling_and_gap_is_test_minus_cv():
    Y, Y_test, folds, P_oof, P_test = synthetic_zoo()
    perfect = baselines.score(Y, folds, Y_test, baselines.Predictions(Y * 0.9 + 0.05, Y_test * 0.9 + 0.05))
    # rows with no label score 0 (zero_division=0), so "every label right" is the ceiling, not 1
    ceiling = [sk_fbeta(y, y, beta=2.0, average="samples", zero_division=0.0) for y in (Y, Y_test)]
    assert set(perfect["cv"]) == {"greedy", "smooth", "expected-f"}
    assert perfect["cv"]["greedy"] == pytest.approx(ceiling[0]) and perfect["cv"]["smooth"] == pytest.approx(ceiling[0])
    assert perfect["cv"]["expected-f"] <= ceiling[0] + 1e-12  # no rule beats every label right
    assert perfect["rule"] in ("greedy", "smooth") and perfect["rule_thresholds"] == perfect["rule"]
    assert perfect["test_best"] == pytest.approx(ceiling[1]) and perfect["test_thresholds"] == perfect["test_best"]
    noisy = baselines.score(Y, folds, Y_test, baselines.mean_of_runs(P_oof, P_test))
    assert noisy["gap"] == pytest.approx(noisy["test_best"] - noisy["cv_best"])
    assert 0 < noisy["cv_se"]["greedy"] < 0.1
    assert noisy["test_rows"].mean() == pytest.approx(noisy["test_best"])  # per-row scores average to the score
    assert noisy["test_se"] == pytest.approx(noisy["test_rows"].std(ddof=1) / np.sqrt(N_TEST))


def test_per_sample_fbeta_averages_to_scikit_learns_samples_f2():
    rng = np.random.default_rng(1)
    y, pred = rng.integers(0, 2, (200, 4)), rng.integers(0, 2, (200, 4))
    rows = baselines.per_sample_fbeta(y, pred)
    assert rows.shape == (200,)
    assert rows.mean() == pytest.approx(sk_fbeta(y, pred, beta=2.0, average="samples", zero_division=0.0))


def test_cross_fit_folds_predicts_each_row_without_its_fold_and_keeps_each_fold_models_test():
    rng = np.random.default_rng(0)
    X = np.arange(50, dtype=float)[:, None]
    Y = rng.integers(0, 2, (50, 2))
    folds = np.arange(50) % 5
    X_test = np.arange(100, 110, dtype=float)[:, None]

    def fit_predict(X_fit, Y_fit, X_eval):  # 1 for a row it was fitted on; test rows: n_fit / 100
        seen = np.isin(X_eval[:, 0], X_fit[:, 0]).astype(float)
        seen[X_eval[:, 0] >= 100] = len(X_fit) / 100
        return np.column_stack([seen, seen])

    oof, fold_test = zoo.cross_fit_folds(fit_predict, X, Y, folds, X_test)
    assert np.all(oof == 0)  # no row was predicted by a model fitted on it
    assert fold_test.shape == (5, 10, 2) and np.all(fold_test == 0.4)  # each fold model fitted on 40 rows


def test_read_arff_splits_features_and_trailing_label_attributes(tmp_path):
    text = ("@relation t\n@attribute f1 numeric\n@attribute 'f 2' numeric\n@attribute a {0,1}\n"
            "@attribute b {0, 1}\n\n@data\n0.5,1,0,1\n-2,3.5,1,1\n")
    for part in ("train", "test"):
        (tmp_path / f"toy-{part}.arff").write_text(text)
    split = zoo.load_split(tmp_path, "toy")
    assert split.labels == ["a", "b"]
    np.testing.assert_array_equal(split.X_train, [[0.5, 1.0], [-2.0, 3.5]])
    np.testing.assert_array_equal(split.Y_test, [[0, 1], [1, 1]])


def test_build_zoo_writes_runs_that_collect_accepts_and_reuses_a_built_zoo(tmp_path):
    rng = np.random.default_rng(0)
    Y = (rng.random((160, 3)) < [0.5, 0.3, 0.2]).astype(np.uint8)
    X = Y @ rng.normal(0, 1, (3, 8)) + rng.normal(0, 1, (160, 8))
    split = zoo.Split("toy", ["a", "b", "c"], X[:120], Y[:120], X[120:], Y[120:])
    built = zoo.build_zoo(split, tmp_path, kinds=["gaussian-nb", "logistic-c1"], seeds=(0, 1), log=lambda m: None)
    ws = built.workspace()
    assert ws.collect(built.runs_dir).ok
    names = sorted(ws.store().names())
    assert names == ["gaussian-nb_s0", "gaussian-nb_s1", "logistic-c1_s0", "logistic-c1_s1"]
    _, P_test = ws.store().load(names)
    for name, test in zip(names, P_test):
        np.testing.assert_allclose(test, built.fold_test(name).mean(axis=0), atol=1e-6)  # test = mean of folds
    oof, _ = ws.store().load(["gaussian-nb_s0"])
    assert not np.allclose(oof, ws.store().load(["gaussian-nb_s1"])[0])  # seeds differ (feature bags)
    np.testing.assert_array_equal(built.test_labels(ws.labels), Y[120:])
    assert not (built.workspace_dir / "test_labels.csv").exists()
    stamp = (built.root / "zoo.json").stat().st_mtime_ns
    again = zoo.build_zoo(split, tmp_path, kinds=["gaussian-nb"], log=lambda m: None)
    assert (again.root / "zoo.json").stat().st_mtime_ns == stamp  # reused, not rebuilt


def write_arff(path: Path, X: np.ndarray, Y: np.ndarray, labels: list[str]) -> None:
    header = [f"@attribute f{i} numeric" for i in range(X.shape[1])] + [f"@attribute {n} {{0,1}}" for n in labels]
    rows = [",".join([*(f"{v:.5f}" for v in x), *(str(v) for v in y)]) for x, y in zip(X, Y)]
    path.write_text("\n".join(["@relation toy", *header, "@data", *rows]) + "\n")


def test_quality_run_scores_every_baseline_and_stage_and_each_submission_matches_its_test_matrix(tmp_path):
    import argparse

    import dataclasses
    import inspect

    import quality
    import stacker
    from stacker.config import L2Config, SubmitConfig
    from stacker.level2.features import FEATURE_SETS

    rng = np.random.default_rng(3)
    Y = (rng.random((260, 3)) < [0.5, 0.35, 0.25]).astype(np.uint8)
    X = Y @ rng.normal(0, 1, (3, 6)) + rng.normal(0, 1.2, (260, 6))
    labels = ["x", "y", "z"]
    write_arff(tmp_path / "toy-train.arff", X[:180], Y[:180], labels)
    write_arff(tmp_path / "toy-test.arff", X[180:], Y[180:], labels)
    args = argparse.Namespace(data=tmp_path, out=tmp_path / "out", kinds=["gaussian-nb", "logistic-c1", "knn-10"],
                              seeds=(0, 1), rebuild=False, learners=["logistic"], features=list(FEATURE_SETS), jobs=1)
    doc = quality.run_dataset("toy", args, log=lambda m: None)
    assert doc["n_runs"] == 6
    order = [f for f in FEATURE_SETS if f != L2Config.features] + [L2Config.features]  # the default fitted last
    stages = ["stacker level-1 (beam 5 x 3)"] + [f"stacker l2 logistic / {f}" for f in order] + [
        "stacker blend with level-0 candidates", "stacker blend"]
    baselines_ = [quality.BASELINE_PREFIX + n for n in ("best single model", "mean of all runs", "per-label top-3 mean",
                                                        "per-label Caruana (log loss, 25 steps)",
                                                        "per-label logistic on all runs (C=1)")]
    assert list(doc["rows"]) == baselines_ + stages
    for stage in stages:  # the written CSV scores exactly as its test matrix with OOF-fitted thresholds
        assert doc["submitted_test"][stage] == pytest.approx(doc["rows"][stage]["test_best"], abs=1e-12)
        assert doc["rows"][stage]["submitted_cv"] == pytest.approx(doc["rows"][stage]["cv_best"], abs=1e-12)
    assert [r["method"].split(" (")[0] for r in doc["shift"]] == ["mean of all runs", "best single model"]
    mean_row, shift = doc["rows"][quality.BASELINE_PREFIX + "mean of all runs"], doc["shift"][0]
    assert shift["test_mean_of_folds"] == pytest.approx(mean_row["test_best"], abs=1e-3)  # float32 store vs float64
    has_best = ("best" in inspect.signature(stacker.Workspace.submit).parameters
                or "best" in {f.name for f in dataclasses.fields(SubmitConfig)})
    assert (doc["best"] is not None) == has_best  # the --best row appears exactly when stacker has the option
    text = quality.report(doc)
    assert "stacker level-1" in text and "OOF-to-test shift" in text
    assert quality.for_json(doc)["rows"][stages[0]].keys() >= {"cv", "test", "gap"}
    # a second run reuses the zoo and starts the stages afresh: a stale stage folder is gone
    stale = tmp_path / "out" / "toy" / "workspace" / "level2" / "stale"
    stale.mkdir()
    args.learners = []
    again = quality.run_dataset("toy", args, log=lambda m: None)
    assert not stale.exists() and list(again["rows"]) == baselines_ + [stages[0], *stages[-2:]]
    assert again["rows"][stages[0]]["test_best"] == doc["rows"][stages[0]]["test_best"]
