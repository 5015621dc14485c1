"""A level-0 zoo on a Mulan train/test pair, written as a stacker workspace with run folders.

For one dataset (``scene``, ``emotions``, ``yeast``: ``<data>/<name>-train.arff`` and
``<name>-test.arff``, dense ARFF, numeric features then one ``{0,1}`` attribute per label):

- ``<out>/<name>/workspace/``: ``train.csv`` (id + one 0/1 column per label),
  ``sample_submission.csv`` (the test ids, empty ``tags``), ``stacker.toml``
  (``stacker.Workspace.create``) and ``folds.csv`` (``ws.make_folds(k=5)``:
  persisted multi-label stratified folds);
- ``workspace/runs/<kind>_s<seed>/``: one run folder per model kind and seed
  (``stacker.write_run``): OOF on the workspace's 5 folds, test = mean of the 5
  fold models' test predictions, exactly as a Kaggle script writes them;
- ``<out>/<name>/fold_test/<run>.npy``: each fold model's own test predictions,
  shape (5, n_test, n_labels), so the OOF-vs-test shift can be measured (not in
  the run folder: stacker never sees it);
- ``<out>/<name>/test_labels.csv``: the official test labels (never in the workspace);
- ``<out>/<name>/zoo.json``: what was built and how long it took, written last
  (its presence marks a complete zoo, reused unless ``--rebuild``).

Every model is one-vs-rest per label with ``predict_proba``, except the forests
and the MLP, which are natively multi-label (one multi-output model for all labels).
Where a model is deterministic (logistic, linear SVM, kNN, naive Bayes, LDA),
the seed draws a feature bag (a random 85% of the features, the same on every
fold), so two seeds of one kind differ as real duplicate runs do.

    python bench/zoo.py --datasets scene,emotions         # build (or reuse) both zoos
    python bench/zoo.py --datasets emotions --rebuild
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from stacker.demo.sklearn_runs import FitPredict, cross_fit_folds

# A zoo model is a FitPredict: ``fit_predict(X_train, Y_train, X_eval) -> P_eval`` with P_eval (n_eval, n_labels) in [0, 1].

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "mulan"
DEFAULT_OUT = REPO / "bench" / "out"
ID_COLUMN = "id"
N_FOLDS = 5
SEEDS = (0, 1, 2)
FEATURE_BAG = 0.85


# ----- data ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Split:
    """A Mulan train/test pair: features (n, n_features) float64, labels (n, n_labels) uint8."""

    name: str
    labels: list[str]
    X_train: np.ndarray
    Y_train: np.ndarray
    X_test: np.ndarray
    Y_test: np.ndarray


def read_arff(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    """A dense ARFF file: (attribute names, names of the ``{0,1}`` attributes, values (n_rows, n_attributes))."""
    names, binary, rows, in_data = [], [], [], False
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("%"):
            continue
        if in_data:
            rows.append([float(v) for v in line.split(",")])
        elif line.lower().startswith("@attribute"):
            _, name, kind = line.split(None, 2)
            names.append(name.strip("'\""))
            if kind.replace(" ", "") == "{0,1}":
                binary.append(names[-1])
        elif line.lower().startswith("@data"):
            in_data = True
    values = np.asarray(rows, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != len(names):
        raise ValueError(f"{path}: expected {len(names)} values per data row (a dense ARFF file)")
    return names, binary, values


def load_split(data_dir: Path, name: str) -> Split:
    """``<data_dir>/<name>-train.arff`` and ``-test.arff``; labels are the trailing ``{0,1}`` attributes."""
    parts = {}
    for part in ("train", "test"):
        names, binary, values = read_arff(Path(data_dir) / f"{name}-{part}.arff")
        n_labels = len(binary)
        if names[-n_labels:] != binary:
            raise ValueError(f"{name}-{part}.arff: the {{0,1}} label attributes must come last")
        parts[part] = (binary, values[:, :-n_labels], values[:, -n_labels:].astype(np.uint8))
    labels = parts["train"][0]
    return Split(name, labels, parts["train"][1], parts["train"][2], parts["test"][1], parts["test"][2])


def resplit(split: Split, seed: int) -> Split:
    """A new train/test draw of the pooled rows of ``split``, of the same sizes, named ``<name>-resplit<seed>``.

    Train and test rows are pooled (train first) and a test set of ``len(split.Y_test)`` rows is drawn with
    ``MultilabelStratifiedShuffleSplit(n_splits=1, test_size=n_test, random_state=seed)``. Iterative
    stratification misses the requested size by a few rows; the surplus side gives that many rows, drawn
    with ``numpy.random.default_rng(seed)``, to the other, so both sizes equal the official ones. Rows keep
    their pooled order within each part. Deterministic per ``seed``.

    Parameters
    ----------
    split : the official split; X (n, n_features), Y (n, n_labels) for each part
    seed : random state of the draw; also names the split (and so its zoo folder)

    Returns
    -------
    Split with ``len(split.X_train)`` train and ``len(split.X_test)`` test rows, every pooled row in exactly one part
    """
    from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit

    X = np.concatenate([split.X_train, split.X_test])
    Y = np.concatenate([split.Y_train, split.Y_test])
    n_test = len(split.Y_test)
    _, test = next(MultilabelStratifiedShuffleSplit(n_splits=1, test_size=n_test, random_state=seed).split(X, Y))
    is_test = np.zeros(len(Y), dtype=bool)
    is_test[test] = True
    surplus = int(is_test.sum()) - n_test  # > 0: too many test rows; < 0: too few
    if surplus:
        donors = np.flatnonzero(is_test if surplus > 0 else ~is_test)
        is_test[np.random.default_rng(seed).choice(donors, size=abs(surplus), replace=False)] ^= True
    return Split(f"{split.name}-resplit{seed}", split.labels, X[~is_test], Y[~is_test], X[is_test], Y[is_test])


# ----- the zoo ---------------------------------------------------------------------------------------------
def _per_label(make: Callable[[], object], scale: bool = True) -> FitPredict:
    """One ``make()`` classifier per label (standardized features unless ``scale=False``)."""
    from sklearn.preprocessing import StandardScaler

    def fit_predict(X, Y, X_eval):
        if scale:
            scaler = StandardScaler().fit(X)
            X, X_eval = scaler.transform(X), scaler.transform(X_eval)
        columns = [make().fit(X, Y[:, j]).predict_proba(X_eval)[:, 1] if 0 < Y[:, j].sum() < len(Y)
                   else np.full(len(X_eval), float(Y[0, j])) for j in range(Y.shape[1])]
        return np.column_stack(columns)

    return fit_predict


def _bagged(fit_predict: FitPredict, n_features: int, seed: int) -> FitPredict:
    """``fit_predict`` on a seeded random ``FEATURE_BAG`` share of the features (the same for every fold)."""
    rng = np.random.default_rng(1000 + seed)
    keep = np.sort(rng.choice(n_features, size=max(1, int(round(FEATURE_BAG * n_features))), replace=False))
    return lambda X, Y, X_eval: fit_predict(X[:, keep], Y, X_eval[:, keep])


def _multi_output(make: Callable[[], object]) -> FitPredict:
    """One natively multi-label model for all labels; P(label = 1) from each output."""

    def fit_predict(X, Y, X_eval):
        model = make().fit(X, Y)
        proba = model.predict_proba(X_eval)
        if isinstance(proba, list):  # forests: one (n, n_classes) array per output
            return np.column_stack([p[:, 1] if p.shape[1] == 2 else np.full(len(X_eval), float(c[0]))
                                    for p, c in zip(proba, model.classes_)])
        return proba  # MLPClassifier on a label matrix: (n, n_labels) sigmoid outputs

    return fit_predict


def zoo_models(n_features: int) -> dict[str, Callable[[int], FitPredict]]:
    """Model kind -> ``factory(seed) -> fit_predict``: a dozen scikit-learn / LightGBM kinds."""
    from lightgbm import LGBMClassifier
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.ensemble import ExtraTreesClassifier, HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC, LinearSVC

    def bag(fit_predict):
        return lambda seed: _bagged(fit_predict, n_features, seed)

    return {
        "logistic-c0.05": bag(_per_label(lambda: LogisticRegression(C=0.05, max_iter=500))),
        "logistic-c1": bag(_per_label(lambda: LogisticRegression(C=1.0, max_iter=1000))),
        "linear-svm": bag(_per_label(lambda: CalibratedClassifierCV(LinearSVC(C=0.05), cv=3))),
        "knn-10": bag(_per_label(lambda: KNeighborsClassifier(10, weights="distance"))),
        "knn-30": bag(_per_label(lambda: KNeighborsClassifier(30, weights="distance"))),
        "gaussian-nb": bag(_per_label(GaussianNB)),
        "lda": bag(_per_label(lambda: LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto"))),
        "random-forest": lambda seed: _multi_output(lambda: RandomForestClassifier(
            n_estimators=100, min_samples_leaf=2, max_features="sqrt", n_jobs=2, random_state=seed)),
        "extra-trees": lambda seed: _multi_output(lambda: ExtraTreesClassifier(
            n_estimators=100, min_samples_leaf=2, max_features=0.2, n_jobs=2, random_state=seed)),
        "lightgbm": lambda seed: _per_label(lambda: LGBMClassifier(
            n_estimators=60, learning_rate=0.1, num_leaves=15, min_child_samples=10, colsample_bytree=0.3,
            max_bin=31, subsample=0.8, subsample_freq=1, n_jobs=1, random_state=seed, verbose=-1), scale=False),
        "hist-gb": lambda seed: _per_label(lambda: HistGradientBoostingClassifier(
            max_iter=30, learning_rate=0.15, max_leaf_nodes=15, max_bins=31, max_features=0.5, random_state=seed),
            scale=False),
        "mlp": lambda seed: _multi_output(lambda: make_pipeline(StandardScaler(), MLPClassifier(
            (128,), alpha=1e-2, max_iter=300, early_stopping=True, random_state=seed))),
        "svc-rbf": lambda seed: _per_label(lambda: CalibratedClassifierCV(
            SVC(C=1.0, gamma="scale"), cv=StratifiedKFold(3, shuffle=True, random_state=seed), ensemble=False)),
    }


# ----- the workspace ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Zoo:
    """A built zoo: where everything is (see the module docstring)."""

    root: Path

    @property
    def workspace_dir(self) -> Path:
        return self.root / "workspace"

    @property
    def runs_dir(self) -> Path:
        return self.workspace_dir / "runs"

    @property
    def fold_test_dir(self) -> Path:
        return self.root / "fold_test"

    @property
    def manifest(self) -> dict:
        return json.loads((self.root / "zoo.json").read_text())

    def workspace(self):
        """The ``stacker.Workspace`` of this zoo."""
        import stacker

        return stacker.Workspace.load(self.workspace_dir)

    def test_labels(self, labels: list[str]) -> np.ndarray:
        """Official test labels (n_test, n_labels) uint8, rows in sample-submission order."""
        frame = pd.read_csv(self.root / "test_labels.csv")
        return frame[labels].to_numpy(dtype=np.uint8)

    def fold_test(self, run: str) -> np.ndarray:
        """Each fold model's test predictions of ``run``, shape (K, n_test, n_labels)."""
        return np.load(self.fold_test_dir / f"{run}.npy")


def make_workspace(split: Split, root: Path):
    """Write train.csv, sample_submission.csv, stacker.toml and folds.csv; return the workspace."""
    import stacker

    train_ids = [f"{split.name}_train_{i:05d}" for i in range(len(split.X_train))]
    test_ids = [f"{split.name}_test_{i:05d}" for i in range(len(split.X_test))]
    train = pd.DataFrame(split.Y_train.astype(np.int64), columns=split.labels)
    train.insert(0, ID_COLUMN, train_ids)
    sample = pd.DataFrame({ID_COLUMN: test_ids, "tags": ""})
    ws = stacker.Workspace.create(root, train=train, test=sample, id_column=ID_COLUMN, labels=tuple(split.labels),
                                  force=True)  # a rebuilt zoo re-creates its workspace
    ws.make_folds(k=N_FOLDS)
    return ws


def build_zoo(split: Split, out: Path, *, kinds: list[str] | None = None, seeds=SEEDS,
              rebuild: bool = False, log=print) -> Zoo:
    """Build (or, when ``<out>/<name>/zoo.json`` exists and not ``rebuild``, reuse) the zoo of ``split``."""
    import stacker
    from threadpoolctl import threadpool_limits

    zoo = Zoo(Path(out) / split.name)
    if (zoo.root / "zoo.json").exists() and not rebuild:
        log(f"{split.name}: reusing the zoo in {zoo.root} (--rebuild to train it again)")
        return zoo
    if zoo.root.exists():
        shutil.rmtree(zoo.root)
    zoo.fold_test_dir.mkdir(parents=True)
    ws = make_workspace(split, zoo.workspace_dir)
    test_labels = pd.DataFrame(split.Y_test.astype(np.int64), columns=split.labels)
    test_labels.insert(0, ID_COLUMN, ws.test_ids)
    test_labels.to_csv(zoo.root / "test_labels.csv", index=False)
    models = zoo_models(split.X_train.shape[1])
    seconds, start = {}, time.perf_counter()
    for kind in kinds or list(models):
        tic = time.perf_counter()
        for seed in seeds:
            name = f"{kind}_s{seed}"
            with threadpool_limits(limits=1):  # OpenMP/BLAS threads spin badly on a shared, loaded machine
                oof, fold_test = cross_fit_folds(models[kind](seed), split.X_train, ws.y, ws.folds, split.X_test)
            stacker.write_run(zoo.runs_dir / name, oof=oof, test=fold_test.mean(axis=0), arch=kind, seed=seed)
            np.save(zoo.fold_test_dir / f"{name}.npy", fold_test.astype(np.float32))
        seconds[kind] = round(time.perf_counter() - tic, 2)
        log(f"{split.name}: {kind} x {len(seeds)} seeds in {seconds[kind]:.1f} s")
    manifest = {"dataset": split.name, "labels": split.labels, "n_train": len(split.X_train),
                "n_test": len(split.X_test), "n_features": split.X_train.shape[1], "n_folds": N_FOLDS,
                "seeds": list(seeds), "kinds": list(seconds), "seconds": seconds,
                "total_seconds": round(time.perf_counter() - start, 1)}
    (zoo.root / "zoo.json").write_text(json.dumps(manifest, indent=2))
    return zoo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="scene,emotions", help="comma-separated Mulan names")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the Mulan ARFF files")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (git-ignored bench/out)")
    parser.add_argument("--rebuild", action="store_true", help="train the zoo again even if it exists")
    args = parser.parse_args()
    for name in args.datasets.split(","):
        zoo = build_zoo(load_split(args.data, name), args.out, rebuild=args.rebuild)
        print(f"{name}: {zoo.root} ({zoo.manifest['total_seconds']} s to build)")


if __name__ == "__main__":
    main()
