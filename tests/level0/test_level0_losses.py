"""Loss registry: every loss finite with sane gradients; weighting and soft F-beta checked against definitions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import fbeta_score

from stacker.exceptions import RegistryError
from stacker.level0.losses import create_loss, list_losses, positive_weights

PREVALENCE = np.array([0.9, 0.5, 0.05])


def test_registry_holds_the_documented_losses():
    assert set(list_losses()) >= {"bce", "bce-weighted", "focal", "soft-f2", "bce+soft-f2"}


@pytest.mark.parametrize("name", list_losses())
def test_loss_is_finite_with_finite_gradient(name):
    torch.manual_seed(0)
    logits = (torch.randn(16, 3) * 20).requires_grad_()
    targets = (torch.rand(16, 3) < 0.5).float()
    loss = create_loss(name, prevalence=PREVALENCE)(logits, targets)
    loss.backward()
    assert loss.ndim == 0 and torch.isfinite(loss)
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0


@pytest.mark.parametrize("name", list_losses())
def test_loss_prefers_correct_predictions(name):
    targets = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    loss = create_loss(name, prevalence=PREVALENCE)
    right, wrong = loss(6 * (2 * targets - 1), targets), loss(-6 * (2 * targets - 1), targets)
    assert right < wrong


def test_unknown_loss_lists_valid_names():
    with pytest.raises(RegistryError, match="unknown loss 'dice'.*bce-weighted"):
        create_loss("dice", prevalence=PREVALENCE)


def test_bce_weighted_gives_rare_labels_larger_weight():
    weights = positive_weights(PREVALENCE)
    assert weights[2] > weights[1] > weights[0]
    assert weights[1] == pytest.approx(1.0)
    # a missed positive of the rare label costs more than one of the common label
    loss = create_loss("bce-weighted", prevalence=PREVALENCE)
    miss_rare = loss(torch.tensor([[9.0, 9.0, -3.0]]), torch.ones(1, 3))
    miss_common = loss(torch.tensor([[-3.0, 9.0, 9.0]]), torch.ones(1, 3))
    assert miss_rare > 5 * miss_common


def test_soft_fbeta_gradient_pushes_positives_up_and_negatives_down():
    targets = torch.tensor([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]])
    logits = torch.zeros(2, 4, requires_grad=True)
    create_loss("soft-f2", prevalence=PREVALENCE)(logits, targets).backward()
    assert (logits.grad[targets == 1] < 0).all()
    assert (logits.grad[targets == 0] > 0).all()


@pytest.mark.parametrize("average", ["samples", "macro", "micro"])
def test_soft_fbeta_equals_hard_fbeta_on_saturated_predictions(average):
    rng = np.random.default_rng(0)
    y = (rng.random((30, 4)) < 0.4).astype(np.float32)
    pred = (rng.random((30, 4)) < 0.5).astype(np.float32)
    y[:, 0] = 1
    pred[:, 1] = 1  # no empty rows or columns: F-beta is defined everywhere
    loss = create_loss("soft-f2", prevalence=PREVALENCE, beta=2.0, average=average)
    soft = 1 - float(loss(torch.tensor(60 * (2 * pred - 1)), torch.tensor(y)))
    assert soft == pytest.approx(fbeta_score(y, pred, beta=2.0, average=average), abs=1e-5)


def test_focal_down_weights_easy_cells_relative_to_bce():
    targets = torch.ones(1, 3)
    easy, hard = torch.full((1, 3), 4.0), torch.full((1, 3), -1.0)
    bce, focal = create_loss("bce", prevalence=PREVALENCE), create_loss("focal", prevalence=PREVALENCE)
    assert focal(easy, targets) / bce(easy, targets) < focal(hard, targets) / bce(hard, targets)
