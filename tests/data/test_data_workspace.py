"""Workspace config, label parsing, metric spelling and the persisted folds."""

import numpy as np
import pandas as pd
import pytest

from stacker.config import FoldsConfig
from stacker.data import Workspace, assign_folds, make_folds, parse_metric, read_folds
from stacker.exceptions import WorkspaceError


def test_init_writes_relative_paths_and_round_trips(make_workspace):
    ws = make_workspace(n_train=30, n_labels=3)
    text = (ws.root / "stacker.toml").read_text()
    assert 'train = "train.csv"' in text and str(ws.root) not in text
    again = Workspace.load(ws.root)
    assert again.labels == ["label_0", "label_1", "label_2"]
    np.testing.assert_array_equal(again.y, ws.y)


def test_workspace_moves_between_folders(make_workspace, tmp_path):
    ws = make_workspace(n_train=30)
    moved = ws.root.rename(tmp_path / "elsewhere")
    assert len(Workspace.load(moved).folds) == 30


def test_label_columns_format_equals_tags_format(make_workspace, tmp_path):
    ws = make_workspace(n_train=40, n_labels=3)
    wide = pd.DataFrame(ws.y, columns=ws.labels)
    wide.insert(0, "image_name", ws.train_ids)
    wide.to_csv(tmp_path / "wide.csv", index=False)
    other = Workspace.init(tmp_path / "w2", train=tmp_path / "wide.csv", test=ws.root / "sample_submission.csv",
                           id_column="image_name")
    assert other.labels == ws.labels
    np.testing.assert_array_equal(other.y, ws.y)


@pytest.mark.parametrize(
    "frame, match",
    [
        (pd.DataFrame({"id": ["a", "a"], "tags": ["x", "y"]}), "duplicated ids"),
        (pd.DataFrame({"name": ["a"], "tags": ["x"]}), "no id column 'id'"),
        (pd.DataFrame({"id": ["a", "b"], "x": [0, 2]}), "row 3, label 'x' has value 2"),
        (pd.DataFrame({"id": ["a", None], "tags": ["x", "y"]}), "row 3 has an empty id"),
    ],
)
def test_bad_train_files_are_named(tmp_path, frame, match):
    frame.to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame({"id": ["t"]}).to_csv(tmp_path / "test.csv", index=False)
    with pytest.raises(WorkspaceError, match=match):
        Workspace.init(tmp_path, train=tmp_path / "train.csv", test=tmp_path / "test.csv")
    assert not (tmp_path / "stacker.toml").exists()


def test_unknown_tag_with_explicit_labels(tmp_path):
    pd.DataFrame({"id": ["a", "b"], "tags": ["x", "x zz"]}).to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame({"id": ["t"]}).to_csv(tmp_path / "test.csv", index=False)
    with pytest.raises(WorkspaceError, match=r"row 3 \(id 'b'\) has tag 'zz'"):
        Workspace.init(tmp_path, train=tmp_path / "train.csv", test=tmp_path / "test.csv", labels=("x",))


def test_missing_config_says_how_to_fix(tmp_path):
    with pytest.raises(WorkspaceError, match="run 'stacker init"):
        Workspace.load(tmp_path)


def test_unknown_config_key_is_refused(make_workspace):
    ws = make_workspace()
    with open(ws.root / "stacker.toml", "a") as f:
        f.write('tresholds = "x"\n')
    with pytest.raises(WorkspaceError, match="unknown keys \\['tresholds'\\]"):
        Workspace.load(ws.root)


@pytest.mark.parametrize("text, beta, average", [("f2-samples", 2.0, "samples"), ("F1-macro", 1.0, "macro"),
                                                 ("f0.5-micro", 0.5, "micro")])
def test_parse_metric(text, beta, average):
    spec = parse_metric(text)
    assert (spec.beta, spec.average) == (beta, average)


@pytest.mark.parametrize("text", ["f2", "f0-samples", "auc-macro", "f2-weighted"])
def test_bad_metric(text):
    with pytest.raises(WorkspaceError, match="metric"):
        parse_metric(text)


def test_folds_cover_every_row_once_and_stratify_rare_labels():
    rng = np.random.default_rng(0)
    y = (rng.random((500, 6)) < [0.9, 0.5, 0.2, 0.1, 0.05, 0.02]).astype(np.uint8)
    folds = make_folds(y, k=5, seed=3)
    assert sorted(np.unique(folds)) == [0, 1, 2, 3, 4]
    per_fold = np.stack([y[folds == f].sum(0) for f in range(5)])
    assert (per_fold.max(0) - per_fold.min(0) <= 2).all()  # each label spread evenly over folds
    np.testing.assert_array_equal(folds, make_folds(y, k=5, seed=3))


def test_existing_different_folds_need_force(make_workspace):
    ws = make_workspace(k=3)
    with pytest.raises(WorkspaceError, match="--force"):
        assign_folds(ws, FoldsConfig(k=4))
    assign_folds(ws, FoldsConfig(k=4), force=True)
    assert read_folds(ws.folds_path, ws.train_ids, id_column="image_name").max() == 3


def test_user_made_folds_file_is_accepted_and_checked(make_workspace):
    ws = make_workspace(n_train=20, k=2)
    ids = ws.train_ids
    pd.DataFrame({"image_name": ids, "fold": np.arange(20) % 4}).to_csv(ws.folds_path, index=False)
    assert Workspace.load(ws.root).n_folds == 4
    pd.DataFrame({"image_name": ids[:-1], "fold": 0}).to_csv(ws.folds_path, index=False)
    with pytest.raises(WorkspaceError, match="1 missing"):
        Workspace.load(ws.root).folds
    pd.DataFrame({"image_name": ids, "fold": np.arange(20) % 3 * 2}).to_csv(ws.folds_path, index=False)
    with pytest.raises(WorkspaceError, match="numbered 0..K-1"):
        Workspace.load(ws.root).folds


def test_init_warns_about_a_label_with_no_positive_or_no_negative(tmp_path, caplog):
    import pandas as pd

    pd.DataFrame({"id": ["a", "b", "c"], "x": [1, 0, 1], "never": [0, 0, 0], "always": [1, 1, 1]}).to_csv(
        tmp_path / "train.csv", index=False)
    pd.DataFrame({"id": ["t"]}).to_csv(tmp_path / "test.csv", index=False)
    Workspace.init(tmp_path / "ws", train=tmp_path / "train.csv", test=tmp_path / "test.csv")
    assert "labels always, never are negative/positive on every train row" in caplog.text
    assert "x" not in caplog.text.split("labels ")[1].split(" are")[0]
