"""Benchmark: oof-collect throughput, and Store.load against a bare pyarrow read.

Writes N synthetic run folders (half CSV, half Parquet) for a workspace of
40,000 train ids x 17 labels, collects them, then loads the whole store with
``Store.load`` and compares with ``pyarrow.parquet.read_table`` of the very
same files (the baseline, measured in the same run). Peak memory of the load
is measured in a fresh subprocess relative to the size of the arrays.

    python bench/collect.py            # 300 runs x 40,000 x 17
    python bench/collect.py --small    # 20 runs x 5,000 x 17
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from stacker.data import Workspace, make_folds, write_folds
from stacker.oof import collect_runs


def build_workspace(root: Path, n_train: int, n_test: int, n_labels: int) -> Workspace:
    rng = np.random.default_rng(0)
    labels = [f"tag_{j:02d}" for j in range(n_labels)]
    y = rng.random((n_train, n_labels)) < np.geomspace(0.92, 0.0025, n_labels)
    tags = [" ".join(label for label, on in zip(labels, row) if on) for row in y]
    pd.DataFrame({"image_name": [f"train_{i}" for i in range(n_train)], "tags": tags}).to_csv(
        root / "train.csv", index=False)
    pd.DataFrame({"image_name": [f"test_{i}" for i in range(n_test)], "tags": ""}).to_csv(
        root / "sample_submission.csv", index=False)
    ws = Workspace.init(root, train=root / "train.csv", test=root / "sample_submission.csv",
                        id_column="image_name", labels=tuple(labels), force=True)  # a re-run rebuilds it
    write_folds(ws.folds_path, ws.train_ids, make_folds(ws.y, k=5, seed=0), id_column="image_name")
    return Workspace.load(root)


def write_runs(ws: Workspace, n_runs: int) -> None:
    rng = np.random.default_rng(1)
    for r in range(n_runs):
        run = ws.root / "runs" / f"run_{r:03d}"
        run.mkdir(parents=True)
        (run / "run.json").write_text(json.dumps({"arch": f"arch{r % 10}", "seed": r}))
        for stem, ids in (("oof", ws.train_ids), ("test", ws.test_ids)):
            frame = pd.DataFrame(rng.random((len(ids), len(ws.labels)), dtype=np.float32), columns=ws.labels)
            frame.insert(0, "image_name", ids)
            if r % 2:
                frame.to_parquet(run / f"{stem}.parquet", index=False)
            else:
                frame.to_csv(run / f"{stem}.csv", index=False, float_format="%.6f")


def peak_memory_ratio(root: Path) -> float:
    """Peak RSS growth of Store.load in a fresh process, over the arrays' size.

    The kernel's high-water mark (VmHWM) is reset just before the load
    (``/proc/self/clear_refs``), so imports do not hide the load's peak.
    """
    code = (
        "import sys; from stacker.data import Workspace; ws = Workspace.load(sys.argv[1]); "
        "store = ws.store(); names = store.names(); ws.y\n"
        "def kb(key): return int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith(key)))\n"
        "open('/proc/self/clear_refs', 'w').write('5'); before = kb('VmRSS:')\n"
        "oof, test = store.load(names)\n"
        "print((kb('VmHWM:') - before) * 1024 / (oof.nbytes + test.nbytes))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="20 runs x 5,000 train ids")
    parser.add_argument("--runs", type=int, default=None)
    args = parser.parse_args()
    n_runs = args.runs or (20 if args.small else 300)
    n_train, n_test, n_labels = (5_000, 2_000, 17) if args.small else (40_000, 10_000, 17)
    with tempfile.TemporaryDirectory() as tmp:
        ws = build_workspace(Path(tmp), n_train, n_test, n_labels)
        print(f"writing {n_runs} runs ({n_train} train x {n_test} test x {n_labels} labels, half CSV, half Parquet)")
        write_runs(ws, n_runs)
        start = time.perf_counter()
        report = collect_runs(ws, ws.root / "runs")
        collect_s = time.perf_counter() - start
        assert report.ok and len(report.added) == n_runs, report.rejected
        print(f"collect: {n_runs / collect_s:.1f} runs/s ({collect_s:.1f} s)")

        store = ws.store()
        names = store.names()
        files = sorted((ws.oof_dir / "data").glob("*.parquet"))
        timings = {"bare": [], "load": []}
        for _ in range(3):  # interleaved repeats, best of 3 each
            start = time.perf_counter()
            for path in files:
                pq.read_table(path)
            timings["bare"].append(time.perf_counter() - start)
            start = time.perf_counter()
            oof, test = store.load(names)
            timings["load"].append(time.perf_counter() - start)
        bare, load = min(timings["bare"]), min(timings["load"])
        size_gb = (oof.nbytes + test.nbytes) / 1e9
        print(f"baseline pyarrow.parquet.read_table of the same {len(files)} files: {bare:.3f} s")
        print(f"Store.load -> arrays {oof.shape} + {test.shape} ({size_gb:.2f} GB): {load:.3f} s")
        print(f"ratio Store.load / bare read_table: {load / bare:.2f}x (target <= 1.5x)")
        print(f"peak memory of Store.load / array size: {peak_memory_ratio(ws.root):.2f}x")
        del oof, test
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"(this process peaked at {rss:.1f} GB RSS)")


if __name__ == "__main__":
    main()
