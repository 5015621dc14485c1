"""Batches of cached uint8 images on the training device, prepared by a background thread.

The thread gathers a batch's rows from the memory-mapped cache (into pinned
buffers on CUDA) and copies it to the device on a side stream while the
model works on the previous batch. The time the training loop spends
waiting for a batch is counted in ``wait_seconds``.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Iterator

import numpy as np
import torch

_DONE = object()


class BatchLoader:
    """Iterate (images, targets) batches over ``rows`` of a cache.

    Parameters
    ----------
    images : ndarray of shape (n_images, h, w, 3), uint8
        The image cache (memory-mapped).
    rows : ndarray of shape (n_rows,), int
        Cache rows this loader serves, in this order when not shuffled.
    targets : ndarray of shape (n_rows, n_labels) or None
        0/1 labels of ``rows`` (same order); ``None`` yields ``targets=None``.
    batch_size : int
    device : torch.device
    shuffle, drop_last : bool
        Shuffle (with the epoch's generator) and drop the last short batch: training.
    prefetch : int
        Batches prepared ahead.
    """

    def __init__(
        self, images: np.ndarray, rows: np.ndarray, targets: np.ndarray | None, *, batch_size: int,
        device: torch.device, shuffle: bool = False, drop_last: bool = False, prefetch: int = 2,
    ) -> None:
        self.images = images
        self.rows = np.asarray(rows, dtype=np.int64)
        self.targets = None if targets is None else np.asarray(targets, dtype=np.float32)
        self.batch_size = batch_size
        self.device = device
        self.shuffle = shuffle
        self.drop_last = drop_last and len(self.rows) > batch_size
        self.prefetch = prefetch
        self.wait_seconds = 0.0

    def __len__(self) -> int:
        n = len(self.rows)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def order(self, generator: torch.Generator | None) -> list[np.ndarray]:
        """Positions into ``rows`` of each batch of one epoch."""
        n = len(self.rows)
        perm = torch.randperm(n, generator=generator).numpy() if self.shuffle else np.arange(n)
        return [perm[s:s + self.batch_size] for s in range(0, len(self) * self.batch_size, self.batch_size)]

    def epoch(self, generator: torch.Generator | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        """Yield one epoch of (images (b, h, w, 3) uint8, targets (b, n_labels) float32) on the device."""
        batches = self.order(generator)
        gather = _CudaGather(self) if self.device.type == "cuda" else self._gather_cpu
        out: queue.Queue = queue.Queue(maxsize=max(1, self.prefetch))
        stop = threading.Event()
        thread = threading.Thread(target=self._produce, args=(gather, batches, out, stop), daemon=True)
        thread.start()
        try:
            while True:
                start = time.perf_counter()
                item = out.get()
                self.wait_seconds += time.perf_counter() - start
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            thread.join()

    def _produce(self, gather, batches: list[np.ndarray], out: queue.Queue, stop: threading.Event) -> None:
        try:
            for positions in batches:
                item = gather(positions)
                while not stop.is_set():
                    try:
                        out.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            _put_final(out, _DONE, stop)
        except BaseException as e:  # handed to the consumer, which re-raises it
            _put_final(out, e, stop)

    def _gather_cpu(self, positions: np.ndarray) -> tuple[torch.Tensor, torch.Tensor | None]:
        images = torch.from_numpy(np.take(self.images, self.rows[positions], axis=0))
        targets = None if self.targets is None else torch.from_numpy(self.targets[positions])
        return images.to(self.device), None if targets is None else targets.to(self.device)


class _CudaGather:
    """Gathers into a pinned buffer and copies it to the GPU on a side stream.

    Built on the consuming thread (it records that thread's stream), called on the producer's.
    """

    def __init__(self, loader: BatchLoader) -> None:
        self.loader = loader
        shape = (loader.batch_size, *loader.images.shape[1:])
        self.buffer = torch.empty(shape, dtype=torch.uint8, pin_memory=True)
        self.stream = torch.cuda.Stream(loader.device)
        self.consumer = torch.cuda.current_stream(loader.device)

    def __call__(self, positions: np.ndarray) -> tuple[torch.Tensor, torch.Tensor | None]:
        loader = self.loader
        buffer = self.buffer[: len(positions)]
        np.take(loader.images, loader.rows[positions], axis=0, out=buffer.numpy(), mode="clip")
        with torch.cuda.stream(self.stream):
            images = buffer.to(loader.device, non_blocking=True)
            targets = None
            if loader.targets is not None:
                targets = torch.from_numpy(loader.targets[positions]).pin_memory().to(loader.device, non_blocking=True)
        self.stream.synchronize()  # the buffer is free again and the batch is complete
        images.record_stream(self.consumer)
        if targets is not None:
            targets.record_stream(self.consumer)
        return images, targets


def _put_final(out: queue.Queue, item: object, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            out.put(item, timeout=0.1)
            return
        except queue.Full:
            continue
