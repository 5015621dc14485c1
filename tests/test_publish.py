"""stacker.publish: outputs appear whole or not at all, whatever point a process dies at."""

import os
import subprocess
import sys

import pytest

from stacker import publish
from stacker.publish import file_sha256, publishing, publishing_files, recover


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def _hidden(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "fallback"])
def test_publishing_replaces_the_whole_folder(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(publish, "_exchange", lambda a, b: False)
    target = tmp_path / "level1"
    with publishing(target) as staging:
        assert staging.parent == tmp_path and not target.exists()
        (staging / "a.txt").write_text("1")
        (staging / "old-only.txt").write_text("x")
    assert _tree(target) == {"a.txt": "1", "old-only.txt": "x"}
    with publishing(target) as staging:
        (staging / "a.txt").write_text("2")
        (staging / "sub").mkdir()
        (staging / "sub" / "b.txt").write_text("3")
        assert _tree(target) == {"a.txt": "1", "old-only.txt": "x"}  # the previous output until the rename
    assert _tree(target) == {"a.txt": "2", "sub/b.txt": "3"}
    assert _hidden(tmp_path) == []


def test_an_error_inside_the_block_publishes_nothing(tmp_path):
    target = tmp_path / "report"
    with publishing(target) as staging:
        (staging / "index.html").write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with publishing(target) as staging:
            (staging / "index.html").write_text("half")
            raise KeyboardInterrupt
    assert _tree(target) == {"index.html": "old"} and _hidden(tmp_path) == []


def test_file_group_appears_together_and_records_nothing_on_error(tmp_path):
    csv, js = tmp_path / "s" / "a.csv", tmp_path / "s" / "a.json"
    with publishing_files([csv, js]) as staged:
        staged[csv].write_text("id,tags\n")
        staged[js].write_text('{"csv_sha256": "%s"}' % "x")
    assert csv.read_text() == "id,tags\n" and js.exists() and _hidden(csv.parent) == []
    with pytest.raises(RuntimeError):
        with publishing_files([csv, js]) as staged:
            staged[csv].write_text("new")
            raise RuntimeError("boom")
    assert csv.read_text() == "id,tags\n" and _hidden(csv.parent) == []
    with pytest.raises(FileNotFoundError, match=r"\['a.json'\] were not written"):
        with publishing_files([csv, js]) as staged:
            staged[csv].write_text("only the csv")
    assert csv.read_text() == "id,tags\n"


def test_file_group_must_share_a_folder(tmp_path):
    with pytest.raises(ValueError, match="distinct files of one folder"):
        with publishing_files([tmp_path / "a.csv", tmp_path / "x" / "a.json"]):
            pass


def test_recover_finishes_or_undoes_what_a_killed_process_left(tmp_path):
    dead = _dead_pid()
    # 1. killed while writing: a temporary folder of a dead process is removed
    (tmp_path / f".level1.{dead}-0123abcd.tmp").mkdir()
    (tmp_path / f".level1.{dead}-0123abcd.tmp" / "half.parquet").write_text("x")
    # 2. killed between the fallback swap's two renames: the previous folder is put back
    (tmp_path / f".report.{dead}-0123abcd.old").mkdir()
    (tmp_path / f".report.{dead}-0123abcd.old" / "index.html").write_text("previous")
    # 3. killed after a file group's commit point: its files are moved into place
    ready = tmp_path / f".publish-{dead}-0123abcd.ready"
    ready.mkdir()
    (ready / "s.csv").write_text("new csv")
    (ready / "s.json").write_text("new json")
    (tmp_path / "s.json").write_text("old json")  # the move of the CSV was done, the JSON's was not
    # 4. a live process's temporary folder is left alone
    live = tmp_path / f".level2.{os.getpid()}-0123abcd.tmp"
    live.mkdir()
    done = recover(tmp_path)
    assert len(done) == 3
    assert _tree(tmp_path / "report") == {"index.html": "previous"}
    assert (tmp_path / "s.csv").read_text() == "new csv" and (tmp_path / "s.json").read_text() == "new json"
    assert _hidden(tmp_path) == [live.name]
    assert recover(tmp_path) == []


def test_recover_drops_the_moved_aside_folder_once_its_replacement_is_in_place(tmp_path):
    dead = _dead_pid()
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "index.html").write_text("new")
    (tmp_path / f".report.{dead}-0123abcd.old").mkdir()
    recover(tmp_path)
    assert _tree(tmp_path) == {"report/index.html": "new"}


def test_file_sha256(tmp_path):
    (tmp_path / "f").write_bytes(b"abc")
    assert file_sha256(tmp_path / "f") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
