"""Reliability figures: malformed inputs handled cleanly, kills survived, concurrent collects without corruption.

Runs the drills of ``tests/reliability/drills.py`` (the same checks as the test
suite) more times than the suite does, seeded, and prints three figures:

- malformed run folders tried / handled cleanly: every declared run.json
  violation, then seeded random damage (deleted cells, garbage strings, bytes
  overwritten, files truncated, run.json corrupted); clean = rejected with
  exit 1 and one line, or stored and round-tripping, with the valid companions
  stored exactly and no traceback;
- SIGKILLs survived / made: ``oof-collect``, ``select``, ``fit-l2``, ``submit``
  killed at random moments; survived = workspace opens, ``ls`` works, outputs
  complete, rerun equals an uninterrupted run; ``train`` killed after its first
  checkpoint: whole fold folders only, ``--resume`` equals the uninterrupted run;
- concurrent ``oof-collect`` pairs without corruption.

    python bench/reliability.py            # 150 damaged folders, 5 kills per command, 6 concurrent pairs
    python bench/reliability.py --small    # 40, 2, 2
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "reliability"), str(ROOT / "tests" / "level0")]

from conftest import write_run, write_table, write_workspace  # noqa: E402
from drills import (  # noqa: E402
    BAD_VALUES, MUTATIONS, PIPELINE, TABLE_FORMATS, TRAIN, collect_and_check, concurrent_collects, kill_drill,
    make_baseline, run_cli, schema_violation, train_kill_drill, write_valid_run,
)
from level0_factories import image_workspace  # noqa: E402

from stacker.data import Workspace  # noqa: E402


def malformed_inputs(scratch: Path, n_random: int, seed: int) -> tuple[int, int, list[str]]:
    """Try every schema violation and ``n_random`` random mutations; return (tried, clean, failures)."""
    template = scratch / "template"
    write_workspace(template, n_train=16, n_test=5, n_labels=3, k=2)
    rng = np.random.default_rng(seed)
    trials = [("schema violation", (key, value)) for key, values in BAD_VALUES.items() for value in values]
    kinds = sorted(k for k in MUTATIONS if k != "schema violation")
    trials += [(kinds[rng.integers(len(kinds))], None) for _ in range(n_random)]
    failures = []
    for i, (kind, bad) in enumerate(trials):
        root = scratch / f"m{i}"
        shutil.copytree(template, root)
        ws = Workspace.load(root)
        meta = {"arch": f"a{i}", "seed": i}
        fmt = TABLE_FORMATS[rng.integers(len(TABLE_FORMATS))]
        valid = {"good": (meta, *write_valid_run(ws, "good", seed=i, fmt="csv", per_fold=False, meta=meta,
                                                 write_table=write_table))}
        write_valid_run(ws, "victim", seed=i + 1, fmt=fmt, per_fold=bool(rng.integers(2)), meta={"arch": "v"},
                        write_table=write_table)
        what = (schema_violation(rng, root / "runs" / "victim", *bad) if bad
                else MUTATIONS[kind](rng, root / "runs" / "victim"))
        try:
            collect_and_check(ws, valid, "victim")
        except Exception:  # noqa: BLE001 - counted and shown, not raised
            failures.append(f"{kind} ({fmt}): {what}\n{traceback.format_exc(limit=3)}")
        shutil.rmtree(root, ignore_errors=True)
    return len(trials), len(trials) - len(failures), failures


def kills(scratch: Path, per_command: int, seed: int) -> tuple[int, int, list[str]]:
    """Kill each pipeline command and ``train`` ``per_command`` times; return (made, survived, failures)."""
    ws = write_workspace(scratch / "ws", n_train=48, n_test=12, n_labels=3, k=3)
    for i in range(4):
        write_run(ws, f"m{i}", skill=0.5 + 0.5 * i, arch=f"arch{i % 2}", seed=i // 2, fmt=("csv", "parquet")[i % 2])
    baseline = make_baseline(ws.root, scratch)
    rng = np.random.default_rng(seed)
    made, failures = 0, []
    for command, _ in PIPELINE:
        for _ in range(per_command):
            made += 1
            try:
                kill_drill(baseline, command, rng, scratch)
            except Exception:  # noqa: BLE001
                failures.append(f"{command}: {traceback.format_exc(limit=3)}")
    workspace = image_workspace(scratch / "images", n_train=24, n_test=4, k=2)
    assert run_cli([*TRAIN, "--name", "straight", "-w", str(workspace.root)])[0] == 0
    for i in range(per_command):
        made += 1
        try:
            train_kill_drill(workspace.root, f"killed{i}", rng, workspace.root / "runs" / "straight")
        except Exception:  # noqa: BLE001
            failures.append(f"train: {traceback.format_exc(limit=3)}")
    return made, made - len(failures), failures


def concurrency(scratch: Path, pairs: int) -> tuple[int, int, list[str]]:
    """Run ``pairs`` pairs of concurrent collects (alternately refusing and waiting); return (runs, clean, failures)."""
    failures = []
    for p in range(pairs):
        ws = write_workspace(scratch / f"c{p}", n_train=48, n_test=12, n_labels=3, k=3)
        for i in range(6):
            write_run(ws, f"m{i}", seed=i, fmt=("csv", "parquet")[i % 2])
        try:
            concurrent_collects(ws.root, wait=60 * (p % 2))
        except Exception:  # noqa: BLE001
            failures.append(f"pair {p}: {traceback.format_exc(limit=3)}")
    return 2 * pairs, 2 * (pairs - len(failures)), failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="fewer trials, for a quick look")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    n_random, per_command, pairs = (40, 2, 2) if args.small else (150, 5, 6)
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        (scratch / "a").mkdir(), (scratch / "b").mkdir(), (scratch / "c").mkdir()
        figures = [
            ("malformed run folders handled cleanly", *malformed_inputs(scratch / "a", n_random, args.seed)),
            ("SIGKILLs survived", *kills(scratch / "b", per_command, args.seed)),
            ("concurrent oof-collect runs without corruption", *concurrency(scratch / "c", pairs)),
        ]
    for _, _, _, failures in figures:
        for failure in failures:
            print(failure, file=sys.stderr)
    for what, tried, clean, _ in figures:
        print(f"{what:48} {clean:4} / {tried}")
    print(f"done in {time.monotonic() - start:.0f} s")
    sys.exit(0 if all(tried == clean for _, tried, clean, _ in figures) else 1)


if __name__ == "__main__":
    main()
