"""``stacker train``: train every requested fold and write the run folder (docs/run-format.md).

::

    runs/<name>/run.json                {"arch", "variant", "seed", "config": {...}, "folds": {...}}
    runs/<name>/fold<k>/oof.parquet     <id> + one float32 column per label; fold k's held-out rows
    runs/<name>/fold<k>/test.parquet    same columns; every test id
    runs/<name>/checkpoints/fold<k>_{last,best}.pt
    runs/<name>/train.log
"""

from __future__ import annotations

import json
import logging
import shutil
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import torch

from stacker import __version__
from stacker import config as cfg
from stacker.config import TrainConfig
from stacker.data.stages import check_folder_name
from stacker.data.workspace import Workspace
from stacker.exceptions import TrainingError, ValidationError
from stacker.level0.cache import CACHE_DIR, ImageCache, load_image_cache
from stacker.level0.device import cpu_threads, resolve_device, resolve_precision
from stacker.level0.losses import LOSSES
from stacker.level0.model import check_arch
from stacker.level0.optim import OPTIMIZERS
from stacker.level0.schedule import SCHEDULES
from stacker.level0.trainer import EpochHook, FoldData, FoldTrainer
from stacker.level0.tta import TTA
from stacker.parallel import Shared, active_client, iter_tasks
from stacker.publish import publishing

log = logging.getLogger(__name__)

RUN_JSON = "run.json"
LOG_FILE = "train.log"
CHECKPOINT_DIR = "checkpoints"
RUNTIME_FIELDS = ("workers", "device", "threads", "folds")  # may differ between a run and its --resume


@dataclass(frozen=True)
class RunResult:
    """A finished run: its folder, resolved config and per-fold summaries (val score, img/s, history)."""

    name: str
    path: Path
    config: TrainConfig
    folds: dict[int, dict]

    @property
    def val_scores(self) -> dict[int, float]:
        """Best validation F-beta of each fold."""
        return {k: float(s["val_score"]) for k, s in self.folds.items()}

    @property
    def images_per_s(self) -> float:
        """Median steady-state training throughput over the folds."""
        return float(np.median([s["images_per_s"] for s in self.folds.values()])) if self.folds else 0.0


def resolve_config(config: TrainConfig) -> TrainConfig:
    """Fill in what defaults leave open: stages from img_size/epochs (or the reverse), cache size, name."""
    stages = tuple(tuple(s) for s in config.stages) or ((config.img_size, config.epochs),)
    resolved = replace(config, stages=stages, img_size=stages[-1][0], epochs=sum(e for _, e in stages),
                       cache_size=config.cache_size or max(s for s, _ in stages))
    return replace(resolved, name=config.name or f"{config.arch}_{config.variant}_s{config.seed}")


def validate_config(config: TrainConfig, workspace: Workspace) -> None:
    """Raise a StackerError naming the first option that cannot work with ``workspace``."""
    for registry, value in ((LOSSES, config.loss), (TTA, config.tta), (OPTIMIZERS, config.optimizer),
                            (SCHEDULES, config.schedule)):
        registry.get(value)
    check_arch(config.arch)
    workspace.image_dir(config.variant)
    positive = {"batch_size": config.batch_size, "lr": config.lr, "epochs": config.epochs,
                "img_size": config.img_size, "cache_size": config.cache_size}
    for option, value in positive.items():
        if value is None or value <= 0:
            raise ValidationError(f"--{option.replace('_', '-')} must be positive; got {value}")
    if not 0 < config.crop_pct <= 1:
        raise ValidationError(f"crop_pct must be in (0, 1]; got {config.crop_pct}")
    bad = [k for k in config.folds or () if not 0 <= k < workspace.n_folds]
    if bad:
        raise ValidationError(f"--folds {bad} not in folds.csv's folds 0..{workspace.n_folds - 1}")
    check_folder_name(config.name, "--name")
    if not 0 <= config.seed < 2**32:
        raise ValidationError(f"--seed must be in 0..2**32-1; got {config.seed}")
    at_least = {"warmup_epochs": 0, "patience": 0, "freeze_epochs": 0, "threads": 0, "workers": 0,
                "step_epochs": 1, "plateau_patience": 0, "sanity_batches": 0, "sanity_steps": 0}
    for option, low in at_least.items():
        if getattr(config, option) < low:
            raise ValidationError(f"--{option.replace('_', '-')} must be >= {low}; got {getattr(config, option)}")
    if config.grad_clip < 0:
        raise ValidationError(f"--grad-clip must be >= 0 (0: no clipping); got {config.grad_clip}")
    for option, value in asdict(config.augment).items():
        if option.endswith("_p") and not 0 <= value <= 1:
            raise ValidationError(f"--augment {option}={value}: a probability must be in [0, 1]")
    if config.pretrained is not None and not Path(config.pretrained).is_file():
        raise TrainingError(f"pretrained weights file not found: {config.pretrained}; pass an existing local file")
    resolve_precision(config.precision, torch.device("cpu"))  # an unknown precision, before any folder is made


def train_run(workspace: Workspace, config: TrainConfig, *, resume: bool = False,
              on_epoch_end: EpochHook | None = None) -> RunResult:
    """Train the requested folds of ``workspace`` and write ``runs/<name>/``.

    Parameters
    ----------
    workspace : Workspace
        Ids, labels, folds.csv and image folders.
    config : TrainConfig
        Resolved here (see :func:`resolve_config`); the resolved form goes to run.json.
    resume : bool
        Continue a stopped run of the same config: finished folds are kept, an
        unfinished fold restarts from its last epoch checkpoint.
    on_epoch_end : callable, optional
        ``hook(fold, epoch, record)`` after every epoch's checkpoint.
    """
    config = resolve_config(config)
    validate_config(config, workspace)
    # On a cluster the folds run on the workers: their GPUs count, not this machine's.
    device = resolve_device(config.device) if active_client() is None else torch.device(
        "cuda" if config.device.startswith("cuda") else "cpu")
    run_dir = workspace.root / cfg.RUNS_DIR / config.name
    created = not run_dir.exists()
    done = _prepare_run_dir(run_dir, config, resume)
    try:
        _write_meta(run_dir, workspace, config, done)
        return _train_folds(workspace, config, run_dir, device, done, resume, on_epoch_end)
    except BaseException:
        if created and not _kept_anything(run_dir):  # a run that failed before its first checkpoint leaves nothing
            shutil.rmtree(run_dir, ignore_errors=True)
        raise


def _kept_anything(run_dir: Path) -> bool:
    """True when ``run_dir`` holds an epoch checkpoint or a finished fold (what --resume continues from)."""
    checkpoints = run_dir / CHECKPOINT_DIR
    return (checkpoints.is_dir() and any(checkpoints.iterdir())) or any(run_dir.glob("fold*"))


def _train_folds(workspace: Workspace, config: TrainConfig, run_dir: Path, device: torch.device,
                 done: dict[int, dict], resume: bool, on_epoch_end: EpochHook | None) -> RunResult:
    with _log_to(run_dir / LOG_FILE):
        log.info("run %s: %s on %s (%s)%s", config.name, config.arch, device,
                 resolve_precision(config.precision, device), "" if active_client() is None else ", on the cluster")
        load_cache(workspace, config)  # built once here; every fold task opens the same memory-mapped file
        todo = []
        for k in config.folds or range(workspace.n_folds):
            if k in done and _fold_written(run_dir, k):
                log.info("fold %d: already finished, kept", k)
            else:
                todo.append(k)
        # One task per fold through the execution seam: here one after another, on a cluster
        # one per worker (a GPU worker each when training on CUDA).
        shared = Shared(workspace)
        tasks = [(shared, config, k, run_dir, resume, on_epoch_end) for k in todo]
        results = iter_tasks(train_fold, tasks, description=f"run {config.name} folds",
                             resources={"GPU": 1} if device.type == "cuda" else None)
        for k, summary in zip(todo, results):
            done[k] = summary
            _write_meta(run_dir, workspace, config, done)
            log.info("fold %d: best %s %.4f at epoch %d", k, workspace.metric.name, summary["val_score"],
                     summary["best_epoch"])
    return RunResult(name=config.name, path=run_dir, config=config, folds=done)


def train_fold(workspace: Workspace, config: TrainConfig, k: int, run_dir: Path, resume: bool,
               on_epoch_end: EpochHook | None) -> dict:
    """Train fold ``k`` and write ``run_dir/fold<k>/``; return the fold's summary (one task of the seam).

    ``config`` is resolved; the device is resolved where the task runs.
    """
    device = resolve_device(config.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes per stage: let cuDNN pick the fastest kernels
    with cpu_threads(config.threads):
        cache = load_cache(workspace, config)
        trainer = FoldTrainer(config, fold=k, data=fold_data(workspace, cache, k), metric=workspace.metric,
                              device=device, checkpoint_dir=run_dir / CHECKPOINT_DIR, on_epoch_end=on_epoch_end)
        result = trainer.fit(resume=resume)
        _write_fold(run_dir / f"fold{k}", workspace, result.oof, result.test, k)
    return result.summary()


def fold_data(workspace: Workspace, cache: ImageCache, fold: int) -> FoldData:
    """Cache rows and labels of fold ``fold``: train on the other folds, hold this one out."""
    n_train = len(workspace.train_ids)
    held_out = workspace.folds == fold
    rows = np.arange(n_train)
    return FoldData(images=cache.images, train_rows=rows[~held_out], val_rows=rows[held_out],
                    test_rows=np.arange(n_train, n_train + len(workspace.test_ids)),
                    y_train=workspace.y[~held_out], y_val=workspace.y[held_out])


def load_cache(workspace: Workspace, config: TrainConfig) -> ImageCache:
    """The image cache of every train and test id (train rows first) for the config's variant and size."""
    ids = [*map(str, workspace.train_ids), *map(str, workspace.test_ids)]
    return load_image_cache(
        workspace.image_dir(config.variant), ids, size=config.cache_size, cache_dir=workspace.root / CACHE_DIR,
        name=f"{config.variant}_{config.cache_size}", ext=workspace.config.image_ext, workers=config.workers,
    )


def _prepare_run_dir(run_dir: Path, config: TrainConfig, resume: bool) -> dict[int, dict]:
    """Per-fold summaries already in ``run_dir`` (when resuming); refuse to overwrite a run otherwise."""
    meta_path = run_dir / RUN_JSON
    if not meta_path.exists():
        (run_dir / CHECKPOINT_DIR).mkdir(parents=True, exist_ok=True)
        return {}
    if not resume:
        raise TrainingError(f"run folder {run_dir} already exists; pass --resume to continue it (or to add "
                            f"folds to it), --name to start another run, or delete the folder")
    try:
        old = json.loads(meta_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise TrainingError(f"--resume: {meta_path} is not valid JSON ({e}); delete the run folder to restart") from e
    diff = _config_diff(old.get("config", {}), _jsonable(asdict(config)))
    if diff:
        raise TrainingError(f"--resume: {run_dir} was trained with different settings ({'; '.join(diff[:5])}); "
                            f"resume with the same options or use --name for a new run")
    return {int(k): v for k, v in old.get("folds", {}).items()}


def _config_diff(old: dict, new: dict) -> list[str]:
    keys = sorted((set(old) | set(new)) - set(RUNTIME_FIELDS))
    return [f"{key}: {old.get(key)!r} then, {new.get(key)!r} now" for key in keys if old.get(key) != new.get(key)]


def _fold_written(run_dir: Path, k: int) -> bool:
    return all((run_dir / f"fold{k}" / f"{stem}.parquet").exists() for stem in ("oof", "test"))


def _write_fold(folder: Path, workspace: Workspace, oof: np.ndarray, test: np.ndarray, k: int) -> None:
    """Both tables written aside and published with one rename: a fold folder is complete or absent."""
    for name, values in (("oof", oof), ("test", test)):
        if not np.isfinite(values).all():
            raise TrainingError(f"fold {k}: {name} probabilities contain non-finite values; nothing was written")
    held_out = workspace.train_ids[workspace.folds == k]
    with publishing(folder) as staging:
        tmps = [_write_table(staging / "oof.parquet", workspace, held_out, oof),
                _write_table(staging / "test.parquet", workspace, workspace.test_ids, test)]
        for tmp in tmps:
            tmp.replace(tmp.with_suffix(""))


def _write_table(path: Path, workspace: Workspace, ids: np.ndarray, values: np.ndarray) -> Path:
    frame = pd.DataFrame(np.clip(values, 0.0, 1.0).astype(np.float32), columns=workspace.labels)
    frame.insert(0, workspace.config.id_column, pd.Series(ids, dtype="string"))
    tmp = path.with_name(path.name + ".tmp")
    frame.to_parquet(tmp, index=False)
    return tmp


def _write_meta(run_dir: Path, workspace: Workspace, config: TrainConfig, folds: dict[int, dict]) -> None:
    meta = {
        "arch": config.arch, "variant": config.variant, "seed": config.seed, "name": config.name,
        "labels": workspace.labels, "metric": workspace.metric.name, "stacker_version": __version__,
        "complete": all(k in folds for k in range(workspace.n_folds)), "config": _jsonable(asdict(config)),
        "folds": {str(k): folds[k] for k in sorted(folds)},
    }
    tmp = run_dir / (RUN_JSON + ".tmp")
    tmp.write_text(json.dumps(meta, indent=2))
    tmp.replace(run_dir / RUN_JSON)


def _jsonable(value: dict) -> dict:
    return json.loads(json.dumps(value))


@contextmanager
def _log_to(path: Path) -> Iterator[None]:
    """Copy this package's INFO records into ``path`` while the block runs."""
    logger = logging.getLogger("stacker.level0")
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    previous = logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
        handler.close()


def parse_folds(text: str) -> tuple[int, ...] | None:
    """``"all"`` -> ``None`` (every fold); ``"0,2"`` -> ``(0, 2)``."""
    if text.strip().lower() == "all":
        return None
    try:
        folds = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        folds = ()
    if not folds or min(folds) < 0:
        raise ValidationError(f"--folds must be 'all' or fold numbers like 0,1; got {text!r}")
    return folds
