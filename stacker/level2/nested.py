"""Nested cross-validation of a level-2 learner over labels x folds.

For label ``j`` and fold ``k`` a fresh learner is fitted on the rows of every
other fold and predicts the rows of fold ``k`` (its level-2 OOF) and the test
set; test predictions are averaged over the K fits. The folds are the
workspace folds the level-0 OOF predictions were made on, so no fit ever sees
the labels of the rows it predicts, at level 0 or level 2.

The (label, fold) fits run in parallel through :mod:`stacker.parallel` (joblib
locally, or a Dask cluster). Each fit's random state
is drawn from ``SeedSequence([seed, j, k])``, and results are placed by
(label, fold), so the output is the same for every ``n_jobs``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from stacker.exceptions import ValidationError
from stacker.level2.features import LabelFeatures
from stacker.level2.learners import Learner


@dataclass(frozen=True)
class NestedResult:
    """Level-2 predictions.

    Attributes
    ----------
    oof : ndarray of shape (n_train, n_labels), float64
        Each row predicted by the fit that did not train on its fold.
    test : ndarray of shape (n_test, n_labels), float64
        Mean of the K fold fits' test predictions.
    """

    oof: np.ndarray
    test: np.ndarray


def fit_seed(seed: int, label_index: int, fold: int) -> int:
    """The random state of the (label, fold) fit: independent of scheduling."""
    return int(np.random.SeedSequence([seed, label_index, fold]).generate_state(1)[0] % (2**31 - 1))


def nested_cv(
    features: Sequence[LabelFeatures], Y: np.ndarray, folds: np.ndarray, learner: Learner, *,
    n_jobs: int = 1, seed: int = 0,
) -> NestedResult:
    """Level-2 OOF and test predictions of ``learner`` (a prototype; it is cloned per fit).

    Parameters
    ----------
    features : sequence of LabelFeatures, length n_labels
        Label ``j``'s design matrices; ``features[j].train`` has n_train rows.
    Y : ndarray of shape (n_train, n_labels)
        0/1 labels.
    folds : ndarray of shape (n_train,)
        Fold of each row, 0..K-1 with K >= 2.
    learner : Learner
        Prototype; each fit gets ``type(learner)(**params)`` with its own ``random_state``.
    n_jobs : int, default 1
        Parallel fits (joblib; -1 for every core).
    seed : int, default 0
    """
    Y, folds = _check_inputs(features, Y, folds)
    if n_jobs == 0 or seed < 0:
        raise ValidationError(f"jobs must be >= 1 (or -1 for every core) and seed >= 0; found jobs={n_jobs}, seed={seed}")
    n_folds, n_labels = int(folds.max()) + 1, Y.shape[1]
    tasks = [(j, k) for j in range(n_labels) for k in range(n_folds)]
    oof = np.full(Y.shape, np.nan)
    test = np.zeros((len(features[0].test), n_labels))
    for j, k, held_out_pred, test_pred in _run(tasks, features, Y, folds, learner, n_jobs, seed):
        oof[folds == k, j] = held_out_pred
        test[:, j] += test_pred / n_folds
    return NestedResult(oof=oof, test=test)


def _run(tasks, features, Y, folds, learner, n_jobs, seed):
    """Yield ``fit_fold`` results in task order through the execution seam; every fit single-threaded."""
    from stacker.parallel import Shared, iter_tasks

    params = learner.get_params()
    shared_folds = Shared(folds)
    per_label = [(Shared(f.train), Shared(f.test), Shared(Y[:, j])) for j, f in enumerate(features)]
    calls = [(type(learner), params, *per_label[j], shared_folds, j, k, seed) for j, k in tasks]
    yield from iter_tasks(fit_fold, calls, jobs=n_jobs, prefer="processes", inner_threads=1,
                          description=f"level-2 {type(learner).__name__} fits")


def fit_fold(cls: type[Learner], params: dict, X: np.ndarray, X_test: np.ndarray, y: np.ndarray,
             folds: np.ndarray, j: int, k: int, seed: int) -> tuple[int, int, np.ndarray, np.ndarray]:
    """Fit on the rows outside fold ``k``; predict fold ``k`` and the test rows."""
    if "random_state" in params:
        params = {**params, "random_state": fit_seed(seed, j, k)}
    train = folds != k
    model = cls(**params).fit(X[train], y[train])
    return j, k, model.predict_proba(X[~train]), model.predict_proba(X_test)


def _check_inputs(features, Y, folds) -> tuple[np.ndarray, np.ndarray]:
    Y = np.asarray(Y)
    folds = np.asarray(folds).astype(np.int64).reshape(-1)
    if Y.ndim != 2 or len(features) != Y.shape[1]:
        raise ValidationError(f"Y must be (n_train, n_labels) with one LabelFeatures per label; "
                              f"found Y {Y.shape} and {len(features)} feature sets")
    if len(folds) != len(Y) or folds.min(initial=0) < 0:
        raise ValidationError(f"folds must hold one fold id >= 0 per row of Y ({len(Y)}); found {len(folds)}")
    present = np.unique(folds)
    if len(present) < 2 or not np.array_equal(present, np.arange(len(present))):
        raise ValidationError(f"folds must be 0..K-1 with K >= 2, each used; found fold ids {present.tolist()}")
    for j, f in enumerate(features):
        if len(f.train) != len(Y) or (f.test.ndim != 2 or f.test.shape[1] != f.train.shape[1]):
            raise ValidationError(f"label {j}: features train {f.train.shape} / test {f.test.shape} do not fit "
                                  f"{len(Y)} train rows with the same columns")
    return Y, folds
