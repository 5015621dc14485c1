"""Level-0 trainer throughput from real JPEG files vs a bare synthetic-tensor training loop.

The bare loop (random tensors already on the device, same model, batch,
precision, channels-last, optimizer and loss) is the ceiling. The trainer is
timed end to end from the image files after its uint8 cache is built:
steady-state epochs (the first is dropped), as logged by the trainer itself.

    python bench/train.py            # GPU: resnet50, 12,800 JPEGs of 256px, 224 crops, batch 256, bf16
    python bench/train.py --small    # CPU: a tiny timm model on 64px crops

Prints img/s of both, their ratio (target >= 0.90 on a GPU) and, on CUDA, the
ratio to timm's own train.py on the same kind of files (0.78 of the bare loop
on an H100, /work/shared/anchors.md).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

from stacker.config import AugmentConfig, TrainConfig
from stacker.data import Workspace, make_folds, write_folds
from stacker.level0 import train_run
from stacker.level0.device import autocast, cpu_threads, memory_format, resolve_device, resolve_precision
from stacker.level0.losses import create_loss
from stacker.level0.model import build_model
from stacker.level0.optim import create_optimizer
from stacker.level0.run import load_cache, resolve_config

TIMM_TRAIN_PY_RATIO = 0.78  # timm train.py / bare loop, resnet50 bf16 on an H100 (anchors.md)
N_LABELS = 17


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--small", action="store_true", help="CPU-sized: tiny model, 64px crops, 384 images")
    p.add_argument("--arch")
    p.add_argument("--n-images", type=int)
    p.add_argument("--file-size", type=int, help="side of the JPEG files")
    p.add_argument("--size", type=int, help="training crop size")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--epochs", type=int, default=4, help="trainer epochs; the first is warm-up")
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--compile", action="store_true")
    p.add_argument("--dir", type=Path, help="workspace folder to reuse (default: a temp folder)")
    args = p.parse_args()
    small = dict(arch="test_resnet", n_images=384, file_size=72, size=64, batch_size=32)
    large = dict(arch="resnet50", n_images=12_800, file_size=256, size=224, batch_size=256)
    for key, value in (small if args.small else large).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def write_workspace(root: Path, n: int, file_size: int, n_test: int = 64) -> Workspace:
    """``n`` train JPEGs (+ ``n_test`` test JPEGs) of noise with label-coloured squares, 8 folds."""
    if (root / "stacker.toml").exists():
        return Workspace.load(root)
    rng = np.random.default_rng(0)
    y = (rng.random((n, N_LABELS)) < np.geomspace(0.9, 0.05, N_LABELS)).astype(np.uint8)
    ids = [f"train_{i}" for i in range(n)] + [f"test_{i}" for i in range(n_test)]
    (root / "images").mkdir(parents=True, exist_ok=True)
    for i, image_id in enumerate(ids):
        pixels = rng.integers(0, 255, (file_size, file_size, 3), dtype=np.uint8)
        if i < n:
            for j in np.flatnonzero(y[i]):
                s = file_size * j // N_LABELS
                pixels[s:s + file_size // 8, :, j % 3] = 255
        Image.fromarray(pixels).save(root / "images" / f"{image_id}.jpg", quality=90)
    labels = [f"l{j}" for j in range(N_LABELS)]
    tags = [" ".join(l for l, on in zip(labels, row) if on) for row in y]
    pd.DataFrame({"id": ids[:n], "tags": tags}).to_csv(root / "train.csv", index=False)
    pd.DataFrame({"id": ids[n:], "tags": labels[0]}).to_csv(root / "test.csv", index=False)
    ws = Workspace.init(root, train=root / "train.csv", test=root / "test.csv", id_column="id",
                        force=True)  # a re-run rebuilds it
    write_folds(ws.folds_path, ws.train_ids, make_folds(ws.y, k=8, seed=0), id_column="id")
    return Workspace.load(root)


def bare_loop(config: TrainConfig, steps: int, warmup: int = 10, repeats: int = 3) -> float:
    """Best of ``repeats`` timings (img/s) of forward + backward + step on random tensors on the device."""
    device = resolve_device(config.device)
    precision = resolve_precision(config.precision, device)
    fmt = memory_format(config.channels_last, device)
    model = build_model(config.arch, N_LABELS).to(device).to(memory_format=fmt)
    forward = torch.compile(model) if config.compile else model
    loss_fn = create_loss(config.loss, prevalence=np.full(N_LABELS, 0.3)).to(device)
    optimizer = create_optimizer(config.optimizer, model, lr=config.lr, momentum=config.momentum,
                                 weight_decay=config.weight_decay)
    x = torch.rand(config.batch_size, 3, config.img_size, config.img_size, device=device)
    x = x.contiguous(memory_format=fmt)
    y = (torch.rand(config.batch_size, N_LABELS, device=device) < 0.3).float()
    model.train()

    def run(n: int) -> float:
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(n):
            with autocast(device, precision):
                loss = loss_fn(forward(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        return n * config.batch_size / (time.perf_counter() - start)

    run(warmup)
    return max(run(steps) for _ in range(repeats))


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.dir or Path(tmp) / "ws"
        start = time.perf_counter()
        ws = write_workspace(root, args.n_images, args.file_size)
        print(f"wrote/found {args.n_images} JPEGs of {args.file_size}px in {time.perf_counter() - start:.1f}s")
        config = TrainConfig(
            arch=args.arch, img_size=args.size, epochs=args.epochs, folds=(0,), batch_size=args.batch_size,
            loss="bce", lr=0.01, warmup_epochs=0, tta="none", patience=0, device=args.device, workers=8,
            compile=args.compile, threads=args.threads, cache_size=args.file_size, name=f"bench_{time.time_ns()}",
            augment=AugmentConfig(),  # random-resized-crop + horizontal flip
        )
        with cpu_threads(args.threads):
            start = time.perf_counter()
            load_cache(ws, resolve_config(config))
            print(f"cache built in {time.perf_counter() - start:.1f}s")
            steps = max(10, int((ws.folds != 0).sum()) // args.batch_size)
            before = bare_loop(resolve_config(config), steps=steps)  # measured before and after the trainer:
            history = train_run(ws, config).folds[0]["history"]
            bare = max(before, bare_loop(resolve_config(config), steps=steps))  # the higher is the ceiling
        steady = history[1:] or history
        trainer = float(np.median([h["images_per_s"] for h in steady]))
        wait = float(np.median([h["data_wait"] for h in steady]))
    device = resolve_device(args.device)
    fmt = "channels_last" if memory_format(True, device) == torch.channels_last else "contiguous"
    print(f"device {device}, {args.arch} at {args.size}px, batch {args.batch_size}, "
          f"{resolve_precision('auto', device)}, {fmt}, compile={args.compile}")
    print(f"bare synthetic loop : {bare:9.1f} img/s")
    print(f"trainer from JPEGs  : {trainer:9.1f} img/s  (data wait {100 * wait:.1f}% of each epoch)")
    print(f"ratio trainer/bare  : {trainer / bare:9.3f}  (target >= 0.90 on a GPU)")
    if device.type == "cuda":
        print(f"vs timm train.py    : {trainer / bare / TIMM_TRAIN_PY_RATIO:9.3f}x  "
              f"(timm train.py ran at {TIMM_TRAIN_PY_RATIO:.2f} of the bare loop on an H100)")


if __name__ == "__main__":
    main()
