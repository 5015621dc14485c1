"""build_report on real workspaces: sections drawn only when their stage ran, valid PNGs, CLI, Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stacker.__main__ import main
from stacker.config import DecideConfig, L2Config, ReportConfig, SelectConfig
from stacker.report import build_report
from stacker.report.build import FIGURES

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_real_png(path: Path, min_side: int = 200) -> None:
    """A decodable PNG of some size with more than one colour (not blank)."""
    assert path.read_bytes()[:8] == PNG_MAGIC, path
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert min(image.size) >= min_side, (path, image.size)
        extrema = image.convert("L").getextrema()
        assert extrema[1] - extrema[0] > 50, f"{path.name} looks blank: {extrema}"


def images_in(page: str) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', page)


@pytest.fixture
def full_workspace(make_store):
    """A store of 5 models, then select and fit-l2 (logistic) with its submissions."""
    from stacker.decide.stage import decide_stage
    from stacker.level1 import run_selection
    from stacker.submission import fit_l2_and_submit

    ws = make_store(n_runs=5, n_train=150, n_test=30, n_labels=3, k=3)
    run_selection(ws, SelectConfig(beam=2, per_label=2, jobs=1))
    fit_l2_and_submit(ws, L2Config(learner="logistic"))
    decide_stage(ws, "level1", DecideConfig(rules=("greedy", "expected-f", "prevalence")))
    return ws


def test_store_only_draws_leaderboard_and_similarity_and_names_the_missing_commands(make_store):
    ws = make_store(n_runs=3, n_train=90, n_test=20, n_labels=3)
    page_path = build_report(ws, ReportConfig(dpi=60))
    page = page_path.read_text()
    assert page_path == ws.root / "report" / "index.html"
    assert images_in(page) == ["leaderboard.png", "similarity.png"]
    for name in ("leaderboard.png", "similarity.png"):
        assert_real_png(ws.report_dir / name, min_side=100)
    assert not (ws.report_dir / "curves.png").exists()
    assert "No level-1 selection yet: run <code>stacker select</code>" in page
    assert "run <code>stacker fit-l2 --learner lightgbm</code>" in page
    for model in ("m0", "m1", "m2"):
        assert f'<td class="text">{model}</td>' in page


def test_empty_store_report_says_to_collect(make_workspace):
    ws = make_workspace(n_train=60, n_test=10, n_labels=2)
    page = build_report(ws).read_text()
    assert images_in(page) == []
    assert "run <code>stacker oof-collect runs/</code>" in page


def test_every_section_once_all_stages_ran(full_workspace):
    ws = full_workspace
    page = build_report(ws, ReportConfig(dpi=70)).read_text()
    assert images_in(page) == list(FIGURES)
    for name in FIGURES:
        assert_real_png(ws.report_dir / name, min_side=120)
    assert 'class="missing"' not in page
    assert "level-2 logistic" in page and "submissions/l2-logistic-greedy.csv" in page
    # the CV summary says what made its scores honest, as fit-l2 stated it (level 1 here chose inside each fold)
    assert "the level-1 selection and the best single model of each fold were chosen without that fold" in page
    assert "used every OOF label" not in page
    for label in ws.labels:
        assert f'<td class="text">{label}</td>' in page  # per-label tables


def test_a_rebuild_drops_figures_of_stages_that_are_gone(full_workspace):
    ws = full_workspace
    build_report(ws, ReportConfig(dpi=60))
    shutil.rmtree(ws.level2_dir)
    page = build_report(ws, ReportConfig(dpi=60)).read_text()
    assert not (ws.report_dir / "cv_summary.png").exists()
    assert "cv_summary.png" not in page and "Stage shown: level1" in page


def test_cli_report_writes_the_page_and_refuses_bad_options(make_store, capsys):
    ws = make_store(n_runs=2, n_train=60, n_test=10, n_labels=2)
    assert main(["report", "-w", str(ws.root), "--dpi", "50"]) == 0
    assert "report/index.html" in capsys.readouterr().out
    assert (ws.report_dir / "leaderboard.png").exists()
    assert main(["report", "-w", str(ws.root), "--bins", "0"]) == 1
    assert "--bins must be a positive integer; got 0" in capsys.readouterr().err


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium); "
                                             "the headless screenshot check of report/index.html is skipped")
def test_report_renders_in_headless_chromium(full_workspace, tmp_path):
    page = build_report(full_workspace, ReportConfig(dpi=70))
    shot = tmp_path / "shot.png"
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,2400", f"--screenshot={shot}",
        page.resolve().as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    assert_real_png(shot, min_side=1000)
    with Image.open(shot) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    # the header gradient (violet) is drawn, and the sections (white cards, figures) stand out of the background
    assert (pixels[:60, :, 2] - pixels[:60, :, 1] > 40).mean() > 0.5
    background = pixels[-1, -1]
    assert (np.abs(pixels - background).sum(axis=2) > 30).mean() > 0.05


def test_best_single_run_is_the_honestly_best_stored_model(make_store):
    from stacker.report.cv_summary import best_single_run
    from stacker.thresholds import evaluate_thresholds

    ws = make_store(n_runs=4, n_train=150, n_test=20, n_labels=3, k=3)
    names = ws.store().names()
    oof, _ = ws.store().load(names)
    honest = [evaluate_thresholds(ws.y, oof[i], ws.folds.astype(np.int64), 2.0, "samples")["methods"]["greedy"]
              ["out_of_fold"] for i in range(len(names))]
    name, scores = best_single_run(ws)
    assert name == names[int(np.argmax(honest))] == "m3"  # the most skilled synthetic run
    assert scores["greedy"]["out_of_fold"] == pytest.approx(max(honest))
    assert set(scores) == {"greedy", "smooth"} and len(scores["smooth"]["per_label"]) == 3
    assert best_single_run(ws, ["m0", "m1"])[0] == names[int(np.argmax(honest[:2]))]


def test_decision_section_shows_the_rule_table_and_says_when_it_is_stale_or_missing(full_workspace):
    import os

    from stacker.report.decision import threshold_rules

    ws = full_workspace
    page = build_report(ws, ReportConfig(dpi=60)).read_text()
    assert "Decision rules" in page and "Stage shown: level1." in page and "decision.png" in page
    for rule in ("greedy", "expected-f", "prevalence"):
        assert f'<td class="text">{rule}</td>' in page
    document = json.loads((ws.level1_dir / "decide.json").read_text())
    assert list(threshold_rules(document)) == ["greedy", "prevalence"]  # expected-f has no threshold to mark
    assert threshold_rules(document)["greedy"].tolist() == [document["rules"]["greedy"]["thresholds"][label]
                                                           for label in ws.labels]
    later = (ws.level1_dir / "decide.json").stat().st_mtime + 10
    os.utime(ws.level1_dir / "oof.parquet", (later, later))
    assert "It is older than the stage" in build_report(ws, ReportConfig(dpi=60)).read_text()
    (ws.level1_dir / "decide.json").unlink()
    page = build_report(ws, ReportConfig(dpi=60)).read_text()
    assert "No rule comparison yet: run <code>stacker decide --from level" in page
    assert not (ws.report_dir / "decision.png").exists()
