"""A workspace: a folder with ``stacker.toml`` and everything the stages write.

All paths in ``stacker.toml`` are stored relative to the workspace root, so a
workspace moves between machines as one folder.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import asdict, fields
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from stacker import config as cfg
from stacker.config import WorkspaceConfig
from stacker.data.folds import read_csv_file, read_folds
from stacker.data.labels import label_matrix, labels_from_frame
from stacker.data.metric import MetricSpec, parse_metric
from stacker.exceptions import WorkspaceError
from stacker.publish import recover

log = logging.getLogger(__name__)


class Workspace:
    """The workspace rooted at ``root``: config, ids, labels, folds and stage folders.

    Arrays are read once and cached. ``train_ids`` order is *the* row order of
    every OOF matrix in the store; ``test_ids`` order that of every test matrix.
    """

    def __init__(self, root: Path, config: WorkspaceConfig) -> None:
        self.root = Path(root).absolute()  # a later chdir (a notebook's) must not move the workspace
        self.config = config

    # ----- construction -------------------------------------------------
    @classmethod
    def load(cls, root: Path | str = ".") -> "Workspace":
        """Read ``<root>/stacker.toml``; raise WorkspaceError if absent or malformed."""
        if not isinstance(root, (str, Path)):
            raise WorkspaceError(f"a workspace is a folder path; found {type(root).__name__}")
        root = Path(root)
        path = root / cfg.CONFIG_FILE
        if not path.exists():
            raise WorkspaceError(
                f"no {cfg.CONFIG_FILE} in {root.resolve()}; run 'stacker init --train ... --test ...' "
                f"there, or pass -w/--workspace"
            )
        try:
            raw = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as e:
            raise WorkspaceError(f"{path}: not valid TOML ({e})") from e
        known = {f.name for f in fields(WorkspaceConfig)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise WorkspaceError(f"{path}: unknown keys {unknown}; valid keys: {sorted(known)}")
        for key in ("train", "test"):
            if key not in raw:
                raise WorkspaceError(f"{path}: missing required key {key!r}")
        _check_types(raw, path)
        if raw.get("labels") is not None:
            raw["labels"] = check_labels(raw["labels"], f"{path}: labels")
        workspace = cls(root, WorkspaceConfig(**raw))
        parse_metric(workspace.config.metric)
        layers = sorted(p for p in root.glob("level*") if p.is_dir())  # level2/<learner>, level3/<name>, ...
        for folder in (root, *layers, workspace.submissions_dir):  # after a kill -9 (stacker.publish)
            for done in recover(folder):
                log.info("%s: %s", folder, done)
        return workspace

    @classmethod
    def init(cls, root: Path | str, *, train: Path | str, test: Path | str, force: bool = False,
             **options) -> "Workspace":
        """Write ``stacker.toml`` for the given train/test CSVs and check they load.

        ``options`` are other :class:`~stacker.config.WorkspaceConfig` fields.
        Paths are made relative to ``root``. Nothing is written if a check fails,
        nor over an existing ``stacker.toml`` unless ``force`` (its store, folds
        and stages were built for it).
        """
        root = Path(root)
        check_new_workspace(root, force)
        known = {f.name for f in fields(WorkspaceConfig)} - {"train", "test"}
        unknown = sorted(set(options) - known)
        if unknown:
            raise WorkspaceError(f"unknown workspace settings {unknown}; valid: {sorted(known)}")
        if isinstance(options.get("labels"), str):
            raise WorkspaceError(f"labels must be a sequence of label names, not one string; found "
                                 f"{options['labels']!r} (split it on commas)")
        if options.get("labels") is not None:
            options["labels"] = check_labels(options["labels"], "--labels")
        if options.get("images") is not None and Path(options["images"]).is_absolute():
            options["images"] = _relative(options["images"], root)  # the workspace keeps relative paths only
        created = not root.exists()
        root.mkdir(parents=True, exist_ok=True)
        try:
            config = WorkspaceConfig(train=_relative(train, root), test=_relative(test, root), **options)
            workspace = cls(root, config)
            parse_metric(config.metric)
            workspace.y  # reads train, checks ids and labels
            workspace.test_ids
        except BaseException:
            if created and not any(root.iterdir()):  # leave no empty folder behind a refused init
                root.rmdir()
            raise
        (root / cfg.CONFIG_FILE).write_text(to_toml(asdict(config)))
        y = workspace.y
        constant = {label: "positive" if y[0, j] else "negative" for j, label in enumerate(workspace.labels)
                    if y[:, j].min() == y[:, j].max()}
        if constant:
            log.warning("labels %s are %s on every train row: no model can learn them, their F-beta is the same for "
                        "every model (and 'prune' finds no model below the others there)", ", ".join(constant),
                        "/".join(sorted(set(constant.values()))))
        return workspace

    # ----- paths ----------------------------------------------------------
    def path(self, relative: str) -> Path:
        """A path inside the workspace."""
        return self.root / relative

    @property
    def oof_dir(self) -> Path:
        """The OOF store folder, ``<root>/oof``."""
        return self.root / cfg.OOF_DIR

    @property
    def level1_dir(self) -> Path:
        """The level-1 stage folder, ``<root>/level1``."""
        return self.root / cfg.LEVEL1_DIR

    @property
    def level2_dir(self) -> Path:
        """The level-2 stage folder, ``<root>/level2`` (one sub-folder per learner)."""
        return self.root / cfg.LEVEL2_DIR

    @property
    def submissions_dir(self) -> Path:
        """Where submissions go, ``<root>/submissions``."""
        return self.root / cfg.SUBMISSIONS_DIR

    @property
    def report_dir(self) -> Path:
        """The HTML report folder, ``<root>/report``."""
        return self.root / cfg.REPORT_DIR

    @property
    def folds_path(self) -> Path:
        """Path of the persisted fold assignment (``folds.csv`` by default)."""
        return self.root / self.config.folds

    def image_dir(self, variant: str = "original") -> Path:
        """The image folder of ``variant`` ("original" is ``images``, others from ``[variants]``)."""
        if variant == "original":
            return self.root / self.config.images
        if variant not in self.config.variants:
            known = ", ".join(["original", *self.config.variants])
            raise WorkspaceError(
                f"unknown image variant {variant!r}; known: {known}. Add it to stacker.toml as "
                f"[variants] {variant} = \"<folder>\""
            )
        return self.root / self.config.variants[variant]

    # ----- data -------------------------------------------------------------
    @property
    def metric(self) -> MetricSpec:
        """The workspace metric, parsed (``f2-samples``: beta 2, samples average)."""
        return parse_metric(self.config.metric)

    @cached_property
    def _train_frame(self) -> pd.DataFrame:
        return _read_ids_csv(self.root / self.config.train, self.config.id_column)

    @cached_property
    def train_ids(self) -> np.ndarray:
        """Train ids, shape (n_train,), in train.csv order."""
        return self._train_frame[self.config.id_column].to_numpy(dtype=object)

    @cached_property
    def test_ids(self) -> np.ndarray:
        """Test ids, shape (n_test,), in sample-submission order."""
        frame = _read_ids_csv(self.root / self.config.test, self.config.id_column)
        return frame[self.config.id_column].to_numpy(dtype=object)

    @cached_property
    def labels(self) -> list[str]:
        """Label names: from stacker.toml, else inferred (sorted) from train."""
        if self.config.labels:
            return list(self.config.labels)
        labels = labels_from_frame(
            self._train_frame, id_column=self.config.id_column, tags_column=self.config.tags_column
        )
        if not labels:
            raise WorkspaceError(f"{self.config.train}: no labels found (no tags and no label columns)")
        return labels

    @cached_property
    def y(self) -> np.ndarray:
        """Binary labels, shape (n_train, n_labels), uint8."""
        return label_matrix(
            self._train_frame, self.labels, id_column=self.config.id_column,
            tags_column=self.config.tags_column, source=self.config.train,
        )

    @cached_property
    def folds(self) -> np.ndarray:
        """Fold of each train row, shape (n_train,), values 0..K-1."""
        return read_folds(self.folds_path, self.train_ids, id_column=self.config.id_column)

    @property
    def n_folds(self) -> int:
        """Number of folds K in ``folds.csv`` (folds are 0..K-1)."""
        return int(self.folds.max()) + 1

    @property
    def store_location(self) -> Path | str:
        """Where the OOF store lives: ``store`` in stacker.toml (a URL, or a folder in the workspace), else ``oof/``."""
        from stacker.oof.location import is_url

        location = self.config.store
        if location is None:
            return self.oof_dir
        return location if is_url(location) else self.root / location

    def store(self):
        """The OOF store of this workspace: ``oof/`` (SQLite catalog) or ``store``'s URL (manifest catalog)."""
        from stacker.oof.location import is_url
        from stacker.oof.store import Store

        location, shape = self.store_location, dict(labels=self.labels, n_train=len(self.train_ids),
                                                    n_test=len(self.test_ids))
        if is_url(location):
            from stacker.oof.object_store import ObjectStore

            return ObjectStore(location, **shape)
        return Store(location, **shape)

    def level1_store(self, group: str | None = None):
        """The level-1 store (``level1/``, or ``level1/<group>/``): bags and other candidates built from the OOF store."""
        from stacker.oof.store import Store

        root = self.level1_dir if group is None else self.level1_dir / group
        return Store(root, labels=self.labels, n_train=len(self.train_ids), n_test=len(self.test_ids))

    def level1_groups(self) -> list[str]:
        """The groups of a grouped level 1 (``stacker select --group``): sub-folders of ``level1/`` holding a
        selection, sorted; empty for an ungrouped one."""
        if not self.level1_dir.is_dir():
            return []
        return sorted(p.name for p in self.level1_dir.iterdir()
                      if p.is_dir() and not p.name.startswith(".") and (p / "selection.json").exists())


def _read_ids_csv(path: Path, id_column: str) -> pd.DataFrame:
    if not path.exists():
        raise WorkspaceError(f"file not found: {path}")
    frame = read_csv_file(path, id_column, keep_default_na=False, na_values=[""])
    if id_column not in frame.columns:
        raise WorkspaceError(
            f"{path}: no id column {id_column!r}; columns are {list(frame.columns)[:10]} "
            f"(set --id-column)"
        )
    ids = frame[id_column]
    if ids.isna().any():
        raise WorkspaceError(f"{path}: row {int(ids.isna().to_numpy().argmax()) + 2} has an empty id")
    if ids.duplicated().any():
        dup = ids[ids.duplicated()]
        raise WorkspaceError(f"{path}: {len(dup)} duplicated ids (first: {dup.iloc[0]!r})")
    return frame


def check_new_workspace(root: Path, force: bool) -> None:
    """WorkspaceError when ``root`` already holds a ``stacker.toml`` and ``force`` is not True."""
    if (Path(root) / cfg.CONFIG_FILE).exists() and force is not True:
        raise WorkspaceError(f"{Path(root) / cfg.CONFIG_FILE} already exists; pass --force (force=True) to rewrite "
                             f"it (its store, folds and stages were built for the old settings)")


_TEXT_KEYS = ("train", "test", "id_column", "metric", "folds", "tags_column", "images", "image_ext", "store",
              "cluster")


def _check_types(raw: dict, path: Path) -> None:
    """WorkspaceError naming the key when a stacker.toml value has the wrong type."""
    for key in _TEXT_KEYS:
        if key in raw and raw[key] is not None and not isinstance(raw[key], str):
            raise WorkspaceError(f"{path}: {key} must be a string; found {raw[key]!r}")
    if "labels" in raw and not isinstance(raw["labels"], list):
        raise WorkspaceError(f"{path}: labels must be a list of strings, e.g. labels = [\"cat\", \"dog\"]; "
                             f"found {raw['labels']!r}")
    variants = raw.get("variants", {})
    if not isinstance(variants, dict) or not all(isinstance(v, str) for v in variants.values()):
        raise WorkspaceError(f"{path}: [variants] maps a variant name to its image folder, e.g. "
                             f"[variants] seg = \"images_seg\"; found {variants!r}")


def check_labels(labels, where: str) -> tuple[str, ...]:
    """``labels`` as a tuple of distinct, non-empty strings; WorkspaceError naming ``where`` otherwise."""
    labels = tuple(labels)
    bad = [label for label in labels if not isinstance(label, str) or not label.strip()]
    if bad or not labels:
        raise WorkspaceError(f"{where}: labels must be non-empty strings; found {list(labels)!r}")
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise WorkspaceError(f"{where}: each label may appear once; repeated: {', '.join(repeated)}")
    return labels


def _relative(path: Path | str, root: Path) -> str:
    return Path(os.path.relpath(Path(path).resolve(), root.resolve())).as_posix()


def to_toml(values: dict) -> str:
    """Write a flat config (str, int, float, bool, list of str, one level of tables) as TOML."""
    scalars, tables = [], []
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, dict):
            if value:
                tables.append(f"\n[{key}]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in value.items()))
        else:
            scalars.append(f"{key} = {_toml_value(value)}\n")
    return "".join(scalars) + "".join(tables)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
