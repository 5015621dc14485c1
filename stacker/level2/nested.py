"""Nested cross-validation of a level-2 learner over labels x folds.

For label ``j`` and fold ``k`` a fresh learner is fitted on the rows of every
other fold and predicts the rows of fold ``k`` (its level-2 OOF) and the test
set; test predictions are averaged over the K fits, so every test prediction
is made the way an OOF one is (by fits that never saw fold ``k``, from
features of fold ``k``'s own selection). The folds are the workspace folds the
level-0 OOF predictions were made on, so no fit ever sees the labels of the
rows it predicts, at level 0, in the level-1 selection or at level 2.

The (label, fold) fits run in parallel through :mod:`stacker.parallel` (joblib
locally, or a Dask cluster), each building its own features where it runs.
Each fit's random state is drawn from ``SeedSequence([seed, j, k])``, and
results are placed by (label, fold), so the output is the same for every
``n_jobs`` and on a cluster.

With ``views=True`` (K >= 3) it also makes each outer fold's *view* of the
train rows for the layer above: for outer fold ``k`` and every other fold
``i``, a fit on the folds other than ``i`` and ``k`` (on fit ``k``'s features)
predicts fold ``i``; fold ``k``'s own rows are its OOF. A next layer fitted
without fold ``k`` then trains on predictions that never saw fold ``k``'s
labels at any layer, which plain OOF cannot give (the fits behind the other
folds' OOF all trained on fold ``k``). It costs K - 1 more, smaller fits per
outer fold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from stacker.data.stages import MIN_VIEW_FOLDS
from stacker.exceptions import ValidationError
from stacker.level2.features import FoldFeatures, LabelFeatures, StaticFeatures
from stacker.level2.learners import Learner

def views_possible(n_folds: int) -> bool:
    """True when per-fold views can be made: every view fit must leave out two folds and train on the rest."""
    return n_folds >= MIN_VIEW_FOLDS


@dataclass(frozen=True)
class NestedResult:
    """Level-2 predictions.

    Attributes
    ----------
    oof : ndarray of shape (n_train, n_labels), float64
        Each row predicted by the fit that did not train on its fold.
    test : ndarray of shape (n_test, n_labels), float64
        Mean of the K fold fits' test predictions.
    in_sample : ndarray of shape (n_train, n_labels), float64
        Each row predicted by the K-1 fits that trained on it (their mean): how
        the fits flatter their own rows, for the optimism of this layer.
    views : ndarray of shape (n_folds, n_train, n_labels), float64, or None
        ``views[k]``: every train row predicted without fold ``k``'s labels
        (``views[k][folds == k]`` is the OOF of fold ``k``); None unless asked for.
    """

    oof: np.ndarray
    test: np.ndarray
    in_sample: np.ndarray
    views: np.ndarray | None = None


def fit_seed(seed: int, label_index: int, fold: int) -> int:
    """The random state of the (label, fold) fit: independent of scheduling."""
    return int(np.random.SeedSequence([seed, label_index, fold]).generate_state(1)[0] % (2**31 - 1))


def nested_cv(
    features: FoldFeatures | StaticFeatures | Sequence[LabelFeatures], Y: np.ndarray, folds: np.ndarray,
    learner: Learner, *, n_jobs: int = 1, seed: int = 0, views: bool = False,
) -> NestedResult:
    """Level-2 OOF and test predictions of ``learner`` (a prototype; it is cloned per fit).

    Parameters
    ----------
    features : FoldFeatures, StaticFeatures or sequence of LabelFeatures (length n_labels)
        ``features.fold(j, k)`` is label ``j``'s design matrices for the fit
        holding out fold ``k`` (n_train rows; built by that fit's task, where it runs);
        a plain sequence is the same matrices for every fold.
    Y : ndarray of shape (n_train, n_labels)
        0/1 labels.
    folds : ndarray of shape (n_train,)
        Fold of each row, 0..K-1 with K >= 2.
    learner : Learner
        Prototype; each fit gets ``type(learner)(**params)`` with its own ``random_state``.
    n_jobs : int, default 1
        Parallel fits on local cores (-1 for every core); a connected cluster uses all its workers.
    seed : int, default 0
    views : bool, default False
        Also make each outer fold's view of the train rows (see the module
        docstring); needs K >= 3 (with K = 2 no fit could leave out two folds).
    """
    if not hasattr(features, "fold"):
        features = StaticFeatures(features)
    Y, folds = _check_inputs(features, Y, folds)
    if n_jobs == 0 or seed < 0:
        raise ValidationError(f"jobs must be >= 1 (or -1 for every core) and seed >= 0; found jobs={n_jobs}, seed={seed}")
    n_folds, n_labels = int(folds.max()) + 1, Y.shape[1]
    if views and not views_possible(n_folds):
        raise ValidationError(f"per-fold views need at least {MIN_VIEW_FOLDS} folds (a fit must leave out two); "
                              f"found {n_folds}")
    tasks = [(j, k, None) for j in range(n_labels) for k in range(n_folds)]
    if views:
        tasks += [(j, k, i) for j in range(n_labels) for k in range(n_folds) for i in range(n_folds) if i != k]
    oof = np.full(Y.shape, np.nan)
    in_sample = np.zeros(Y.shape)
    test = np.zeros((features.n_test, n_labels))
    fold_views = np.full((n_folds, *Y.shape), np.nan) if views else None
    for j, k, i, held_out_pred, test_pred, train_pred in _run(tasks, features, Y, folds, learner, n_jobs, seed):
        if i is not None:
            fold_views[k, folds == i, j] = held_out_pred
            continue
        oof[folds == k, j] = held_out_pred
        in_sample[folds != k, j] += train_pred / (n_folds - 1)
        test[:, j] += test_pred / n_folds
    if views:
        for k in range(n_folds):
            fold_views[k, folds == k] = oof[folds == k]
    return NestedResult(oof=oof, test=test, in_sample=in_sample, views=fold_views)


def _run(tasks, features, Y, folds, learner, n_jobs, seed):
    """Yield ``fit_label_fold`` results in task order through the execution seam; every fit single-threaded.

    ``features``, ``Y`` and ``folds`` are shared (sent once per worker); each
    task builds its own (label, fold) design matrices where it runs, so no
    process holds more than the matrices of the fits it is running.
    """
    from stacker.parallel import Shared, iter_tasks

    shared = (Shared(features), Shared(Y), Shared(folds))
    calls = [(type(learner), learner.get_params(), *shared, j, k, seed, i) for j, k, i in tasks]
    yield from iter_tasks(fit_label_fold, calls, jobs=n_jobs, prefer="processes", inner_threads=1,
                          description=f"level-2 {type(learner).__name__} fits")


def fit_label_fold(cls: type[Learner], params: dict, features: FoldFeatures | StaticFeatures, Y: np.ndarray,
                   folds: np.ndarray, j: int, k: int, seed: int, inner: int | None = None) -> tuple:
    """One task of the seam: build label ``j``'s features for the fit holding out fold ``k``, check them, fit.

    ``inner``: a view fit instead, trained without folds ``k`` and ``inner`` and predicting fold ``inner``.
    """
    f = features.fold(j, k)
    _check_shapes(f, len(Y), features.n_test, j, k)
    if inner is not None:
        return fit_view(cls, params, f.train, Y[:, j], folds, j, k, inner, seed)
    return (j, k, None, *fit_fold(cls, params, f.train, f.test, Y[:, j], folds, j, k, seed)[2:])


def fit_view(cls: type[Learner], params: dict, X: np.ndarray, y: np.ndarray, folds: np.ndarray, j: int, k: int,
             inner: int, seed: int) -> tuple:
    """Fit on the rows outside folds ``k`` and ``inner``; predict fold ``inner`` (outer fold ``k``'s view)."""
    if "random_state" in params:
        params = {**params, "random_state": int(np.random.SeedSequence([seed, j, k, inner + 1]).generate_state(1)[0]
                                                % (2**31 - 1))}
    train = (folds != k) & (folds != inner)
    model = cls(**params).fit(X[train], y[train])
    return j, k, inner, model.predict_proba(X[folds == inner]), None, None


def fit_fold(cls: type[Learner], params: dict, X: np.ndarray, X_test: np.ndarray, y: np.ndarray,
             folds: np.ndarray, j: int, k: int, seed: int) -> tuple[int, int, np.ndarray, np.ndarray, np.ndarray]:
    """Fit on the rows outside fold ``k``; predict fold ``k``, the test rows and the rows it trained on."""
    if "random_state" in params:
        params = {**params, "random_state": fit_seed(seed, j, k)}
    train = folds != k
    model = cls(**params).fit(X[train], y[train])
    return j, k, model.predict_proba(X[~train]), model.predict_proba(X_test), model.predict_proba(X[train])


def _check_inputs(features, Y, folds) -> tuple[np.ndarray, np.ndarray]:
    Y = np.asarray(Y)
    folds = np.asarray(folds).astype(np.int64).reshape(-1)
    if Y.ndim != 2 or features.n_labels != Y.shape[1]:
        raise ValidationError(f"Y must be (n_train, n_labels) with one feature set per label; "
                              f"found Y {Y.shape} and {features.n_labels} feature sets")
    if len(folds) != len(Y) or folds.min(initial=0) < 0:
        raise ValidationError(f"folds must hold one fold id >= 0 per row of Y ({len(Y)}); found {len(folds)}")
    present = np.unique(folds)
    if len(present) < 2 or not np.array_equal(present, np.arange(len(present))):
        raise ValidationError(f"folds must be 0..K-1 with K >= 2, each used; found fold ids {present.tolist()}")
    return Y, folds


def _check_shapes(f: LabelFeatures, n_train: int, n_test: int, j: int, k: int) -> None:
    if f.train.ndim != 2 or len(f.train) != n_train or f.test.shape != (n_test, f.train.shape[1]):
        raise ValidationError(f"label {j}, fold {k}: features train {f.train.shape} / test {f.test.shape} do not fit "
                              f"{n_train} train and {n_test} test rows with the same columns")
