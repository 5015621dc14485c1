"""scikit-learn / LightGBM models trained per fold and written as ordinary run folders.

They show that any script's out-of-fold predictions work with stacker: each
run is just ``runs/<name>/run.json`` plus whole-file ``oof.csv`` and
``test.csv`` (docs/run-format.md), written with nothing but pandas.
Features are the 2 x 2-pooled pixels of one image variant.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from stacker import progress
from stacker.data.workspace import Workspace
from stacker.registry import Registry

# A demo model: ``fit_predict(X_train, Y_train, X_eval) -> P_eval`` with P_eval (n_eval, n_labels) in [0, 1].
FitPredict = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
demo_models: Registry[FitPredict] = Registry("demo model")


@demo_models.register("logistic")
def _logistic(seed: int) -> FitPredict:
    """L2 logistic regression per label on standardized pixels."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    def fit_predict(X, Y, X_eval):
        scaler = StandardScaler().fit(X)
        X, X_eval = scaler.transform(X), scaler.transform(X_eval)
        columns = [
            LogisticRegression(C=0.02, max_iter=300, random_state=seed).fit(X, Y[:, j]).predict_proba(X_eval)[:, 1]
            if 0 < Y[:, j].sum() < len(Y) else np.full(len(X_eval), Y[0, j], dtype=float)
            for j in range(Y.shape[1])
        ]
        return np.column_stack(columns)

    return fit_predict


@demo_models.register("extra-trees")
def _extra_trees(seed: int) -> FitPredict:
    """Extremely randomized trees, one multi-output forest for all labels."""
    from sklearn.ensemble import ExtraTreesClassifier

    def fit_predict(X, Y, X_eval):
        forest = ExtraTreesClassifier(
            n_estimators=150, min_samples_leaf=2, max_features=0.1, n_jobs=2, random_state=seed
        ).fit(X, Y)
        return np.column_stack([_positive_column(forest.classes_[j], p) for j, p in enumerate(forest.predict_proba(X_eval))])

    return fit_predict


@demo_models.register("lightgbm")
def _lightgbm(seed: int) -> FitPredict:
    """Gradient-boosted trees per label (LightGBM), positives up-weighted on rare labels."""
    import lightgbm as lgb

    def fit_predict(X, Y, X_eval):
        columns = []
        for j in range(Y.shape[1]):
            if not 0 < Y[:, j].sum() < len(Y):
                columns.append(np.full(len(X_eval), Y[0, j], dtype=float))
                continue
            model = lgb.LGBMClassifier(
                n_estimators=60, learning_rate=0.12, num_leaves=7, max_bin=31, colsample_bytree=0.3,
                subsample=0.8, subsample_freq=1, min_child_samples=5, n_jobs=2, random_state=seed, verbose=-1,
            )
            columns.append(model.fit(X, Y[:, j]).predict_proba(X_eval)[:, 1])
        return np.column_stack(columns)

    return fit_predict


def _positive_column(classes: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """P(label = 1) from one output of a multi-output forest (a label seen with one class only is constant)."""
    if len(classes) == 2:
        return proba[:, 1]
    return np.full(len(proba), float(classes[0]))


def load_pixels(workspace: Workspace, ids: Sequence[str], variant: str = "original", *, pool: int = 2) -> np.ndarray:
    """Grayscale pixels of the ``variant`` images of ``ids``, averaged over ``pool`` x ``pool`` blocks.

    Returns an array of shape (n_images, (height // pool) * (width // pool)) in [0, 1].
    """
    from PIL import Image

    folder = workspace.image_dir(variant)
    ext = workspace.config.image_ext or "png"
    images = np.stack([np.asarray(Image.open(folder / f"{i}.{ext}").convert("L"), dtype=np.float32) for i in ids])
    n, height, width = images.shape
    blocks = images[:, : height // pool * pool, : width // pool * pool].reshape(
        n, height // pool, pool, width // pool, pool
    )
    return blocks.mean(axis=(2, 4)).reshape(n, -1) / 255.0


def cross_fit_folds(
    fit_predict: FitPredict, X: np.ndarray, Y: np.ndarray, folds: np.ndarray, X_test: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities of one model and each fold model's test probabilities.

    Parameters
    ----------
    X : ndarray of shape (n_train, n_features)
    Y : ndarray of shape (n_train, n_labels), 0/1
    folds : ndarray of shape (n_train,), fold of each row, 0..K-1
    X_test : ndarray of shape (n_test, n_features)

    Returns
    -------
    oof : ndarray of shape (n_train, n_labels); row i predicted by the model not trained on fold ``folds[i]``
    fold_test : ndarray of shape (K, n_test, n_labels); ``fold_test[k]`` by the model that held out fold k
    """
    n_folds = int(folds.max()) + 1
    oof = np.empty(Y.shape, dtype=np.float64)
    fold_test = np.empty((n_folds, len(X_test), Y.shape[1]), dtype=np.float64)
    for k in range(n_folds):
        held_out = folds == k
        P = fit_predict(X[~held_out], Y[~held_out], np.concatenate([X[held_out], X_test]))
        oof[held_out] = P[: held_out.sum()]
        fold_test[k] = P[held_out.sum():]
    return np.clip(oof, 0.0, 1.0), np.clip(fold_test, 0.0, 1.0)


def cross_fit(
    fit_predict: FitPredict, X: np.ndarray, Y: np.ndarray, folds: np.ndarray, X_test: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold and fold-averaged test probabilities of one model (:func:`cross_fit_folds`, test averaged).

    Returns
    -------
    oof : ndarray of shape (n_train, n_labels)
    test : ndarray of shape (n_test, n_labels), mean over the K fold models
    """
    oof, fold_test = cross_fit_folds(fit_predict, X, Y, folds, X_test)
    return oof, fold_test.mean(axis=0)


def write_csv_run(run_dir: Path, workspace: Workspace, oof: np.ndarray, test: np.ndarray, meta: dict) -> Path:
    """Write ``run.json``, ``oof.csv`` and ``test.csv`` (id column + one column per label) into ``run_dir``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "run.json").write_text(json.dumps(meta, indent=2))
    id_column = workspace.config.id_column
    for stem, ids, values in (("oof", workspace.train_ids, oof), ("test", workspace.test_ids, test)):
        frame = pd.DataFrame(values, columns=workspace.labels)
        frame.insert(0, id_column, ids)
        frame.to_csv(run_dir / f"{stem}.csv", index=False, float_format="%.6f")
    return run_dir


def train_sklearn_runs(
    workspace: Workspace, runs_dir: Path, *, models: Sequence[str] = ("logistic", "extra-trees", "lightgbm"),
    variant: str = "original", seed: int = 0,
) -> list[Path]:
    """Cross-fit each of ``models`` (names in :data:`demo_models`) on the workspace folds; write one run each.

    Runs are named ``sk-<model>_<variant>_s<seed>``; returns their folders.
    """
    factories = {name: demo_models.get(name) for name in models}
    X = load_pixels(workspace, workspace.train_ids, variant)
    X_test = load_pixels(workspace, workspace.test_ids, variant)
    written = []
    for name, factory in progress.track(factories.items(), "scikit-learn runs", total=len(factories)):
        oof, test = cross_fit(factory(seed), X, workspace.y, workspace.folds, X_test)
        meta = {"arch": f"sklearn-{name}", "variant": variant, "seed": seed, "library": "scikit-learn/lightgbm",
                "features": f"2x2-pooled pixels of images {variant!r}"}
        written.append(write_csv_run(Path(runs_dir) / f"sk-{name}_{variant}_s{seed}", workspace, oof, test, meta))
    return written
