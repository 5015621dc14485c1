"""Augmentation on the device: uint8 image batches in, float batches in [0, 1] out.

Geometry (random-resized-crop, flips, rotation, shift) is one affine map per
image, applied with ``affine_grid`` + ``grid_sample`` straight to the output
size; colour (brightness, contrast, hue rotation) follows. Random numbers come
from a CPU ``torch.Generator`` in a fixed-size block per batch, so a run is
reproducible from its seed whatever the device and policy.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from stacker.config import AugmentConfig
from stacker.exceptions import ValidationError

N_DRAWS = 18  # uniform numbers drawn per image, whatever the policy
_YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


def to_device(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Copy a small CPU tensor to ``device`` without stalling a GPU (pinned, non-blocking)."""
    if device.type != "cuda":
        return t.to(device)
    return t.pin_memory().to(device, non_blocking=True)


def to_float(images: torch.Tensor) -> torch.Tensor:
    """(batch, h, w, 3) uint8 -> (batch, 3, h, w) float32 in [0, 1], channels-last memory."""
    return images.permute(0, 3, 1, 2).float().div_(255.0)


def warp(x: torch.Tensor, theta: torch.Tensor, size: int) -> torch.Tensor:
    """Resample ``x`` (batch, 3, h, w) through affine maps ``theta`` (batch, 2, 3) to (batch, 3, size, size).

    ``theta`` maps output coordinates to input ones, both normalised to [-1, 1].
    """
    grid = F.affine_grid(to_device(theta.to(x.dtype), x.device), [x.shape[0], 3, size, size], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def crop_theta(n: int, scale: float, *, cx: float = 0.0, cy: float = 0.0, flip: bool = False) -> torch.Tensor:
    """``n`` copies of the map that crops a ``scale`` fraction centred at (cx, cy), optionally mirrored."""
    theta = torch.tensor([[-scale if flip else scale, 0.0, cx], [0.0, scale, cy]])
    return theta.expand(n, 2, 3).clone()


def sample_geometry(u: torch.Tensor, policy: AugmentConfig) -> torch.Tensor:
    """Affine maps (n, 2, 3) from uniform draws ``u`` (n, N_DRAWS)."""
    w = torch.ones(len(u))
    h = torch.ones(len(u))
    fired = u[:, 0] < policy.rrc_p
    area = policy.rrc_scale[0] + u[:, 1] * (policy.rrc_scale[1] - policy.rrc_scale[0])
    lo, hi = math.log(policy.rrc_ratio[0]), math.log(policy.rrc_ratio[1])
    ratio = torch.exp(lo + u[:, 2] * (hi - lo))
    w = torch.where(fired, torch.sqrt(area * ratio).clamp(max=1.0), w)
    h = torch.where(fired, torch.sqrt(area / ratio).clamp(max=1.0), h)
    cx = (2 * u[:, 3] - 1) * (1 - w)
    cy = (2 * u[:, 4] - 1) * (1 - h)
    fx = torch.where(u[:, 5] < policy.hflip_p, -1.0, 1.0)
    fy = torch.where(u[:, 6] < policy.vflip_p, -1.0, 1.0)
    angle = torch.where(u[:, 7] < policy.rotate_p, (2 * u[:, 8] - 1) * math.radians(policy.rotate_deg), 0.0)
    shift = (u[:, 9] < policy.shift_p).float() * 2 * policy.shift_frac
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([
        torch.stack([cos * w * fx, -sin * h * fy, cx + shift * (2 * u[:, 10] - 1)], 1),
        torch.stack([sin * w * fx, cos * h * fy, cy + shift * (2 * u[:, 11] - 1)], 1),
    ], 1)
    return theta


def apply_colour(x: torch.Tensor, u: torch.Tensor, policy: AugmentConfig) -> torch.Tensor:
    """Brightness, contrast and hue rotation per image (each with its probability), clamped to [0, 1]."""
    bright = (u[:, 12] < policy.brightness_p)
    contrast = (u[:, 14] < policy.contrast_p)
    hue = (u[:, 16] < policy.hue_p)
    if bright.any():
        factor = torch.where(bright, 1 + (2 * u[:, 13] - 1) * policy.brightness, 1.0)
        x = x * to_device(factor, x.device).view(-1, 1, 1, 1)
    if contrast.any():
        factor = to_device(torch.where(contrast, 1 + (2 * u[:, 15] - 1) * policy.contrast, 1.0), x.device)
        luma = to_device(_YIQ[0], x.device).view(1, 3, 1, 1)
        grey = (x * luma).sum(1, keepdim=True).mean((2, 3), keepdim=True)
        x = (x - grey) * factor.view(-1, 1, 1, 1) + grey
    if hue.any():
        angle = torch.where(hue, (2 * u[:, 17] - 1) * math.radians(policy.hue_deg), 0.0)
        x = torch.einsum("bij,bjhw->bihw", to_device(hue_matrices(angle), x.device), x)
    return x.clamp_(0.0, 1.0) if (bright.any() or contrast.any() or hue.any()) else x


def hue_matrices(angle: torch.Tensor) -> torch.Tensor:
    """RGB -> RGB maps (n, 3, 3) that rotate the hue by ``angle`` radians in YIQ space (luma kept)."""
    cos, sin = torch.cos(angle), torch.sin(angle)
    one, zero = torch.ones_like(angle), torch.zeros_like(angle)
    rotation = torch.stack([
        torch.stack([one, zero, zero], 1),
        torch.stack([zero, cos, -sin], 1),
        torch.stack([zero, sin, cos], 1),
    ], 1)
    return torch.linalg.inv(_YIQ) @ rotation @ _YIQ


class DeviceAugment:
    """Train and validation views of uint8 batches, computed where the batch lives.

    Parameters
    ----------
    policy : AugmentConfig
        Train-time transforms and their probabilities.
    crop_pct : float
        Fraction of the image kept by the validation center crop.
    memory_format : torch.memory_format
        Memory layout of the returned batches (channels-last for GPUs).
    """

    def __init__(self, policy: AugmentConfig, *, crop_pct: float,
                 memory_format: torch.memory_format = torch.contiguous_format) -> None:
        self.policy = policy
        self.crop_pct = crop_pct
        self.memory_format = memory_format

    def train(self, images: torch.Tensor, size: int, generator: torch.Generator) -> torch.Tensor:
        """(batch, h, w, 3) uint8 -> augmented (batch, 3, size, size) float in [0, 1]."""
        u = torch.rand(len(images), N_DRAWS, generator=generator)
        x = warp(to_float(images), sample_geometry(u, self.policy), size)
        return apply_colour(x, u, self.policy).contiguous(memory_format=self.memory_format)

    def val(self, images: torch.Tensor, size: int) -> torch.Tensor:
        """(batch, h, w, 3) uint8 -> center crop (batch, 3, size, size) float in [0, 1]."""
        x = warp(to_float(images), crop_theta(len(images), self.crop_pct), size)
        return x.contiguous(memory_format=self.memory_format)


def parse_augment(text: str, base: AugmentConfig | None = None) -> AugmentConfig:
    """``"hflip_p=0.5,vflip_p=0.5,rrc_scale=0.3:1"`` -> ``base`` with those fields changed.

    Pairs (``rrc_scale``, ``rrc_ratio``) are written ``low:high``.
    """
    from dataclasses import fields, replace

    base = base or AugmentConfig()
    known = {f.name: f for f in fields(AugmentConfig)}
    changes = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, _, value = item.partition("=")
        key = key.strip()
        if key not in known:
            raise ValidationError(f"--augment: unknown setting {key!r}; valid: {', '.join(known)}")
        try:
            pair = isinstance(getattr(base, key), tuple)
            changes[key] = tuple(float(v) for v in value.split(":")) if pair else float(value)
        except ValueError:
            changes[key] = None
        if changes[key] is None or (pair and len(changes[key]) != 2):
            raise ValidationError(f"--augment: {item!r} is not {key}=<number>{' (low:high)' if pair else ''}")
    return replace(base, **changes)
