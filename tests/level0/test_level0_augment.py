"""Device augmentation and TTA: shapes, value range, exact flips, reproducibility, crops in the right place."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from stacker.config import AugmentConfig
from stacker.exceptions import RegistryError, ValidationError
from stacker.level0.augment import DeviceAugment, hue_matrices, parse_augment, to_float
from stacker.level0.tta import list_tta, predict_tta, tta_views

NOTHING = AugmentConfig(rrc_p=0.0, hflip_p=0.0)
EVERYTHING = AugmentConfig(rrc_p=1.0, hflip_p=0.5, vflip_p=0.5, rotate_p=1.0, shift_p=1.0, brightness_p=1.0,
                           brightness=0.9, contrast_p=1.0, contrast=0.9, hue_p=1.0, hue_deg=90)


def images(n: int = 6, size: int = 20, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 256, (n, size, size, 3), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)


def test_train_views_have_the_requested_shape_and_stay_in_unit_range():
    out = DeviceAugment(EVERYTHING, crop_pct=0.875, memory_format=torch.channels_last).train(images(), 12, torch.Generator().manual_seed(0))
    assert out.shape == (6, 3, 12, 12) and out.dtype == torch.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert out.is_contiguous(memory_format=torch.channels_last)


def test_no_transform_at_full_size_is_the_identity():
    x = images()
    out = DeviceAugment(NOTHING, crop_pct=1.0).train(x, 20, torch.Generator().manual_seed(0))
    torch.testing.assert_close(out, to_float(x), atol=1e-5, rtol=0)


@pytest.mark.parametrize("flip", ["hflip_p", "vflip_p"])
def test_flip_is_an_involution_and_mirrors_the_image(flip):
    x = images()
    augment = DeviceAugment(replace(NOTHING, **{flip: 1.0}), crop_pct=1.0)
    once = augment.train(x, 20, torch.Generator().manual_seed(0))
    axis = 3 if flip == "hflip_p" else 2
    torch.testing.assert_close(once, to_float(x).flip(axis), atol=1e-5, rtol=0)
    twice = augment.train((once.permute(0, 2, 3, 1) * 255).round().to(torch.uint8), 20, torch.Generator())
    torch.testing.assert_close(twice, to_float(x), atol=1e-5, rtol=0)


def test_same_generator_seed_gives_the_same_batch_and_another_seed_does_not():
    augment, x = DeviceAugment(EVERYTHING, crop_pct=0.875), images()
    a = augment.train(x, 12, torch.Generator().manual_seed(3))
    b = augment.train(x, 12, torch.Generator().manual_seed(3))
    c = augment.train(x, 12, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_hue_rotation_keeps_luma_and_zero_angle_is_identity():
    matrices = hue_matrices(torch.tensor([0.0, 1.0, -2.0]))
    torch.testing.assert_close(matrices[0], torch.eye(3), atol=1e-5, rtol=0)
    luma = torch.tensor([0.299, 0.587, 0.114])
    torch.testing.assert_close(luma @ matrices[1], luma, atol=1e-5, rtol=0)
    assert not torch.allclose(matrices[1], torch.eye(3), atol=1e-2)


def test_val_view_is_the_center_crop():
    x = images(n=2, size=16)
    out = DeviceAugment(NOTHING, crop_pct=0.5).val(x, 8)
    torch.testing.assert_close(out, to_float(x)[:, :, 4:12, 4:12], atol=1e-5, rtol=0)


@pytest.mark.parametrize("name,n_views", [("none", 1), ("flip", 2), ("five-crop", 5), ("ten-crop", 10)])
def test_tta_view_shapes(name, n_views):
    assert name in list_tta()
    views = tta_views(images(n=3, size=16), name, 8, 0.5)
    assert views.shape == (n_views, 3, 3, 8, 8)


def test_tta_five_crop_takes_the_corners_and_flip_mirrors_the_center():
    x = images(n=2, size=16)
    five = tta_views(x, "five-crop", 8, 0.5)
    torch.testing.assert_close(five[0], to_float(x)[:, :, :8, :8], atol=1e-5, rtol=0)
    torch.testing.assert_close(five[3], to_float(x)[:, :, 8:, 8:], atol=1e-5, rtol=0)
    flip = tta_views(x, "flip", 8, 0.5)
    torch.testing.assert_close(flip[1], flip[0].flip(3), atol=1e-5, rtol=0)


def test_predict_tta_averages_probabilities_over_views():
    x = images(n=4, size=16)
    forward = lambda v: v.mean((2, 3))  # noqa: E731 - logits = mean colour per channel
    got = predict_tta(forward, x, name="five-crop", size=8, crop_pct=0.5)
    expected = torch.sigmoid(tta_views(x, "five-crop", 8, 0.5).mean((3, 4))).mean(0)
    torch.testing.assert_close(got, expected)
    with pytest.raises(RegistryError, match="unknown tta 'twelve-crop'"):
        predict_tta(forward, x, name="twelve-crop", size=8, crop_pct=0.5)


def test_parse_augment_overrides_fields_and_rejects_unknown_ones():
    policy = parse_augment("vflip_p=0.5, rrc_scale=0.3:1")
    assert policy.vflip_p == 0.5 and policy.rrc_scale == (0.3, 1.0) and policy.hflip_p == AugmentConfig().hflip_p
    with pytest.raises(ValidationError, match="unknown setting 'vflip'"):
        parse_augment("vflip=0.5")
    with pytest.raises(ValidationError, match="rrc_scale=0.3"):
        parse_augment("rrc_scale=0.3")
