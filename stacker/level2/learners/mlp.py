"""``mlp``: a small torch multilayer perceptron with early stopping on an inner split (CPU)."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from stacker.level2.learners import register_learner
from stacker.level2.learners._base import Learner, inner_split, logit


@register_learner("mlp")
class MLPLearner(Learner):
    """Feed-forward network on standardised log-odds, trained with Adam and BCE loss.

    A stratified ``valid_fraction`` of the training rows is held out; training
    stops when its loss has not improved for ``patience`` epochs and the
    weights of the best epoch are kept. Runs on CPU with one thread;
    deterministic for a ``random_state`` (weights, split and batch order all
    come from it, without touching torch's global generator).

    Parameters
    ----------
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
    random_state : int, default 0
    """

    def __init__(self, *, hidden: int = 32, layers: int = 1, dropout: float = 0.1, lr: float = 0.003,
                 weight_decay: float = 1e-4, batch_size: int = 256, max_epochs: int = 100, patience: int = 8,
                 valid_fraction: float = 0.15, random_state: int = 0) -> None:
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
        train, valid = inner_split(y, self.valid_fraction, self.random_state)
        with _torch_state(self.random_state):
            self.net_ = self._network(X.shape[1])
            Zt = torch.as_tensor((Z - self.mean_) / self.scale_, dtype=torch.float32)
            yt = torch.as_tensor(y, dtype=torch.float32)
            self.best_epoch_ = self._train(Zt, yt, train, valid)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        import torch

        Z = torch.as_tensor((logit(X) - self.mean_) / self.scale_, dtype=torch.float32)
        with _torch_state(None), torch.no_grad():
            self.net_.eval()
            return torch.sigmoid(self.net_(Z).squeeze(1)).double().numpy()

    def _network(self, n_features: int):
        from torch import nn

        blocks, width = [], n_features
        for _ in range(self.layers):
            blocks += [nn.Linear(width, self.hidden), nn.ReLU(), nn.Dropout(self.dropout)]
            width = self.hidden
        return nn.Sequential(*blocks, nn.Linear(width, 1))

    def _train(self, Z, y, train: np.ndarray, valid: np.ndarray) -> int:
        """Adam epochs with early stopping on ``valid``; loads the best weights, returns its epoch."""
        import torch

        optimizer = torch.optim.Adam(self.net_.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        order = np.random.default_rng(self.random_state)
        best, best_epoch, best_state = np.inf, 0, None
        for epoch in range(self.max_epochs):
            self.net_.train()
            for batch in np.array_split(order.permutation(train), max(1, len(train) // self.batch_size)):
                optimizer.zero_grad()
                loss_fn(self.net_(Z[batch]).squeeze(1), y[batch]).backward()
                optimizer.step()
            self.net_.eval()
            with torch.no_grad():
                loss = float(loss_fn(self.net_(Z[valid]).squeeze(1), y[valid]))
            if loss < best - 1e-6:
                best, best_epoch = loss, epoch
                best_state = {k: v.clone() for k, v in self.net_.state_dict().items()}
            elif epoch - best_epoch >= self.patience:
                break
        self.net_.load_state_dict(best_state)
        return best_epoch


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
