"""Bagging: runs of the same architecture (and image variant) collapse into one averaged model.

A *bag* is the mean of its members' probabilities (OOF and test). Grouping:

- ``arch+variant`` (default): same ``arch`` and same ``variant``;
- ``arch``: same ``arch`` whatever the variant;
- ``none``: every run is its own candidate.

``top=K`` keeps the K best runs of each group (by their mean over labels of
the per-label objective; ties to the lower name). A group left with one run
is that run, under the run's own name; a group of several is named after its
key (``inception_v3+original``, ``resnet50``), with ``+bag`` appended only if
that name is also a run's name. Names are deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from stacker.oof import leaderboard
from stacker.exceptions import ValidationError
from stacker.level1.objectives import Objective

if TYPE_CHECKING:
    from stacker.oof.store import ModelEntry

BAG_MODES = ("arch+variant", "arch", "none")


@dataclass(frozen=True)
class Bag:
    """One level-1 candidate: a name, the arch/variant of its group and its member runs (sorted)."""

    name: str
    arch: str
    variant: str | None
    members: tuple[str, ...]


def check_bag_mode(mode: str) -> str:
    """``mode`` if it is a known grouping; otherwise a ValidationError listing them."""
    if mode not in BAG_MODES:
        raise ValidationError(f"unknown bag mode {mode!r}; choose one of: {', '.join(BAG_MODES)}")
    return mode


def plan_bags(
    entries: Sequence[ModelEntry], mode: str = "arch+variant", *, scores: Mapping[str, float] | None = None,
    top: int | None = None,
) -> list[Bag]:
    """Group ``entries`` into bags, sorted by bag name.

    Parameters
    ----------
    entries : sequence of ModelEntry
        Stored runs.
    mode : {"arch+variant", "arch", "none"}
    scores : mapping of run name -> float, optional
        Higher is better; required when ``top`` is given.
    top : int, optional
        Keep the ``top`` best runs of each group.
    """
    check_bag_mode(mode)
    if top is not None and (top < 1 or scores is None):
        raise ValidationError(f"bag top must be an integer >= 1 with run scores given; found top={top!r}")
    groups: dict[tuple, list[ModelEntry]] = {}
    for entry in sorted(entries, key=lambda e: e.name):
        groups.setdefault(_group_key(entry, mode), []).append(entry)
    run_names = {e.name for e in entries}
    bags = [_make_bag(key, _keep_best(group, scores, top), run_names) for key, group in groups.items()]
    names = [b.name for b in bags]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise ValidationError(
            f"bag names {clashes} are produced by more than one group of runs; rename the runs' arch or "
            f"variant so that '<arch>+<variant>' names are unique, or use --bag none"
        )
    return sorted(bags, key=lambda b: b.name)


def _group_key(entry: ModelEntry, mode: str) -> tuple:
    if mode == "none":
        return ("run", entry.name)
    if mode == "arch":
        return (entry.arch,)
    return (entry.arch, entry.variant)


def _keep_best(group: list[ModelEntry], scores: Mapping[str, float] | None, top: int | None) -> list[ModelEntry]:
    if top is None:
        return group
    ranked = sorted(group, key=lambda e: (-scores[e.name], e.name))
    return sorted(ranked[:top], key=lambda e: e.name)


def _make_bag(key: tuple, members: list[ModelEntry], run_names: set[str]) -> Bag:
    variants = {e.variant for e in members}
    variant = variants.pop() if len(variants) == 1 else None
    arch = members[0].arch
    if len(members) == 1:
        return Bag(members[0].name, arch, variant, (members[0].name,))
    name = "+".join(str(part) for part in key if part is not None)
    if name in run_names:
        name += "+bag"
    return Bag(name, arch, variant, tuple(e.name for e in members))


def bag_matrices(
    oof: np.ndarray, test: np.ndarray, names: Sequence[str], bags: Sequence[Bag]
) -> tuple[np.ndarray, np.ndarray]:
    """Member averages of every bag.

    Parameters
    ----------
    oof : ndarray of shape (n_runs, n_train, n_labels)
    test : ndarray of shape (n_runs, n_test, n_labels)
    names : sequence of str
        Run name of each row of ``oof`` / ``test``.
    bags : sequence of Bag

    Returns
    -------
    bag_oof : ndarray of shape (n_bags, n_train, n_labels), float32
    bag_test : ndarray of shape (n_bags, n_test, n_labels), float32
    """
    row = {name: i for i, name in enumerate(names)}
    bag_oof = np.empty((len(bags),) + oof.shape[1:], dtype=np.float32)
    bag_test = np.empty((len(bags),) + test.shape[1:], dtype=np.float32)
    for b, bag in enumerate(bags):
        idx = [row[m] for m in bag.members]
        bag_oof[b] = oof[idx].mean(axis=0)
        bag_test[b] = test[idx].mean(axis=0)
    return bag_oof, bag_test


def label_scores(oof: np.ndarray, y: np.ndarray, objective: Objective) -> np.ndarray:
    """Objective of every model on every label.

    Parameters
    ----------
    oof : ndarray of shape (n_models, n_samples, n_labels)
    y : ndarray of shape (n_samples, n_labels), 0/1

    Returns
    -------
    scores : ndarray of shape (n_models, n_labels); higher is better
    """
    return leaderboard.label_scores(oof, y, objective.score)
