"""Train the bagged ``mlp``'s networks together: one batched forward, backward and Adam step for every bag.

Each of the ``mlp`` learner's bags is a tiny network (tens of units) trained on
its own inner fold. Trained one after another, each step is a dozen small
tensor operations, and torch's per-call overhead, not arithmetic, sets the
time. Here the bags' weights are stacked along a leading bag axis, so one
``torch.baddbmm`` computes a layer for every bag, and each step costs about
what one bag's step did. Every bag keeps what it had when trained alone, so
the result is the same networks (up to float rounding of the batched
products):

- its weights, initialised by ``nn.Linear`` under the bag's seed (the caller's
  networks), and its own dropout generator continuing that seed's stream,
  drawing its masks as ``nn.Dropout`` does (one Bernoulli per unit of its batch);
- its batch order (a NumPy generator of the seed), its batches padded to the
  largest bag's and masked, its loss the mean over its own rows;
- Adam on its own slice of the stacked weights, with its own step count, as
  ``torch.optim.Adam`` (L2 ``weight_decay``) updates a network alone; a bag
  with no batch at a step is not updated;
- early stopping on its own validation rows; a bag that stops draws nothing
  more, and the weights of its best epoch are copied back into its network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_BETAS, _EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults
_NONE = np.zeros(0, dtype=np.int64)  # the batch of a bag that does not step


@dataclass(frozen=True)
class BagTraining:
    """How every bag trains (the ``mlp`` learner's parameters)."""

    dropout: float
    lr: float
    weight_decay: float
    batch_size: int
    max_epochs: int
    patience: int


def train_bags(nets: list, streams: list, Z, y, splits: list[tuple[np.ndarray, np.ndarray]], seeds: list[int],
               training: BagTraining) -> list[int]:
    """Train ``nets`` (one per bag) together; load each one's best weights; return each one's best epoch.

    Parameters
    ----------
    nets : list of torch.nn.Sequential
        ``[Linear, ReLU, Dropout] * layers + [Linear(hidden, 1)]``, freshly
        initialised, one per bag (same shapes).
    streams : list of torch.ByteTensor
        Each bag's CPU generator state after its initialisation: its dropout masks continue it.
    Z : torch.Tensor of shape (n, n_features), float32
    y : torch.Tensor of shape (n,), float32
    splits : list of (train, valid) row-index arrays, one per bag
    seeds : list of int
        Each bag's NumPy seed of its batch order.
    training : BagTraining
    """
    import torch

    theta = _stack(nets)
    weights = _views(theta, nets[0])
    best = theta.detach().clone()
    adam = _Adam(theta, training)
    generators = [torch.Generator().set_state(state) for state in streams]
    orders = [np.random.default_rng(seed) for seed in seeds]
    valid_rows, valid_mask = _padded([valid for _, valid in splits])
    n_bags = len(nets)
    best_loss, best_epoch, stopped = np.full(n_bags, np.inf), [0] * n_bags, np.zeros(n_bags, dtype=bool)
    for epoch in range(training.max_epochs):
        running = np.flatnonzero(~stopped)
        batches = {b: np.array_split(orders[b].permutation(splits[b][0]),
                                     max(1, len(splits[b][0]) // training.batch_size)) for b in running}
        for step in range(max(len(batches[b]) for b in running)):
            stepping = {b: batches[b][step] for b in running if step < len(batches[b])}
            rows, mask = _padded([stepping.get(b, _NONE) for b in range(n_bags)])
            sizes = {b: len(batch) for b, batch in stepping.items()}
            noise = _dropout_noise(generators, sizes, rows.shape[1], weights, training.dropout)
            loss = _masked_mean_bce(_forward(weights, Z[rows], noise), y[rows], mask).sum()
            adam.step(loss, [b for b in range(n_bags) if b in stepping or stopped[b]])
        with torch.no_grad():
            losses = _masked_mean_bce(_forward(weights, Z[valid_rows], None), y[valid_rows], valid_mask).tolist()
        for b in running:
            if losses[b] < best_loss[b] - 1e-6:
                best_loss[b], best_epoch[b] = losses[b], epoch
                best[b] = theta.detach()[b]
            elif epoch - best_epoch[b] >= training.patience:
                stopped[b] = True
        if stopped.all():
            break
    _unstack(_views(best, nets[0]), nets)
    return best_epoch


class _Adam:
    """``torch.optim.Adam`` (L2 weight decay) on the stacked parameters ``theta`` (n_bags, n_params), one step
    count per bag; a step updates the bags it names.

    A bag that has stopped early is updated with the others (a zero gradient:
    its kept weights are already copied, and nothing reads the rest), so the
    usual step is one set of whole-tensor operations. Once a running bag has
    had no batch at a step (its step count then lags), steps update bag by bag.
    """

    def __init__(self, theta, training: BagTraining) -> None:
        import torch

        self.theta, self.lr, self.weight_decay = theta, training.lr, training.weight_decay
        self.exp_avg, self.exp_avg_sq = torch.zeros_like(theta), torch.zeros_like(theta)
        self.steps = np.zeros(len(theta), dtype=np.int64)

    def step(self, loss, bags: list[int]) -> None:
        import torch

        (grad,) = torch.autograd.grad(loss, [self.theta])
        self.steps[bags] += 1
        with torch.no_grad():
            if len(bags) == len(self.steps) and len(set(self.steps.tolist())) == 1:
                self._update(self.theta, grad, self.exp_avg, self.exp_avg_sq, int(self.steps[0]))
            else:
                for b in bags:
                    self._update(self.theta[b], grad[b], self.exp_avg[b], self.exp_avg_sq[b], int(self.steps[b]))

    def _update(self, w, g, m, v, step: int) -> None:
        """The operations of ``torch.optim.Adam``'s single-tensor step, in its order."""
        beta1, beta2 = _BETAS
        if self.weight_decay != 0:
            g = g.add(w, alpha=self.weight_decay)
        m.lerp_(g, 1 - beta1)
        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        step_size = self.lr / (1 - beta1 ** step)
        denom = (v.sqrt() / (1 - beta2 ** step) ** 0.5).add_(_EPS)
        w.addcdiv_(m, denom, value=-step_size)


def _stack(nets: list):
    """The bags' parameters as one leaf tensor (n_bags, n_params): per bag each layer's ``weight.T`` then bias."""
    import torch

    def flat(net):
        return torch.cat([t.reshape(-1) for layer in _linears(net) for t in (layer.weight.detach().T, layer.bias)])

    with torch.no_grad():
        return torch.stack([flat(net) for net in nets]).requires_grad_()


def _views(theta, net) -> list:
    """``[W_1, b_1, ..., W_L, b_L]`` as views of ``theta``: ``W_l`` (n_bags, in, out), ``b_l`` (n_bags, 1, out)."""
    views, offset = [], 0
    for layer in _linears(net):
        n_out, n_in = layer.weight.shape
        views.append(theta[:, offset:offset + n_in * n_out].view(len(theta), n_in, n_out))
        offset += n_in * n_out
        views.append(theta[:, offset:offset + n_out].view(len(theta), 1, n_out))
        offset += n_out
    return views


def _unstack(weights: list, nets: list) -> None:
    """Copy bag ``b``'s slice of the stacked ``weights`` into ``nets[b]``'s layers."""
    import torch

    with torch.no_grad():
        for b, net in enumerate(nets):
            for layer, W, bias in zip(_linears(net), weights[0::2], weights[1::2]):
                layer.weight.copy_(W[b].T)
                layer.bias.copy_(bias[b, 0])


def _linears(net) -> list:
    from torch import nn

    return [module for module in net if isinstance(module, nn.Linear)]


def _forward(weights: list, X, noise: list | None):
    """Logits (n_bags, m) of every bag on its rows ``X`` (n_bags, m, n_features); dropout ``noise`` per hidden layer."""
    import torch

    h = X
    n_hidden = len(weights) // 2 - 1
    for layer in range(n_hidden):
        h = torch.relu(torch.baddbmm(weights[2 * layer + 1], h, weights[2 * layer]))
        if noise is not None:
            h = h * noise[layer]
    return torch.baddbmm(weights[-1], h, weights[-2]).squeeze(-1)


def _dropout_noise(generators: list, sizes: dict[int, int], m: int, weights: list, p: float) -> list | None:
    """Per hidden layer, masks (n_bags, m, hidden) scaled by 1/(1-p), zero on padding; None when ``p`` is 0.

    Bag ``b`` (``sizes``: stepping bag -> its batch size) draws its layers' masks
    in forward order from its own generator, as ``nn.Dropout`` draws them
    (``bernoulli_(1 - p)`` on a tensor of its batch's shape; nothing when p is 0).
    """
    import torch

    if p == 0:
        return None
    noise = [torch.zeros(len(generators), m, W.shape[2]) for W in weights[0:-2:2]]
    for b, n in sizes.items():
        for layer in noise:
            layer[b, :n].bernoulli_(1 - p, generator=generators[b])  # contiguous (n, hidden): drawn as one tensor
    return [layer.div_(1 - p) for layer in noise]


def _padded(index_sets: list[np.ndarray]):
    """Row indices (n_bags, m) padded with row 0 and their 0/1 mask, m the largest set's size (at least 1)."""
    import torch

    m = max(1, max(len(rows) for rows in index_sets))
    rows = np.zeros((len(index_sets), m), dtype=np.int64)
    mask = np.zeros((len(index_sets), m), dtype=np.float32)
    for b, index in enumerate(index_sets):
        rows[b, :len(index)] = index
        mask[b, :len(index)] = 1.0
    return torch.from_numpy(rows), torch.from_numpy(mask)


def _masked_mean_bce(logits, y, mask):
    """Each bag's mean binary cross-entropy over its unmasked rows: (n_bags,); 0 for a bag without rows."""
    import torch

    losses = torch.nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none")
    return (losses * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
