"""The re-split benchmark (bench/resplits.py) and its split draw (bench/zoo.py:resplit) on tiny synthetic data."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import resplits  # noqa: E402
import zoo  # noqa: E402


def toy_split(n_train: int = 90, n_test: int = 37) -> zoo.Split:
    """Feature 0 is the row's pooled index (train first), so every row can be traced through a re-split."""
    rng = np.random.default_rng(0)
    n = n_train + n_test
    X = np.column_stack([np.arange(n, dtype=np.float64), rng.normal(size=(n, 2))])
    Y = (rng.random((n, 3)) < [0.5, 0.3, 0.15]).astype(np.uint8)
    return zoo.Split("toy", ["a", "b", "c"], X[:n_train], Y[:n_train], X[n_train:], Y[n_train:])


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_resplit_keeps_the_sizes_pools_every_row_once_and_is_deterministic_per_seed(seed):
    split = toy_split()
    new = zoo.resplit(split, seed)
    assert new.name == f"toy-resplit{seed}" and new.labels == split.labels
    assert (len(new.X_train), len(new.X_test)) == (len(split.X_train), len(split.X_test))
    ids = np.concatenate([new.X_train[:, 0], new.X_test[:, 0]])
    np.testing.assert_array_equal(np.sort(ids), np.arange(len(ids)))  # each pooled row exactly once
    pooled_Y = np.concatenate([split.Y_train, split.Y_test])
    for X, Y in ((new.X_train, new.Y_train), (new.X_test, new.Y_test)):  # labels travel with their row
        np.testing.assert_array_equal(Y, pooled_Y[X[:, 0].astype(int)])
    again = zoo.resplit(split, seed)
    np.testing.assert_array_equal(again.X_test, new.X_test)
    assert not np.array_equal(zoo.resplit(split, seed + 10).X_test[:, 0], new.X_test[:, 0])


def record(split: str, tests: dict[str, list[float]]) -> dict:
    """A fake split record: per method, its per-row test F2 (CV = test - 0.01; thresholds only: test - 0.02)."""
    rows = {m: {"rule": "expected-f", "cv": float(np.mean(t)) - 0.01, "test": float(np.mean(t)),
                "test_thresholds": float(np.mean(t)) - 0.02, "test_rows": t} for m, t in tests.items()}
    return {"split": split, "n_train": 8, "n_test": 4, "n_runs": 2, "rows": rows, "seconds": 1.0,
            "zoo_build_seconds": 1.0, "stage_seconds": 1.0,
            "best": {"source": "blend", "thresholds": "smooth", "chosen_cv": rows[resplits.BEST]["cv"] + 0.02}}


def test_split_table_margins_are_test_differences_and_the_last_row_their_mean_and_se_across_splits():
    baselines = list(resplits.MARGINS.values())
    first = record("s1", {**{b: [0.5, 0.5, 0.5, 0.5] for b in baselines}, resplits.BEST: [0.6, 0.6, 0.5, 0.5]})
    second = record("s2", {**{b: [0.5, 0.5, 0.5, 0.5] for b in baselines}, resplits.BEST: [0.5, 0.5, 0.5, 0.7]})
    text = resplits.report({"toy": {"s1": first, "s2": second}})
    last = text.split("## toy")[1].splitlines()[6]  # title, blank, header, rule, split 1, split 2, mean
    assert last.startswith("| mean ± SE (2 splits)")
    # margins 0.05 and 0.05: mean 0.05, SE 0; the same over every baseline and the best baseline
    assert last.count("+0.0500 ± 0.0000") == len(resplits.MARGINS) + 1
    assert resplits.mean_se([0.1, 0.3]) == pytest.approx((0.2, 0.1))
    # against the baselines decided by threshold rules only: 0.55 - 0.48 on both splits
    assert "threshold rules only (greedy or smooth, as issue 10 defines them): +0.0700 ± 0.0000; --best ahead on " \
           "2 of 2 splits" in text
