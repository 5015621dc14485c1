"""``stacker train``: fit a level-0 CNN on every requested fold and write runs/<name>/."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from stacker.cli._cluster import ClusterOption, on_cluster
from stacker.cli._console import JsonOption, WorkspaceOption, console, print_json, print_table
from stacker.config import TrainConfig

COMMAND = "train"
D = TrainConfig()  # the defaults live in stacker.config; shown here, not repeated


def run(
    arch: Annotated[str, typer.Option(help="timm architecture name.")] = D.arch,
    img_size: Annotated[int, typer.Option(help="Training image size (ignored when --stages is given).")] = D.img_size,
    epochs: Annotated[int, typer.Option(help="Epochs (ignored when --stages is given).")] = D.epochs,
    stages: Annotated[str, typer.Option(help="Progressive resizing, size:epochs,... e.g. 128:5,224:25.")] = "",
    folds: Annotated[str, typer.Option(help="'all' or fold numbers, e.g. 0,1.")] = "all",
    seed: Annotated[int, typer.Option(min=0, max=2**32 - 1, help="Random seed.")] = D.seed,
    variant: Annotated[str, typer.Option(help="Image folder variant ('original' or a name from the variants table in stacker.toml).")] = D.variant,
    name: Annotated[Optional[str], typer.Option(help="Run name (default <arch>_<variant>_s<seed>).")] = D.name,
    loss: Annotated[str, typer.Option(help="bce, bce-weighted, focal, soft-f2 or bce+soft-f2.")] = D.loss,
    batch_size: Annotated[int, typer.Option(help="Batch size.")] = D.batch_size,
    lr: Annotated[float, typer.Option(help="Peak learning rate.")] = D.lr,
    optimizer: Annotated[str, typer.Option(help="sgd or adamw.")] = D.optimizer,
    weight_decay: Annotated[float, typer.Option(help="Weight decay (not on biases/norms).")] = D.weight_decay,
    schedule: Annotated[str, typer.Option(help="cosine, step or plateau.")] = D.schedule,
    warmup_epochs: Annotated[int, typer.Option(help="Linear warmup epochs.")] = D.warmup_epochs,
    tta: Annotated[str, typer.Option(help="Test-time augmentation: none, flip, five-crop, ten-crop.")] = D.tta,
    crop_pct: Annotated[float, typer.Option(help="Center-crop fraction for validation/test.")] = D.crop_pct,
    augment: Annotated[str, typer.Option(help="Policy overrides, e.g. 'vflip_p=0.5,hue_p=0.3,rrc_scale=0.3:1'.")] = "",
    freeze_epochs: Annotated[int, typer.Option(help="Train only the head for the first N epochs.")] = D.freeze_epochs,
    pretrained: Annotated[Optional[Path], typer.Option(help="Local weights file (nothing is downloaded).")] = None,
    compile: Annotated[bool, typer.Option("--compile", help="torch.compile the model.")] = D.compile,
    grad_clip: Annotated[float, typer.Option(help="Clip the gradient norm (0: off).")] = D.grad_clip,
    patience: Annotated[int, typer.Option(help="Early-stopping patience in epochs (0: off).")] = D.patience,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = D.device,
    precision: Annotated[str, typer.Option(help="auto (bf16 on CUDA, fp32 on CPU), fp32, bf16, fp16.")] = D.precision,
    channels_last: Annotated[bool, typer.Option(help="Channels-last memory format (CUDA only).")] = D.channels_last,
    workers: Annotated[int, typer.Option(help="Threads decoding images into the cache.")] = D.workers,
    threads: Annotated[int, typer.Option(help="torch CPU threads (0: torch's default).")] = D.threads,
    resume: Annotated[bool, typer.Option("--resume", help="Continue a stopped run where it stopped.")] = False,
    sanity: Annotated[bool, typer.Option("--sanity", help="Overfit a few batches, report, and stop.")] = False,
    cluster: ClusterOption = None,
    json_out: JsonOption = False,
    workspace: WorkspaceOption = Path("."),
) -> int:
    """Train a timm CNN on each fold of folds.csv; write held-out and test probabilities to runs/<name>/."""
    from stacker.data import Workspace
    from stacker.level0 import sanity_check, train_run
    from stacker.level0.augment import parse_augment
    from stacker.level0.run import parse_folds
    from stacker.level0.schedule import parse_stages

    config = TrainConfig(
        arch=arch, img_size=img_size, epochs=epochs, stages=parse_stages(stages), folds=parse_folds(folds),
        seed=seed, variant=variant, name=name, loss=loss, batch_size=batch_size, lr=lr, optimizer=optimizer,
        weight_decay=weight_decay, schedule=schedule, warmup_epochs=warmup_epochs, tta=tta, crop_pct=crop_pct,
        augment=parse_augment(augment), freeze_epochs=freeze_epochs,
        pretrained=str(pretrained) if pretrained else None, compile=compile, grad_clip=grad_clip,
        patience=patience, device=device, precision=precision, channels_last=channels_last, workers=workers,
        threads=threads,
    )
    ws = Workspace.load(workspace)
    if sanity:
        return _report_sanity(sanity_check(ws, config), json_out)
    with on_cluster(ws, cluster):
        result = train_run(ws, config, resume=resume)
    _report_run(result, ws.metric.name, json_out)
    return 0


def _report_sanity(check, json_out: bool) -> int:
    if json_out:
        print_json(check.__dict__)
    else:
        verdict = "[green]passed[/green]" if check.passed else "[red]FAILED[/red]"
        console.print(f"sanity: loss {check.initial_loss:.4f} -> {check.final_loss:.4f} over {check.steps} "
                      f"steps on {check.n_images} images: {verdict}")
    return 0 if check.passed else 1


def _report_run(result, metric: str, json_out: bool) -> None:
    if json_out:
        print_json({"name": result.name, "path": str(result.path), "val_scores": result.val_scores,
                    "images_per_s": result.images_per_s})
        return
    rows = [(k, s["val_score"], s["best_epoch"], s["epochs_run"], f"{s['images_per_s']:.0f}")
            for k, s in sorted(result.folds.items())]
    print_table(f"run {result.name}", ["fold", f"val {metric}", "best epoch", "epochs", "img/s"], rows)
    console.print(f"wrote {result.path}")
