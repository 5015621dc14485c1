"""run.json schema: every malformed value is one clear line, and the valid runs beside it are still stored."""

import json

import pytest
from conftest import write_run

from stacker.__main__ import main
from stacker.exceptions import RunFormatError
from stacker.oof import collect_runs
from stacker.oof.writer import write_run as api_write_run
from stacker.oof.runjson import MAX_DEPTH, read_run_json


def _json(text):
    return lambda d: (d / "run.json").write_text(text)


def _make_dir(d):
    (d / "run.json").unlink()
    (d / "run.json").mkdir()


# The five cases that used to end in a traceback, the three wrongly accepted, and the schema's edges.
BAD_RUN_JSON = [
    ("seed 2**70", _json('{"arch": "a", "seed": 1180591620717411303424}'),
     r"seed must be an integer in \[0, 2\*\*63\) or null; found 1180591620717411303424"),
    ("seed 1e+400", _json('{"arch": "a", "seed": 1e+400}'), r"seed must be an integer .*; found 1e\+400"),
    ("variant list", _json('{"arch": "a", "variant": ["a"]}'), r"variant must be a non-blank string .*found \[\"a\"\]"),
    ("variant object", _json('{"arch": "a", "variant": {"a": 1}}'), r"variant must be .*found \{\"a\": 1\}"),
    ("run.json folder", _make_dir, r"run.json: is a folder or special file"),
    ("nested 100000", _json('{"arch": "a", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"),
     r"nested too deeply to parse"),
    ("seed true", _json('{"arch": "a", "seed": true}'), r"seed must be an integer .*; found True"),
    ("variant 3", _json('{"arch": "a", "variant": 3}'), r"variant must be .*; found 3"),
    ("bare NaN", _json('{"arch": "a", "score": NaN}'), r"bare NaN is not valid JSON; write null"),
    ("Infinity", _json('{"arch": "a", "score": -Infinity}'), r"bare -Infinity is not valid JSON"),
    ("big float in metadata", _json('{"arch": "a", "m": {"loss": 2e308}}'), r"m.loss must be a finite number.*2e308"),
    ("negative seed", _json('{"arch": "a", "seed": -1}'), r"seed must be .*found -1"),
    ("float seed", _json('{"arch": "a", "seed": 1.0}'), r"seed must be .*found 1.0"),
    ("empty arch", _json('{"arch": ""}'), r"arch must be a non-blank string of 1..200 characters; found ''"),
    ("long arch", _json('{"arch": "' + "a" * 201 + '"}'), r"arch must be .*found 'aaaa"),
    ("list document", _json('["arch"]'), r"must be a JSON object .*found a list"),
    ("labels with duplicates", _json('{"arch": "a", "labels": ["x", "x"]}'), r"labels must be a list of distinct"),
    ("a repeated label named", _json('{"arch": "a", "labels": ["aaaaaaaaaaaa", "bbbbbbbbbbbbbb", "cccccccccccc", '
                                     '"dddddddddddd", "x", "x"]}'), r'or null; repeated: \["x"\]$'),
    ("labels not strings", _json('{"arch": "a", "labels": [1, 2]}'), r"labels must be a list"),
    ("too deep metadata", _json('{"arch": "a", "x": ' + "[" * 40 + "]" * 40 + "}"),
     rf"x\[0\].* is nested {MAX_DEPTH + 1} levels deep; expected at most {MAX_DEPTH}"),
    ("huge integer", _json('{"arch": "a", "n": ' + "9" * 5000 + "}"), r"is not valid JSON"),
    ("long string", _json('{"arch": "a", "note": "' + "x" * 10_001 + '"}'), r"note is a string of 10001 characters"),
    ("not utf-8", lambda d: (d / "run.json").write_bytes(b'{"arch": "\xff"}'), r"is not UTF-8 text"),
    ("too large", _json('{"arch": "a", "pad": [' + ",".join(["1"] * 600_000) + "]}"), r"bytes, expected at most"),
]


@pytest.mark.parametrize("problem, damage, match", BAD_RUN_JSON, ids=[b[0] for b in BAD_RUN_JSON])
def test_bad_run_json_is_one_line_and_the_good_run_is_stored(make_workspace, problem, damage, match):
    ws = make_workspace(n_train=24, n_test=6, n_labels=2, k=2)
    write_run(ws, "good")
    damage(write_run(ws, "bad"))
    report = collect_runs(ws, ws.root / "runs")
    assert report.added == ["good"] and list(report.rejected) == ["bad"]
    reason = report.rejected["bad"]
    assert reason.startswith("run 'bad', run.json: ") and "\n" not in reason and len(reason) < 600
    assert pytest.importorskip("re").search(match, reason), reason
    assert ws.store().names() == ["good"]


GOOD_RUN_JSON = [
    {"arch": "a", "seed": 0},
    {"arch": "a", "seed": 2**63 - 1, "variant": None},
    {"arch": "ünïcode ✓", "variant": "edges", "notes": {"lr": 1e-3, "tags": ["x", None, True], "deep": [[[1]]]}},
    {"arch": "a", "seed": None, "big": 1e308, "neg": -5},
]


@pytest.mark.parametrize("meta", GOOD_RUN_JSON)
def test_valid_run_json_is_stored_exactly(make_workspace, meta):
    ws = make_workspace(n_train=24, n_test=6, n_labels=2, k=2)
    (write_run(ws, "r") / "run.json").write_text(json.dumps(meta))
    report = collect_runs(ws, ws.root / "runs")
    assert report.added == ["r"], report.rejected
    entry = ws.store().entry("r")
    assert entry.meta == meta
    assert (entry.arch, entry.variant, entry.seed) == (meta["arch"], meta.get("variant"), meta.get("seed"))


def test_read_run_json_raises_run_format_error(tmp_path):
    (tmp_path / "run.json").write_text('{"arch": "a", "seed": false}')
    with pytest.raises(RunFormatError, match=r"run '.*', run.json: seed must be an integer in \[0, 2\*\*63\)"):
        read_run_json(tmp_path)


def test_write_run_refuses_a_seed_the_catalog_cannot_hold(make_workspace):
    ws = make_workspace(n_train=24, n_test=6, n_labels=2, k=2)
    with pytest.raises(RunFormatError, match=r"seed must be an integer in \[0, 2\*\*63\)"):
        api_write_run(ws.root / "runs" / "r", oof=ws.y * 0.5, test=ws.y[:6] * 0.5, arch="a", seed=2**70)
    assert not (ws.root / "runs" / "r").exists()


def test_cli_reports_every_rejected_run_and_counts_them(make_workspace, capsys):
    ws = make_workspace(n_train=24, n_test=6, n_labels=2, k=2)
    write_run(ws, "good")
    for name, damage, _ in BAD_RUN_JSON[:6]:
        damage(write_run(ws, name.replace(" ", "_").replace("*", "")))
    capsys.readouterr()
    assert main(["oof-collect", "-w", str(ws.root), "runs"]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert err.count("rejected ") == 6 and len(err.strip().splitlines()) == 6
    assert "added" in out and "good" in out and "1 models; 6 runs rejected" in out
