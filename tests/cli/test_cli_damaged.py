"""A damaged, odd or read-only workspace: one line naming the file, exit 1, and nothing written."""

from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from stacker.__main__ import main
from stacker.config import L2Config
from stacker.level2.stage import fit_level2


def tree(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` by relative path (what "left as it was" compares)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def one_line(capsys, start: str) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith(start) and "\n" not in err and "Traceback" not in err, err
    return err


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


def wrong_rows(path: Path) -> None:
    path.write_bytes((path.parent / "test.parquet").read_bytes())


@pytest.mark.parametrize("damage", [truncate, wrong_rows])
@pytest.mark.parametrize("command", [["stages"], ["submit", "--from", "level1", "--rule", "greedy"],
                                     ["submit", "--best"]])
def test_a_damaged_stage_matrix_is_named_in_one_line(make_level1, capsys, command, damage):
    ws = make_level1(n_train=60, n_test=20, n_labels=2, k=3)
    damage(ws.root / "level1" / "oof.parquet")
    before = tree(ws.root)
    assert main([*command, "-w", str(ws.root)]) == 1
    err = one_line(capsys, "StoreError: ")
    assert "level1/oof.parquet" in err
    assert ("60" in err and "20 rows" in err) if damage is wrong_rows else "not a readable Parquet file" in err
    assert tree(ws.root) == before


def test_report_names_a_damaged_stage_matrix(make_level1, capsys):
    ws = make_level1(n_train=60, n_test=20, n_labels=2, k=3)
    truncate(ws.root / "level1" / "oof.parquet")
    before = tree(ws.root)
    assert main(["report", "-w", str(ws.root)]) == 1
    assert "level1/oof.parquet" in one_line(capsys, "StoreError: ")
    assert tree(ws.root) == before


@pytest.mark.parametrize("file, content, says", [
    ("config.json", '{"trunc', "is not a readable JSON file"),
    ("config.json", "[]", "holds a JSON list"),
    ("config.json", '{"config": {"learner": "ridge"}}', "lacks the fields its stage writes"),
    ("scores.json", '{"pipelines": 3}', "lacks the scores its stage writes"),
])
def test_submit_names_a_damaged_stage_document(make_level1, capsys, file, content, says):
    ws = make_level1(n_train=60, n_test=20, n_labels=2, k=3)
    fit_level2(ws, L2Config(learner="ridge", features="all-models"))
    (ws.root / "level2" / "ridge" / file).write_text(content)
    before = tree(ws.root)
    assert main(["submit", "--from", "level2/ridge", "--rule", "greedy", "-w", str(ws.root)]) == 1
    err = one_line(capsys, "StoreError: ")
    assert f"level2/ridge/{file}" in err and says in err
    assert tree(ws.root) == before


def test_a_damaged_store_file_is_named(make_store, capsys):
    ws = make_store(n_runs=2)
    data = sorted((ws.root / "oof" / "data").glob("*.oof.parquet"))[0]
    truncate(data)
    assert main(["ls", "-w", str(ws.root)]) == 1
    assert data.name in one_line(capsys, "StoreError: ")


def test_a_damaged_catalog_row_is_named(make_store, capsys):
    ws = make_store(n_runs=2)
    with sqlite3.connect(ws.root / "oof" / "catalog.sqlite") as db:
        db.execute("UPDATE models SET meta = '{bad' WHERE name = 'm1'")
    db.close()
    before = tree(ws.root)
    assert main(["ls", "-w", str(ws.root)]) == 1
    err = one_line(capsys, "StoreError: ")
    assert "catalog.sqlite" in err and "'m1'" in err and "--replace" in err
    assert tree(ws.root) == before


def test_the_file_system_refusing_a_write_is_one_line(make_level1, capsys, monkeypatch):
    ws = make_level1(n_train=60, n_test=20, n_labels=2, k=3)
    before = tree(ws.root)

    def read_only(src, dst, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(dst))

    monkeypatch.setattr(os, "replace", read_only)
    assert main(["submit", "--from", "level1", "--rule", "greedy", "-w", str(ws.root)]) == 1
    err = one_line(capsys, "OSError: cannot use ")
    assert "Read-only file system; the workspace is on a read-only file system" in err
    monkeypatch.undo()
    assert {k: v for k, v in tree(ws.root).items() if not k.startswith("submissions/.")} == before


def test_a_folder_where_a_file_is_expected_is_one_line(make_level1, capsys):
    ws = make_level1(n_train=60, n_test=20, n_labels=2, k=3)
    assert main(["submit", "--check", str(ws.root / "level1"), "-w", str(ws.root)]) == 1
    assert "a file was expected there" in one_line(capsys, "IsADirectoryError: cannot use ")


def test_init_refuses_repeated_labels_an_empty_csv_and_an_existing_workspace(make_workspace, tmp_path, capsys):
    ws = make_workspace(n_train=30, n_test=10)
    train, test = str(ws.root / "train.csv"), str(ws.root / "sample_submission.csv")
    labels = ",".join([ws.labels[0], *ws.labels])
    assert main(["init", "--train", train, "--test", test, "--id-column", "image_name", "--labels", labels,
                 "-w", str(tmp_path / "new")]) == 1
    assert f"repeated: {ws.labels[0]}" in one_line(capsys, "WorkspaceError: --labels: each label may appear once")
    assert not (tmp_path / "new").exists()  # a refused init leaves no folder behind
    (tmp_path / "empty.csv").write_text("")
    assert main(["init", "--train", str(tmp_path / "empty.csv"), "--test", test, "-w", str(tmp_path / "new")]) == 1
    assert "empty.csv: cannot be read as CSV (No columns to parse from file)" in one_line(capsys, "WorkspaceError: ")
    assert not (tmp_path / "new").exists()
    before = tree(ws.root)
    assert main(["init", "--train", train, "--test", test, "--id-column", "image_name", "-w", str(ws.root)]) == 1
    assert "already exists; pass --force" in one_line(capsys, "WorkspaceError: ")
    assert tree(ws.root) == before
    images = tmp_path / "pictures"
    assert main(["init", "--train", train, "--test", test, "--id-column", "image_name", "--images", str(images),
                 "--metric", "f1-samples", "--force", "-w", str(ws.root)]) == 0
    text = (ws.root / "stacker.toml").read_text()
    assert 'images = "../pictures"' in text and 'metric = "f1-samples"' in text


@pytest.mark.parametrize("line, says", [
    ("metric = 5", "metric must be a string; found 5"),
    ("store = 5", "store must be a string; found 5"),
    ('labels = "zero"', "labels must be a list of strings"),
    ('labels = ["a", "a"]', "each label may appear once; repeated: a"),
    ("[variants]\nweird = 1", "[variants] maps a variant name to its image folder"),
])
def test_wrong_types_in_stacker_toml_are_named(make_workspace, capsys, line, says):
    ws = make_workspace(n_train=30, n_test=10)
    path = ws.root / "stacker.toml"
    kept = [k for k in path.read_text().splitlines() if not k.startswith(line.split(" ")[0])]
    path.write_text("\n".join([*kept, line]) + "\n")
    assert main(["ls", "-w", str(ws.root)]) == 1
    assert says in one_line(capsys, "WorkspaceError: ")


def test_an_empty_folds_file_is_named(make_store, capsys):
    ws = make_store(n_runs=2)
    ws.folds_path.write_text("")
    assert main(["select", "-w", str(ws.root)]) == 1
    assert "folds.csv: cannot be read as CSV" in one_line(capsys, "WorkspaceError: ")



def test_oof_collect_says_when_there_is_no_run_to_collect(make_workspace, tmp_path, capsys):
    ws = make_workspace(n_train=30, n_test=10)
    empty, loose, plain = tmp_path / "empty", tmp_path / "loose", tmp_path / "plain.txt"
    empty.mkdir()
    loose.mkdir()
    (loose / "oof.csv").write_text("image_name\n")
    (loose / "test.csv").write_text("image_name\n")
    plain.write_text("x")
    for runs, says in ((empty, "expected run.json there, or sub-folders each with one"),
                       (loose, "it holds oof.csv, test.csv but no run.json; add one"),
                       (plain, "is a file; pass the folder of run folders")):
        assert main(["oof-collect", str(runs), "-w", str(ws.root)]) == 1
        assert says in one_line(capsys, "WorkspaceError: ")
    assert not (ws.root / "oof").exists()
