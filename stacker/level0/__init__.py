"""Level-0 CNN trainers: timm backbones, losses, device-side augmentation, TTA -> run folders."""

from stacker.level0.losses import create_loss, list_losses
from stacker.level0.run import RunResult, resolve_config, train_run
from stacker.level0.sanity import SanityResult, sanity_check
from stacker.level0.tta import list_tta

__all__ = ["RunResult", "SanityResult", "create_loss", "list_losses", "list_tta", "resolve_config",
           "sanity_check", "train_run"]
