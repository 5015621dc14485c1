"""Benchmark: per-label ensemble selection (stacker.level1) against AutoGluon and a Python loop.

Synthetic, seeded problem: ``--models`` models (20 architectures x seeds) x
``--samples`` samples x ``--labels`` labels with Planet-like prevalences.
Everything is measured in this one run; the script prints ratios.

(a) log loss, AutoGluon's algorithm (greedy with replacement, 25 steps) per label:
    - AutoGluon ``EnsembleSelection`` (``autogluon.core``, NOT a stacker dependency: it
      runs in its own environment, ``--ag-python``, as a subprocess), both with
      binary 1-D probabilities (its numpy log loss) and with 2-column
      probabilities (its multiclass path through ``sklearn.metrics.log_loss``);
    - auto-sklearn's style: a Python loop over candidates, one ``sklearn.metrics.log_loss``
      call each (always measured; the named baseline when AutoGluon is absent);
    - stacker: the same 25 steps with replacement, each step one vectorised
      ``score_additions`` call, and ``GreedySelector(objective="logloss")``.
(b) F-beta at the exact optimal threshold (the default objective):
    ``GreedySelector(per_label=3)`` on every label, against a loop over candidates
    calling ``best_fbeta`` once per candidate (first step of the first label).
(c) ``BeamSelector(beam_width=5, per_label=3)`` on every label through the stage's
    ``select_labels`` (labels in threads): wall time with ``--jobs`` threads and with one.

    python bench/selection.py            # 200 models x 40,000 samples x 17 labels
    python bench/selection.py --small    # 40 models x 5,000 samples x 17 labels
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from stacker.config import SelectConfig
from stacker.level1 import GreedySelector, create_objective, score_additions
from stacker.level1.stage import select_labels
from stacker.thresholds import best_fbeta

AG_SCRIPT = r"""
import json, sys, time
import numpy as np
from autogluon.core.metrics import log_loss
from autogluon.core.models.greedy_ensemble.ensemble_selection import EnsembleSelection
data = np.load(sys.argv[1])
steps, mode = int(sys.argv[2]), sys.argv[3]
P, y = data["P"], data["y"].astype(np.int64)
predictions = list(P) if mode == "binary" else [np.stack([1 - p, p], axis=1) for p in P]
problem_type = "binary" if mode == "binary" else "multiclass"
start = time.perf_counter()
selection = EnsembleSelection(ensemble_size=steps, problem_type=problem_type, metric=log_loss,
                              random_state=np.random.RandomState(0))
selection.fit(predictions=predictions, labels=y)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "indices": [int(i) for i in selection.indices_],
                  "trajectory": [float(t) for t in selection.trajectory_]}))
"""


def make_problem(n_models: int, n_samples: int, n_labels: int, seed: int = 0):
    """y (n_samples, n_labels) uint8 and P (n_models, n_samples, n_labels) float32.

    Models share an architecture-level error (20 architectures) plus their own
    noise, with skills spread over [0.5, 2], so averaging helps and is not trivial.
    """
    rng = np.random.default_rng(seed)
    y = (rng.random((n_samples, n_labels)) < np.geomspace(0.92, 0.0025, n_labels)).astype(np.uint8)
    y[0] = 1
    n_arch = min(20, n_models)
    arch = np.arange(n_models) % n_arch
    skill = rng.uniform(0.5, 2.0, n_models).astype(np.float32)
    P = np.empty((n_models, n_samples, n_labels), dtype=np.float32)
    for j in range(n_labels):
        shared = rng.standard_normal((n_arch, n_samples), dtype=np.float32)
        own = rng.standard_normal((n_models, n_samples), dtype=np.float32)
        logits = skill[:, None] * (2.0 * y[:, j] - 1.0).astype(np.float32) + 0.8 * shared[arch] + own
        P[:, :, j] = 1 / (1 + np.exp(-logits))
    return y, P


def greedy_with_replacement(objective, y: np.ndarray, P: np.ndarray, steps: int):
    """AutoGluon's algorithm with stacker's vectorised step: one objective call per step."""
    total = np.zeros(P.shape[1], dtype=np.float32)
    everyone = np.arange(len(P))
    order, losses = [], []
    for step in range(steps):
        scores = score_additions(objective, y, P, total, step, everyone)
        best = int(np.argmax(scores))
        order.append(best)
        losses.append(-float(scores[best]))
        total += P[best]
    return order, losses


def sklearn_loop(y: np.ndarray, P: np.ndarray, steps: int) -> tuple[float, int]:
    """auto-sklearn's style: for each candidate, build the ensemble and call sklearn's log_loss once."""
    from sklearn.metrics import log_loss

    ensemble = np.zeros(P.shape[1], dtype=np.float64)
    start = time.perf_counter()
    for step in range(steps):
        losses = [log_loss(y, y_proba=(ensemble * step + p) / (step + 1), labels=[0, 1]) for p in P]
        ensemble = (ensemble * step + P[int(np.argmin(losses))]) / (step + 1)
    return time.perf_counter() - start, steps * len(P)


def run_autogluon(python: str, y: np.ndarray, P: np.ndarray, steps: int, mode: str) -> dict | None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "label.npz"
        np.savez(path, P=P, y=y)
        done = subprocess.run([python, "-c", AG_SCRIPT, str(path), str(steps), mode], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"  AutoGluon ({mode}) failed: {done.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def autogluon_available(python: str) -> bool:
    if not Path(python).exists():
        return False
    probe = subprocess.run([python, "-c", "import autogluon.core"], capture_output=True)
    return probe.returncode == 0


def rate(evaluations: int, seconds: float) -> str:
    return f"{evaluations / seconds:,.0f} evals/s ({evaluations:,} in {seconds:.2f} s)"


def bench_logloss(args, y, P) -> None:
    print(f"(a) log loss, {args.steps} steps with replacement (AutoGluon's algorithm), per label")
    objective = create_objective("logloss")
    labels = range(P.shape[2])
    per_label = [np.ascontiguousarray(P[:, :, j]) for j in labels]
    ys = [np.ascontiguousarray(y[:, j]) for j in labels]
    greedy_with_replacement(objective, ys[0], per_label[0], 1)  # warm-up: first-touch page faults
    start = time.perf_counter()
    ours = [greedy_with_replacement(objective, ys[j], per_label[j], args.steps) for j in labels]
    ours_s = time.perf_counter() - start
    ours_evals = args.steps * len(P) * len(labels)
    print(f"  stacker, {args.steps} steps with replacement, all {len(labels)} labels: {rate(ours_evals, ours_s)}; "
          f"{ours_s / len(labels):.2f} s per label")
    ours_rate = ours_evals / ours_s

    start = time.perf_counter()
    fitted = [GreedySelector(objective, per_label=args.steps).fit(per_label[j], ys[j]) for j in labels]
    sel_s = time.perf_counter() - start
    sel_evals = sum(f.n_evaluations_ for f in fitted)
    print(f"  stacker GreedySelector(logloss, per_label={args.steps}, no replacement, early stop): "
          f"{rate(sel_evals, sel_s)}; mean models per label {np.mean([len(f.selected_) for f in fitted]):.1f}")

    loop_s, loop_evals = sklearn_loop(ys[0], per_label[0], args.loop_steps)
    print(f"  Python loop + sklearn log_loss per candidate (auto-sklearn style), label 0, {args.loop_steps} steps: "
          f"{rate(loop_evals, loop_s)}  -> stacker is {ours_rate / (loop_evals / loop_s):.0f}x faster")

    if not autogluon_available(args.ag_python):
        print(f"  AutoGluon: not measured ({args.ag_python} has no autogluon.core); the baseline is the loop above")
        return
    for mode, n_labels in (("binary", args.ag_labels), ("2-column", 1)):
        seconds, ours_paired, agree = 0.0, 0.0, []
        for j in range(n_labels):
            start = time.perf_counter()  # stacker again on this label, right before AutoGluon: same machine load
            greedy_with_replacement(objective, ys[j], per_label[j], args.steps)
            ours_paired += time.perf_counter() - start
            result = run_autogluon(args.ag_python, ys[j], per_label[j], args.steps, mode)
            if result is None:
                break
            seconds += result["seconds"]
            agree.append(_agreement(result["indices"], ours[j][0]))
        else:
            evals = args.steps * len(P) * n_labels
            print(f"  AutoGluon EnsembleSelection ({mode} probabilities), {n_labels} label(s): {rate(evals, seconds)}; "
                  f"{seconds / n_labels:.2f} s per label; stacker on the same label(s) just before: "
                  f"{rate(evals, ours_paired)}  -> stacker is {seconds / ours_paired:.1f}x faster; same picks for the "
                  f"first {min(agree)} of {len(result['indices'])} steps (AutoGluon rounds losses to 6 decimals)")


def _agreement(theirs: list[int], ours: list[int]) -> int:
    same = 0
    for a, b in zip(theirs, ours):
        if a != b:
            break
        same += 1
    return same


def bench_fbeta(args, y, P) -> None:
    print("(b) F-beta at the exact optimal threshold (beta 2), GreedySelector(per_label=3), every label")
    objective = create_objective("fbeta", beta=2.0)
    start = time.perf_counter()
    evals = 0
    for j in range(P.shape[2]):
        evals += GreedySelector(objective, per_label=3).fit(np.ascontiguousarray(P[:, :, j]), y[:, j]).n_evaluations_
    # (GreedySelector copies y into a contiguous uint8 vector itself)
    seconds = time.perf_counter() - start
    first, y0 = np.ascontiguousarray(P[:, :, 0]), np.ascontiguousarray(y[:, 0])
    start = time.perf_counter()
    for p in first:
        best_fbeta(y0, p[None, :], beta=2.0)
    loop_s = time.perf_counter() - start
    print(f"  stacker: {rate(evals, seconds)}")
    print(f"  loop over candidates, one best_fbeta call each (label 0, one step): {rate(len(first), loop_s)}"
          f"  -> vectorised is {(evals / seconds) / (len(first) / loop_s):.1f}x faster")


def bench_beam(args, y, P) -> None:
    print("(c) beam 5 x per-label 3, every label (the stage's select_labels)")
    objective = create_objective("fbeta", beta=2.0)
    for jobs in dict.fromkeys((args.jobs, 1)):
        config = SelectConfig(method="beam", beam=5, per_label=3, jobs=jobs)
        start = time.perf_counter()
        results = select_labels(P, y, objective, config)
        seconds = time.perf_counter() - start
        evals = sum(selector.n_evaluations_ for selector, _ in results)
        print(f"  {jobs} thread(s): wall {seconds:.1f} s for {P.shape[2]} labels, {rate(evals, seconds)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="40 models x 5,000 samples (quick check)")
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--samples", type=int, default=40_000)
    parser.add_argument("--labels", type=int, default=17)
    parser.add_argument("--steps", type=int, default=25, help="AutoGluon ensemble_size (steps with replacement)")
    parser.add_argument("--loop-steps", type=int, default=2, help="steps of the sklearn loop baseline (label 0)")
    parser.add_argument("--ag-python", default="/work/benchenv-ag/bin/python", help="python with autogluon.core")
    parser.add_argument("--ag-labels", type=int, default=2, help="labels AutoGluon runs on (binary mode)")
    parser.add_argument("--jobs", type=int, default=2, help="threads for (c)")
    parser.add_argument("--only", choices=["a", "b", "c"], action="append", help="run only these parts")
    args = parser.parse_args()
    if args.small:
        args.models, args.samples = 40, 5_000
    start = time.perf_counter()
    y, P = make_problem(args.models, args.samples, args.labels)
    print(f"problem: {args.models} models x {args.samples:,} samples x {args.labels} labels "
          f"(built in {time.perf_counter() - start:.1f} s); python {sys.version.split()[0]}, numpy {np.__version__}")
    parts = {"a": bench_logloss, "b": bench_fbeta, "c": bench_beam}
    for name in args.only or parts:
        parts[name](args, y, P)


if __name__ == "__main__":
    main()
