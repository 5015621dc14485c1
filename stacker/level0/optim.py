"""Optimizers, a registry: ``create_optimizer(name, model, lr=..., momentum=..., weight_decay=...)``.

Weight decay applies to weight matrices and kernels only, never to biases or
normalisation parameters (1-D tensors).
"""

from __future__ import annotations

import torch
from torch import nn

from stacker.registry import Registry

OPTIMIZERS: Registry[torch.optim.Optimizer] = Registry("optimizer")


def list_optimizers() -> list[str]:
    """Registered optimizer names (CLI choices)."""
    return OPTIMIZERS.names()


def create_optimizer(name: str, model: nn.Module, *, lr: float, momentum: float,
                     weight_decay: float) -> torch.optim.Optimizer:
    """Optimizer ``name`` over every parameter of ``model`` (frozen ones included: they get no gradient)."""
    return OPTIMIZERS.create(name, groups=param_groups(model, weight_decay), lr=lr, momentum=momentum)


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two groups: decayed (ndim > 1) and not decayed (biases, norm scales)."""
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


@OPTIMIZERS.register("sgd")
def _sgd(*, groups: list[dict], lr: float, momentum: float) -> torch.optim.Optimizer:
    return torch.optim.SGD(groups, lr=lr, momentum=momentum, nesterov=momentum > 0)


@OPTIMIZERS.register("adamw")
def _adamw(*, groups: list[dict], lr: float, momentum: float) -> torch.optim.Optimizer:
    return torch.optim.AdamW(groups, lr=lr)
