"""Benchmark: the Dask backend of the execution seam against local joblib, in the same run.

1. fit-l2's nested CV (``stacker.level2.nested_cv``, LightGBM, one thread per
   fit) on 17 labels x 5 folds x N rows (the synthetic data of bench/fit_l2.py,
   51 features): a LocalCluster of 2 single-threaded worker processes vs local
   joblib ``--jobs 2``. Both pools are started (and their imports paid) before
   timing; the two alternate ``--repeats`` times and the best of each counts
   (on a shared machine the load changes between runs). Prints the times, the ratio (target: the cluster within 1.15x of
   joblib) and whether the outputs are identical (they must be).
2. Level-1 selection (``select_labels``: beam 5, up to 3 models per label,
   F-beta objective) of C candidates x N rows x 17 labels on the same
   2-worker cluster for several C: wall time, and each worker's peak memory
   (its resident-set high-water mark; the cluster is restarted before each C
   so the mark is that C's). The candidates matrix is scattered once to every
   worker, so per-worker memory grows with C x N x 17 x 4 bytes plus the
   worker's baseline.

    python bench/cluster.py            # N = 40,000; C = 200, 500, 1,000
    python bench/cluster.py --quick    # N = 8,000, 40 trees; C = 50, 100, 200 (a busy 2-core box)
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_l2 import make_data  # noqa: E402  (bench/ is not a package)
from thresholds import timed  # noqa: E402  (bench/thresholds.py: the best-of-n timer)

from stacker.config import SelectConfig  # noqa: E402
from stacker.level1.objectives import create_objective  # noqa: E402
from stacker.level1.stage import select_labels  # noqa: E402
from stacker.level2.features import LabelFeatures  # noqa: E402
from stacker.level2.learners import create_learner  # noqa: E402
from stacker.level2.nested import nested_cv  # noqa: E402
from stacker.parallel import ClusterSpec, connect  # noqa: E402


def fit_l2(X, X_test, Y, folds, trees: int, jobs: int):
    features = [LabelFeatures([f"x{i}" for i in range(X.shape[1])], X, X_test)] * Y.shape[1]
    return nested_cv(features, Y, folds, create_learner("lightgbm", n_estimators=trees), n_jobs=jobs, seed=0)


def bench_fit_l2(n: int, trees: int, address: str, repeats: int) -> None:
    """Local and cluster runs interleaved ``repeats`` times; the best of each (a shared machine's load varies)."""
    Y_all, X_all, folds = make_data(n)
    X, X_test, Y = X_all[:n], X_all[n:], Y_all[:n]
    warm = make_data(300, seed=1)
    fit_l2(warm[1][:300], warm[1][300:], warm[0][:300], warm[2], 2, 2)  # start joblib's pool
    with connect(ClusterSpec(address=address)):
        fit_l2(warm[1][:300], warm[1][300:], warm[0][:300], warm[2], 2, 2)  # the workers' imports
    times: dict[str, list[float]] = {"local": [], "cluster": []}
    for _ in range(repeats):
        seconds, local = timed(fit_l2, X, X_test, Y, folds, trees, 2)
        times["local"].append(seconds)
        with connect(ClusterSpec(address=address)):
            seconds, remote = timed(fit_l2, X, X_test, Y, folds, trees, 2)
        times["cluster"].append(seconds)
    same = np.array_equal(local.oof, remote.oof) and np.array_equal(local.test, remote.test)
    local_s, cluster_s = min(times["local"]), min(times["cluster"])
    print(f"fit-l2 nested CV, 17 labels x 5 folds x {n:,} rows, LightGBM {trees} trees, load {os.getloadavg()[0]:.1f}")
    print(f"  local joblib --jobs 2: {local_s:7.2f} s (runs: {', '.join(f'{t:.2f}' for t in times['local'])})")
    print(f"  LocalCluster 2 x 1:    {cluster_s:7.2f} s (runs: {', '.join(f'{t:.2f}' for t in times['cluster'])})")
    print(f"  ratio {cluster_s / local_s:.3f}x (target <= 1.15x); outputs identical: {same}")


def peak_rss_mb() -> float:
    """This process's resident-set high-water mark in MB (runs on each worker)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_selection(n: int, sizes: list[int], client, address: str) -> None:
    rng = np.random.default_rng(0)
    Y = make_data(n)[0][:n]
    objective = create_objective("fbeta", beta=2.0)
    config = SelectConfig(method="beam", beam=5, per_label=3)
    print(f"selection (beam 5, up to 3 per label, F2 objective), {n:,} rows x 17 labels, LocalCluster 2 x 1")
    for c in sizes:
        cand = np.empty((c, n, 17), dtype=np.float32)
        for m in range(c):  # one candidate at a time: no float64 temporaries of the whole matrix
            logits = rng.uniform(0.3, 1.5) * (2.0 * Y - 1.0) + rng.normal(0, 1, Y.shape)
            cand[m] = 1 / (1 + np.exp(-logits))
        client.restart()  # fresh workers: each peak below is this size's
        with connect(ClusterSpec(address=address)):
            seconds, _ = timed(select_labels, cand, Y, objective, config)
            peaks = client.run(peak_rss_mb)
        per_worker = ", ".join(f"{mb:,.0f}" for mb in peaks.values())
        print(f"  {c:5,} candidates ({cand.nbytes / 2**20:,.0f} MB): {seconds:7.2f} s, "
              f"{c * 17 / seconds:6.1f} label-candidates/s; peak RSS per worker {per_worker} MB")
        del cand


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="N = 8,000, 40 trees, C = 50, 100, 200")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--trees", type=int, default=None)
    parser.add_argument("--candidates", type=int, nargs="+", default=None)
    parser.add_argument("--only", choices=["fit-l2", "select"], default=None)
    parser.add_argument("--repeats", type=int, default=2, help="interleaved local/cluster fit-l2 runs (best of)")
    args = parser.parse_args()
    n = args.rows or (8_000 if args.quick else 40_000)
    trees = args.trees or (40 if args.quick else 100)
    sizes = args.candidates or ([50, 100, 200] if args.quick else [200, 500, 1_000])
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      host="127.0.0.1") as cluster, Client(cluster) as client:
        if args.only in (None, "fit-l2"):
            bench_fit_l2(n, trees, cluster.scheduler_address, args.repeats)
        if args.only in (None, "select"):
            bench_selection(n, sizes, client, cluster.scheduler_address)


if __name__ == "__main__":
    main()
