"""Schedules, stages and the early-stopping score."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import fbeta_score

from stacker.exceptions import RegistryError, ValidationError
from stacker.level0.schedule import LRSchedule, epoch_sizes, parse_stages
from stacker.level0.score import THRESHOLDS, fbeta_curve, validation_score


def test_warmup_is_linear_then_cosine_decays_to_zero():
    s = LRSchedule("cosine", base_lr=1.0, steps_per_epoch=10, epochs=5, warmup_epochs=1)
    assert [s.lr(i) for i in (0, 4, 9)] == pytest.approx([0.1, 0.5, 1.0])
    assert s.lr(10) == pytest.approx(1.0)
    assert s.lr(30) == pytest.approx(0.5)
    assert s.lr(49) == pytest.approx(0.5 * (1 + np.cos(np.pi * 39 / 40)))
    lrs = [s.lr(i) for i in range(10, 50)]
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))


def test_step_schedule_decays_every_step_epochs():
    s = LRSchedule("step", base_lr=1.0, steps_per_epoch=4, epochs=6, step_epochs=2, step_gamma=0.5)
    assert [s.lr(4 * e) for e in range(6)] == pytest.approx([1, 1, 0.5, 0.5, 0.25, 0.25])


def test_plateau_lowers_the_rate_after_patience_and_state_round_trips():
    s = LRSchedule("plateau", base_lr=1.0, steps_per_epoch=1, epochs=9, plateau_patience=2, plateau_factor=0.1)
    for score in (0.5, 0.6, 0.6, 0.59):
        s.end_epoch(score)
    assert s.lr(5) == pytest.approx(0.1)
    t = LRSchedule("plateau", base_lr=1.0, steps_per_epoch=1, epochs=9)
    t.load_state_dict(s.state_dict())
    assert t.lr(5) == s.lr(5)


def test_unknown_schedule_lists_valid_ones():
    with pytest.raises(RegistryError, match="unknown schedule 'linear'.*cosine"):
        LRSchedule("linear", base_lr=1.0, steps_per_epoch=1, epochs=1)


def test_stages_parse_and_expand():
    assert parse_stages("128:5, 224:25") == ((128, 5), (224, 25))
    assert epoch_sizes(parse_stages("16:2,24:1")) == [16, 16, 24]
    for bad in ("128", "128:x", "0:3", "64:-1"):
        with pytest.raises(ValidationError, match="<size>:<epochs>"):
            parse_stages(bad)


@pytest.mark.parametrize("average", ["samples", "macro", "micro"])
def test_fbeta_curve_equals_sklearn_at_every_threshold(average):
    rng = np.random.default_rng(1)
    y = (rng.random((40, 5)) < 0.4).astype(int)
    p = np.clip(y * 0.3 + rng.random((40, 5)) * 0.7, 0, 1)
    y[:, 0] = 0  # a label with no positives: scored with scikit-learn's default convention (0)
    curve = fbeta_curve(y, p, beta=2.0, average=average)
    expected = [fbeta_score(y, (p >= t).astype(int), beta=2.0, average=average, zero_division=0)
                for t in THRESHOLDS]
    np.testing.assert_allclose(curve, expected, rtol=1e-12)
    score, threshold = validation_score(y, p, beta=2.0, average=average)
    assert score == pytest.approx(max(expected)) and threshold == THRESHOLDS[int(np.argmax(expected))]
