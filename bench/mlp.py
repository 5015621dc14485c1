"""Benchmark: the bagged ``mlp`` learner's networks trained together vs one after another.

The ``mlp`` level-2 learner trains ``bags`` (default 5) small networks, each on
its own inner fold with early stopping. ``fit_one_by_one`` below is how it
trained them before (one ``nn.Sequential`` and one ``torch.optim.Adam`` per
bag, in turn): the reference. The learner now trains them in one batched loop
(``stacker/level2/learners/_bags.py``). Both run here on the same seeded
level-2-like task (a label's stacking features: logits of correlated weak
models), at the sizes of the Mulan benches' level-2 fits and a larger one.
Printed per size: the time ratio (best of 3), the largest difference of the
predicted probabilities and whether every bag kept the same best epoch.

    python bench/mlp.py                # 400, 1,000 and 10,000 rows x 45 features
    python bench/mlp.py --small        # 400 and 1,000 rows
"""

from __future__ import annotations

import argparse

import numpy as np

from stacker.level2.learners import create_learner, logit
from stacker.level2.learners.mlp import _torch_state

from thresholds import timed  # bench/thresholds.py: best-of-n timer


def fit_one_by_one(learner, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """The reference: ``learner``'s bags trained one after another with torch's own modules and Adam.

    Returns the mean of the bags' probabilities on ``X`` and each bag's best epoch.
    """
    import torch

    Z = logit(X)
    mean, scale = Z.mean(axis=0), Z.std(axis=0) + 1e-6
    Zt = torch.as_tensor((Z - mean) / scale, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32)
    probabilities, epochs = [], []
    for b, (train, valid) in enumerate(learner._splits(y)):
        seed = learner.random_state + 7919 * b
        with _torch_state(seed):
            net = learner._network(X.shape[1])
            epochs.append(_train(learner, net, Zt, yt, train, valid, seed))
            with torch.no_grad():
                probabilities.append(torch.sigmoid(net.eval()(Zt).squeeze(1)).double().numpy())
    return np.mean(probabilities, axis=0), epochs


def _train(learner, net, Z, y, train, valid, seed) -> int:
    import torch

    optimizer = torch.optim.Adam(net.parameters(), lr=learner.lr, weight_decay=learner.weight_decay)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    order = np.random.default_rng(seed)
    best, best_epoch, best_state = np.inf, 0, None
    for epoch in range(learner.max_epochs):
        net.train()
        for batch in np.array_split(order.permutation(train), max(1, len(train) // learner.batch_size)):
            optimizer.zero_grad()
            loss_fn(net(Z[batch]).squeeze(1), y[batch]).backward()
            optimizer.step()
        net.eval()
        with torch.no_grad():
            loss = float(loss_fn(net(Z[valid]).squeeze(1), y[valid]))
        if loss < best - 1e-6:
            best, best_epoch = loss, epoch
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
        elif epoch - best_epoch >= learner.patience:
            break
    net.load_state_dict(best_state)
    return best_epoch


def make_task(n: int, n_features: int = 45, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A label at 30% prevalence and ``n_features`` weak, correlated model probabilities of it."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.uint8)
    shared = rng.normal(0.0, 1.0, n)
    z = (2.0 * y - 1.0)[:, None] * rng.uniform(0.3, 1.2, n_features) + 0.7 * shared[:, None] \
        + rng.normal(0.0, 1.0, (n, n_features)) - 0.8
    return 1.0 / (1.0 + np.exp(-z)), y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="only the two small sizes")
    args = parser.parse_args()
    sizes = (400, 1_000) if args.small else (400, 1_000, 10_000)
    fit_one_by_one(create_learner("mlp", max_epochs=2), *make_task(200))  # import torch before timing
    print("mlp learner (5 bags): batched training vs bags one after another (best of 3)")
    for n in sizes:
        X, y = make_task(n, seed=n)
        learner = create_learner("mlp")
        reference_s, (reference, epochs) = timed(fit_one_by_one, learner, X, y, repeat=3)
        batched_s, fitted = timed(lambda: create_learner("mlp").fit(X, y), repeat=3)
        diff = float(np.abs(fitted.predict_proba(X) - reference).max())
        print(f"  {n:>6} rows: {reference_s / batched_s:.2f}x faster ({batched_s:.2f} s vs {reference_s:.2f} s); "
              f"max |probability difference| {diff:.1e}; best epochs {fitted.best_epochs_} "
              f"{'same as' if fitted.best_epochs_ == epochs else 'differ from'} one by one {epochs}")


if __name__ == "__main__":
    main()
