"""Quality benchmark: does the stack win on unseen data? Mulan scene and emotions, official test splits.

For each dataset: build (or reuse) the level-0 zoo of ``bench/zoo.py`` (a dozen
scikit-learn / LightGBM kinds x 3 seeds, OOF on 5 persisted multi-label
stratified folds, test = mean of the 5 fold models), ``ws.collect`` the runs,
then score every method with per-sample F2 (the workspace metric):

- ``CV``: each decision rule (greedy and smooth thresholds, expected-F) fitted on
  K-1 folds of the method's OOF, scored on the held-out fold
  (``stacker.decide.evaluate_rules``, as ``submit --best`` scores its candidates),
  with the standard error of the K fold scores;
- ``test``: the CV-best rule fitted on all train OOF applied to the method's test
  predictions, scored on the OFFICIAL test labels, which nothing but this scoring
  ever reads. Baselines get the same three rules as the stages (a user with a
  ten-line script can decide by expected-F too); the best baseline decided by
  thresholds only (as issue 10 defined the baselines) is reported as well;
- ``gap``: test - CV.

Rows: the baselines of ``bench/baselines.py`` (best single model, mean of all
runs, per-label top-3 mean, per-label Caruana selection, per-label logistic
regression on all runs), then every stacker stage run through the public API
as a user would: ``ws.select(beam=5, per_label=3)``, ``ws.fit_level2`` for every
registered learner x every feature set in ``stacker.level2.features.FEATURE_SETS``
(read at run time), ``ws.blend(["level0/*", "level1", "level2/*"])`` (the stages and
every level-0 candidate), then ``ws.blend()`` of level 1 and the learners (the
default, last, so it is the blend ``--best`` sees), each written with
``ws.submit`` and its CSV scored; and,
when ``submit`` has a ``best`` option, ``stacker --best`` with its margin over the
best baseline and its CV-vs-test gap.

It also measures the OOF-to-test shift: for the mean of all runs (and the best
single run), CV F2 against test F2 with test predictions from (a) the mean of
the 5 fold models (what the run folders hold) and (b) one fold model (the way
each OOF row was predicted; averaged over the 5 choices), with the spread of the
probabilities in each.

    python bench/quality.py                                  # scene and emotions, every learner
    python bench/quality.py --datasets emotions --learners logistic,lightgbm
    python bench/quality.py --rebuild                        # retrain the zoos

Tables go to stdout, to ``<out>/<dataset>/quality.md|json`` and, for all the datasets
of the command, ``<out>/quality.md|json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import (  # noqa: E402
    RULES,
    Predictions,
    per_sample_fbeta,
    best_single,
    caruana_selection,
    logistic_stack,
    mean_of_runs,
    score,
    top_k_mean,
)
from zoo import DEFAULT_DATA, DEFAULT_OUT, SEEDS, Split, Zoo, build_zoo, load_split  # noqa: E402

BETA = 2.0
BASELINE_PREFIX = "baseline: "


def baseline_rows(ws, names: list[str], P_oof, P_test) -> tuple[dict[str, Predictions], str]:
    """Every baseline's predictions by row name, and the name of the best single run."""
    Y, folds = ws.y, ws.folds
    index, single = best_single(P_oof, P_test, Y, BETA)
    rows = {
        "best single model": single,
        "mean of all runs": mean_of_runs(P_oof, P_test),
        "per-label top-3 mean": top_k_mean(P_oof, P_test, Y, 3, BETA),
        "per-label Caruana (log loss, 25 steps)": caruana_selection(P_oof, P_test, Y, 25),
        "per-label logistic on all runs (C=1)": logistic_stack(P_oof, P_test, Y, folds, 1.0),
    }
    return {BASELINE_PREFIX + name: p for name, p in rows.items()}, names[index]


def read_submission(csv: Path, labels: list[str], ids: np.ndarray) -> np.ndarray:
    """0/1 predictions (n_test, n_labels) from a submission CSV (``tags`` column), rows in ``ids`` order."""
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False).set_index("id").loc[list(ids)]
    tags = [set(t.split()) for t in frame["tags"]]
    return np.array([[label in row for label in labels] for row in tags], dtype=np.uint8)


def submission_test_rows(ws, submitted, Y_test) -> np.ndarray:
    """Per-row F2 (n_test,) of a written submission on the official test labels; its mean is the test F2."""
    return per_sample_fbeta(Y_test, read_submission(submitted.csv, ws.labels, ws.test_ids), BETA)


def stacker_rows(ws, Y_test, learners: list[str], feature_sets: list[str], jobs: int, log) -> tuple[dict, dict, dict]:
    """Run level 1 and every learner x feature set through the API; submit each with its CV-best rule.

    Returns (scores by row, the submission's test F2 by row, seconds by row).
    """
    from stacker.config import L2Config

    scores, submitted, seconds = {}, {}, {}

    def add(row: str, result, source, name: str | None, tic: float) -> None:
        from stacker.data.stages import stage_views

        seconds[row] = round(time.perf_counter() - tic, 1)
        folder = source if isinstance(source, str) else source.result.output_dir.relative_to(ws.root).as_posix()
        views = stage_views(ws, folder, result.oof)  # each fold's rule fitted on its view, as stacker scores it
        scores[row] = score(ws.y, ws.folds, Y_test, Predictions(result.oof, result.test, views), BETA)
        rule = scores[row]["rule"]
        sub = ws.submit(source, rule=rule, name=name and f"{name}-{rule}")
        submitted[row] = float(submission_test_rows(ws, sub, Y_test).mean())
        scores[row]["submitted_cv"] = float(sub.cv_score)

    tic = time.perf_counter()
    log("  select --beam 5 --per-label 3")
    add("stacker level-1 (beam 5 x 3)", ws.select(beam=5, per_label=3), "level1", None, tic)
    # level2/<learner> is rewritten for each feature set (one submission name each); the default feature set
    # goes last, so the stage folders 'submit --best' chooses among are what a user's plain 'fit-l2' writes.
    default = L2Config.features
    for features in [f for f in feature_sets if f != default] + [default]:
        for learner in learners:
            tic = time.perf_counter()
            log(f"  fit-l2 --learner {learner} --features {features}")
            l2 = ws.fit_level2(learner, features=features, jobs=jobs)
            add(f"stacker l2 {learner} / {features}", l2, l2, f"l2-{learner}-{features}", tic)
    # blend/ is rewritten by each blend; the default one (what a plain 'stacker blend' writes) goes last, so it
    # is the blend 'submit --best' chooses among.
    tic = time.perf_counter()
    log("  blend --from 'level0/*,level1,level2/*' (the stages and every level-0 candidate)")
    sources = ["level0/*", "level1"] + (["level2/*"] if learners else [])
    add("stacker blend with level-0 candidates", ws.blend(sources), "blend", "blend-level0", tic)
    tic = time.perf_counter()
    log("  blend (level 1 and every level-2 learner, per-label Caruana, nested)")
    add("stacker blend", ws.blend(), "blend", None, tic)
    return scores, submitted, seconds


def submit_best(ws, Y_test) -> dict | None:
    """The ``best`` submission when this stacker has one (checked at run time); None otherwise.

    Through ``ws.submit(best=True)`` when the API takes it, else through the
    library call behind ``stacker submit --best`` when ``SubmitConfig`` has the field.
    """
    from stacker.config import SubmitConfig

    if "best" in inspect.signature(ws.submit).parameters:
        sub = ws.submit(best=True).result
    elif "best" in {f.name for f in dataclasses.fields(SubmitConfig)}:
        from stacker.submission.submit import submit

        sub = submit(ws, SubmitConfig(best=True))
    else:
        return None
    provenance = json.loads(Path(sub.provenance).read_text())
    rows = submission_test_rows(ws, sub, Y_test)
    choice = provenance.get("choice") or {}
    return {"csv": str(sub.csv), "cv": float(sub.cv_f2), "test": float(rows.mean()), "test_rows": rows,
            "source": provenance.get("source"), "thresholds": provenance.get("rule", sub.method),
            "nested_cv": choice.get("nested_choice_score"), "optimism": choice.get("choice_optimism"),
            "choice": choice}


def shift_measurement(zoo: Zoo, ws, names: list[str], P_oof, P_test, Y_test, best_name: str) -> list[dict]:
    """CV F2 vs test F2 with test from the mean of the K fold models (a) and from one fold model (b)."""
    fold_test = np.stack([zoo.fold_test(name) for name in names])  # (n_runs, K, n_test, n_labels)
    rows = []
    for row, runs in (("mean of all runs", slice(None)), (f"best single model ({best_name})",
                                                           slice(names.index(best_name), names.index(best_name) + 1))):
        oof = P_oof[runs].mean(axis=0)
        per_fold = fold_test[runs].mean(axis=0)  # (K, n_test, n_labels)
        a = score(ws.y, ws.folds, Y_test, Predictions(oof, per_fold.mean(axis=0)), BETA)
        b = [score(ws.y, ws.folds, Y_test, Predictions(oof, per_fold[k]), BETA) for k in range(len(per_fold))]
        rule = a["rule"]
        b_test = np.array([s["test"][rule] for s in b])
        rows.append({
            "method": row, "rule": rule, "cv": a["cv"][rule], "cv_se": a["cv_se"][rule],
            "test_mean_of_folds": a["test"][rule], "test_one_fold": float(b_test.mean()),
            "test_one_fold_min": float(b_test.min()), "test_one_fold_max": float(b_test.max()),
            "spread_oof": _spread(oof), "spread_test_mean_of_folds": _spread(per_fold.mean(axis=0)),
            "spread_test_one_fold": float(np.mean([_spread(p) for p in per_fold])),
        })
    return rows


def _spread(P: np.ndarray) -> float:
    """Mean over labels of the standard deviation of the probabilities (how far from the centre they spread)."""
    return float(np.asarray(P, dtype=np.float64).std(axis=0).mean())


def clear_stages(ws, log) -> None:
    """Remove what an earlier benchmark run's stages wrote (level1/, level2/, submissions/), keeping the runs.

    A cached zoo outlives stacker versions; a stale stage folder must not be scored or picked by ``--best``.
    """
    import shutil

    for folder in (ws.level1_dir, ws.level2_dir, ws.submissions_dir):
        if folder.exists():
            log(f"{ws.root.parent.name}: removing the earlier run's {folder.name}/")
            shutil.rmtree(folder)


def run_dataset(name: str, args, log) -> dict:
    """Build/load the zoo of the official split, collect, score baselines and stacker stages; return the document."""
    return run_split(load_split(args.data, name), args, log)


def run_split(split: Split, args, log) -> dict:
    """:func:`run_dataset` on any train/test ``split`` (its zoo in ``<args.out>/<split.name>``)."""
    start = time.perf_counter()
    name = split.name
    zoo = build_zoo(split, args.out, kinds=args.kinds, seeds=args.seeds, rebuild=args.rebuild, log=log)
    ws = zoo.workspace()
    clear_stages(ws, log)
    collected = ws.collect(zoo.runs_dir)
    if not collected.ok:
        raise RuntimeError(f"{name}: runs rejected by collect: {collected.table}")
    names = sorted(ws.store().names())
    P_oof, P_test = ws.store().load(names)
    Y_test = zoo.test_labels(ws.labels)
    log(f"{name}: {len(names)} runs, {len(ws.y)} train / {len(Y_test)} test rows, {len(ws.labels)} labels; baselines")
    predictions, best_name = baseline_rows(ws, names, P_oof, P_test)
    scores = {row: score(ws.y, ws.folds, Y_test, p, BETA) for row, p in predictions.items()}
    log(f"{name}: stacker stages")
    stage_scores, submitted, seconds = stacker_rows(ws, Y_test, args.learners, args.features, args.jobs, log)
    scores.update(stage_scores)
    best = submit_best(ws, Y_test)
    shift = shift_measurement(zoo, ws, names, P_oof, P_test, Y_test, best_name)
    return {"dataset": name, "n_runs": len(names), "n_train": len(ws.y), "n_test": len(Y_test),
            "labels": ws.labels, "best_single": best_name, "zoo": zoo.manifest, "rows": scores,
            "submitted_test": submitted, "stage_seconds": seconds, "best": best, "shift": shift,
            "seconds": round(time.perf_counter() - start, 1)}


# ----- printing --------------------------------------------------------------------------------------------
def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """An aligned Markdown table (reads as plain text too)."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def results_table(doc: dict) -> str:
    header = ["method", "CV greedy", "CV smooth", "CV expected-F", "CV SE", "rule", "test F2", "test SE", "test - CV",
              "test, thresholds only"]
    rows = []
    for method, s in doc["rows"].items():
        rows.append([method, *(f"{s['cv'][rule]:.4f}" for rule in RULES), f"{s['se_best']:.4f}",
                     s["rule"], f"{s['test_best']:.4f}", f"{s['test_se']:.4f}", f"{s['gap']:+.4f}",
                     f"{s['test_thresholds']:.4f} ({s['rule_thresholds']})"])
    best = doc["best"]
    if best:
        se = best["test_rows"].std(ddof=1) / np.sqrt(len(best["test_rows"]))
        honest = best["nested_cv"] if best["nested_cv"] is not None else best["cv"]
        rows.append([f"stacker --best ({best['source']}; CV: nested choice)", f"{honest:.4f}", "", "", "",
                     str(best["thresholds"]), f"{best['test']:.4f}", f"{se:.4f}", f"{best['test'] - honest:+.4f}", ""])
    return markdown_table(header, rows)


def shift_table(doc: dict) -> str:
    header = ["predictions", "rule", "CV F2", "CV SE", "test (a) mean of 5 fold models", "test (b) one fold model",
              "(b) range", "(a) - (b)", "spread OOF / (a) / (b)"]
    rows = [[r["method"], r["rule"], f"{r['cv']:.4f}", f"{r['cv_se']:.4f}", f"{r['test_mean_of_folds']:.4f}",
             f"{r['test_one_fold']:.4f}", f"{r['test_one_fold_min']:.4f}-{r['test_one_fold_max']:.4f}",
             f"{r['test_mean_of_folds'] - r['test_one_fold']:+.4f}",
             f"{r['spread_oof']:.3f} / {r['spread_test_mean_of_folds']:.3f} / {r['spread_test_one_fold']:.3f}"]
            for r in doc["shift"]]
    return markdown_table(header, rows)


def summary_lines(doc: dict) -> list[str]:
    rows = doc["rows"]
    baselines = {k: v for k, v in rows.items() if k.startswith(BASELINE_PREFIX)}
    stages = {k: v for k, v in rows.items() if not k.startswith(BASELINE_PREFIX)}
    top_base = max(baselines, key=lambda k: baselines[k]["test_best"])
    cv_base = max(baselines, key=lambda k: baselines[k]["cv_best"])
    top_stage = max(stages, key=lambda k: stages[k]["test_best"])
    cv_stage = max(stages, key=lambda k: stages[k]["cv_best"])
    mean_gap = rows[BASELINE_PREFIX + "mean of all runs"]["gap"]
    shift = doc["shift"][0]  # the mean of all runs, thresholded with the same rule as its table row
    base_rows = baselines[top_base]["test_rows"]
    lines = [
        f"best baseline on test (chosen by test, so the bar is a little high): {top_base} "
        f"{baselines[top_base]['test_best']:.4f}",
        f"baseline a user picks by CV: {cv_base} (CV {baselines[cv_base]['cv_best']:.4f}, test "
        f"{baselines[cv_base]['test_best']:.4f})",
        f"best stacker stage on test: {top_stage} {stages[top_stage]['test_best']:.4f} "
        f"({paired(stages[top_stage]['test_rows'], base_rows)} vs best baseline)",
        f"stacker stage a user picks by CV: {cv_stage} (CV {stages[cv_stage]['cv_best']:.4f}, test "
        f"{stages[cv_stage]['test_best']:.4f}, gap {stages[cv_stage]['gap']:+.4f}; "
        f"{paired(stages[cv_stage]['test_rows'], base_rows)} vs best baseline)",
        f"mean of all runs: test - CV gap {mean_gap:+.4f} = fold averaging (a) - (b) "
        f"{shift['test_mean_of_folds'] - shift['test_one_fold']:+.4f} + split shift and noise (b) - CV "
        f"{shift['test_one_fold'] - shift['cv']:+.4f}",
    ]
    best = doc["best"]
    if best is None:
        lines.append("stacker --best: not available in this stacker (submit has no 'best' option)")
    else:
        margin = best["test"] - baselines[top_base]["test_best"]
        gap = best["test"] - best["cv"]
        honest = best["nested_cv"] if best["nested_cv"] is not None else best["cv"]
        nested_gap = best["test"] - honest
        target = abs(nested_gap) <= 0.005 or abs(nested_gap) <= abs(mean_gap)
        lines.append(f"stacker --best ({best['source']}, {best['thresholds']}): test {best['test']:.4f}, "
                     f"{paired(best['test_rows'], base_rows)} vs best baseline; CV of the chosen stage "
                     f"{best['cv']:.4f} (test - CV {gap:+.4f}); nested CV of choosing the best stage {honest:.4f} "
                     f"(choice optimism {best['optimism'] or 0.0:+.4f}), test - nested CV {nested_gap:+.4f} "
                     f"({'within' if target else 'outside'} the target: |gap| <= 0.005 or no larger than the "
                     f"mean of all runs' {mean_gap:+.4f}); beats every baseline: {margin > 0}")
        top_thresholds = max(baselines, key=lambda k: baselines[k]["test_thresholds"])
        margin = best["test"] - baselines[top_thresholds]["test_thresholds"]
        lines.append(f"baselines decided by threshold rules only (greedy or smooth, as issue 10 defines them): best on "
                     f"test {top_thresholds} {baselines[top_thresholds]['test_thresholds']:.4f}; stacker --best "
                     f"{margin:+.4f}; beats every one: {margin > 0}")
    mismatch = {k: v for k, v in doc["submitted_test"].items() if abs(v - rows[k]["test_best"]) > 1e-9}
    if mismatch:
        lines.append(f"WARNING: submission CSVs score differently from test.parquet: {mismatch}")
    stage_times = ", ".join(f"{k.removeprefix('stacker ')} {v:.0f} s" for k, v in doc["stage_seconds"].items())
    lines.append(f"{doc['dataset']}: {doc['seconds']:.0f} s in all (zoo build {doc['zoo']['total_seconds']:.0f} s "
                 f"when built; stages: {stage_times})")
    return lines


def paired(rows: np.ndarray, reference: np.ndarray) -> str:
    """Mean per-row difference of two methods on the same test rows, with its standard error."""
    diff = np.asarray(rows) - np.asarray(reference)
    return f"{diff.mean():+.4f} (paired SE {diff.std(ddof=1) / np.sqrt(len(diff)):.4f})"


def for_json(doc: dict) -> dict:
    """``doc`` without the per-row test scores (arrays)."""
    out = dict(doc, rows={k: {kk: vv for kk, vv in v.items() if kk != "test_rows"} for k, v in doc["rows"].items()})
    if doc["best"]:
        out["best"] = {k: v for k, v in doc["best"].items() if k != "test_rows"}
    return out


def report(doc: dict) -> str:
    title = (f"## {doc['dataset']}: {doc['n_runs']} runs, {doc['n_train']} train / {doc['n_test']} test rows, "
             f"{len(doc['labels'])} labels; per-sample F2")
    return "\n\n".join([
        title, results_table(doc),
        "OOF-to-test shift (thresholds fitted on OOF; test from (a) the mean of the 5 fold models, as in the run "
        "folders, or (b) one fold model, as each OOF row was predicted, averaged over the 5 folds):",
        shift_table(doc), "\n".join(f"- {line}" for line in summary_lines(doc)),
    ])


def main() -> None:
    from stacker.level2.features import FEATURE_SETS
    from stacker.level2.learners import list_learners

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="scene,emotions", help="comma-separated Mulan names")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the Mulan ARFF files")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (git-ignored bench/out)")
    parser.add_argument("--learners", default=",".join(list_learners()),
                        help=f"level-2 learners to fit (default all: {','.join(list_learners())})")
    parser.add_argument("--features", default=",".join(FEATURE_SETS),
                        help=f"level-2 feature sets to fit (default all: {','.join(FEATURE_SETS)}); the default "
                             f"feature set is always fitted, last")
    parser.add_argument("--jobs", type=int, default=2, help="level-2 jobs (parallel label x fold fits)")
    parser.add_argument("--rebuild", action="store_true", help="train the zoos again even if they exist")
    parser.add_argument("--kinds", help="comma-separated zoo model kinds of a new zoo (default: all of bench/zoo.py)")
    parser.add_argument("--seeds", type=int, default=len(SEEDS), help="seeds per kind of a new zoo")
    args = parser.parse_args()
    args.kinds = args.kinds.split(",") if args.kinds else None
    args.seeds = tuple(range(args.seeds))
    args.learners = [name for name in args.learners.split(",") if name]
    args.features = [name for name in args.features.split(",") if name]
    unknown = sorted(set(args.features) - set(FEATURE_SETS))
    if unknown:
        parser.error(f"unknown feature sets {unknown}; choose from: {list(FEATURE_SETS)}")
    unknown = sorted(set(args.learners) - set(list_learners()))
    if unknown:
        parser.error(f"unknown learners {unknown}; registered: {list_learners()}")
    warnings.filterwarnings("ignore", category=FutureWarning)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    docs, texts = [], []
    for name in args.datasets.split(","):
        doc = run_dataset(name, args, log)
        docs.append(doc)
        texts.append(report(doc))
        print(texts[-1] + "\n", flush=True)
        (args.out / name / "quality.md").write_text(texts[-1] + "\n")
        (args.out / name / "quality.json").write_text(json.dumps(for_json(doc), indent=2, default=str))
    (args.out / "quality.md").write_text("# Quality benchmark\n\n" + "\n\n".join(texts) + "\n")
    (args.out / "quality.json").write_text(json.dumps([for_json(d) for d in docs], indent=2, default=str))


if __name__ == "__main__":
    main()
