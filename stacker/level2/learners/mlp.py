"""``mlp``: a small torch multilayer perceptron, bagged over inner folds with early stopping on each (CPU)."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from stacker.level2.learners import register_learner
from stacker.exceptions import ValidationError
from stacker.level2.learners._bags import BagTraining, train_bags
from stacker.level2.learners._base import Learner, can_split, inner_split, logit


@register_learner("mlp")
class MLPLearner(Learner):
    """Feed-forward networks on standardised log-odds, trained with Adam and BCE loss, bagged.

    The training rows are split into ``bags`` stratified inner folds; one
    network trains on all but one of them and stops early on that one (its
    loss has not improved for ``patience`` epochs; the weights of the best
    epoch are kept). The prediction is the mean of the ``bags`` networks'
    probabilities, so every training row trains some networks and stops
    others, and the variance of one early-stopped network on a small fold is
    averaged away: on the Mulan level-2 inputs (312-1,200 rows a fit) five bags
    raised the test F2 of every dataset (``bench/quality.py``). ``bags=1``, or a
    label too rare for the inner folds, trains one network with a stratified
    ``valid_fraction`` held out. The bags train together, one batched step for
    all of them (:mod:`._bags`; the same networks as trained one by one, about
    2.5x faster: ``bench/mlp.py``). Runs on CPU with one thread; deterministic
    for a ``random_state`` (weights, dropout, splits and batch order all come
    from it, without touching torch's global generator).

    Parameters
    ----------
    bags : int, default 5
        Networks, one per inner fold (1: a single network on a ``valid_fraction`` split).
    hidden : int, default 32
        Units per hidden layer.
    layers : int, default 1
        Hidden layers (ReLU, dropout).
    dropout : float, default 0.1
    lr : float, default 0.003
    weight_decay : float, default 1e-4
    batch_size : int, default 256
    max_epochs : int, default 100
    patience : int, default 8
    valid_fraction : float, default 0.15
        The held-out share of the single network (``bags=1``).
    random_state : int, default 0

    Attributes
    ----------
    nets_ : list of torch modules, one per bag
    best_epochs_ : list of int
        The epoch whose weights each network kept.
    """

    def __init__(self, *, bags: int = 5, hidden: int = 32, layers: int = 1, dropout: float = 0.1, lr: float = 0.003,
                 weight_decay: float = 1e-4, batch_size: int = 256, max_epochs: int = 100, patience: int = 8,
                 valid_fraction: float = 0.15, random_state: int = 0) -> None:
        self.bags = bags
        self.hidden = hidden
        self.layers = layers
        self.dropout = dropout
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.valid_fraction = valid_fraction
        self.random_state = random_state

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        import torch

        Z = logit(X)
        self.mean_, self.scale_ = Z.mean(axis=0), Z.std(axis=0) + 1e-6
        Zt = torch.as_tensor((Z - self.mean_) / self.scale_, dtype=torch.float32)
        yt = torch.as_tensor(y, dtype=torch.float32)
        splits = self._splits(y)
        seeds = [self.random_state + 7919 * b for b in range(len(splits))]  # bag 0 seeds as a single network does
        nets, streams = [], []
        for seed in seeds:
            with _torch_state(seed):
                nets.append(self._network(X.shape[1]))
                streams.append(torch.get_rng_state())  # its dropout masks continue the seed's stream
        training = BagTraining(dropout=self.dropout, lr=self.lr, weight_decay=self.weight_decay,
                               batch_size=self.batch_size, max_epochs=self.max_epochs, patience=self.patience)
        with _torch_state(None):
            self.best_epochs_ = train_bags(nets, streams, Zt, yt, splits, seeds, training)
        self.nets_ = nets

    def _splits(self, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """(train, valid) rows of each bag: stratified inner folds, or one ``valid_fraction`` split."""
        from sklearn.model_selection import StratifiedKFold

        _check_params(self)
        if self.bags == 1 or not can_split(y, self.bags):
            return [inner_split(y, self.valid_fraction, self.random_state)]
        folds = StratifiedKFold(self.bags, shuffle=True, random_state=self.random_state)
        return list(folds.split(np.zeros((len(y), 1)), y))

    def _predict(self, X: np.ndarray) -> np.ndarray:
        import torch

        Z = torch.as_tensor((logit(X) - self.mean_) / self.scale_, dtype=torch.float32)
        with _torch_state(None), torch.no_grad():
            return np.mean([torch.sigmoid(_eval(net)(Z).squeeze(1)).double().numpy() for net in self.nets_], axis=0)

    def _network(self, n_features: int):
        from torch import nn

        blocks, width = [], n_features
        for _ in range(self.layers):
            blocks += [nn.Linear(width, self.hidden), nn.ReLU(), nn.Dropout(self.dropout)]
            width = self.hidden
        return nn.Sequential(*blocks, nn.Linear(width, 1))


def _eval(net):
    """``net`` in evaluation mode (dropout off)."""
    net.eval()
    return net


def _check_params(mlp) -> None:
    """ValidationError naming the first parameter outside its range (before any network is built)."""
    integers = {"bags": 1, "hidden": 1, "layers": 0, "batch_size": 1, "max_epochs": 1, "patience": 0}
    for name, low in integers.items():
        value = getattr(mlp, name)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValidationError(f"mlp {name} must be an integer >= {low}; found {value!r}")
    ranges = {"dropout": (0.0, 1.0, "[0, 1)"), "valid_fraction": (0.0, 1.0, "(0, 1)")}
    for name, (low, high, shown) in ranges.items():
        value = getattr(mlp, name)
        if not (low <= value < high) or (name == "valid_fraction" and value == low):
            raise ValidationError(f"mlp {name} must be in {shown}; found {value!r}")
    if not mlp.lr > 0 or mlp.weight_decay < 0:
        raise ValidationError(f"mlp lr must be > 0 and weight_decay >= 0; found lr={mlp.lr!r}, "
                              f"weight_decay={mlp.weight_decay!r}")


@contextmanager
def _torch_state(seed: int | None):
    """One torch thread and (when ``seed`` is given) a seeded, forked global generator; restored after."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            yield
    finally:
        torch.set_num_threads(threads)
