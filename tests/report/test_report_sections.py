"""Report sections on plain arrays: each number checked against a brute-force or library equivalent."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from sklearn.metrics import fbeta_score

from stacker.exceptions import StoreError
from stacker.report import (
    agreement,
    build_leaderboard,
    class_histograms,
    load_cv_summary,
    pearson_by_label,
    trace_rows,
)
from stacker.report.correlation import best_thresholds, model_similarity
from stacker.report.curves import curve_value
from stacker.report.html import Card, Section, Table, heat_colour, render_page
from stacker.thresholds import fbeta_curve


@pytest.fixture
def arrays():
    rng = np.random.default_rng(3)
    y = (rng.random((80, 3)) < [0.6, 0.3, 0.1]).astype(np.uint8)
    y[0] = 1
    oof = np.clip(y[None] * rng.uniform(0.2, 0.6, (4, 1, 3)) + rng.random((4, 80, 3)) * 0.5, 0, 1).astype(np.float32)
    return oof, y


def test_pearson_by_label_equals_mean_of_numpy_corrcoef(arrays):
    oof, _ = arrays
    expected = np.mean([np.corrcoef(oof[:, :, j]) for j in range(3)], axis=0)
    np.testing.assert_allclose(pearson_by_label(oof), expected, atol=1e-6)


def test_pearson_leaves_out_labels_where_a_model_is_constant(arrays):
    oof, _ = arrays
    oof = oof.copy()
    oof[0, :, 1] = 0.5  # model 0 constant on label 1: pairs with model 0 average labels 0 and 2 only
    result = pearson_by_label(oof)
    expected = np.mean([np.corrcoef(oof[0, :, j], oof[2, :, j])[0, 1] for j in (0, 2)])
    assert result[0, 2] == pytest.approx(expected, abs=1e-6)
    assert np.isfinite(result).all() and np.allclose(np.diag(result), 1.0)


def test_agreement_equals_brute_force_and_is_symmetric():
    rng = np.random.default_rng(0)
    pred = rng.integers(0, 2, (3, 50, 4))
    result = agreement(pred)
    for a in range(3):
        for b in range(3):
            assert result[a, b] == pytest.approx(np.mean(pred[a] == pred[b]))
    np.testing.assert_allclose(result, result.T)


def test_similarity_thresholds_each_model_at_its_own_best_f2(arrays):
    oof, y = arrays
    thresholds = best_thresholds(oof, y, 2.0)
    for m in range(4):
        for j in range(3):
            best = max(fbeta_score(y[:, j], oof[m, :, j] >= t, beta=2.0, zero_division=0) for t in np.unique(oof[m, :, j]))
            got = fbeta_score(y[:, j], oof[m, :, j] >= thresholds[m, j], beta=2.0, zero_division=0)
            assert got == pytest.approx(best)
    similarity = model_similarity(["a", "b", "c", "d"], oof, y, 2.0)
    predictions = oof >= thresholds[:, None, :]
    assert similarity.agreement[1, 3] == pytest.approx(np.mean(predictions[1] == predictions[3]))


def test_leaderboard_scores_ranks_and_order(arrays):
    oof, y = arrays
    oof = np.concatenate([oof, oof[:1]])  # model 4 duplicates model 0: tied on every label
    board = build_leaderboard(list("abcde"), oof, y, ["x", "y", "z"], beta=2.0)
    for m in range(5):
        for j in range(3):
            best = max(fbeta_score(y[:, j], oof[m, :, j] >= t, beta=2.0, zero_division=0) for t in np.unique(oof[m, :, j]))
            assert board.scores[m, j] == pytest.approx(best)
    ranks = board.ranks
    assert (ranks[0] == ranks[4]).all()  # ties share a rank
    for j in range(3):
        assert ranks[np.argmax(board.scores[:, j]), j] == 1
        assert min(ranks[:, j]) == 1 and ranks[:, j].max() <= 5
    rows = board.rows()
    assert [r["mean"] for r in rows] == sorted((r["mean"] for r in rows), reverse=True)
    assert rows[0]["per_label"]["x"][1] == ranks[board.order()[0], 0]


def test_class_histograms_are_densities_of_each_class():
    rng = np.random.default_rng(1)
    p = rng.random(200)
    y = (rng.random(200) < 0.2).astype(np.uint8)
    edges, negatives, positives = class_histograms(p, y, bins=10)
    np.testing.assert_allclose(positives, np.histogram(p[y == 1], bins=edges, density=True)[0])
    np.testing.assert_allclose(negatives, np.histogram(p[y == 0], bins=edges, density=True)[0])
    assert np.sum(positives) * 0.1 == pytest.approx(1.0)
    _, _, empty = class_histograms(p, np.zeros(200), bins=10)
    assert not empty.any()  # no positives: zeros, no NaN


def test_curve_value_is_the_f2_of_predicting_p_at_or_above_t():
    rng = np.random.default_rng(2)
    y = (rng.random(60) < 0.3).astype(np.uint8)
    p = np.round(rng.random(60), 2)  # ties on purpose
    thresholds, scores = fbeta_curve(y, p, 2.0)
    for t in [0.0, 0.05, 0.33, p[7], 0.5, 0.999]:
        assert curve_value(thresholds, scores, t) == pytest.approx(fbeta_score(y, p >= t, beta=2.0, zero_division=0))


def test_trace_rows_gain_is_final_minus_first():
    selection = {"per_label": {"a": {"models": ["m1", "m2"], "score": 0.8, "trace": [0.7, 0.8]},
                               "b": {"models": ["m3"], "score": 0.5, "trace": [0.5]}}}
    rows = trace_rows(selection)
    assert [r.label for r in rows] == ["a", "b"]
    assert rows[0].gain == pytest.approx(0.1) and rows[1].gain == 0.0


def _scores(level2: float) -> dict:
    def block(score):
        return {m: {"out_of_fold": score, "in_sample": score, "per_label": [score, score], "thresholds": [0.3, 0.4]}
                for m in ("greedy", "smooth")}

    return {"metric": "f2-samples", "labels": ["a", "b"],
            "pipelines": {"best single": block(0.70), "level-1": block(0.75), "level-2": block(level2)}}


def test_cv_summary_puts_learners_side_by_side(tmp_path):
    for learner, score in (("ridge", 0.78), ("logistic", 0.80)):
        (tmp_path / learner).mkdir()
        (tmp_path / learner / "scores.json").write_text(json.dumps({**_scores(score), "honesty": f"{learner} says"}))
    summary = load_cv_summary(tmp_path)
    assert summary.honesty == "logistic says"  # the first learner by name
    assert list(summary.stages) == ["best model per label", "level-1", "level-2 logistic", "level-2 ridge"]
    assert summary.overall("greedy")["level-2 ridge"] == 0.78
    assert summary.best_stage() == ("level-2 logistic", "greedy", 0.80)
    assert load_cv_summary(tmp_path / "nothing") is None


def test_cv_summary_rejects_a_foreign_scores_file(tmp_path):
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "scores.json").write_text('{"pipelines": {}}')
    with pytest.raises(StoreError, match="not a fit-l2 scores file.*rerun 'stacker fit-l2'"):
        load_cv_summary(tmp_path)


def test_html_escapes_text_and_shades_scores():
    page = render_page(
        "t<1>", "sub", [Card("models", "3")],
        [Section("a", "Scores & more", intro="run `stacker select`", tables=[Table(["m", "x"], [["<b>", 0.9]], heat=True)]),
         Section("b", "Later", missing="run `stacker fit-l2`")],
        footer="f",
    )
    assert "t&lt;1&gt;" in page and "&lt;b&gt;" in page and "<b>" not in page
    assert "<code>stacker select</code>" in page and "<code>stacker fit-l2</code>" in page
    assert f"background: {heat_colour(0.9)}" in page and "0.9000" in page
    assert "http" not in page  # nothing fetched from the network
    assert heat_colour(1.0) != heat_colour(0.0)


def test_spread_labels_keeps_order_and_gap():
    from stacker.report.trace import spread_labels

    values = [0.97, 0.975, 0.5, 0.98, 0.2]
    placed = spread_labels(values, gap=0.02)
    order = np.argsort(values, kind="stable")
    assert all(placed[b] - placed[a] >= 0.02 - 1e-12 for a, b in itertools.pairwise(order))
    assert max(abs(p - v) for p, v in zip(placed, values)) < 0.05
