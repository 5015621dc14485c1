"""Benchmark: the per-sample expected-F-beta rule, against a plain Python loop and against greedy thresholds.

Synthetic, seeded data as in ``bench/thresholds.py``: N samples x 17 labels at
Planet-like prevalences (92% down to 0.25%), calibrated probabilities, labels
drawn from them. Prints ratios measured in the same run (best of 3 timings).

1. ``expected_fbeta_decisions`` (vectorised DP, all N rows) vs the same DP as a
   plain Python loop per sample (run on a subset of rows, compared per row; the
   decisions must agree).
2. ``expected-f`` vs greedy thresholds (``fit_thresholds``, samples average,
   fitted on the same N rows): time ratio, target under 10x.
3. Every rule fitted on 4 folds, scored on the fifth (``evaluate_rules``):
   out-of-fold F2, fold standard error, paired difference to the best.

    python bench/decide.py            # N = 40,000
    python bench/decide.py --small    # N = 4,000
"""

from __future__ import annotations

import argparse

import numpy as np

from stacker.decide import evaluate_rules, expected_fbeta_decisions
from stacker.thresholds import fit_thresholds

from thresholds import make_data, timed  # bench/thresholds.py: the same synthetic task and timer

BETA = 2.0
LOOP_ROWS = 400


def python_loop(p: np.ndarray, beta: float = BETA) -> np.ndarray:
    """The same decision, one sample at a time in plain Python: sort, count distributions, triple sum."""
    b2 = beta * beta
    out = np.zeros(p.shape, dtype=np.uint8)
    for i, row in enumerate(p.tolist()):
        order = sorted(range(len(row)), key=lambda j: (-row[j], j))
        q = [row[j] for j in order]
        n = len(q)
        chosen = [[1.0] + [0.0] * n]
        for k in range(n):
            prev = chosen[-1]
            chosen.append([prev[a] * (1 - q[k]) + (prev[a - 1] * q[k] if a else 0.0) for a in range(n + 1)])
        rest = [None] * n + [[1.0] + [0.0] * n]
        for k in range(n - 1, -1, -1):
            nxt = rest[k + 1]
            rest[k] = [nxt[c] * (1 - q[k]) + (nxt[c - 1] * q[k] if c else 0.0) for c in range(n + 1)]
        best_k, best = 0, -1.0
        for k in range(n + 1):
            e = 0.0
            for a in range(k + 1):
                for c in range(n - k + 1):
                    den = b2 * (a + c) + k
                    e += chosen[k][a] * rest[k][c] * ((1 + b2) * a / den if den else 0.0)
            if e > best:
                best_k, best = k, e
        for j in order[:best_k]:
            out[i, j] = 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="N = 4,000 instead of 40,000")
    args = parser.parse_args()
    n = 4_000 if args.small else 40_000
    y, p = make_data(n)
    print(f"data: {n:,} samples x {p.shape[1]} labels, F{BETA:g} per sample")

    t_fast, fast = timed(expected_fbeta_decisions, p, BETA, repeat=3)
    t_loop, loop = timed(python_loop, p[:LOOP_ROWS], repeat=1)
    assert np.array_equal(loop, fast[:LOOP_ROWS]), "the Python loop and the vectorised DP disagree"
    per_row = (t_loop / LOOP_ROWS) / (t_fast / n)
    print(f"1. expected-f, vectorised DP vs plain Python loop per sample ({LOOP_ROWS} rows, same decisions): "
          f"{per_row:,.0f}x faster per row")

    t_greedy, _ = timed(lambda: fit_thresholds(y, p, BETA, "samples", "greedy"), repeat=3)
    print(f"2. expected-f on all {n:,} rows takes {t_fast / t_greedy:.2f}x the time of fitting greedy thresholds "
          f"(target: under 10x)")

    folds = np.arange(n) % 5
    result = evaluate_rules(y, p, folds, BETA, "samples",
                            rules=("greedy", "smooth", "prevalence", "bagged", "expected-f", "expected-f-calibrated"))
    print("3. fitted on 4 folds, scored on the fifth (pooled); diff = mean paired per-fold difference to the best")
    print(f"   {'rule':<24}{'out-of-fold':>12}{'fold SE':>10}{'diff':>10}{'± SE':>9}")
    for name, r in sorted(result["rules"].items(), key=lambda item: -item[1]["out_of_fold"]):
        print(f"   {name:<24}{r['out_of_fold']:>12.4f}{r['fold_se']:>10.4f}{r['diff_vs_best']:>10.4f}"
              f"{r['diff_se']:>9.4f}")


if __name__ == "__main__":
    main()
