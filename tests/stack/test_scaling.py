"""Per-fold standardisation of stack inputs: every block of rows on one scale, no labels, views kept consistent."""

from __future__ import annotations

import numpy as np

from stacker.level2.learners._base import logit
from stacker.stack.scaling import scale_inputs


def stage_arrays(rng, n_sources=2, n_train=120, n_test=40, n_labels=3, n_folds=4):
    """Stage outputs of moderate log-odds (so no distortion below reaches the clipping of ``logit``)."""
    folds = rng.permutation(np.arange(n_train) % n_folds)
    sig = lambda shape: (1.0 / (1.0 + np.exp(-rng.normal(0.0, 1.0, shape)))).astype(np.float32)
    oof, views = sig((n_sources, n_train, n_labels)), sig((n_sources, n_folds, n_train, n_labels))
    for k in range(n_folds):
        views[:, k, folds == k] = oof[:, folds == k]
    return oof, views, sig((n_sources, n_test, n_labels)), folds


def test_every_block_is_standardised_and_each_views_own_fold_stays_its_oof():
    oof, views, test, folds = stage_arrays(np.random.default_rng(0))
    s_oof, s_views, s_test = scale_inputs(oof, views, test, folds)
    for block, rows in [(s_oof, folds == k) for k in range(4)]:
        z = logit(block[:, rows])
        np.testing.assert_allclose(z.mean(axis=1), 0.0, atol=1e-4)
        np.testing.assert_allclose(z.std(axis=1), 1.0, atol=1e-3)
    for k in range(4):
        np.testing.assert_array_equal(s_views[:, k, folds == k], s_oof[:, folds == k])
        z = logit(s_views[:, k, folds == (k + 1) % 4])  # another fold of view k: its own block
        np.testing.assert_allclose(z.mean(axis=1), 0.0, atol=1e-4)


def test_a_different_calibration_per_fold_is_taken_out():
    """Each fold's log-odds scaled and shifted differently: scaling gives the same OOF and views."""
    rng = np.random.default_rng(1)
    oof, views, test, folds = stage_arrays(rng)
    base = scale_inputs(oof, views, test, folds)
    z, zv, zt = logit(oof), logit(views), logit(test)
    for k in range(4):
        a, b = rng.uniform(0.5, 2.0, (2, 1, 3)), rng.normal(0.0, 1.0, (2, 1, 3))
        z[:, folds == k] = a * z[:, folds == k] + b
        for v in range(4):
            zv[:, v, folds == k] = a * zv[:, v, folds == k] + b if v == k else 1.7 * zv[:, v, folds == k] - 0.3
    sig = lambda x: (1.0 / (1.0 + np.exp(-x))).astype(np.float32)
    distorted = scale_inputs(sig(z), sig(zv), sig(zt), folds)
    for expected, got in zip(base[:2], distorted[:2]):
        np.testing.assert_allclose(got, expected, atol=1e-4)


def test_test_rows_are_mapped_with_the_mean_of_the_folds_moments_so_a_real_shift_stays():
    oof, views, test, folds = stage_arrays(np.random.default_rng(2), n_test=7)
    _, _, s_test = scale_inputs(oof, None, test, folds)
    z = logit(oof)
    mean = np.mean([z[:, folds == k].mean(axis=1, keepdims=True) for k in range(4)], axis=0)
    std = np.mean([z[:, folds == k].std(axis=1, keepdims=True) for k in range(4)], axis=0)
    np.testing.assert_allclose(logit(s_test), (logit(test) - mean) / std, atol=1e-3)
    shifted = scale_inputs(oof, None, (1.0 / (1.0 + np.exp(-(logit(test) + 1.0)))).astype(np.float32), folds)[2]
    assert (logit(shifted) > logit(s_test)).all()  # test rows more positive than train stay more positive


def test_a_constant_column_is_only_centred():
    oof, views, test, folds = stage_arrays(np.random.default_rng(3))
    oof[0, :, 1] = 0.3
    s_oof, _, _ = scale_inputs(oof, None, test, folds)
    np.testing.assert_allclose(s_oof[0, :, 1], 0.5, atol=1e-6)


def test_a_fold_too_small_to_measure_uses_every_train_rows_statistics():
    oof, views, test, folds = stage_arrays(np.random.default_rng(4), n_train=60)  # 15 rows a fold
    s_oof, _, _ = scale_inputs(oof, None, test, folds)
    z = logit(oof)
    np.testing.assert_allclose(logit(s_oof), (z - z.mean(axis=1, keepdims=True)) / z.std(axis=1, keepdims=True),
                               atol=1e-3)
