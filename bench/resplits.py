"""Does ``stacker submit --best`` beat the baselines? Mean margins over random re-splits of the Mulan data.

``bench/quality.py`` scores every method on the OFFICIAL test split; on emotions
that is 202 rows, where the paired standard error of ``--best``'s margin over the
best baseline is about 0.01: margins of ~0.005 cannot be resolved on one small
test split. This script repeats the benchmark over several random
re-splits of the pooled train + test rows (``bench/zoo.py:resplit``: seeds
1..N, multi-label stratified, the official train and test sizes), each with its
own zoo (``<out>/<name>-resplit<seed>/``, built once and reused), and reports
the mean over splits of each margin with its standard error across splits
(``std(ddof=1) / sqrt(n_splits)``), which holds both the test-row noise and the
split-to-split variation of the whole pipeline.

On each split it runs ``bench/quality.py:run_split`` with every registered
level-2 learner on the DEFAULT level-2 feature set only (``L2Config.features``),
level 1 and the blend, then ``submit --best``. Per split it keeps each row's CV
(at its CV-best threshold rule), test F2 and per-row test F2 (for paired
comparisons), and ``--best``'s choice, test F2, CV of the chosen stage and
nested CV of the choice.

    python bench/resplits.py --datasets emotions --splits 6
    python bench/resplits.py --datasets scene --splits 3 --official   # also the official split
    python bench/resplits.py --datasets emotions --splits 4 --first-seed 7   # add seeds 7..10 to the results

Results go to ``<out>/resplits.json`` and ``<out>/resplits.md`` after every split
(a split already in ``resplits.json`` from an earlier command is replaced, the
others kept, so datasets run by separate commands end up in one report), and
the Markdown is printed at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import BASELINE_PREFIX, markdown_table, run_split  # noqa: E402
from zoo import DEFAULT_DATA, DEFAULT_OUT, SEEDS, load_split, resplit  # noqa: E402

BEST = "stacker --best"
LOGISTIC = BASELINE_PREFIX + "per-label logistic on all runs (C=1)"
# column title -> baseline row, in the order of the split table
MARGINS = {
    "per-label logistic": LOGISTIC,
    "top-3 mean": BASELINE_PREFIX + "per-label top-3 mean",
    "Caruana": BASELINE_PREFIX + "per-label Caruana (log loss, 25 steps)",
    "mean of all runs": BASELINE_PREFIX + "mean of all runs",
    "best single": BASELINE_PREFIX + "best single model",
}


# ----- one split -------------------------------------------------------------------------------------------
def split_record(doc: dict, seconds: float) -> dict:
    """What one split keeps from a ``run_split`` document: per row its CV-best rule, CV, test F2 and per-row test F2.

    ``--best`` is one more row (``BEST``) whose ``cv`` is the nested CV of the choice; its own
    fields (source, thresholds, CV of the chosen stage, optimism) are under ``best``.
    """
    rows = {method: {"rule": s["rule"], "cv": s["cv_best"], "test": s["test_best"],
                     "test_thresholds": s["test_thresholds"], "test_rows": s["test_rows"].tolist()}
            for method, s in doc["rows"].items()}
    best = doc["best"]
    if best:
        honest = best["nested_cv"] if best["nested_cv"] is not None else best["cv"]
        rows[BEST] = {"rule": str(best["thresholds"]), "cv": honest, "test": best["test"],
                      "test_rows": best["test_rows"].tolist()}
        best = {"source": best["source"], "thresholds": best["thresholds"], "chosen_cv": best["cv"],
                "nested_cv": best["nested_cv"], "optimism": best["optimism"], "test": best["test"]}
    return {"split": doc["dataset"], "n_train": doc["n_train"], "n_test": doc["n_test"], "n_runs": doc["n_runs"],
            "best_single": doc["best_single"], "rows": rows, "best": best, "seconds": round(seconds, 1),
            "zoo_build_seconds": doc["zoo"]["total_seconds"],
            "stage_seconds": round(sum(doc["stage_seconds"].values()), 1)}


def run_one(split, args, log) -> dict:
    """Build/reuse the zoo of ``split``, score baselines, the default-feature stages and ``--best``; its record."""
    tic = time.perf_counter()
    doc = run_split(split, args, log)
    return split_record(doc, time.perf_counter() - tic)


# ----- statistics ------------------------------------------------------------------------------------------
def mean_se(values) -> tuple[float, float]:
    """Mean and standard error across splits (``std(ddof=1) / sqrt(n)``; NaN for one split)."""
    values = np.asarray(values, dtype=np.float64)
    se = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else float("nan")
    return float(values.mean()), float(se)


def paired_se(a: list[float], b: list[float]) -> float:
    """Standard error of the mean per-row difference ``a - b`` on one split's test rows."""
    diff = np.asarray(a) - np.asarray(b)
    return float(diff.std(ddof=1) / np.sqrt(len(diff)))


def best_baseline(record: dict) -> str:
    """The baseline row with the highest test F2 on this split (chosen by test: a high bar)."""
    baselines = [m for m in record["rows"] if m.startswith(BASELINE_PREFIX)]
    return max(baselines, key=lambda m: record["rows"][m]["test"])


def short(method: str) -> str:
    """A row name without the baseline prefix and parenthesized details."""
    return method.removeprefix(BASELINE_PREFIX).split(" (")[0]


# ----- tables ----------------------------------------------------------------------------------------------
def fmt(mean: float, se: float) -> str:
    return f"{mean:+.4f} ± {se:.4f}"


def split_table(records: list[dict]) -> str:
    """One row per split: --best's choice and test F2, the best baseline, --best's margin over each baseline."""
    header = ["split", "--best choice", "--best test", "best baseline by test", *(f"vs {c}" for c in MARGINS),
              "vs best baseline"]
    lines, margins = [], {c: [] for c in [*MARGINS, "best"]}
    for r in records:
        best, top = r["rows"][BEST], best_baseline(r)
        cells = [r["split"], f"{r['best']['source']} / {r['best']['thresholds']}", f"{best['test']:.4f}",
                 f"{short(top)} {r['rows'][top]['test']:.4f}"]
        for column, method in [*MARGINS.items(), ("best", top)]:
            margin = best["test"] - r["rows"][method]["test"]
            margins[column].append(margin)
            cells.append(f"{margin:+.4f} ({paired_se(best['test_rows'], r['rows'][method]['test_rows']):.4f})")
        lines.append(cells)
    tests = mean_se([r["rows"][BEST]["test"] for r in records])
    top_tests = mean_se([r["rows"][best_baseline(r)]["test"] for r in records])
    lines.append([f"mean ± SE ({len(records)} splits)", "", f"{tests[0]:.4f} ± {tests[1]:.4f}",
                  f"{top_tests[0]:.4f} ± {top_tests[1]:.4f}", *(fmt(*mean_se(m)) for m in margins.values())])
    return markdown_table(header, lines)


def method_table(records: list[dict]) -> str:
    """Per method, over splits: CV-best rules, mean CV, mean test F2 ± SE, mean test - CV, --best minus it ± SE."""
    header = ["method", "rules (CV-best)", "mean CV", "mean test ± SE", "mean test - CV", "--best - method ± SE"]
    lines = []
    for method in records[0]["rows"]:
        present = [r for r in records if method in r["rows"]]
        rows = [r["rows"][method] for r in present]
        rules = ", ".join(f"{rule} {n}" for rule, n in Counter(row["rule"] for row in rows).most_common())
        test = mean_se([row["test"] for row in rows])
        gap = mean_se([row["test"] - row["cv"] for row in rows])
        versus = mean_se([r["rows"][BEST]["test"] - r["rows"][method]["test"] for r in present]) \
            if method != BEST else None
        name = f"{method} (CV: nested choice)" if method == BEST else method
        lines.append([name, rules, f"{np.mean([row['cv'] for row in rows]):.4f}", f"{test[0]:.4f} ± {test[1]:.4f}",
                      fmt(*gap), fmt(*versus) if versus else ""])
    return markdown_table(header, lines)


def summary_lines(records: list[dict]) -> list[str]:
    """--best's mean margins, how often it wins, its choice optimism, and the time per split."""
    tests = [r["rows"][BEST]["test"] for r in records]
    logistic = [t - r["rows"][LOGISTIC]["test"] for t, r in zip(tests, records)]
    top = [t - r["rows"][best_baseline(r)]["test"] for t, r in zip(tests, records)]
    thresholds = [t - max(row["test_thresholds"] for m, row in r["rows"].items() if m.startswith(BASELINE_PREFIX))
                  for t, r in zip(tests, records)]
    chosen = Counter(f"{r['best']['source']} / {r['best']['thresholds']}" for r in records)
    optimism = mean_se([r["best"]["chosen_cv"] - r["rows"][BEST]["cv"] for r in records])
    times = ", ".join(f"{r['split']} {r['seconds']:.0f} s (zoo {r['zoo_build_seconds']:.0f} s when built, "
                      f"stages {r['stage_seconds']:.0f} s)" for r in records)
    return [
        f"--best - per-label logistic baseline: {fmt(*mean_se(logistic))} (SE across splits); "
        f"--best ahead on {sum(m > 0 for m in logistic)} of {len(records)} splits",
        f"--best - best baseline by test on each split: {fmt(*mean_se(top))}; "
        f"--best ahead on {sum(m > 0 for m in top)} of {len(records)} splits",
        f"--best - best baseline by test on each split, the baselines decided by threshold rules only (greedy or "
        f"smooth, as issue 10 defines them): {fmt(*mean_se(thresholds))}; --best ahead on "
        f"{sum(m > 0 for m in thresholds)} of {len(records)} splits",
        f"--best chose: {', '.join(f'{c} x{n}' for c, n in chosen.most_common())}; "
        f"CV of the chosen stage - nested CV of the choice: {fmt(*optimism)}",
        f"time per split (wall): {times}",
    ]


def report(results: dict) -> str:
    """The whole Markdown report: per dataset, the split table, the method table and the summary lines."""
    parts = ["# stacker --best over random re-splits (per-sample F2)",
             "Margins are test F2 differences on the same test rows; in parentheses the paired SE on that "
             "split's test rows; the last row is the mean over splits ± its SE across splits. \"best baseline by "
             "test\" is chosen on the test labels, so that bar is a little high."]
    for name, dataset in results.items():
        records = list(dataset.values())
        if not records:
            continue
        r0 = records[0]
        parts += [f"## {name}: {len(records)} splits, {r0['n_train']} train / {r0['n_test']} test rows, "
                  f"{r0['n_runs']} runs", split_table(records),
                  "Every method over the splits (stacker stages on the default level-2 feature set; each, baselines "
                  "too, with its CV-best decision rule of greedy, smooth and expected-F, the rules --best chooses "
                  "among; --best's CV is the nested CV of its choice):", method_table(records),
                  "\n".join(f"- {line}" for line in summary_lines(records))]
    return "\n\n".join(parts)


# ----- the command -----------------------------------------------------------------------------------------
def load_results(path: Path) -> dict:
    """Earlier results (dataset -> split name -> record), or an empty dict."""
    return json.loads(path.read_text()) if path.exists() else {}


def save(results: dict, out: Path) -> str:
    """Write ``resplits.json`` and ``resplits.md`` (each atomically); return the Markdown."""
    text = report(results)
    for target, content in ((out / "resplits.json", json.dumps(results, indent=1)), (out / "resplits.md", text + "\n")):
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_text(content)
        tmp.replace(target)
    return text


def main() -> None:
    from stacker.config import L2Config
    from stacker.level2.learners import list_learners

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="emotions,scene", help="comma-separated Mulan names")
    parser.add_argument("--splits", type=int, default=5,
                        help="random re-splits per dataset (seeds 1..N with the default --first-seed)")
    parser.add_argument("--first-seed", type=int, default=1,
                        help="seed of the first re-split (seeds first..first+N-1; to add splits to earlier results)")
    parser.add_argument("--official", action="store_true", help="also score the official split (zoo <out>/<name>)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the Mulan ARFF files")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (git-ignored bench/out)")
    parser.add_argument("--jobs", type=int, default=2, help="level-2 jobs (parallel label x fold fits)")
    args = parser.parse_args()
    stage_args = argparse.Namespace(data=args.data, out=args.out, kinds=None, seeds=SEEDS, rebuild=False,
                                    learners=list_learners(), features=[L2Config.features], jobs=args.jobs)
    warnings.filterwarnings("ignore", category=FutureWarning)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    results = load_results(args.out / "resplits.json")
    for name in args.datasets.split(","):
        official = load_split(args.data, name)
        seeds = range(args.first_seed, args.first_seed + args.splits)
        splits = ([official] if args.official else []) + [resplit(official, seed) for seed in seeds]
        for split in splits:
            log(f"== {split.name}")
            record = run_one(split, stage_args, log)
            results.setdefault(name, {})[split.name] = record
            save(results, args.out)
            log(f"== {split.name}: {record['seconds']:.0f} s, --best test {record['rows'][BEST]['test']:.4f}")
    print(save(results, args.out))


if __name__ == "__main__":
    main()
