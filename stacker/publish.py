"""Crash-safe publishing of a stage's outputs: write aside, then one atomic rename.

Every stage writes its outputs into a temporary sibling of where they belong
and publishes them in one step, so a kill -9 at any moment leaves either the
previous complete output or the new complete output, never a mix.

- :func:`publishing` (a folder: ``level1/``, ``level2/<learner>/``, ``report/``)
  yields an empty temporary sibling folder ``.<name>.<pid>-<id>.tmp``; on
  success it swaps it with the target in one ``renameat2(RENAME_EXCHANGE)``
  (Linux), or renames it into place when there is no target yet. The previous
  output stays untouched until that rename. Where the exchange is not
  available the target is moved aside, the new folder renamed in, and the
  old one removed; :func:`recover` undoes a crash between those two renames.
- :func:`publishing_files` (several files of one folder that belong together,
  such as a submission CSV and its provenance JSON) yields a staging folder;
  on success the staging folder is renamed to ``.publish-<id>.ready`` (the
  commit point), then each file is moved into place. :func:`recover` finishes
  the moves of a commit that a crash interrupted, so the group appears
  together or not at all.

On an error or Ctrl-C inside the block the temporary folder is removed and
nothing is published. :func:`recover` runs when a workspace is opened.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import hashlib
import json
import os
import re
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

_TMP = ".tmp"
_OLD = ".old"
_READY = ".ready"
_GROUP = ".publish-"
_PID = re.compile(r"(\d+)-[0-9a-f]{8}\.(?:tmp|old)$")


@contextmanager
def publishing(target: Path | str) -> Iterator[Path]:
    """Yield an empty folder to write ``target``'s new content into; publish it atomically on success.

    Parameters
    ----------
    target : path
        The output folder (need not exist yet).

    Yields
    ------
    Path
        A temporary sibling folder of ``target``; write the outputs there
        under their final names.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    recover(target.parent)
    staging = target.parent / f".{target.name}.{_token()}{_TMP}"
    staging.mkdir()
    try:
        yield staging
        _swap(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # after a swap it holds the previous output


@contextmanager
def publishing_files(paths: Sequence[Path | str]) -> Iterator[dict[Path, Path]]:
    """Yield ``{final path: staging path}`` for files of one folder; publish them together on success.

    Parameters
    ----------
    paths : sequence of path
        The files to publish, all in the same folder (e.g. ``x.csv`` and ``x.json``).

    Yields
    ------
    dict of Path to Path
        Where to write each file before it is published.
    """
    paths = [Path(p) for p in paths]
    folder = paths[0].parent
    if any(p.parent != folder for p in paths) or len({p.name for p in paths}) != len(paths):
        raise ValueError(f"publishing_files needs distinct files of one folder; got {paths}")
    folder.mkdir(parents=True, exist_ok=True)
    recover(folder)
    token = _token()
    staging = folder / f"{_GROUP}{token}{_TMP}"
    staging.mkdir()
    try:
        yield {p: staging / p.name for p in paths}
        missing = [p.name for p in paths if not (staging / p.name).is_file()]
        if missing:
            raise FileNotFoundError(f"publishing_files: {missing} were not written to {staging}")
        ready = folder / f"{_GROUP}{token}{_READY}"
        os.rename(staging, ready)  # the commit point
        _roll_forward(ready)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def carry_over(source: Path | str, staging: Path | str, names: Sequence[str]) -> None:
    """Put ``source``'s entries ``names`` (files or folders) into ``staging`` unchanged, before it is published.

    For a publish that replaces only part of a folder: what is kept is hard-linked
    (copied where links are impossible), so it costs no space and the kept files
    are the very bytes that were there.
    """
    source, staging = Path(source), Path(staging)
    for name in names:
        path = source / name
        if path.is_dir():
            shutil.copytree(path, staging / name, copy_function=_link_or_copy)
        elif path.exists():
            _link_or_copy(path, staging / name)


def _link_or_copy(source, destination) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def file_sha256(path: Path | str) -> str:
    """SHA-256 of a file's bytes (hex, 64 characters): how a reader checks a published file is the one meant."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def recover(folder: Path | str) -> list[str]:
    """Finish or undo what a crashed publish left in ``folder``; return what was done, one line each.

    A committed file group is moved into place; a folder moved aside by the
    fallback swap is put back if its replacement never arrived; temporary
    folders of processes that are no longer running are removed. Folders of
    a live process are left alone, so it is safe while another process publishes.
    """
    folder = Path(folder)
    done: list[str] = []
    try:
        entries = sorted(folder.iterdir()) if folder.is_dir() else []
    except OSError:
        return done
    for path in entries:
        name = path.name
        if not name.startswith(".") or not path.is_dir():
            continue
        try:
            if name.startswith(_GROUP) and name.endswith(_READY):
                _roll_forward(path)
                done.append(f"published the interrupted group {name}")
            elif (name.endswith(_TMP) or name.endswith(_OLD)) and not _alive(name):
                done.append(_cleanup(path, folder))
        except OSError as e:  # a read-only workspace: leave it for a process that may write
            done.append(f"could not recover {name} ({e})")
    return done


def _swap(staging: Path, target: Path) -> None:
    if not target.exists():
        try:
            os.rename(staging, target)
            return
        except OSError as e:  # another process published it meanwhile: exchange with theirs
            if e.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
    if _exchange(staging, target):
        return
    old = staging.with_name(staging.name[: -len(_TMP)] + _OLD)
    os.rename(target, old)
    os.rename(staging, target)
    os.rename(old, staging)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux ``renameat2(RENAME_EXCHANGE)``; False where unsupported."""
    renameat2 = getattr(_libc(), "renameat2", None) if os.name == "posix" else None
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EXDEV):
        return False
    raise OSError(code, f"cannot swap {a} with {b}: {os.strerror(code)}")


@functools.lru_cache(maxsize=1)
def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _roll_forward(ready: Path) -> None:
    """Move every file of a committed group into place (idempotent), then remove the group folder."""
    for file in sorted(ready.iterdir()):
        try:
            os.replace(file, ready.parent / file.name)
        except FileNotFoundError:  # another process finished this move
            pass
    shutil.rmtree(ready, ignore_errors=True)


def _cleanup(path: Path, folder: Path) -> str:
    name = path.name
    if name.endswith(_OLD) and not name.startswith(_GROUP):
        target = folder / name[1:].rsplit(".", 2)[0]
        if not target.exists():
            os.rename(path, target)
            return f"restored the previous {target.name}/ (its replacement was interrupted)"
    shutil.rmtree(path, ignore_errors=True)
    return f"removed the unfinished {name}"


def _token() -> str:
    return f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _alive(name: str) -> bool:
    """Whether the process whose pid is in the temporary ``name`` still runs (True when unsure)."""
    match = _PID.search(name)
    if match is None:
        return True
    pid = int(match[1])
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_json(path: Path, document: dict) -> Path:
    """Write ``document`` as indented JSON, atomically (a temporary file renamed into place); numpy values as plain.

    The one JSON writer of the stages' small files (selection, configs, scores, decisions, blends).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(document, indent=2, default=_plain_json) + "\n")
    os.replace(tmp, path)
    return path


def _plain_json(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
