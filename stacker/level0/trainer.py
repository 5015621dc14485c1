"""Fit one fold: train, validate every epoch, checkpoint, stop early, predict held-out and test rows.

:class:`FoldTrainer` works on arrays (a cache of uint8 images and row indices)
and knows nothing of run folders; :mod:`stacker.level0.run` does the I/O.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from stacker import progress
from stacker.config import TrainConfig
from stacker.data.metric import MetricSpec
from stacker.exceptions import TrainingError
from stacker.level0.augment import DeviceAugment
from stacker.level0.checkpoint import load_checkpoint, rng_state, save_checkpoint, seed_for, set_rng_state
from stacker.level0.device import autocast, grad_scaler, memory_format, resolve_precision
from stacker.level0.loader import BatchLoader
from stacker.level0.losses import create_loss
from stacker.level0.model import build_model, check_input_size, set_backbone_trainable
from stacker.level0.optim import create_optimizer
from stacker.level0.schedule import LRSchedule, epoch_sizes
from stacker.level0.score import validation_score
from stacker.level0.tta import predict_tta

log = logging.getLogger(__name__)

EpochHook = Callable[[int, int, dict], None]
"""``hook(fold, epoch, record)`` called after each epoch's checkpoint is on disk."""


@dataclass(frozen=True)
class FoldData:
    """What one fold trains on. Rows index ``images`` (n_images, h, w, 3) uint8.

    ``y_train`` (n_train_rows, n_labels) and ``y_val`` (n_val_rows, n_labels) are 0/1.
    """

    images: np.ndarray
    train_rows: np.ndarray
    val_rows: np.ndarray
    test_rows: np.ndarray
    y_train: np.ndarray
    y_val: np.ndarray


@dataclass
class FoldResult:
    """A fitted fold: held-out and test probabilities (float32, in [0, 1]) and its history."""

    fold: int
    val_score: float
    threshold: float
    best_epoch: int
    oof: np.ndarray
    test: np.ndarray
    history: list[dict] = field(default_factory=list)
    stopped_early: bool = False

    def summary(self) -> dict:
        """JSON-ready summary (no arrays)."""
        steady = self.history[1:] or self.history  # the first epoch pays for warm-up

        def median(key: str) -> float:
            return float(np.median([h[key] for h in steady])) if steady else 0.0

        return {
            "val_score": self.val_score, "threshold": self.threshold, "best_epoch": self.best_epoch,
            "epochs_run": len(self.history), "stopped_early": self.stopped_early,
            "images_per_s": median("images_per_s"), "data_wait": median("data_wait"), "history": self.history,
        }


class FoldTrainer:
    """Train fold ``fold`` as ``config`` says, checkpointing to ``checkpoint_dir``.

    Parameters
    ----------
    config : TrainConfig
        Resolved (``stages`` filled in).
    fold : int
    data : FoldData
    metric : MetricSpec
        The workspace F-beta; early stopping watches its best-threshold value.
    device : torch.device
    checkpoint_dir : Path
        ``fold<k>_last.pt`` (every epoch) and ``fold<k>_best.pt`` go here.
    on_epoch_end : callable, optional
        ``hook(fold, epoch, record)`` after each checkpoint (tests stop runs from here).
    """

    def __init__(self, config: TrainConfig, *, fold: int, data: FoldData, metric: MetricSpec,
                 device: torch.device, checkpoint_dir: Path, on_epoch_end: EpochHook | None = None) -> None:
        self.config = config
        self.fold = fold
        self.data = data
        self.metric = metric
        self.device = device
        self.precision = resolve_precision(config.precision, device)
        self.memory_format = memory_format(config.channels_last, device)
        self.last_path = checkpoint_dir / f"fold{fold}_last.pt"
        self.best_path = checkpoint_dir / f"fold{fold}_best.pt"
        self.on_epoch_end = on_epoch_end
        self.sizes = epoch_sizes(config.stages)
        self.nan_check_every = 1 if device.type == "cpu" else 16

    # ----- public ---------------------------------------------------------
    def fit(self, *, resume: bool = False) -> FoldResult:
        """Train (from the last checkpoint when ``resume``), restore the best epoch, predict."""
        self._build()
        if resume and self.last_path.exists():
            self._restore(load_checkpoint(self.last_path))
        epochs = range(self.epoch, len(self.sizes))
        for epoch in progress.track(epochs, f"fold {self.fold}", total=len(epochs)):
            if self.early["stopped"]:
                break
            record = self._run_epoch(epoch)
            if self.on_epoch_end is not None:
                self.on_epoch_end(self.fold, epoch, record)
        return self._finish()

    # ----- setup ----------------------------------------------------------
    def _build(self) -> None:
        c = self.config
        torch.manual_seed(seed_for(c.seed, self.fold))
        self.model = build_model(c.arch, self.data.y_train.shape[1], pretrained=c.pretrained).to(self.device)
        self.model = self.model.to(memory_format=self.memory_format)
        for size in sorted(set(self.sizes)):
            check_input_size(self.model, c.arch, size, self.device)
        self.forward = torch.compile(self.model) if c.compile else self.model
        self.loss_fn = create_loss(c.loss, prevalence=self.data.y_train.mean(0), beta=self.metric.beta,
                                   average=self.metric.average).to(self.device)
        self.optimizer = create_optimizer(c.optimizer, self.model, lr=c.lr, momentum=c.momentum,
                                          weight_decay=c.weight_decay)
        self.scaler = grad_scaler(self.device, self.precision)
        self.augment = DeviceAugment(c.augment, crop_pct=c.crop_pct, memory_format=self.memory_format)
        self.train_loader = BatchLoader(self.data.images, self.data.train_rows, self.data.y_train,
                                        batch_size=c.batch_size, device=self.device, shuffle=True, drop_last=True)
        self.val_loader = BatchLoader(self.data.images, self.data.val_rows, self.data.y_val,
                                      batch_size=c.batch_size, device=self.device)
        self.schedule = LRSchedule(
            c.schedule, base_lr=c.lr, steps_per_epoch=len(self.train_loader), epochs=len(self.sizes),
            warmup_epochs=c.warmup_epochs, step_epochs=c.step_epochs, step_gamma=c.step_gamma,
            plateau_patience=c.plateau_patience, plateau_factor=c.plateau_factor,
        )
        self.epoch, self.step = 0, 0
        self.history: list[dict] = []
        self.early = {"best_score": -math.inf, "best_epoch": -1, "best_size": self.sizes[-1],
                      "threshold": 0.5, "bad_epochs": 0, "stopped": False}

    def _restore(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.scaler.load_state_dict(state["scaler"])
        set_rng_state(state["rng"])
        self.epoch, self.step = state["epoch"], state["step"]
        self.early, self.history = state["early"], state["history"]
        log.info("fold %d: resumed after epoch %d (step %d)", self.fold, self.epoch - 1, self.step)

    # ----- one epoch ------------------------------------------------------
    def _run_epoch(self, epoch: int) -> dict:
        size = self.sizes[epoch]
        seed = seed_for(self.config.seed, self.fold, epoch)
        torch.manual_seed(seed)
        if self.config.freeze_epochs > 0:
            set_backbone_trainable(self.model, epoch >= self.config.freeze_epochs)
        train = self._train_epoch(epoch, size, torch.Generator().manual_seed(seed))
        val_loss, probs = self._evaluate(size)
        score, threshold = validation_score(self.data.y_val, probs, beta=self.metric.beta, average=self.metric.average)
        record = {"epoch": epoch, "size": size, **train, "val_loss": val_loss, "val_score": score,
                  "threshold": threshold}
        self.schedule.end_epoch(score)
        self._update_early_stopping(epoch, size, score, threshold)
        self.history.append(record)
        self.epoch = epoch + 1
        self._save_checkpoint()
        log.info(
            "fold %d epoch %d size %d: loss %.4f val_loss %.4f val %s %.4f (t=%.2f) lr %.2e | %.0f img/s, "
            "data wait %.0f%%, %.1fs", self.fold, epoch, size, record["train_loss"], val_loss, self.metric.name,
            score, threshold, record["lr"], record["images_per_s"], 100 * record["data_wait"], record["seconds"],
        )
        return record

    def _train_epoch(self, epoch: int, size: int, generator: torch.Generator) -> dict:
        self.model.train()
        wait_before, start = self.train_loader.wait_seconds, time.perf_counter()
        loss_sum, pending, n_steps, n_images, lr = torch.zeros((), device=self.device), [], 0, 0, 0.0
        for images, targets in self.train_loader.epoch(generator):
            lr = self.schedule.lr(self.step)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            loss, finite = self._train_step(self.augment.train(images, size, generator), targets)
            loss_sum += loss.detach().float()
            pending.append(finite)
            n_steps, n_images, self.step = n_steps + 1, n_images + len(images), self.step + 1
            if len(pending) >= self.nan_check_every:
                self._check_finite(pending, epoch, n_steps)
        self._check_finite(pending, epoch, n_steps)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        seconds = time.perf_counter() - start
        return {"train_loss": float(loss_sum) / max(1, n_steps), "lr": lr,
                "images_per_s": n_images / seconds, "seconds": seconds,
                "data_wait": (self.train_loader.wait_seconds - wait_before) / seconds}

    def _train_step(self, x: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with autocast(self.device, self.precision):
            loss = self.loss_fn(self.forward(x), targets)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        finite = torch.isfinite(loss)
        if self.config.grad_clip > 0 or not self.scaler.is_enabled():
            self.scaler.unscale_(self.optimizer)  # a no-op unless fp16 loss scaling is on
            norm = self._grad_norm()
            if not self.scaler.is_enabled():  # fp16 scaling skips overflowing steps by itself
                finite = finite & torch.isfinite(norm)
        if self.nan_check_every == 1 and not bool(finite):
            return loss, finite  # caught by _check_finite before any weight changes
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return loss, finite

    def _grad_norm(self) -> torch.Tensor:
        grads = [p.grad for p in self.model.parameters() if p.grad is not None]
        if self.config.grad_clip > 0:
            return torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        return torch.nn.utils.get_total_norm(grads)

    def _check_finite(self, pending: list[torch.Tensor], epoch: int, n_steps: int) -> None:
        """Raise TrainingError if any of the ``pending`` steps (the last of ``n_steps``) was non-finite."""
        if not pending:
            return
        ok = torch.stack(pending).cpu().numpy()
        pending.clear()
        if ok.all():
            return
        step = n_steps - len(ok) + int(np.argmin(ok))
        last = self.last_path if self.last_path.exists() else "(none yet: the fold failed in its first epoch)"
        raise TrainingError(
            f"fold {self.fold}: non-finite loss or gradient at epoch {epoch}, step {step} of that epoch; "
            f"training of this fold stopped and no predictions were written. The last good checkpoint is "
            f"{last}. Lower --lr or set --grad-clip{'' if self.precision == 'fp32' else ', or use --precision fp32'}"
        )

    # ----- validation, early stopping, checkpoints ------------------------
    @torch.no_grad()
    def _evaluate(self, size: int) -> tuple[float, np.ndarray]:
        """Validation loss and probabilities (n_val, n_labels) from the center crop."""
        self.model.eval()
        total, probs = torch.zeros((), device=self.device), []
        for images, targets in self.val_loader.epoch():
            with autocast(self.device, self.precision):
                logits = self.forward(self.augment.val(images, size)).float()
            total += self.loss_fn(logits, targets) * len(images)
            probs.append(torch.sigmoid(logits).cpu())
        return float(total) / len(self.data.val_rows), torch.cat(probs).numpy()

    def _update_early_stopping(self, epoch: int, size: int, score: float, threshold: float) -> None:
        early = self.early
        if score > early["best_score"]:
            early.update(best_score=score, best_epoch=epoch, best_size=size, threshold=threshold, bad_epochs=0)
            save_checkpoint(self.best_path, {"model": self.model.state_dict(), "epoch": epoch, "score": score})
            return
        if size == self.sizes[-1]:  # patience counts in the final stage only
            early["bad_epochs"] += 1
        if self.config.patience > 0 and early["bad_epochs"] >= self.config.patience:
            early["stopped"] = True
            log.info("fold %d: early stop after epoch %d (best epoch %d)", self.fold, epoch, early["best_epoch"])

    def _save_checkpoint(self) -> None:
        save_checkpoint(self.last_path, {
            "epoch": self.epoch, "step": self.step, "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(), "schedule": self.schedule.state_dict(),
            "scaler": self.scaler.state_dict(), "rng": rng_state(), "early": self.early, "history": self.history,
        })

    # ----- predictions ----------------------------------------------------
    def _finish(self) -> FoldResult:
        if self.best_path.exists():
            self.model.load_state_dict(load_checkpoint(self.best_path)["model"])
        size = self.early["best_size"]
        oof = self.predict(self.data.val_rows, size)
        test = self.predict(self.data.test_rows, size)
        return FoldResult(
            fold=self.fold, val_score=float(self.early["best_score"]), threshold=float(self.early["threshold"]),
            best_epoch=int(self.early["best_epoch"]), oof=oof, test=test, history=list(self.history),
            stopped_early=bool(self.early["stopped"]),
        )

    @torch.no_grad()
    def predict(self, rows: np.ndarray, size: int) -> np.ndarray:
        """TTA probabilities of cache ``rows``, shape (n_rows, n_labels), float32; non-finite raises."""
        self.model.eval()
        loader = BatchLoader(self.data.images, rows, None, batch_size=self.config.batch_size, device=self.device)
        out = [torch.zeros(0, self.data.y_train.shape[1])]
        for images, _ in loader.epoch():
            with autocast(self.device, self.precision):
                p = predict_tta(self.forward, images, name=self.config.tta, size=size,
                                crop_pct=self.config.crop_pct, memory_format=self.memory_format)
            out.append(p.float().cpu())
        probs = torch.cat(out).numpy().astype(np.float32)
        if not np.isfinite(probs).all():
            raise TrainingError(f"fold {self.fold}: the restored model predicts non-finite probabilities; "
                                f"no predictions were written. Lower --lr or set --grad-clip")
        return probs
