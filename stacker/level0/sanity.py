"""``stacker train --sanity``: overfit a handful of batches before any tuning.

A pipeline that cannot drive the loss on a few fixed batches close to zero
(labels misaligned with images, a frozen or broken model, a bad learning
rate) will not learn the full set either.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch

from stacker.config import TrainConfig
from stacker.data.workspace import Workspace
from stacker.level0.augment import DeviceAugment
from stacker.level0.checkpoint import seed_for
from stacker.level0.device import autocast, cpu_threads, memory_format, resolve_device, resolve_precision
from stacker.level0.loader import BatchLoader
from stacker.level0.losses import create_loss
from stacker.level0.model import build_model, check_input_size
from stacker.level0.optim import create_optimizer
from stacker.level0.run import load_cache, fold_data, resolve_config, validate_config

log = logging.getLogger(__name__)

NEAR_ZERO = 0.1  # passed when the last pass's loss is at most this fraction of the first pass's


@dataclass(frozen=True)
class SanityResult:
    """Mean loss over the fixed batches on the first and the last pass, and the verdict."""

    passed: bool
    initial_loss: float
    final_loss: float
    steps: int
    n_images: int


def sanity_check(workspace: Workspace, config: TrainConfig) -> SanityResult:
    """Train on ``config.sanity_batches`` fixed batches of fold 0 for ``config.sanity_steps`` steps.

    No augmentation (the center crop), constant ``config.lr``, no weight decay.
    """
    with cpu_threads(config.threads):
        return _overfit(workspace, resolve_config(config))


def _overfit(workspace: Workspace, config: TrainConfig) -> SanityResult:
    validate_config(config, workspace)
    device = resolve_device(config.device)
    precision = resolve_precision(config.precision, device)
    batches, y = _fixed_batches(workspace, config, device)
    n = len(y)
    torch.manual_seed(seed_for(config.seed, 0))
    model = build_model(config.arch, y.shape[1], pretrained=config.pretrained).to(device)
    model = model.to(memory_format=memory_format(config.channels_last, device))
    check_input_size(model, config.arch, config.img_size, device)
    loss_fn = create_loss(config.loss, prevalence=y.mean(0), beta=workspace.metric.beta,
                          average=workspace.metric.average).to(device)
    optimizer = create_optimizer(config.optimizer, model, lr=config.lr, momentum=config.momentum, weight_decay=0.0)
    losses = []
    for step in range(max(config.sanity_steps, len(batches))):
        x, targets = batches[step % len(batches)]
        with autocast(device, precision):
            loss = loss_fn(model(x), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    first, last = losses[: len(batches)], losses[-len(batches):]
    initial, final = sum(first) / len(first), sum(last) / len(last)
    passed = final <= NEAR_ZERO * initial
    log.info("sanity: loss %.4f -> %.4f over %d steps on %d images: %s", initial, final, len(losses), n,
             "passed" if passed else "FAILED")
    return SanityResult(passed=passed, initial_loss=initial, final_loss=final, steps=len(losses), n_images=n)


def _fixed_batches(workspace: Workspace, config: TrainConfig, device: torch.device) -> tuple[list, np.ndarray]:
    """The first ``sanity_batches`` batches of the first requested fold's training rows, center-cropped."""
    data = fold_data(workspace, load_cache(workspace, config), (config.folds or (0,))[0])
    n = min(len(data.train_rows), config.sanity_batches * config.batch_size)
    loader = BatchLoader(data.images, data.train_rows[:n], data.y_train[:n], batch_size=config.batch_size,
                         device=device)
    augment = DeviceAugment(config.augment, crop_pct=config.crop_pct,
                            memory_format=memory_format(config.channels_last, device))
    return [(augment.val(images, config.img_size), targets) for images, targets in loader.epoch()], data.y_train[:n]
