"""Image cache: decoded once, equal to the images, rebuilt when files or size change; missing files named."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from stacker.exceptions import TrainingError
from stacker.level0.cache import image_extension, load_image_cache


def write(folder, ids, size=12, ext="png", seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    pixels = {}
    for i in ids:
        pixels[i] = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        Image.fromarray(pixels[i]).save(folder / f"{i}.{ext}")
    return pixels


def test_cache_holds_the_decoded_images_in_id_order(tmp_path):
    pixels = write(tmp_path / "img", ["a", "b", "c"])
    cache = load_image_cache(tmp_path / "img", ["c", "a", "b"], size=12, cache_dir=tmp_path / "cache", name="x")
    assert cache.images.shape == (3, 12, 12, 3) and cache.images.dtype == np.uint8
    assert isinstance(cache.images, np.memmap)
    for row, image_id in enumerate(["c", "a", "b"]):
        np.testing.assert_array_equal(cache.images[row], pixels[image_id])


def test_cache_is_reused_then_rebuilt_when_a_file_or_the_size_changes(tmp_path):
    folder, cache_dir = tmp_path / "img", tmp_path / "cache"
    write(folder, ["a", "b"])
    load_image_cache(folder, ["a", "b"], size=12, cache_dir=cache_dir, name="x")
    built = (cache_dir / "x.npy").stat().st_mtime_ns
    load_image_cache(folder, ["a", "b"], size=12, cache_dir=cache_dir, name="x")
    assert (cache_dir / "x.npy").stat().st_mtime_ns == built
    new = write(folder, ["b"], seed=5)["b"]
    os.utime(folder / "b.png", ns=(1, 1))  # a different modification time even on coarse clocks
    cache = load_image_cache(folder, ["a", "b"], size=12, cache_dir=cache_dir, name="x")
    np.testing.assert_array_equal(cache.images[1], new)
    smaller = load_image_cache(folder, ["a", "b"], size=6, cache_dir=cache_dir, name="x")
    assert smaller.images.shape == (2, 6, 6, 3)
    reordered = load_image_cache(folder, ["b", "a"], size=6, cache_dir=cache_dir, name="x")
    np.testing.assert_array_equal(reordered.images[0], smaller.images[1])


def test_jpeg_extension_is_found_once_and_images_are_resized(tmp_path):
    write(tmp_path / "img", ["a", "b"], size=40, ext="jpg")
    assert image_extension(tmp_path / "img", "a") == "jpg"
    cache = load_image_cache(tmp_path / "img", ["a", "b"], size=16, cache_dir=tmp_path / "c", name="x")
    assert cache.images.shape == (2, 16, 16, 3)


def test_missing_image_names_the_id_and_path(tmp_path):
    write(tmp_path / "img", ["a"])
    with pytest.raises(TrainingError, match=r"image for id 'zz' not found: .*img/zz\.png"):
        load_image_cache(tmp_path / "img", ["a", "zz"], size=12, cache_dir=tmp_path / "c", name="x")
    with pytest.raises(TrainingError, match="no image for id 'q'.*tried q.png, q.jpg, q.jpeg"):
        load_image_cache(tmp_path / "img", ["q"], size=12, cache_dir=tmp_path / "c", name="x")


def test_unreadable_image_names_the_id(tmp_path):
    write(tmp_path / "img", ["a"])
    (tmp_path / "img" / "b.png").write_bytes(b"not a png")
    with pytest.raises(TrainingError, match="cannot read image for id 'b'"):
        load_image_cache(tmp_path / "img", ["a", "b"], size=12, cache_dir=tmp_path / "c", name="x")
