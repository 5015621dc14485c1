"""Learning-rate schedules with linear warmup, and progressive-resizing stages.

A schedule is a pure function of the global step (cosine, step) or of the
validation history (plateau), so its whole state fits in a small dict that
checkpoints save and ``--resume`` restores.
"""

from __future__ import annotations

import math

from stacker.exceptions import ValidationError
from stacker.registry import Registry

SCHEDULES: Registry[float] = Registry("schedule")  # name -> f(schedule, step) -> lr after warmup


def list_schedules() -> list[str]:
    """Schedule names (CLI choices)."""
    return SCHEDULES.names()


class LRSchedule:
    """Learning rate at each step: linear warmup, then cosine decay, step decay or decay on plateau.

    Parameters
    ----------
    kind : {"cosine", "step", "plateau"}
    base_lr : float
    steps_per_epoch, epochs, warmup_epochs : int
    step_epochs, step_gamma : int, float
        ``step``: multiply by ``step_gamma`` every ``step_epochs`` epochs.
    plateau_patience, plateau_factor : int, float
        ``plateau``: multiply by ``plateau_factor`` after ``plateau_patience``
        epochs without a better validation score.
    """

    def __init__(
        self, kind: str, *, base_lr: float, steps_per_epoch: int, epochs: int, warmup_epochs: int = 0,
        step_epochs: int = 10, step_gamma: float = 0.1, plateau_patience: int = 2, plateau_factor: float = 0.1,
    ) -> None:
        self.kind = kind
        self._after_warmup = SCHEDULES.get(kind)
        self.base_lr = base_lr
        self.steps_per_epoch = max(1, steps_per_epoch)
        self.total = self.steps_per_epoch * epochs
        self.warmup = min(self.steps_per_epoch * warmup_epochs, self.total)
        self.step_epochs = max(1, step_epochs)
        self.step_gamma = step_gamma
        self.plateau_patience = plateau_patience
        self.plateau_factor = plateau_factor
        self.scale = 1.0
        self.best = -math.inf
        self.bad_epochs = 0

    def lr(self, step: int) -> float:
        """Learning rate of global step ``step`` (0-based)."""
        if step < self.warmup:
            return self.base_lr * (step + 1) / self.warmup
        return self._after_warmup(self, step)

    def end_epoch(self, score: float) -> None:
        """Record an epoch's validation score (higher is better); ``plateau`` may lower the rate."""
        if score > self.best:
            self.best, self.bad_epochs = score, 0
            return
        self.bad_epochs += 1
        if self.kind == "plateau" and self.bad_epochs >= self.plateau_patience:
            self.scale *= self.plateau_factor
            self.bad_epochs = 0

    def state_dict(self) -> dict:
        return {"scale": self.scale, "best": self.best, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: dict) -> None:
        self.scale, self.best, self.bad_epochs = state["scale"], state["best"], state["bad_epochs"]


@SCHEDULES.register("cosine")
def _cosine(schedule: LRSchedule, step: int) -> float:
    t = (step - schedule.warmup) / max(1, schedule.total - schedule.warmup)
    return schedule.base_lr * 0.5 * (1 + math.cos(math.pi * min(t, 1.0)))


@SCHEDULES.register("step")
def _step(schedule: LRSchedule, step: int) -> float:
    epoch = step // schedule.steps_per_epoch
    return schedule.base_lr * schedule.step_gamma ** (epoch // schedule.step_epochs)


@SCHEDULES.register("plateau")
def _plateau(schedule: LRSchedule, step: int) -> float:
    return schedule.base_lr * schedule.scale


def parse_stages(text: str) -> tuple[tuple[int, int], ...]:
    """``"128:5,224:25"`` -> ``((128, 5), (224, 25))``: image size and epochs of each stage."""
    stages = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        size, _, epochs = part.partition(":")
        try:
            stage = (int(size), int(epochs))
        except ValueError:
            stage = (0, 0)
        if stage[0] <= 0 or stage[1] <= 0:
            raise ValidationError(
                f"stage {part!r} in --stages {text!r} is not <size>:<epochs> with positive integers "
                f"(e.g. --stages 128:5,224:25)"
            )
        stages.append(stage)
    return tuple(stages)


def epoch_sizes(stages: tuple[tuple[int, int], ...]) -> list[int]:
    """The image size of every epoch, in order."""
    return [size for size, epochs in stages for _ in range(epochs)]
