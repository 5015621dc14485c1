"""Benchmark: threshold search against the usual baselines, measured in the same run.

Synthetic, seeded data: N samples x 17 labels at Planet-like prevalences (92% down
to 0.25%), calibrated probabilities (labels drawn from them). Prints ratios.

1. greedy ``samples`` thresholds (exact coordinate ascent) vs the Planet-kernel
   loop: all thresholds 0.2, one pass over labels, grid i/G, one full
   ``sklearn.metrics.fbeta_score(average="samples")`` per grid point.
2. per-label binary optimum (``average="macro"``) vs
   ``sklearn.model_selection.TunedThresholdClassifierCV(cv="prefit")`` looped over
   the labels (a prefit estimator that returns the fixed probabilities).
3. batched ``best_fbeta`` of M = 200 candidates x N: candidates/s (CPU, and CUDA
   when torch sees a device).
4. greedy vs smooth, fitted on 4 folds and scored on the fifth (``evaluate_thresholds``).

    python bench/thresholds.py            # N = 40,000, Planet loop with 100 grid points
    python bench/thresholds.py --small    # N = 4,000, Planet loop with 20 grid points
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import fbeta_score as sk_fbeta
from sklearn.metrics import make_scorer
from sklearn.model_selection import TunedThresholdClassifierCV

from stacker.thresholds import apply_thresholds, best_fbeta, evaluate_thresholds, optimize_thresholds

N_LABELS = 17
SPREAD = 2.5  # std of the per-sample logit around each label's intercept


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Calibrated probabilities (n, 17) and labels drawn from them."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, SPREAD, (n, N_LABELS))
    z = _intercepts(np.geomspace(0.92, 0.0025, N_LABELS), noise) + noise
    p = 1.0 / (1.0 + np.exp(-z))
    y = (rng.random((n, N_LABELS)) < p).astype(np.uint8)
    return y, p


def _intercepts(prevalence: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Per-label logit intercept a with mean(sigmoid(a + noise)) = prevalence (bisection)."""
    lo, hi = np.full(len(prevalence), -30.0), np.full(len(prevalence), 30.0)
    for _ in range(60):
        mid = (lo + hi) / 2
        too_high = (1.0 / (1.0 + np.exp(-(mid + noise)))).mean(axis=0) > prevalence
        hi, lo = np.where(too_high, mid, hi), np.where(too_high, lo, mid)
    return (lo + hi) / 2


def timed(fn, *args, repeat: int = 1):
    best, result = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def planet_kernel_loop(y: np.ndarray, p: np.ndarray, grid: int) -> np.ndarray:
    """The common Kaggle Planet kernel: start 0.2, one pass, grid i/grid, full metric per point."""
    thresholds = np.full(y.shape[1], 0.2)
    for j in range(y.shape[1]):
        best_t, best_s = thresholds[j], -1.0
        for i in range(grid):
            thresholds[j] = i / grid
            s = sk_fbeta(y, (p >= thresholds).astype(np.uint8), beta=2, average="samples", zero_division=0.0)
            if s > best_s:
                best_t, best_s = thresholds[j], s
        thresholds[j] = best_t
    return thresholds


class FixedProba(ClassifierMixin, BaseEstimator):
    """A 'prefit' classifier whose predict_proba returns fixed probabilities; X holds row indices."""

    def __init__(self, p=None):
        self.p = p

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        q = self.p[np.asarray(X)[:, 0].astype(int)]
        return np.column_stack([1 - q, q])


def tuned_threshold_loop(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """TunedThresholdClassifierCV(cv="prefit") per label; returns its 0/1 predictions."""
    X = np.arange(len(y))[:, None]
    pred = np.zeros_like(y)
    for j in range(y.shape[1]):
        estimator = FixedProba(p[:, j]).fit(X, y[:, j])
        tuned = TunedThresholdClassifierCV(
            estimator, scoring=make_scorer(sk_fbeta, beta=2, zero_division=0.0), cv="prefit", refit=False
        ).fit(X, y[:, j])
        pred[:, j] = tuned.predict(X)
    return pred


def bench_samples(y, p, grid: int) -> None:
    ours_s, t_ours = timed(optimize_thresholds, y, p, 2.0, "samples", "greedy", repeat=3)
    base_s, t_base = timed(planet_kernel_loop, y, p, grid)
    f_ours = sk_fbeta(y, apply_thresholds(p, t_ours), beta=2, average="samples", zero_division=0.0)
    f_base = sk_fbeta(y, apply_thresholds(p, t_base), beta=2, average="samples", zero_division=0.0)
    print(f"[1] samples F2 thresholds, Planet loop: {y.shape[1]} labels x {grid} grid points = "
          f"{y.shape[1] * grid} fbeta_score calls on {len(y):,} x {y.shape[1]}")
    print(f"    Planet loop   {base_s:9.3f} s   F2 {f_base:.5f}")
    print(f"    greedy exact  {ours_s:9.4f} s   F2 {f_ours:.5f}   speed-up {base_s / ours_s:,.0f}x   "
          f"F2 gain {f_ours - f_base:+.5f}")


def bench_binary(y, p) -> None:
    ours_s, t_ours = timed(optimize_thresholds, y, p, 2.0, "macro", "greedy", repeat=3)
    base_s, pred_base = timed(tuned_threshold_loop, y, p)
    pred_ours = apply_thresholds(p, t_ours)
    f_ours = np.array([sk_fbeta(y[:, j], pred_ours[:, j], beta=2, zero_division=0.0) for j in range(y.shape[1])])
    f_base = np.array([sk_fbeta(y[:, j], pred_base[:, j], beta=2, zero_division=0.0) for j in range(y.shape[1])])
    print(f"[2] per-label binary F2 optimum, TunedThresholdClassifierCV(cv='prefit') x {y.shape[1]} labels")
    print(f"    TunedThresholdCV  {base_s:8.3f} s   macro F2 {f_base.mean():.5f}")
    print(f"    exact sweep       {ours_s:8.4f} s   macro F2 {f_ours.mean():.5f}   speed-up {base_s / ours_s:,.0f}x   "
          f"labels worse: {int((f_ours < f_base - 1e-12).sum())}, better: {int((f_ours > f_base + 1e-12).sum())}")


def bench_batched(y, p, m: int = 200) -> None:
    rng = np.random.default_rng(1)
    j = 5
    P = np.clip(p[:, j][None, :] + rng.normal(0, 0.05, (m, len(y))), 0, 1)
    print(f"[3] best_fbeta, {m} candidates x {len(y):,} samples")
    for dtype in (np.float64, np.float32):
        Pd = P.astype(dtype)
        secs, _ = timed(best_fbeta, y[:, j], Pd, 2.0, repeat=3)
        print(f"    numpy {np.dtype(dtype).name:8s} {secs * 1e3:8.1f} ms   {m / secs:,.0f} candidates/s")
    _bench_cuda(y[:, j], P.astype(np.float32), m)


def _bench_cuda(y, P, m: int) -> None:
    import torch

    if not torch.cuda.is_available():
        print("    cuda: no CUDA device visible to torch, skipped")
        return
    from stacker.thresholds.batched_torch import best_fbeta_torch

    best_fbeta_torch(y, P, 2.0, 0.0)  # warm-up (context, kernels)
    torch.cuda.synchronize()
    secs, _ = timed(best_fbeta_torch, y, P, 2.0, 0.0, repeat=10)
    print(f"    torch cuda float32 {secs * 1e3:6.2f} ms   {m / secs:,.0f} candidates/s ({torch.cuda.get_device_name()})")


def bench_held_out(y, p) -> None:
    folds = np.arange(len(y)) % 5
    result = evaluate_thresholds(y, p, folds, beta=2.0, average="samples")
    print("[4] held-out per-sample F2 (fit on 4 folds, score on the 5th, pooled)")
    for name, r in result["methods"].items():
        print(f"    {name:7s} in-sample {r['in_sample']:.5f}   out-of-fold {r['out_of_fold']:.5f}   "
              f"optimism {r['in_sample'] - r['out_of_fold']:+.5f}")
    print(f"    best out of fold: {result['best']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="N = 4,000 and a 20-point Planet grid (seconds)")
    parser.add_argument("--n", type=int, help="number of samples (default 40,000; 4,000 with --small)")
    args = parser.parse_args()
    n = args.n or (4_000 if args.small else 40_000)
    grid = 20 if args.small else 100
    y, p = make_data(n)
    print(f"data: {n:,} samples x {N_LABELS} labels, prevalences {y.mean(0).max():.1%} .. {y.mean(0).min():.2%}; "
          f"Planet baseline: {grid} grid points per label")
    bench_samples(y, p, grid)
    bench_binary(y, p)
    bench_batched(y, p)
    bench_held_out(y, p)


if __name__ == "__main__":
    main()
