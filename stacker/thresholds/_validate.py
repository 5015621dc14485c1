"""Input checks shared by the threshold functions; every failure is a ValidationError.

Messages say what was expected, what was found and how to fix it. The checks
are vectorised (a few passes over the array), so they cost little next to a sort.
"""

from __future__ import annotations

import numpy as np

from stacker.exceptions import ValidationError

AVERAGES = ("samples", "macro", "micro", "binary")
METHODS = ("greedy", "smooth")
ZERO_DIVISION = (0.0, 1.0)


def check_beta(beta: float) -> float:
    """``beta`` as a float; must be finite and > 0."""
    try:
        value = float(beta)
    except (TypeError, ValueError) as e:
        raise ValidationError(f"beta must be a positive number; found {beta!r}") from e
    if not np.isfinite(value) or value <= 0:
        raise ValidationError(f"beta must be a finite number > 0 (e.g. 2 for F2); found {beta!r}")
    return value


def check_choice(value: str, choices: tuple[str, ...], what: str) -> str:
    """``value`` if it is one of ``choices``; otherwise list the valid ones."""
    if value not in choices:
        raise ValidationError(f"unknown {what} {value!r}; choose one of: {', '.join(choices)}")
    return value


def check_zero_division(zero_division: float) -> float:
    """The score given to an F-beta with no true and no predicted positives: 0.0 or 1.0."""
    if zero_division not in ZERO_DIVISION:
        raise ValidationError(f"zero_division must be 0.0 or 1.0; found {zero_division!r}")
    return float(zero_division)


def check_bandwidth(bandwidth: float) -> float:
    """Smoothing bandwidth in logit units: finite and > 0."""
    if isinstance(bandwidth, bool) or not isinstance(bandwidth, (int, float, np.floating, np.integer)):
        raise ValidationError(f"bandwidth must be a number > 0 (logit units, e.g. 0.25); found {bandwidth!r}")
    if not np.isfinite(bandwidth) or bandwidth <= 0:
        raise ValidationError(f"bandwidth must be a finite number > 0 (logit units, e.g. 0.25); found {bandwidth!r}")
    return float(bandwidth)


def check_max_sweeps(max_sweeps: int) -> int:
    """Cap on coordinate-ascent sweeps: an integer >= 1."""
    if isinstance(max_sweeps, bool) or not isinstance(max_sweeps, (int, np.integer)) or max_sweeps < 1:
        raise ValidationError(f"max_sweeps must be an integer >= 1; found {max_sweeps!r}")
    return int(max_sweeps)


def check_binary(y, name: str, ndim: int) -> np.ndarray:
    """``y`` as a uint8 array of 0/1 values with ``ndim`` dimensions."""
    arr = np.asarray(y)
    _check_ndim(arr, name, ndim)
    if arr.dtype == bool:
        return arr.view(np.uint8)
    if arr.dtype.kind not in "biuf":
        raise ValidationError(f"{name} must hold 0/1 values; found dtype {arr.dtype}")
    bad = (arr != 0) & (arr != 1)
    if bad.any():
        where = np.argwhere(bad)[0]
        raise ValidationError(
            f"{name} must hold only 0/1 values; found {arr[tuple(where)]!r} at index {tuple(int(i) for i in where)} "
            f"({int(bad.sum())} values not 0/1); binarise it (e.g. y > 0.5)"
        )
    return arr.astype(np.uint8, copy=False)


def check_proba(p, name: str, ndim: int) -> np.ndarray:
    """``p`` as a float32/float64 array in [0, 1] without NaN; -0.0 becomes 0.0."""
    arr = np.asarray(p)
    _check_ndim(arr, name, ndim)
    if arr.dtype.kind in "biu" or arr.dtype == np.float16:
        arr = arr.astype(np.float64)
    elif arr.dtype not in (np.float32, np.float64):
        raise ValidationError(f"{name} must hold probabilities (floats in [0, 1]); found dtype {arr.dtype}")
    if arr.size == 0:
        return arr
    lo, hi = arr.min(), arr.max()
    if np.isnan(lo) or np.isnan(hi):
        where = tuple(int(i) for i in np.argwhere(np.isnan(arr))[0])
        raise ValidationError(
            f"{name} has {int(np.isnan(arr).sum())} NaN values (first at index {where}); "
            f"probabilities must be finite: fix or drop the model that produced them"
        )
    if lo < 0 or hi > 1:
        bad = (arr < 0) | (arr > 1)
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValidationError(
            f"{name} must be probabilities in [0, 1]; found {arr[where]!r} at index {where} "
            f"({int(bad.sum())} values outside [0, 1], range [{lo!r}, {hi!r}]); "
            f"apply a sigmoid to logits first"
        )
    if lo == 0:
        arr = np.abs(arr)  # -0.0 -> 0.0 so that bit patterns order like the values
    return arr


def check_same_length(n_a: int, n_b: int, what_a: str, what_b: str) -> None:
    """Raise unless two sample counts agree."""
    if n_a != n_b:
        raise ValidationError(f"{what_a} has {n_a} samples but {what_b} has {n_b}; they must match row for row")


def check_same_shape(a: tuple, b: tuple, what_a: str, what_b: str) -> None:
    """Raise unless two arrays have the same shape."""
    if a != b:
        raise ValidationError(f"{what_a} has shape {a} but {what_b} has shape {b}; they must match cell for cell")


def check_nonempty(n: int, name: str) -> None:
    """Raise when there are no samples at all."""
    if n == 0:
        raise ValidationError(f"{name} has no samples; at least one row is needed")


def _check_ndim(arr: np.ndarray, name: str, ndim: int) -> None:
    if arr.ndim != ndim:
        shape = {1: "(n_samples,)", 2: "a 2-D array"}[ndim]
        raise ValidationError(f"{name} must be {shape}; found shape {arr.shape}")
