"""Test-time augmentation: a registry of view sets, each view an affine crop of the batch.

``none``: the validation center crop; ``flip``: it and its mirror; ``five-crop``:
four corner crops and the center crop; ``ten-crop``: those five and their
mirrors. Probabilities (sigmoid of the logits) are averaged over the views.
"""

from __future__ import annotations

from typing import Callable

import torch

from stacker.level0.augment import crop_theta, to_float, warp
from stacker.registry import Registry

TTA: Registry[list[tuple[float, float, bool]]] = Registry("tta")


def list_tta() -> list[str]:
    """Registered TTA names (CLI choices)."""
    return TTA.names()


def view_thetas(name: str, n: int, crop_pct: float) -> list[torch.Tensor]:
    """The affine maps (n, 2, 3) of each view of TTA ``name``."""
    return [crop_theta(n, crop_pct, cx=cx, cy=cy, flip=flip) for cx, cy, flip in TTA.create(name, crop_pct=crop_pct)]


def tta_views(images: torch.Tensor, name: str, size: int, crop_pct: float) -> torch.Tensor:
    """(batch, h, w, 3) uint8 -> views (n_views, batch, 3, size, size) float in [0, 1]."""
    x = to_float(images)
    return torch.stack([warp(x, theta, size) for theta in view_thetas(name, len(images), crop_pct)])


@torch.no_grad()
def predict_tta(
    forward: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor, *, name: str, size: int,
    crop_pct: float, memory_format: torch.memory_format = torch.contiguous_format,
) -> torch.Tensor:
    """Mean sigmoid probability over the views, shape (batch, n_labels), float32.

    ``forward`` maps (batch, 3, size, size) floats in [0, 1] to logits.
    """
    x = to_float(images)
    total = None
    thetas = view_thetas(name, len(images), crop_pct)
    for theta in thetas:
        view = warp(x, theta, size).contiguous(memory_format=memory_format)
        p = torch.sigmoid(forward(view).float())
        total = p if total is None else total + p
    return total / len(thetas)


@TTA.register("none")
def _none(*, crop_pct: float) -> list[tuple[float, float, bool]]:
    return [(0.0, 0.0, False)]


@TTA.register("flip")
def _flip(*, crop_pct: float) -> list[tuple[float, float, bool]]:
    return [(0.0, 0.0, False), (0.0, 0.0, True)]


@TTA.register("five-crop")
def _five_crop(*, crop_pct: float) -> list[tuple[float, float, bool]]:
    d = 1.0 - crop_pct
    return [(-d, -d, False), (d, -d, False), (-d, d, False), (d, d, False), (0.0, 0.0, False)]


@TTA.register("ten-crop")
def _ten_crop(*, crop_pct: float) -> list[tuple[float, float, bool]]:
    five = _five_crop(crop_pct=crop_pct)
    return five + [(cx, cy, True) for cx, cy, _ in five]
