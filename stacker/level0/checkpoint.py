"""Checkpoints: written atomically every epoch, and the random-number states they carry."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch

from stacker.exceptions import TrainingError


def save_checkpoint(path: Path, payload: dict) -> None:
    """``torch.save`` to a temp file renamed into place, so a kill never leaves half a checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)


def load_checkpoint(path: Path) -> dict:
    """A checkpoint this trainer wrote (it holds RNG states, so it is loaded with ``weights_only=False``)."""
    if not path.exists():
        raise TrainingError(f"checkpoint not found: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except (RuntimeError, EOFError, OSError, ValueError) as e:
        raise TrainingError(f"checkpoint {path} cannot be read ({e}); delete it to restart that fold") from e


def rng_state() -> dict:
    """The python, numpy, torch and (if present) CUDA random states."""
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore what :func:`rng_state` captured."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def seed_for(*parts: int) -> int:
    """A 63-bit seed derived from integers (run seed, fold, epoch) that never collide in practice."""
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(2, np.uint64)[0] >> np.uint64(1))
