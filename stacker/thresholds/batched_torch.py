"""The torch form of :func:`~stacker.thresholds.batched.best_fbeta` (for a CUDA device).

The same algorithm as the numpy path (``exact.py``): a signed integer key
``bits << 1 | y`` per cell (the top two bits of a probability in [0, 1] are
zero, so the shift cannot overflow), one sort per row, a cumulative sum and an
argmax over the cuts that end a run of equal probabilities. Results are equal
to the numpy path bit for bit (float64 arithmetic on the same counts).
"""

from __future__ import annotations

import numpy as np

_INT = {np.dtype(np.float32): "int32", np.dtype(np.float64): "int64"}


def best_fbeta_torch(y: np.ndarray, P: np.ndarray, beta: float, zero_division: float, device: str = "cuda"):
    """:func:`best_fbeta` on validated numpy arrays, computed with torch on ``device``.

    Returns numpy arrays ``(scores (M,), thresholds (M,))``, float64.
    """
    import torch

    itype = getattr(torch, _INT[P.dtype])
    p = torch.from_numpy(np.ascontiguousarray(P)).to(device)
    yt = torch.from_numpy(y.astype(np.int64)).to(device)
    key = (p.view(itype) << 1) | yt.to(itype)
    key = torch.sort(key, dim=1, descending=True).values
    m, n = key.shape
    tp = torch.zeros((m, n + 1), dtype=torch.float64, device=device)
    tp[:, 1:] = torch.cumsum(key & 1, dim=1, dtype=torch.float64)
    bits = key >> 1
    reachable = torch.ones((m, n + 1), dtype=torch.bool, device=device)
    reachable[:, 1:n] = bits[:, :-1] != bits[:, 1:]
    b2 = beta * beta
    n_true = float(y.sum())
    den = b2 * n_true + torch.arange(n + 1, dtype=torch.float64, device=device)
    if n_true == 0:
        den[0] = 1.0
    curve = tp * (1.0 + b2) / den
    if n_true == 0:
        curve[:, 0] = zero_division
    k = torch.argmax(torch.where(reachable, curve, -torch.inf), dim=1)
    scores = curve.gather(1, k[:, None])[:, 0]
    at = bits.gather(1, (k - 1).clamp(min=0)[:, None])[:, 0]
    return _to_numpy(scores), _thresholds(k, at, bits[:, 0], P.dtype)


def _thresholds(k, at_bits, top_bits, dtype: np.dtype) -> np.ndarray:
    k = _to_numpy(k)
    vals = _to_numpy(at_bits).astype(_INT[dtype]).view(dtype)
    top = np.nextafter(_to_numpy(top_bits).astype(_INT[dtype]).view(dtype), dtype.type(np.inf))
    return np.where(k > 0, vals, top).astype(np.float64)


def _to_numpy(t) -> np.ndarray:
    return t.detach().cpu().numpy()
