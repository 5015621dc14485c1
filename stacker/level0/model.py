"""Level-0 networks: any timm backbone by name, a head for the label count, local weights only."""

from __future__ import annotations

import difflib
from pathlib import Path

import torch
from torch import nn

from stacker.exceptions import RegistryError, TrainingError


class ImageClassifier(nn.Module):
    """A timm backbone that takes images in [0, 1] and normalises them itself.

    Parameters
    ----------
    backbone : nn.Module
        A timm model whose classifier has ``n_labels`` outputs (logits).
    mean, std : tuple of 3 floats
        The backbone's input normalisation.

    ``forward(x)``: ``x`` of shape (batch, 3, h, w), float in [0, 1] -> logits (batch, n_labels).
    """

    def __init__(self, backbone: nn.Module, mean: tuple[float, ...], std: tuple[float, ...]) -> None:
        super().__init__()
        self.backbone = backbone
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone((x - self.mean) / self.std)


def build_model(arch: str, n_labels: int, *, pretrained: str | Path | None = None) -> ImageClassifier:
    """The timm network ``arch`` with an ``n_labels``-logit head.

    ``pretrained`` is a local weights file (a state dict, ``.pth``/``.bin``/
    ``.safetensors``); its classifier is dropped when its shape differs.
    Nothing is ever downloaded.
    """
    import timm

    check_arch(arch)
    kwargs: dict = {"num_classes": n_labels}
    if pretrained is not None:
        path = Path(pretrained)
        if not path.is_file():
            raise TrainingError(f"pretrained weights file not found: {path}; pass an existing local file")
        kwargs |= {"pretrained": True, "pretrained_cfg_overlay": {"file": str(path)}}
    try:
        backbone = timm.create_model(arch, **kwargs)
    except (RuntimeError, KeyError, ValueError) as e:
        raise TrainingError(f"cannot build {arch!r} from {pretrained}: {e}") from e
    cfg = backbone.pretrained_cfg
    return ImageClassifier(backbone, tuple(cfg.get("mean", (0.485, 0.456, 0.406))),
                           tuple(cfg.get("std", (0.229, 0.224, 0.225))))


def check_arch(arch: str) -> None:
    """Raise RegistryError, with close matches, if timm has no model called ``arch``."""
    import timm

    if timm.is_model(arch):
        return
    close = difflib.get_close_matches(arch, timm.list_models(), n=5, cutoff=0.6)
    hint = f"close matches: {', '.join(close)}" if close else "see timm.list_models()"
    raise RegistryError(f"unknown architecture {arch!r} (not a timm model); {hint}")


def set_backbone_trainable(model: ImageClassifier, trainable: bool) -> None:
    """Freeze (``False``) or unfreeze every backbone parameter except the classifier head."""
    head = {id(p) for p in model.backbone.get_classifier().parameters()}
    for parameter in model.backbone.parameters():
        if id(parameter) not in head:
            parameter.requires_grad_(trainable)


@torch.no_grad()
def check_input_size(model: ImageClassifier, arch: str, size: int, device: torch.device) -> None:
    """Raise TrainingError if ``model`` cannot take (size x size) images (a dry forward in eval mode)."""
    was_training = model.training
    try:
        model.eval()(torch.zeros(2, 3, size, size, device=device))
    except RuntimeError as e:
        raise TrainingError(
            f"{arch} cannot take {size}x{size} images ({str(e).splitlines()[0]}); use a larger --img-size "
            f"(or --stages sizes) or another --arch"
        ) from e
    finally:
        model.train(was_training)
