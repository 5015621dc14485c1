"""Decode each image once into a resized uint8 memory-mapped cache.

``<workspace>/.cache/images/<variant>_<size>.npy`` holds an array of shape
(n_images, size, size, 3), uint8, rows in the order of the ids it was built
for; ``<variant>_<size>.json`` holds those ids and a fingerprint of the image
files (names, sizes, modification times). The cache is rebuilt when the id
list, the size or any file changes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stacker import progress
from stacker.exceptions import TrainingError

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = ("png", "jpg", "jpeg")
CACHE_DIR = ".cache/images"
_CHUNK = 256


@dataclass(frozen=True)
class ImageCache:
    """Images decoded once. ``images``: (n_images, size, size, 3) uint8, memory-mapped."""

    images: np.ndarray
    ids: tuple[str, ...]
    path: Path

    @property
    def size(self) -> int:
        return int(self.images.shape[1])


def image_extension(folder: Path, first_id: str, configured: str | None = None) -> str:
    """The image extension of ``folder``: ``configured`` or the first of png/jpg/jpeg that exists."""
    if configured:
        return configured.lstrip(".")
    for ext in IMAGE_EXTENSIONS:
        if (folder / f"{first_id}.{ext}").exists():
            return ext
    tried = ", ".join(f"{first_id}.{ext}" for ext in IMAGE_EXTENSIONS)
    raise TrainingError(
        f"no image for id {first_id!r} in {folder} (tried {tried}); check the image folder "
        f"or set image_ext in stacker.toml"
    )


def fingerprint(paths: list[Path], ids: list[str], size: int) -> str:
    """Hash of the file names, byte sizes and modification times, and the cache size.

    A missing file raises TrainingError naming its id and path.
    """
    digest = hashlib.sha256(f"size={size}\n".encode())
    for image_id, path in zip(ids, paths):
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise TrainingError(f"image for id {image_id!r} not found: {path}") from None
        digest.update(f"{path.name}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def load_image_cache(
    folder: Path, ids: list[str], *, size: int, cache_dir: Path, name: str,
    ext: str | None = None, workers: int = 4,
) -> ImageCache:
    """The cache of ``ids`` from ``folder`` at ``size`` x ``size``, built (or rebuilt) if stale.

    Parameters
    ----------
    folder : Path
        Holds ``<id>.<ext>`` image files.
    ids : list of str
        Row order of the cache.
    size : int
        Every image is resized to (size, size).
    cache_dir, name : Path, str
        The cache is ``<cache_dir>/<name>.npy`` with index ``<name>.json``.
    ext : str, optional
        Image extension; found from the first id when not given.
    workers : int
        Decoding threads.
    """
    ids = [str(i) for i in ids]
    if not ids:
        raise TrainingError(f"no images to cache for {folder}")
    suffix = image_extension(folder, ids[0], ext)
    paths = [folder / f"{i}.{suffix}" for i in ids]
    key = fingerprint(paths, ids, size)
    array_path, index_path = cache_dir / f"{name}.npy", cache_dir / f"{name}.json"
    if _is_fresh(index_path, array_path, key, ids):
        return ImageCache(np.load(array_path, mmap_mode="r"), tuple(ids), array_path)
    log.info("caching %d images from %s at %dx%d", len(ids), folder, size, size)
    _build(paths, ids, size, array_path, workers)
    _write_json(index_path, {"fingerprint": key, "size": size, "folder": str(folder), "ids": ids})
    return ImageCache(np.load(array_path, mmap_mode="r"), tuple(ids), array_path)


def _is_fresh(index_path: Path, array_path: Path, key: str, ids: list[str]) -> bool:
    if not (index_path.exists() and array_path.exists()):
        return False
    try:
        index = json.loads(index_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    return index.get("fingerprint") == key and index.get("ids") == ids


def _build(paths: list[Path], ids: list[str], size: int, array_path: Path, workers: int) -> None:
    array_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = array_path.with_name(f"{array_path.stem}.{os.getpid()}.tmp.npy")  # concurrent builders do not collide
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(len(paths), size, size, 3))
    chunks = [range(s, min(s + _CHUNK, len(paths))) for s in range(0, len(paths), _CHUNK)]
    with ThreadPoolExecutor(max(1, workers)) as pool:
        for chunk in progress.track(chunks, f"caching images at {size}px", total=len(chunks)):
            decoded = pool.map(lambda i: decode_image(paths[i], ids[i], size), chunk)
            for i, image in zip(chunk, decoded):
                out[i] = image
    out.flush()
    del out
    tmp.replace(array_path)


def decode_image(path: Path, image_id: str, size: int) -> np.ndarray:
    """One image as (size, size, 3) uint8 RGB; unreadable files raise TrainingError naming id and path."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.draft("RGB", (size, size))  # JPEG: decode at a reduced scale when that is enough
            rgb = image.convert("RGB")
            if rgb.size != (size, size):
                rgb = rgb.resize((size, size), Image.Resampling.BILINEAR)
            return np.asarray(rgb, dtype=np.uint8)
    except OSError as e:
        raise TrainingError(f"cannot read image for id {image_id!r} at {path}: {e}") from e


def _write_json(path: Path, payload: dict) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload))
    tmp.replace(path)
