"""Per-fold alignment of stack and blend inputs: every fold on the average fold's scale, test rows untouched."""

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


def block_moments(P, rows):
    z = logit(P[:, rows])
    return z.mean(axis=1), z.std(axis=1)


def standardized(P, folds):
    z = logit(P)
    for k in np.unique(folds):
        r = folds == k
        z[:, r] = (z[:, r] - z[:, r].mean(axis=1, keepdims=True)) / z[:, r].std(axis=1, keepdims=True)
    return z


def test_every_fold_of_every_input_gets_one_common_scale_and_test_rows_their_average_folds_map():
    oof, views, test, folds = stage_arrays(np.random.default_rng(0))
    oof[1] = 1.0 / (1.0 + np.exp(-(3.0 * logit(oof[1]) - 1.0)))  # a second input on another scale
    for k in range(4):
        views[1, k, folds == k] = oof[1, folds == k]
    s_oof, s_views, s_test = scale_inputs(oof, views, test, folds)
    moments = [block_moments(oof, folds == k) for k in range(4)]
    mean, std = np.mean([m for m, _ in moments], axis=0), np.mean([s for _, s in moments], axis=0)
    target_mean, target_std = mean.mean(axis=0), std.mean(axis=0)
    for k in range(4):
        got_mean, got_std = block_moments(s_oof, folds == k)
        np.testing.assert_allclose(got_mean, np.broadcast_to(target_mean, got_mean.shape), atol=1e-4)
        np.testing.assert_allclose(got_std, np.broadcast_to(target_std, got_std.shape), atol=1e-4)
        np.testing.assert_array_equal(s_views[:, k, folds == k], s_oof[:, folds == k])  # fold k of view k: OOF
        other = folds == (k + 1) % 4  # another fold of view k: its own block, aligned the same way
        np.testing.assert_allclose(block_moments(s_views[:, k], other)[0], np.broadcast_to(target_mean, (2, 3)),
                                   atol=1e-4)
    expected_test = target_mean + target_std * (logit(test) - mean[:, None]) / std[:, None]
    np.testing.assert_allclose(logit(s_test), expected_test, atol=1e-3)  # never the test rows' own moments
    np.testing.assert_allclose(standardized(s_oof, folds), standardized(oof, folds), atol=1e-3)  # order kept


def test_a_single_inputs_test_rows_stay_as_they_are():
    oof, views, test, folds = stage_arrays(np.random.default_rng(5), n_sources=1)
    np.testing.assert_allclose(scale_inputs(oof, views, test, folds)[2], test, atol=1e-5)


def test_a_different_calibration_per_fold_is_taken_out():
    """Each fold's log-odds scaled and shifted differently: the same within-fold shape on one common scale."""
    rng = np.random.default_rng(1)
    oof, views, test, folds = stage_arrays(rng)
    z = logit(oof)
    for k in range(4):
        a, b = rng.uniform(0.5, 2.0, (2, 1, 3)), rng.normal(0.0, 1.0, (2, 1, 3))
        z[:, folds == k] = a * z[:, folds == k] + b
    distorted = (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
    s_oof = scale_inputs(distorted, None, test, folds)[0]
    moments = [block_moments(s_oof, folds == k) for k in range(4)]
    for m, s in moments[1:]:  # every fold on one scale
        np.testing.assert_allclose(m, moments[0][0], atol=1e-4)
        np.testing.assert_allclose(s, moments[0][1], atol=1e-4)
    np.testing.assert_allclose(standardized(s_oof, folds), standardized(oof, folds), atol=1e-3)


def test_a_fold_too_small_to_measure_uses_every_rows_moments():
    oof, views, test, folds = stage_arrays(np.random.default_rng(4), n_sources=1, n_train=60)  # 15 rows a fold
    np.testing.assert_allclose(scale_inputs(oof, None, test, folds)[0], oof, atol=1e-5)


def test_a_constant_column_of_a_single_input_stays():
    oof, views, test, folds = stage_arrays(np.random.default_rng(3), n_sources=1)
    oof[0, :, 1] = 0.3
    np.testing.assert_allclose(scale_inputs(oof, None, test, folds)[0][0, :, 1], 0.3, atol=1e-6)
