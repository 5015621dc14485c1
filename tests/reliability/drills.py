"""Reliability drills shared by the tests in this folder and ``bench/reliability.py``.

- :func:`write_valid_run` / :data:`MUTATIONS`: random valid run folders and ways to damage one;
  :func:`collect_and_check` runs ``oof-collect`` and checks every invariant of a collect.
- :func:`kill_drill`: start a command as a subprocess, SIGKILL it at a seeded random moment,
  check the workspace, rerun the command and compare with an uninterrupted run;
  :func:`train_kill_drill`: the same for ``stacker train``, compared after ``--resume``.
- :func:`concurrent_collects`: two ``oof-collect`` processes on one store at once.

Every check raises AssertionError with what went wrong; the callers count or fail.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from stacker.__main__ import main
from stacker.data import Workspace
from stacker.oof.matrix import read_matrix
from stacker.oof.runfolder import read_run
from stacker.oof.store import content_hash
from stacker.publish import file_sha256

ROOT = Path(__file__).resolve().parents[2]
TABLE_FORMATS = ("csv", "parquet", "npy", "npz", "h5")


def env() -> dict:
    """The environment of a ``python -m stacker`` subprocess: this checkout first on the path."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """``stacker <args>`` in-process; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


# ----- run folders and their mutations ------------------------------------------
def write_valid_run(ws: Workspace, name: str, *, seed: int, fmt: str, per_fold: bool, meta: dict,
                    write_table) -> tuple[np.ndarray, np.ndarray]:
    """Write a valid run folder; return the (oof, test) float32 arrays a collect must store.

    Labelled tables (csv, parquet) get their rows shuffled (ids match them up).
    """
    rng = np.random.default_rng(seed)
    n_labels = len(ws.labels)
    oof = rng.random((len(ws.train_ids), n_labels))
    test = rng.random((len(ws.test_ids), n_labels))
    oof.flat[rng.integers(0, oof.size, 2)] = [0.0, 1.0]  # the edges of [0, 1] are valid
    run_dir = ws.root / "runs" / name
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps(meta))

    def table(folder, stem, ids, values):
        order = rng.permutation(len(ids)) if fmt in ("csv", "parquet") else np.arange(len(ids))
        write_table(folder / stem, fmt, np.asarray(ids)[order], values[order], ws.labels, ws.config.id_column)

    if per_fold:
        for k in range(ws.n_folds):
            (run_dir / f"fold{k}").mkdir()
            held_out = ws.folds == k
            table(run_dir / f"fold{k}", "oof", ws.train_ids[held_out], oof[held_out])
            table(run_dir / f"fold{k}", "test", ws.test_ids, test)
    else:
        table(run_dir, "oof", ws.train_ids, oof)
        table(run_dir, "test", ws.test_ids, test)
    return oof.astype(np.float32), test.astype(np.float32)


def _tables(run_dir: Path) -> list[Path]:
    return sorted(p for p in run_dir.rglob("*") if p.is_file() and p.name != "run.json")


def _csv_edit(rng, run_dir: Path, value: str) -> str:
    csvs = [p for p in _tables(run_dir) if p.suffix == ".csv"]
    if not csvs:
        return _flip_bytes(rng, run_dir)
    path = csvs[rng.integers(len(csvs))]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row, column = int(rng.integers(len(frame))), int(rng.integers(1, frame.shape[1]))
    frame.iloc[row, column] = value
    frame.to_csv(path, index=False)
    return f"{path.name}: cell ({row}, {column}) set to {value!r}"


def _delete_cell(rng, run_dir):
    return _csv_edit(rng, run_dir, "")


def _garbage_string(rng, run_dir):
    garbage = ["high", "nan", "1e999", "-0.5", "0x1p-2", "NULL", "∞", "0,5", "1.5", '"', "  ", "True"]
    return _csv_edit(rng, run_dir, garbage[rng.integers(len(garbage))])


def _flip_bytes(rng, run_dir: Path, path: Path | None = None) -> str:
    files = _tables(run_dir) + [run_dir / "run.json"]
    path = path or files[rng.integers(len(files))]
    data = bytearray(path.read_bytes())
    for _ in range(int(rng.integers(1, 4))):
        data[int(rng.integers(len(data)))] = int(rng.integers(256))
    path.write_bytes(bytes(data))
    return f"{path.name}: bytes overwritten"


def _truncate(rng, run_dir: Path) -> str:
    files = _tables(run_dir) + [run_dir / "run.json"]
    path = files[rng.integers(len(files))]
    data = path.read_bytes()
    path.write_bytes(data[: int(rng.integers(len(data)))])
    return f"{path.name}: truncated"


def _corrupt_run_json(rng, run_dir: Path) -> str:
    return _flip_bytes(rng, run_dir, run_dir / "run.json")


BAD_VALUES = {
    "seed": [True, False, -1, 1.5, 2**63, 2**70, "3", [1], {"a": 1}, 1e300],
    "variant": [3, ["a"], {"a": 1}, "", " ", True, "v" * 201],
    "arch": [None, "", 7, ["resnet"], "a" * 201, False],
    "labels": ["label_0", [1, 2], ["label_0", "label_0"], [""], {"a": 1}],
}


def schema_violation(rng, run_dir: Path, key: str | None = None, value=None) -> str:
    if key is None:
        key = list(BAD_VALUES)[rng.integers(len(BAD_VALUES))]
        value = BAD_VALUES[key][rng.integers(len(BAD_VALUES[key]))]
    meta = json.loads((run_dir / "run.json").read_text())
    meta[key] = value
    (run_dir / "run.json").write_text(json.dumps(meta))
    return f"run.json: {key} = {value!r}"


MUTATIONS = {
    "delete cell": _delete_cell, "garbage string": _garbage_string, "flip bytes": _flip_bytes,
    "truncate": _truncate, "corrupt run.json": _corrupt_run_json, "schema violation": schema_violation,
}


# ----- checks -----------------------------------------------------------------
def collect_and_check(ws: Workspace, valid: dict[str, tuple[dict, np.ndarray, np.ndarray]],
                      victim: str | None) -> bool:
    """Run ``oof-collect`` on ``ws/runs`` and check the invariants; return whether ``victim`` was stored.

    ``valid`` maps each undamaged run to (meta, oof, test): each must be stored
    and round-trip exactly. The damaged ``victim`` must be either rejected
    with exit 1 and one line, or stored and round-trip (what the reader reads
    is what the store returns), and collecting again changes nothing.
    """
    victim_values = _read_or_none(ws, victim)
    code, out, err = run_cli(["oof-collect", "-w", str(ws.root), "runs"])
    assert "Traceback" not in out + err, err
    rejected = [line for line in err.splitlines() if line.strip()]
    assert all(line.startswith("rejected ") for line in rejected), err
    store = Workspace.load(ws.root).store()
    names = store.names()
    for name, (meta, oof, test) in valid.items():
        assert name in names, f"valid companion {name!r} not stored: {err}"
        stored_oof, stored_test = store.load([name])
        assert np.array_equal(stored_oof[0], oof) and np.array_equal(stored_test[0], test), name
        entry = store.entry(name)
        assert entry.meta == meta and (entry.arch, entry.variant, entry.seed) == (
            meta["arch"], meta.get("variant"), meta.get("seed"))
    stored = victim is not None and victim in names
    if victim is not None and not stored:
        assert code == 1 and len(rejected) == 1 and rejected[0].startswith(f"rejected {victim}: "), (code, err)
        assert victim_values is None, "the reader accepts the run but the store refused it"
    if stored:
        assert code == 0 and not rejected, err
        stored_oof, stored_test = store.load([victim])
        assert np.array_equal(stored_oof[0], victim_values.oof) and np.array_equal(stored_test[0], victim_values.test)
        assert np.isfinite(stored_oof).all() and stored_oof.min() >= 0 and stored_oof.max() <= 1
    if victim is None:
        assert code == 0 and not rejected, err
    again = run_cli(["oof-collect", "-w", str(ws.root), "runs"])
    assert again[0] == code and "added" not in again[1], again
    assert sorted(names) == sorted([*valid, *([victim] if stored else [])])
    return stored


def _read_or_none(ws: Workspace, name: str | None):
    if name is None:
        return None
    try:
        return read_run(ws.root / "runs" / name, ws)
    except Exception:  # noqa: BLE001 - the oracle: whatever the reader refuses must be rejected
        return None


def check_store(ws: Workspace) -> int:
    """Every catalog row's files load and hash to the row's content hash; returns the number of models."""
    for store in (ws.store(), ws.level1_store()):
        for entry in store.entries():
            oof, test = store.load([entry.name])
            assert content_hash(oof[0], test[0], ws.labels) == entry.content_hash, entry.name
    return len(ws.store().names())


def check_published(ws: Workspace) -> None:
    """Every published stage output is complete: its files are there, parse, and hashes match."""
    level1 = ws.level1_dir
    if level1.exists():
        selection = json.loads((level1 / "selection.json").read_text())
        assert set(selection["per_label"]) == set(ws.labels)
        for file in ("oof.parquet", "test.parquet"):
            assert np.isfinite(read_matrix(level1 / file, ws.labels)).all()
        used = {m for row in selection["per_label"].values() for m in row["models"]}
        assert used <= set(ws.level1_store().names())
    for folder in sorted(ws.level2_dir.glob("*")) if ws.level2_dir.exists() else []:
        for file in ("config.json", "scores.json"):
            json.loads((folder / file).read_text())
        for file in ("oof.parquet", "test.parquet"):
            assert np.isfinite(read_matrix(folder / file, ws.labels)).all()
    for csv in sorted(ws.submissions_dir.glob("*.csv")) if ws.submissions_dir.exists() else []:
        document = json.loads(csv.with_suffix(".json").read_text())
        assert document["csv_sha256"] == file_sha256(csv), f"{csv.name} and its provenance do not match"
    stray = [p.name for p in ws.submissions_dir.glob("*.json") if not p.with_suffix(".csv").exists()] \
        if ws.submissions_dir.exists() else []
    assert not stray, f"provenance without its CSV: {stray}"


def workspace_digest(ws: Workspace) -> dict:
    """Everything the stages wrote, without timestamps: equal digests mean equal outputs."""
    digest = {}
    for label, store in (("oof", ws.store()), ("level1", ws.level1_store())):
        digest[label] = [(e.name, e.kind, e.arch, e.variant, e.seed, e.content_hash, json.dumps(e.meta, sort_keys=True))
                         for e in store.entries()]
    for path in sorted(ws.root.glob("level*/**/*")):
        if path.suffix == ".json":
            digest[str(path.relative_to(ws.root))] = json.loads(path.read_text())
        elif path.suffix == ".parquet" and "data" not in path.parts:
            digest[str(path.relative_to(ws.root))] = read_matrix(path, ws.labels).tobytes()
    for path in sorted(ws.submissions_dir.glob("*")) if ws.submissions_dir.exists() else []:
        if path.suffix == ".csv":
            digest[path.name] = path.read_bytes()
        elif path.suffix == ".json":
            digest[path.name] = {k: v for k, v in json.loads(path.read_text()).items() if k != "created"}
    return digest


# ----- kills ------------------------------------------------------------------
PIPELINE = (
    ("oof-collect", ["runs"]),
    ("select", ["--per-label", "2"]),
    ("fit-l2", ["--learner", "logistic"]),
    ("submit", ["--from", "level1", "--thresholds", "smooth"]),
)


@dataclass
class Baseline:
    """Snapshots of an uninterrupted pipeline: the workspace before each command, digests after, durations."""

    before: dict[str, Path]
    after: dict[str, dict]
    seconds: dict[str, float]


def make_baseline(ws_root: Path, scratch: Path) -> Baseline:
    """Run :data:`PIPELINE` as subprocesses on a copy of ``ws_root``; snapshot before each command."""
    work = scratch / "baseline"
    shutil.copytree(ws_root, work)
    before, after, seconds = {}, {}, {}
    for command, args in PIPELINE:
        before[command] = scratch / f"before-{command}"
        shutil.copytree(work, before[command])
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "stacker", command, "-w", str(work), *args],
                              capture_output=True, text=True, env=env(), timeout=300)
        seconds[command] = time.monotonic() - start
        assert done.returncode == 0, done.stderr
        after[command] = workspace_digest(Workspace.load(work))
    return Baseline(before, after, seconds)


def kill_drill(baseline: Baseline, command: str, rng: np.random.Generator, scratch: Path) -> float:
    """SIGKILL ``command`` at a random moment, check the workspace, rerun, compare; return when it was killed.

    The moment is uniform over the uninterrupted run's duration; if the command
    finishes first, it is started again on a fresh copy and killed twice as early.
    Raises AssertionError when the workspace is damaged or the rerun differs.
    """
    args = dict(PIPELINE)[command]
    delay = float(rng.uniform(0.1, 1.0) * baseline.seconds[command])
    for _ in range(6):
        work = scratch / f"kill-{command}-{sum(1 for _ in scratch.iterdir())}"
        shutil.copytree(baseline.before[command], work)
        process = subprocess.Popen([sys.executable, "-m", "stacker", command, "-w", str(work), *args],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env())
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            break
        shutil.rmtree(work)
        delay /= 2
    else:
        raise AssertionError(f"{command} always finished before the kill")
    ws = Workspace.load(work)  # opens, and finishes or undoes an interrupted publish
    code, _, err = run_cli(["ls", "-w", str(work)])
    assert code == 0, err
    check_store(ws)
    check_published(ws)
    code, _, err = run_cli([command, "-w", str(work), *args])
    assert code == 0, err
    assert workspace_digest(Workspace.load(work)) == baseline.after[command], "rerun differs from an uninterrupted run"
    shutil.rmtree(work, ignore_errors=True)
    return delay


TRAIN = ["train", "--arch", "test_resnet", "--img-size", "24", "--epochs", "2", "--batch-size", "8", "--device",
         "cpu", "--loss", "bce", "--tta", "none", "--no-channels-last", "--workers", "1", "--threads", "1"]


def train_kill_drill(ws_root: Path, name: str, rng: np.random.Generator, reference: Path,
                     max_delay: float = 1.5, tries: int = 6) -> float:
    """SIGKILL ``stacker train`` (two folds, :data:`TRAIN`) after its first checkpoint plus a random delay.

    The delay is drawn from ``[0, max_delay)``; a run that finishes before its kill
    (a fast machine) tested nothing, so it is deleted and the drill draws again from
    half the range, up to ``tries`` times. Then it checks that every fold folder is
    whole or absent, that ``oof-collect`` refuses an unfinished run in one line, and
    that ``--resume`` writes the files of the uninterrupted run folder ``reference``.
    Returns the delay after the first checkpoint of the run that was killed.
    """
    root = str(ws_root)
    run = ws_root / "runs" / name
    for _ in range(tries):
        process = subprocess.Popen([sys.executable, "-m", "stacker", *TRAIN, "--name", name, "-w", root],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env())
        deadline = time.monotonic() + 120
        while not (run / "checkpoints" / "fold0_last.pt").exists() and process.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.02)
        delay = float(rng.uniform(0, max_delay))
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        if process.returncode == -signal.SIGKILL:
            break
        assert process.returncode == 0, f"train failed before the kill (exit {process.returncode})"
        shutil.rmtree(run)
        max_delay /= 2
    else:
        raise AssertionError(f"train finished before every one of {tries} kills; make the run longer")
    Workspace.load(ws_root)
    assert run_cli(["ls", "-w", root])[0] == 0
    folds = sorted(p.name for p in run.iterdir() if p.name.startswith("fold"))
    for fold in folds:  # a fold folder is whole or absent
        assert sorted(p.name for p in (run / fold).iterdir()) == ["oof.parquet", "test.parquet"], fold
    code, _, err = run_cli(["oof-collect", "-w", root, f"runs/{name}"])
    if len(folds) < 2:
        assert code == 1 and len(err.strip().splitlines()) == 1 and err.startswith(f"rejected {name}: "), err
    check_store(Workspace.load(ws_root))
    assert run_cli([*TRAIN, "--name", name, "--resume", "-w", root])[0] == 0
    for fold in ("fold0", "fold1"):
        for table in ("oof", "test"):
            pd.testing.assert_frame_equal(pd.read_parquet(run / fold / f"{table}.parquet"),
                                          pd.read_parquet(reference / fold / f"{table}.parquet"))
    return delay


# ----- concurrency ------------------------------------------------------------
def concurrent_collects(ws_root: Path, *, wait: float) -> list[tuple[int, str]]:
    """Start two ``oof-collect`` processes on one store at once; check the store; return (exit, stderr) each.

    Each must either succeed or refuse with exactly one ``StoreBusyError`` line.
    """
    command = [sys.executable, "-m", "stacker", "oof-collect", "-w", str(ws_root), "runs", "--wait", str(wait)]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env())
                 for _ in range(2)]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        results.append((process.returncode, err))
        assert "Traceback" not in out + err, err
        if process.returncode != 0:
            lines = [line for line in err.splitlines() if line.strip() and "waiting up to" not in line]
            assert process.returncode == 1 and len(lines) == 1 and lines[0].startswith("StoreBusyError: "), err
    ws = Workspace.load(ws_root)
    check_store(ws)
    expected = sorted(p.name for p in (ws_root / "runs").iterdir())
    assert any(code == 0 for code, _ in results), results
    assert ws.store().names() == expected
    return results
