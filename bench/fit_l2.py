"""Benchmark: level-2 nested CV (``stacker.level2.nested_cv``) against scikit-learn, in the same run.

Synthetic, seeded data: N train rows (and N/4 test rows) x 17 labels at
Planet-like prevalences, 51 features = 3 models x 17 labels of noisy
probabilities; every label's learner sees all 51 (the ``all-labels`` shape),
so both sides fit identical inputs. 5 folds, LightGBM (one thread per fit)
with the same parameters on both sides.

1. ``nested_cv`` with ``n_jobs=2`` vs ``n_jobs=1`` (parallel over labels x folds;
   target >= 1.7x on 2 free cores).
2. ``nested_cv`` vs scikit-learn: per outer fold, ``MultiOutputClassifier(
   StackingClassifier(final_estimator=LGBMClassifier(...), passthrough=True))``
   fitted on the other folds, predicting the held-out fold and the test set
   (the stacked base estimator is a ``DummyClassifier``, as the base models'
   predictions are already the features). Same ``n_jobs`` on both sides.

The machine's own 2-process speed-up (two pure-Python spin loops in 2 workers
vs in sequence) is measured in the same run: on a shared machine it is the
ceiling for the jobs=2 figure.

Both use joblib's reusable process pool; it is started once before timing
(its start-up, paid once per process, is printed separately).

Prints wall and CPU times (this process plus its worker processes; on a
shared machine CPU time shows the work done, wall time also the waiting for
cores), the 1-minute load average before each run, ratios and the
out-of-fold F2 (greedy thresholds fitted on K-1 folds) of both, which should agree.

    python bench/fit_l2.py            # N = 40,000, 100 trees
    python bench/fit_l2.py --small    # N = 4,000, 30 trees
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from stacker.level2.features import LabelFeatures
from stacker.level2.learners import create_learner
from stacker.level2.nested import nested_cv
from stacker.thresholds import evaluate_thresholds

N_LABELS, N_MODELS, N_FOLDS = 17, 3, 5


def make_data(n: int, seed: int = 0):
    """Labels (n + n_test, 17), features (n + n_test, 51) and folds (n,)."""
    rng = np.random.default_rng(seed)
    n_all = n + n // 4
    prevalence = np.geomspace(0.9, 0.01, N_LABELS)
    shared = rng.normal(0, 1, (n_all, 1))  # a common factor correlates the labels
    Y = (rng.random((n_all, N_LABELS)) < 1 / (1 + np.exp(-(np.log(prevalence / (1 - prevalence)) + shared)))).astype(
        np.uint8)
    logits = [1.5 * (2.0 * Y - 1.0) + rng.normal(0, 1.2, Y.shape) for _ in range(N_MODELS)]
    X = (1 / (1 + np.exp(-np.hstack(logits)))).astype(np.float32)
    return Y, X, rng.permutation(np.arange(n) % N_FOLDS)


def run_stacker(X, X_test, Y, folds, params, n_jobs):
    features = [LabelFeatures([f"x{i}" for i in range(X.shape[1])], X, X_test)] * Y.shape[1]
    result = nested_cv(features, Y, folds, create_learner("lightgbm", **params), n_jobs=n_jobs, seed=0)
    return result.oof, result.test


def run_sklearn(X, X_test, Y, folds, params, n_jobs):
    from joblib import parallel_config
    from lightgbm import LGBMClassifier
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import StackingClassifier
    from sklearn.multioutput import MultiOutputClassifier

    final = LGBMClassifier(
        n_estimators=params["n_estimators"], learning_rate=0.05, num_leaves=15, min_child_samples=20,
        subsample=0.8, subsample_freq=1, colsample_bytree=0.8, reg_lambda=1.0, random_state=0, n_jobs=1,
        deterministic=True, force_row_wise=True, verbose=-1,
    )
    stack = StackingClassifier([("prior", DummyClassifier())], final_estimator=final, passthrough=True, cv=2)
    oof, test = np.zeros(Y.shape), np.zeros((len(X_test), Y.shape[1]))
    with parallel_config(backend="loky", inner_max_num_threads=1):  # as nested_cv: one thread per fit
        for k in range(N_FOLDS):
            train = folds != k
            model = MultiOutputClassifier(stack, n_jobs=n_jobs).fit(X[train], Y[train])
            oof[~train] = np.column_stack([p[:, 1] for p in model.predict_proba(X[~train])])
            test += np.column_stack([p[:, 1] for p in model.predict_proba(X_test)]) / N_FOLDS
    return oof, test


def start_workers(n_jobs: int) -> float:
    """Start joblib's reusable worker pool (and the workers' imports) with a tiny run; return its seconds."""
    Y, X, folds = make_data(200, seed=1)
    start = time.perf_counter()
    run_stacker(X[:200], X[200:], Y[:200], folds, {"n_estimators": 2}, n_jobs)
    run_sklearn(X[:200], X[200:], Y[:200], folds, {"n_estimators": 2}, n_jobs)
    return time.perf_counter() - start


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


def machine_speedup(n: int = 10_000_000) -> float:
    """Speed-up the machine gives right now: two spin loops in 2 workers vs the same two in sequence.

    On a shared machine this is the ceiling for any ``jobs=2`` speed-up measured alongside it.
    """
    from joblib import Parallel, delayed

    start = time.perf_counter()
    Parallel(n_jobs=1)(delayed(_spin)(n) for _ in range(2))
    sequential = time.perf_counter() - start
    start = time.perf_counter()
    Parallel(n_jobs=2)(delayed(_spin)(n) for _ in range(2))
    return sequential / (time.perf_counter() - start)


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and its live children (the joblib workers); Linux /proc."""
    total = time.process_time()
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():  # field 4 (ppid); utime, stime are fields 14, 15
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def timed(fn, *args):
    """(wall seconds, CPU seconds of this process and its workers, result)."""
    start, cpu = time.perf_counter(), cpu_seconds()
    out = fn(*args)
    return time.perf_counter() - start, cpu_seconds() - cpu, out


def oof_f2(Y, oof, folds) -> float:
    result = evaluate_thresholds(Y, oof, folds, 2.0, "samples", methods=("greedy",))
    return result["methods"]["greedy"]["out_of_fold"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="N = 4,000 rows and 30 trees")
    parser.add_argument("--rows", type=int, help="train rows (default 40,000, or 4,000 with --small)")
    parser.add_argument("--trees", type=int, help="LightGBM trees per fit (default 100, or 30 with --small)")
    parser.add_argument("--skip-sklearn", action="store_true", help="only time nested_cv with 1 and 2 jobs")
    args = parser.parse_args()
    n = args.rows or (4_000 if args.small else 40_000)
    params = {"n_estimators": args.trees or (30 if args.small else 100)}
    Y_all, X_all, folds = make_data(n)
    Y, X, X_test = Y_all[:n], X_all[:n], X_all[n:]
    print(f"{n} train rows, {len(X_test)} test rows, {N_LABELS} labels x {N_FOLDS} folds = "
          f"{N_LABELS * N_FOLDS} fits, {X.shape[1]} features, lightgbm {params['n_estimators']} trees, 1 thread/fit")
    print(f"worker pool start (paid once per process, excluded below for both sides): {start_workers(2):.2f} s")
    times, outs = {}, {}
    for name, fn, jobs in [("stacker jobs=1", run_stacker, 1), ("stacker jobs=2", run_stacker, 2),
                           ("sklearn jobs=1", run_sklearn, 1), ("sklearn jobs=2", run_sklearn, 2)]:
        if args.skip_sklearn and name.startswith("sklearn"):
            continue
        load = os.getloadavg()[0]
        times[name], cpu, outs[name] = timed(fn, X, X_test, Y, folds, params, jobs)
        print(f"{name:16s} {times[name]:8.2f} s wall {cpu:8.2f} s CPU (load before {load:4.1f})   "
              f"OOF F2 (greedy, K-1 folds) {oof_f2(Y, outs[name][0], folds):.4f}")
    speedup, ceiling = times["stacker jobs=1"] / times["stacker jobs=2"], machine_speedup()
    print(f"speed-up stacker jobs=2 vs jobs=1: {speedup:.2f}x (target >= 1.7x); the machine's own 2-process "
          f"speed-up now (spin loops): {ceiling:.2f}x; stacker / machine: {speedup / ceiling:.2f}")
    if not args.skip_sklearn:
        for jobs in (1, 2):
            ratio = times[f"sklearn jobs={jobs}"] / times[f"stacker jobs={jobs}"]
            print(f"sklearn StackingClassifier+MultiOutputClassifier / stacker, jobs={jobs}: {ratio:.2f}x")
        same = np.abs(outs["stacker jobs=1"][0] - outs["stacker jobs=2"][0]).max()
        print(f"stacker jobs=1 and jobs=2 OOF identical: {same == 0}")


if __name__ == "__main__":
    main()
