"""Multi-label losses, a registry: ``create_loss(name, prevalence=..., beta=..., average=...)``.

Every factory takes the same keywords: ``prevalence`` (n_labels,) the training
label density, ``beta`` and ``average`` of the workspace F-beta metric. A loss
maps ``logits`` and 0/1 ``targets``, both (batch, n_labels), to a scalar.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from stacker.registry import Registry

LOSSES: Registry[nn.Module] = Registry("loss")
POS_WEIGHT_RANGE = (0.05, 50.0)


def create_loss(name: str, *, prevalence: np.ndarray, beta: float = 2.0, average: str = "samples") -> nn.Module:
    """Build the registered loss ``name``; unknown names raise RegistryError listing the valid ones."""
    return LOSSES.create(name, prevalence=np.asarray(prevalence, dtype=np.float64), beta=beta, average=average)


def list_losses() -> list[str]:
    """Registered loss names (CLI choices)."""
    return LOSSES.names()


def positive_weights(prevalence: np.ndarray) -> np.ndarray:
    """Per-label positive weight ``(1 - p) / p``, clipped: rare labels weigh more, common ones less."""
    p = np.clip(np.asarray(prevalence, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.clip((1 - p) / p, *POS_WEIGHT_RANGE)


class BCE(nn.Module):
    """Binary cross-entropy on logits, optionally with per-label positive weights (n_labels,)."""

    def __init__(self, pos_weight: np.ndarray | None = None) -> None:
        super().__init__()
        weight = None if pos_weight is None else torch.tensor(pos_weight, dtype=torch.float32)
        self.register_buffer("pos_weight", weight)

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(logits.float(), targets, pos_weight=self.pos_weight)


class Focal(nn.Module):
    """Focal loss (Lin et al. 2017): BCE scaled by ``(1 - p_t) ** gamma`` to focus on hard cells."""

    def __init__(self, gamma: float = 2.0) -> None:
        super().__init__()
        self.gamma = gamma

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        logits = logits.float()
        bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
        p_t = torch.exp(-bce)
        return ((1 - p_t) ** self.gamma * bce).mean()


class SoftFBeta(nn.Module):
    """``1 - F_beta`` computed on sigmoid probabilities instead of hard 0/1 predictions.

    ``average`` follows the workspace metric: per row (samples), per label over
    the batch (macro) or over all cells (micro).
    """

    def __init__(self, beta: float, average: str, eps: float = 1e-7) -> None:
        super().__init__()
        self.beta2 = beta * beta
        self.average = average
        self.eps = eps

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        p = torch.sigmoid(logits.float())
        dims = {"samples": 1, "macro": 0, "micro": (0, 1)}[self.average]
        tp = (p * targets).sum(dims)
        fp = (p * (1 - targets)).sum(dims)
        fn = ((1 - p) * targets).sum(dims)
        f = (1 + self.beta2) * tp / ((1 + self.beta2) * tp + self.beta2 * fn + fp + self.eps)
        return 1 - f.mean()


class Sum(nn.Module):
    """The sum of several losses."""

    def __init__(self, *parts: nn.Module) -> None:
        super().__init__()
        self.parts = nn.ModuleList(parts)

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return sum(part(logits, targets) for part in self.parts)


@LOSSES.register("bce")
def _bce(*, prevalence: np.ndarray, beta: float, average: str) -> nn.Module:
    return BCE()


@LOSSES.register("bce-weighted")
def _bce_weighted(*, prevalence: np.ndarray, beta: float, average: str) -> nn.Module:
    return BCE(positive_weights(prevalence))


@LOSSES.register("focal")
def _focal(*, prevalence: np.ndarray, beta: float, average: str) -> nn.Module:
    return Focal()


@LOSSES.register("soft-f2")
def _soft_fbeta(*, prevalence: np.ndarray, beta: float, average: str) -> nn.Module:
    return SoftFBeta(beta, average)


@LOSSES.register("bce+soft-f2")
def _bce_soft_fbeta(*, prevalence: np.ndarray, beta: float, average: str) -> nn.Module:
    return Sum(BCE(), SoftFBeta(beta, average))
