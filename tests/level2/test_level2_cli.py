"""``stacker fit-l2`` in-process through ``main``, and once as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

from stacker.__main__ import main


def test_fit_l2_prints_the_summary_and_writes_two_submissions(make_level1, capsys):
    ws = make_level1(n_train=120, n_test=20, n_labels=3)
    code = main(["fit-l2", "--learner", "logistic", "--param", "C=0.3", "--features", "all-labels", "-w", str(ws.root)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "level-2" in out and "smooth" in out and "overall" in out and "f2-samples" in out and "label_2" in out
    for method in ("greedy", "smooth"):
        assert (ws.submissions_dir / f"l2-logistic-{method}.csv").exists()
        assert f"l2-logistic-{method}.csv" in out
        provenance = json.loads((ws.submissions_dir / f"l2-logistic-{method}.json").read_text())
        assert provenance["learner"]["params"]["C"] == 0.3 and provenance["learner"]["features"] == "all-labels"
        assert provenance["cv_f2"] == provenance["stage_scores"]["level-2"][method]  # the same honest number


def test_fit_l2_json_output(make_level1, capsys):
    ws = make_level1(n_train=90, n_labels=2)
    assert main(["fit-l2", "--learner", "ridge", "--json", "-w", str(ws.root)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["params"]["alpha"] is None and [s["method"] for s in report["submissions"]] == ["greedy", "smooth"]


def test_fit_l2_bad_param_is_one_line_and_exit_1(make_level1, capsys):
    ws = make_level1(n_train=90, n_labels=2)
    assert main(["fit-l2", "--learner", "ridge", "--param", "C=1", "-w", str(ws.root)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == ("ValidationError: --param 'C=1': learner 'ridge' has no parameter 'C'; valid: "
                           "alpha=None, alphas=(0.1, 1.0, 10.0, 100.0, 1000.0), random_state=0")


def test_fit_l2_unknown_learner_is_a_usage_error(make_level1, capsys):
    ws = make_level1(n_train=90, n_labels=2)
    assert main(["fit-l2", "--learner", "svm", "-w", str(ws.root)]) == 2
    assert "lightgbm" in capsys.readouterr().err


def test_fit_l2_help_lists_the_registered_learners():
    done = subprocess.run([sys.executable, "-m", "stacker", "fit-l2", "--help"], capture_output=True, text=True,
                          env={"COLUMNS": "200", "PATH": ""})
    assert done.returncode == 0
    assert "lightgbm|logistic|mlp|ridge|xgboost" in done.stdout
