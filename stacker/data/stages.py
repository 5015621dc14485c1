"""The stage folders of a workspace: which exist, which layer each is, what feeds it, and reading their matrices.

A *stage* is a folder holding ``oof.parquet`` (train rows) and ``test.parquet``
(test rows), one float32 column per workspace label (:mod:`stacker.oof.matrix`):

- ``level1`` (or ``level1/<group>`` after ``stacker select --group KEY``): fed by the OOF store;
- ``level2/<learner>`` (or ``level2/<learner>@<group>``): fed by ``level1`` (``level1/<group>``);
- ``level<N>/<name>`` for N >= 3 (``stacker stack``) and ``blend``: fed by the stages named in their
  ``config.json`` ``inputs``.

Beside stage folders, ``--from`` can name the level-0 *candidates*:
``level0/<name>`` is one candidate of the level-1 store (a bag of runs, or a
run, as ``stacker select`` built them; ``level0/*`` is every one). Its OOF is
made without each row's fold labels by construction, so it is its own view of
every fold; in the stage graph it hangs off the OOF store (:data:`STORE_NODE`).

A stage may also hold ``nested.parquet``, its *views*: for each outer fold
``k``, every train row predicted without fold ``k``'s labels at any layer
(:func:`stacker.oof.matrix.write_views`). A stage fed by it trains its fit for
fold ``k`` on view ``k`` (:func:`read_views`), so a chain of layers stays
honest for every fold.

Any stage can feed any later one, so the layers form a graph;
:func:`stage_inputs` and :func:`stage_layer` read it. Everything read is
checked against the workspace, and a bad ``--from`` fails with one line that
says what exists.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from stacker.config import BLEND_DIR, LEVEL1_DIR, LEVEL2_DIR, STAGE_NESTED_FILE, STAGE_OOF_FILE, STAGE_TEST_FILE
from stacker.exceptions import StoreError, ValidationError
from stacker.oof.store import preview_names
from stacker.publish import file_sha256

logger = logging.getLogger(__name__)

# The OOF store, as the input of every level-1 stage in the stage graph.
STORE_NODE = "oof"
# Where a level-2 learner fitted on one group's level 1 is written: level2/<learner>@<group>.
GROUP_SEPARATOR = "@"
# How --from names one level-0 candidate of the level-1 store: level0/<candidate>.
CANDIDATE_PREFIX = "level0/"
_LEVEL = re.compile(r"^level([1-9][0-9]*)$")
# Fewest folds with which a stage can make nested views: a view's fits leave out two folds and need a third.
MIN_VIEW_FOLDS = 3


def stage_folders(root: Path | str) -> list[str]:
    """Stage folders under ``root`` with both prediction files, layer by layer, ``blend`` last.

    Returns paths relative to ``root`` (``"level1"``, ``"level1/edges"``,
    ``"level2/lightgbm@edges"``, ``"level3/logistic"``, ``"blend"``), sorted by
    layer then name; hidden folders (a publish in progress) are skipped.
    """
    root = Path(root)
    levels = sorted((int(m.group(1)), p) for p in root.glob("level*")
                    if p.is_dir() and (m := _LEVEL.match(p.name)))
    folders = []
    for _, level in levels:
        folders.append(level)
        folders.extend(sorted(p for p in level.glob("*") if p.is_dir() and not p.name.startswith(".")))
    folders.append(root / BLEND_DIR)
    return [f.relative_to(root).as_posix() for f in folders if is_stage(f)]


def incomplete_stages(root: Path | str) -> list[str]:
    """Stage folders that a stage wrote (``config.json`` or ``selection.json``) but that lack a prediction file."""
    root = Path(root)
    folders = [p for level in root.glob("level*") if level.is_dir() and _LEVEL.match(level.name)
               for p in (level, *level.glob("*")) if p.is_dir() and not p.name.startswith(".")] + [root / BLEND_DIR]
    written = [f for f in folders if (f / "config.json").exists() or (f / "selection.json").exists()]
    return sorted(f.relative_to(root).as_posix() for f in written if not is_stage(f))


def is_stage(folder: Path) -> bool:
    """True when ``folder`` holds both prediction files of a stage."""
    return (folder / STAGE_OOF_FILE).exists() and (folder / STAGE_TEST_FILE).exists()


def stage_inputs(root: Path | str, source: str) -> list[str]:
    """The stages (or :data:`STORE_NODE`) that feed ``source``, as recorded by the stage that wrote it."""
    parts = Path(source).parts
    if parts[0] == LEVEL1_DIR:
        return [STORE_NODE]
    inputs = recorded(Path(root) / source, "inputs")
    if isinstance(inputs, list) and all(isinstance(s, str) for s in inputs):
        return list(dict.fromkeys(STORE_NODE if is_candidate(s) else s for s in inputs))
    if parts[0] == LEVEL2_DIR and len(parts) == 2:  # written before level 2 recorded its inputs
        _, _, group = parts[1].partition(GROUP_SEPARATOR)
        return [f"{LEVEL1_DIR}/{group}" if group else LEVEL1_DIR]
    return []


def stage_layer(root: Path | str, source: str, _seen: frozenset = frozenset()) -> int:
    """The layer of ``source``: N for ``levelN[/...]``; one above its highest input for a blend; 0 for the store."""
    if source == STORE_NODE:
        return 0
    match = _LEVEL.match(Path(source).parts[0])
    if match:
        return int(match.group(1))
    if source in _seen:
        raise ValidationError(f"the stage graph has a cycle through {source}")
    inputs = stage_inputs(root, source)
    return 1 + max((stage_layer(root, s, _seen | {source}) for s in inputs), default=0)


def upstream_stages(root: Path | str, source: str) -> list[str]:
    """``source`` and every stage that feeds it, directly or not, nearest first (the OOF store left out)."""
    found, pending = [], [source]
    while pending:
        current = pending.pop(0)
        if current == STORE_NODE or current in found:
            continue
        found.append(current)
        pending.extend(stage_inputs(root, current))
    return found


def is_candidate(source: str) -> bool:
    """True when ``source`` names a level-0 candidate (``level0/<name>``) rather than a stage folder."""
    return source.startswith(CANDIDATE_PREFIX)


def recorded_optimism(root: Path | str, source: str) -> dict | None:
    """The optimism of ``source``'s own choices as its stage recorded it in ``scores.json`` (None when absent).

    ``{"what", "in_sample", "held_out", "optimism"}``; see :func:`stacker.level2.summary.layer_optimism`.
    """
    try:
        document = json.loads((Path(root) / source / "scores.json").read_text())
    except (OSError, ValueError):
        return None
    optimism = document.get("optimism") if isinstance(document, dict) else None
    return optimism if isinstance(optimism, dict) else None


def resolve_sources(workspace, patterns: Sequence[str], *, exclude: Sequence[str] = (), purpose: str = "blend"
                    ) -> list[str]:
    """Stage folders and level-0 candidates named by ``patterns`` (exact names or globs), in order, once each.

    ``level2/*`` names stage folders, ``level0/*`` every candidate of the
    level-1 store (``level0/<name>``). ``exclude``: the stage being written,
    which cannot feed itself (also left out of globs). Empty ``patterns``:
    every stage folder except ``exclude`` (no candidates). Raises
    ValidationError for a pattern naming an excluded stage, StoreError for one
    that matches nothing.
    """
    excluded = [e.strip("/") for e in exclude]
    stages = [s for s in stage_folders(workspace.root) if not _within(s, excluded)]
    available = stages + candidate_sources(workspace)
    if not patterns:
        if not stages:
            raise StoreError(f"no stage folder in {workspace.root} to {purpose}; run 'stacker select' and "
                             f"'stacker fit-l2' first")
        return stages
    chosen: list[str] = []
    for pattern in patterns:
        pattern = pattern.strip().strip("/")
        if not pattern:
            raise ValidationError("--from has an empty entry; give stage folders separated by commas, "
                                  "e.g. --from level2/logistic,level1")
        if _within(pattern, excluded):
            raise ValidationError(f"--from {pattern!r}: a stage cannot feed itself; name the stages it should "
                                  f"combine (level1, level2/<learner>, ...)")
        matches = [s for s in available if fnmatch.fnmatchcase(s, pattern)]
        if not matches:
            hint = ("; level-0 candidates come from 'stacker select' (an ungrouped level 1)"
                    if is_candidate(pattern) else "")
            raise StoreError(f"--from {pattern!r} matches no stage folder with {STAGE_OOF_FILE} and "
                             f"{STAGE_TEST_FILE} and no level-0 candidate; stages in this workspace: "
                             f"{', '.join(stages) or 'none'}; candidates: {preview_names(candidate_sources(workspace))}"
                             f"{hint}")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def candidate_sources(workspace) -> list[str]:
    """``level0/<name>`` for every candidate of the (ungrouped) level-1 store; empty before ``stacker select``."""
    return [CANDIDATE_PREFIX + name for name in workspace.level1_store().names()]


def input_fingerprints(workspace, sources: Sequence[str]) -> dict[str, dict[str, str]]:
    """What each source was, for a stage's ``config.json`` ``input_files``: the SHA-256 of a stage folder's
    prediction files (and of a level 1's ``selection.json``), the content hash of a candidate in the level-1
    store. :func:`stale_inputs` compares them with the files as they are now."""
    fingerprints = {}
    for source in sources:
        folder = Path(workspace.root) / source
        files = [STAGE_OOF_FILE, STAGE_TEST_FILE] + (["selection.json"] if (folder / "selection.json").exists() else [])
        fingerprints[source] = _fingerprint(workspace, source, files)
    return fingerprints


def _fingerprint(workspace, source: str, files: Sequence[str]) -> dict[str, str | None]:
    """``{file: SHA-256 or None when absent}`` of a stage folder; ``{"content_hash": ...}`` of a candidate."""
    if is_candidate(source):
        try:
            return {"content_hash": workspace.level1_store().entry(source.removeprefix(CANDIDATE_PREFIX)).content_hash}
        except StoreError:
            return {"content_hash": None}
    folder = Path(workspace.root) / source
    return {f: file_sha256(folder / f) if (folder / f).exists() else None for f in files}


def stale_inputs(workspace, source: str) -> list[str]:
    """Why ``source`` is out of date: for it and every stage under it, each recorded input (``input_files``)
    whose files changed since; empty when the chain is current or recorded no fingerprints.

    A stale stage's predictions were made from inputs that no longer exist, so a submission from it could
    not say what produced it.
    """
    reasons = []
    for stage in upstream_stages(workspace.root, source):
        made_on = _recorded_folds(Path(workspace.root) / stage)
        if made_on is not None and made_on != workspace.n_folds:
            reasons.append(f"{stage} was made on {made_on} folds; folds.csv now has {workspace.n_folds}")
        fingerprints = recorded(Path(workspace.root) / stage, "input_files")
        if not isinstance(fingerprints, dict):
            continue  # written before stages recorded their inputs' fingerprints
        for name, files in fingerprints.items():
            now = _fingerprint(workspace, name, list(files)) if isinstance(files, dict) else files
            if now != files:
                changed = sorted(f for f, h in now.items() if files.get(f) != h)
                reasons.append(f"{stage} was made from an earlier {name} ({', '.join(changed)} changed since)")
    return reasons


def read_inputs(workspace, sources: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """OOF and test matrices of every source, checked against the workspace.

    Returns
    -------
    oof : ndarray of shape (n_sources, n_train, n_labels), float32
    test : ndarray of shape (n_sources, n_test, n_labels), float32
    """
    n_rows = {STAGE_OOF_FILE: len(workspace.train_ids), STAGE_TEST_FILE: len(workspace.test_ids)}
    matrices = {name: np.empty((len(sources), rows, len(workspace.labels)), dtype=np.float32)
                for name, rows in n_rows.items()}
    for i, source in enumerate(sources):
        if is_candidate(source):
            continue
        for name, rows in n_rows.items():
            matrices[name][i] = read_stage_matrix(Path(workspace.root) / source / name, workspace.labels, rows)
    rows = [i for i, source in enumerate(sources) if is_candidate(source)]
    if rows:  # the level-1 store checks its own matrices
        names = [sources[i].removeprefix(CANDIDATE_PREFIX) for i in rows]
        matrices[STAGE_OOF_FILE][rows], matrices[STAGE_TEST_FILE][rows] = workspace.level1_store().load(names)
    return matrices[STAGE_OOF_FILE], matrices[STAGE_TEST_FILE]


def read_views(workspace, sources: Sequence[str], oof: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Every source's per-fold views (``nested.parquet``), for the layer above to train without each fold.

    ``oof`` (n_sources, n_train, n_labels) is what :func:`read_inputs` returned:
    a level-0 candidate's OOF is its view of every fold; a stage without views
    (a level 1 selected with ``--no-nested``, a stage written with
    ``--no-nested-outputs`` or before views existed) contributes its OOF to
    every fold too, and is listed as ``missing``.

    Returns
    -------
    views : ndarray of shape (n_sources, n_folds, n_train, n_labels), float32
    missing : list of str
        The sources that had no views.
    """
    n_folds, n_train = workspace.n_folds, len(workspace.train_ids)
    views = np.empty((len(sources), n_folds, n_train, len(workspace.labels)), dtype=np.float32)
    missing = []
    for i, source in enumerate(sources):
        own = None if is_candidate(source) else stage_views(workspace, source, oof[i])
        views[i] = oof[i] if own is None else own
        if own is None and not is_candidate(source):
            missing.append(source)
    if missing:
        fix = (f"with {n_folds} folds no stage can make them (a view's fits leave out two folds): use 3 folds or more "
               f"for a fully honest chain" if n_folds < MIN_VIEW_FOLDS else "re-run them without --no-nested-outputs")
        logger.warning("%s had no nested views (nested.parquet): their OOF stands in for every fold, so this layer is "
                       "honest only up to them; %s", ", ".join(missing), fix)
    if not (np.isfinite(views).all() and views.min(initial=0) >= 0 and views.max(initial=0) <= 1):
        raise StoreError(f"the nested views of {', '.join(sources)} hold values outside [0, 1] or NaN; re-run "
                         f"those stages")
    return views, missing


def stage_views(workspace, source: str, oof: np.ndarray) -> np.ndarray | None:
    """``source``'s nested views (``nested.parquet``), float32 (n_folds, n_train, n_labels), or None without that file.

    ``oof`` is the stage's OOF matrix: each fold's view of its own rows must
    equal it, or the file is from another run of the stage (StoreError).
    """
    from stacker.oof.matrix import read_views as read_view_file
    from stacker.thresholds.evaluate import mismatched_view

    path = Path(workspace.root) / source / STAGE_NESTED_FILE
    if not path.exists():
        if recorded(path.parent, "views") is True:
            logger.warning("%s is gone although its stage wrote it: %s is scored, and feeds the layer above, with "
                           "its OOF in place of its views (each fold's decisions fitted on rows that fold's labels "
                           "helped predict); re-run %s", path, source, source)
        return None
    views = read_view_file(path, workspace.labels, workspace.n_folds, len(workspace.train_ids))
    k = mismatched_view(views, np.asarray(oof, dtype=np.float32), np.asarray(workspace.folds))
    if k is not None:  # fold k's own rows are the source's OOF, or the file is from another run
        raise StoreError(f"{path} does not match {source}/{STAGE_OOF_FILE} on fold {k}'s rows; it is "
                         f"from another run of that stage: re-run it")
    return views


def missing_views_note(missing: Sequence[str], n_folds: int) -> str:
    """What a stage fed by ``missing`` (inputs without views) adds to its honesty statement ("" when none)."""
    if not missing:
        return ""
    why, fix = (("no stage can make them with 2 folds", "use 3 folds or more") if n_folds < MIN_VIEW_FOLDS else
                ("written with --no-nested-outputs, by a select --no-nested, or before views existed",
                 "re-run them"))
    return (f"; except that {', '.join(missing)} had no nested views ({why}), so their OOF, made by fits that saw "
            f"fold k's labels, fed every fold: {fix} for a fully honest chain")


def read_stage_matrix(path: Path, labels: Sequence[str], n_rows: int) -> np.ndarray:
    """One stage matrix, float32 (n_rows, n_labels); StoreError when it does not fit the workspace."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from stacker.oof.matrix import read_matrix

    fix = "re-run the stage that wrote it for this workspace, or leave it out of --from"
    try:
        columns = pq.read_schema(path).names
    except (pa.ArrowException, OSError) as e:
        raise StoreError(f"{path} is not a readable Parquet file ({e}); {fix}") from e
    missing = [label for label in labels if label not in columns]
    if missing:
        raise StoreError(f"{path} lacks label columns {missing}; expected one column per workspace label; {fix}")
    values = read_matrix(path, labels)
    if len(values) != n_rows:
        raise StoreError(f"{path} has {len(values)} rows but the workspace has {n_rows}; {fix}")
    if not (np.isfinite(values).all() and values.min(initial=0) >= 0 and values.max(initial=0) <= 1):
        raise StoreError(f"{path} holds values outside [0, 1] or NaN; a stage writes probabilities; {fix}")
    return values


def read_stage_outputs(workspace, source: str) -> tuple[np.ndarray, np.ndarray]:
    """``source``'s OOF (n_train, n_labels) and test (n_test, n_labels) matrices, float32, checked against the
    workspace: StoreError naming the file when one is unreadable, lacks a label or has the wrong row count."""
    folder = Path(workspace.root) / source
    return (read_stage_matrix(folder / STAGE_OOF_FILE, workspace.labels, len(workspace.train_ids)),
            read_stage_matrix(folder / STAGE_TEST_FILE, workspace.labels, len(workspace.test_ids)))


def read_stage_json(path: Path, fix: str) -> dict:
    """A stage's JSON document (``config.json``, ``scores.json``, ...) as a dict; StoreError naming the file and
    ``fix`` when it cannot be read, is not JSON or is not an object."""
    try:
        document = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise StoreError(f"{path} is not a readable JSON file ({e}); {fix}") from e
    if not isinstance(document, dict):
        raise StoreError(f"{path} holds a JSON {type(document).__name__}, not the object its stage writes; {fix}")
    return document


def check_folder_name(name: str, what: str) -> str:
    """``name`` if it can be one folder name (no separator, not hidden, not empty); ValidationError otherwise."""
    if (not name or name != name.strip() or name.startswith(".") or any(c in name for c in "/\\:*?\"<>|")
            or GROUP_SEPARATOR in name):
        raise ValidationError(f"{what} {name!r} cannot be a folder name: use letters, digits, '-' and '_' "
                              f"(no '/', '{GROUP_SEPARATOR}', leading '.' or spaces at the ends)")
    return name


def _within(source: str, folders: Sequence[str]) -> bool:
    return any(source == f or source.startswith(f + "/") for f in folders)


def recorded(folder: Path, key: str):
    """``key`` as the stage in ``folder`` recorded it (``config.json``, or a level 1's ``selection.json``); None
    when absent or unreadable (a command that needs the file whole reads it with :func:`read_stage_json`)."""
    for name in ("config.json", "selection.json"):
        try:
            document = json.loads((folder / name).read_text())
        except (OSError, ValueError):
            continue
        if isinstance(document, dict) and document.get(key) is not None:
            return document[key]
    return None


def _recorded_folds(folder: Path) -> int | None:
    """How many folds the stage in ``folder`` was made on, as it recorded it (None when it did not)."""
    made_on = recorded(folder, "n_folds")
    if made_on is None:  # a level 1 records it with its nested selection
        nested = recorded(folder, "nested")
        made_on = nested.get("folds") if isinstance(nested, dict) else None
    return made_on if isinstance(made_on, int) and not isinstance(made_on, bool) else None
