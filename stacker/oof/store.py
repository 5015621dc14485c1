"""The OOF store: float32 Parquet matrices plus an embedded SQLite catalog.

Layout under ``root`` (``<workspace>/oof`` or ``<workspace>/level1``)::

    catalog.sqlite               one row per model: metadata, content hash, file names
    data/<hash>.oof.parquet      (n_train, n_labels), rows in workspace train order
    data/<hash>.test.parquet     (n_test, n_labels), rows in workspace test order

Files are content-addressed and written before the catalog row is committed,
so a crash or Ctrl-C at any point leaves the catalog as it was; files no row
refers to are swept when the store is next opened. Writers hold the store's
lock (:mod:`stacker.oof.lock`): one writer at a time, readers never wait. A
store on an fsspec URL (:mod:`stacker.oof.object_store`) keeps the same files
with one JSON manifest per model instead of the SQLite catalog.
Nothing is pickled: loading a store never executes code. Paths inside are
relative.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from stacker.exceptions import StoreError
from stacker.oof.lock import store_lock, try_store_lock
from stacker.oof.matrix import read_matrix, write_matrix

log = logging.getLogger(__name__)

CATALOG = "catalog.sqlite"
DATA_DIR = "data"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS models (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    arch TEXT NOT NULL,
    variant TEXT,
    seed INTEGER,
    meta TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS store_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class ModelEntry:
    """One catalog row: a stored model's metadata and content hash."""

    name: str
    kind: str
    arch: str
    variant: str | None
    seed: int | None
    content_hash: str
    created: str
    meta: dict = field(default_factory=dict)


def content_hash(oof: np.ndarray, test: np.ndarray, labels: Sequence[str]) -> str:
    """SHA-256 of the float32 matrices and the label names (hex, 64 chars)."""
    digest = hashlib.sha256()
    digest.update("\x1f".join(labels).encode())
    for array in (oof, test):
        array = np.ascontiguousarray(array, dtype=np.float32)
        digest.update(str(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


class Store:
    """A catalogued set of models, each an OOF and a test probability matrix.

    Parameters
    ----------
    root : Path
        Store folder (created on first write).
    labels : list of str
        Workspace labels: the column order of every matrix.
    n_train, n_test : int
        Rows of every OOF / test matrix.
    """

    def __init__(self, root: Path, *, labels: Sequence[str], n_train: int, n_test: int) -> None:
        self.root = Path(root)
        self.labels = list(labels)
        self.n_train = n_train
        self.n_test = n_test
        if self._catalog_exists():
            self._check_shape()
            self._sweep()

    # ----- reading ----------------------------------------------------------
    def names(self) -> list[str]:
        """Stored model names, sorted."""
        return [e.name for e in self.entries()]

    def entries(self, kind: str | None = None) -> list[ModelEntry]:
        """Catalog rows sorted by name, optionally only those of ``kind``."""
        entries = self._read_entries()
        return [e for e in entries if kind is None or e.kind == kind]

    def entry(self, name: str) -> ModelEntry:
        """The catalog row of ``name``; unknown names raise StoreError."""
        for e in self.entries():
            if e.name == name:
                return e
        raise StoreError(f"no model {name!r} in {self.root}; stored models: {preview_names(self.names())}")

    def load(self, names: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Stack models into arrays.

        Returns
        -------
        oof : ndarray of shape (n_models, n_train, n_labels), float32
        test : ndarray of shape (n_models, n_test, n_labels), float32
        """
        hashes = self._hashes(names)
        for _ in range(2):  # a concurrent --replace may sweep a file between our catalog read and the file read
            try:
                return self._read(hashes)
            except (StoreError, OSError):
                current = self._hashes(names)
                if current == hashes:
                    raise  # the catalog did not change: the store itself is damaged
                hashes = current
        return self._read(hashes)

    def _read(self, hashes: list[str]) -> tuple[np.ndarray, np.ndarray]:
        oof = np.empty((len(hashes), self.n_train, len(self.labels)), dtype=np.float32)
        test = np.empty((len(hashes), self.n_test, len(self.labels)), dtype=np.float32)
        jobs = [(self._file(h, "oof"), oof[i]) for i, h in enumerate(hashes)]
        jobs += [(self._file(h, "test"), test[i]) for i, h in enumerate(hashes)]
        # pyarrow decoding and numpy copies release the GIL: threads overlap them.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            list(pool.map(lambda job: self._read_matrix(job[0], out=job[1]), jobs))
        return oof, test

    # ----- writing ----------------------------------------------------------
    def add(
        self, name: str, oof: np.ndarray, test: np.ndarray, *, arch: str, variant: str | None = None,
        seed: int | None = None, kind: str = "run", meta: dict | None = None, replace: bool = False,
    ) -> str:
        """Store one model atomically; return "added", "unchanged", "repaired" or "replaced".

        The same name with the same content is a no-op (idempotent collect) unless
        a file of it is damaged or missing: then that file is written again
        ("repaired"); the same name with other content raises StoreError unless
        ``replace``.
        """
        oof, test = self._checked(name, oof, test)
        with self.writing():
            return self._add(name, oof, test, arch=arch, variant=variant, seed=seed, kind=kind, meta=meta,
                             replace=replace)

    def _add(self, name, oof, test, *, arch, variant, seed, kind, meta, replace) -> str:
        digest = content_hash(oof, test, self.labels)
        old = {e.name: e for e in self.entries()}.get(name)
        if old is not None and old.content_hash == digest:  # same content: rewrite only a damaged or lost file
            return "repaired" if self._write_files(digest, oof, test) else "unchanged"
        if old is not None and not replace:
            raise StoreError(
                f"model {name!r} is already stored with different content (hash {old.content_hash[:12]} "
                f"vs {digest[:12]}); rename the run or pass --replace"
            )
        self._write_files(digest, oof, test)
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        entry = ModelEntry(name, kind, arch, variant, seed, digest, created,
                           meta=json.loads(json.dumps(meta or {}, sort_keys=True, default=str)))
        self._publish(entry)  # last: until here the store lists what it listed before
        if old is not None:
            self._sweep()
        return "added" if old is None else "replaced"

    def copy_to(self, root: Path) -> "Store":
        """This store's models in a new store at ``root`` (e.g. a staging folder), sharing no writable file.

        The catalog is copied with SQLite's backup API (a consistent snapshot);
        the data files are hard-linked, as they are content-addressed and never
        modified in place (copied where links are impossible).
        """
        root = Path(root)
        if (self.root / CATALOG).exists():
            (root / DATA_DIR).mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as source, closing(sqlite3.connect(root / CATALOG)) as target:
                source.backup(target)
            for path in sorted((self.root / DATA_DIR).glob("*.parquet")):
                try:
                    os.link(path, root / DATA_DIR / path.name)
                except OSError:
                    shutil.copy2(path, root / DATA_DIR / path.name)
        return Store(root, labels=self.labels, n_train=self.n_train, n_test=self.n_test)

    def delete(self, names: Sequence[str]) -> None:
        """Remove models (all or none: unknown names raise before anything changes)."""
        with self.writing():
            self._hashes(names)
            self._unpublish(names)
            self._sweep()

    def writing(self, *, wait: float = 0.0):
        """A context manager: this store's writer lock (:mod:`stacker.oof.lock`) held for the block.

        Re-entrant in one process; another process's writer waits up to
        ``wait`` seconds, then StoreBusyError.
        """
        return store_lock(self.root, wait=wait)

    # ----- catalog and file access: SQLite and local files here, fsspec in ObjectStore ----------
    def _catalog_exists(self) -> bool:
        return (self.root / CATALOG).exists()

    def _read_entries(self) -> list[ModelEntry]:
        if not self._catalog_exists():
            orphans = len(list((self.root / DATA_DIR).glob("*.parquet")))
            if orphans:
                log.warning("the store %s has no catalog (%s) but %d data files: the catalog was lost; "
                            "'stacker oof-collect' of the runs rebuilds it", self.root, CATALOG, orphans)
            return []
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT name, kind, arch, variant, seed, content_hash, created, meta FROM models ORDER BY name"
            ).fetchall()
        return [ModelEntry(*row[:7], meta=self._meta(row[0], row[7])) for row in rows]

    def _meta(self, name: str, text) -> dict:
        try:
            meta = json.loads(text)
        except (TypeError, ValueError) as e:
            raise StoreError(f"{self.root / CATALOG}: the entry of model {name!r} has unreadable metadata ({e}); the "
                             f"catalog is damaged: re-collect that run with --replace") from e
        if not isinstance(meta, dict):
            raise StoreError(f"{self.root / CATALOG}: the entry of model {name!r} has metadata {meta!r}, not an "
                             f"object; the catalog is damaged: re-collect that run with --replace")
        return meta

    def _publish(self, entry: ModelEntry) -> None:
        row = (entry.name, entry.kind, entry.arch, entry.variant, entry.seed, json.dumps(entry.meta, sort_keys=True),
               entry.content_hash, entry.created)
        with closing(self._connect(create=True)) as db, db:
            db.execute("INSERT OR REPLACE INTO models VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)

    def _unpublish(self, names: Sequence[str]) -> None:
        with closing(self._connect()) as db, db:
            db.executemany("DELETE FROM models WHERE name = ?", [(n,) for n in names])

    def _read_matrix(self, path, out: np.ndarray) -> np.ndarray:
        return read_matrix(path, self.labels, out=out)

    def _write_matrix(self, path, values: np.ndarray) -> None:
        write_matrix(path, values, self.labels)

    def _file_intact(self, path, n_rows: int) -> bool:
        """True when ``path`` is a readable matrix of ``n_rows`` rows with every label (its footer is read)."""
        try:
            with self._open(path) as f:
                metadata = pq.read_metadata(f)
            return metadata.num_rows == n_rows and set(self.labels) <= set(metadata.schema.names)
        except (pa.ArrowException, OSError):
            return False

    def _open(self, path):
        return open(path, "rb")

    # ----- internals --------------------------------------------------------
    def _connect(self, create: bool = False) -> sqlite3.Connection:
        path = self.root / CATALOG
        if create and not path.exists():
            # Built aside and renamed into place: a kill mid-creation leaves no half-made catalog
            # (the temp file sits in data/, where the sweep removes it).
            (self.root / DATA_DIR).mkdir(parents=True, exist_ok=True)
            temp = self.root / DATA_DIR / f"catalog-{os.getpid()}.tmp"
            temp.unlink(missing_ok=True)
            with closing(sqlite3.connect(temp)) as db, db:
                db.executescript(_SCHEMA)
                db.executemany(
                    "INSERT INTO store_info VALUES (?, ?)",
                    [("labels", json.dumps(self.labels)), ("n_train", str(self.n_train)),
                     ("n_test", str(self.n_test))],
                )
            os.replace(temp, path)
        try:
            return sqlite3.connect(path)
        except sqlite3.Error as e:
            raise StoreError(f"cannot open the catalog {path}: {e}") from e

    def _check_shape(self) -> None:
        try:
            with closing(self._connect()) as db:
                info = dict(db.execute("SELECT key, value FROM store_info").fetchall())
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.root / CATALOG} is not a stacker catalog ({e})") from e
        found = (json.loads(info["labels"]), int(info["n_train"]), int(info["n_test"]))
        if found != (self.labels, self.n_train, self.n_test):
            expected = (self.labels, self.n_train, self.n_test)
            raise StoreError(f"the store in {self.root} {shape_mismatch(found, expected)}. Use a fresh workspace "
                             f"folder or delete {self.root}")

    def _hashes(self, names: Sequence[str] | None) -> list[str]:
        by_name = {e.name: e.content_hash for e in self.entries()}
        if names is None:
            return list(by_name.values())
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise StoreError(f"unknown models {preview_names(unknown)} in {self.root}; stored: {preview_names(list(by_name))}")
        return [by_name[n] for n in names]

    def _file(self, digest: str, part: str) -> Path:
        return self.root / DATA_DIR / f"{digest}.{part}.parquet"

    def _write_files(self, digest: str, oof: np.ndarray, test: np.ndarray) -> bool:
        """Write the matrices of ``digest`` unless intact ones are there (content-addressed); True if any was."""
        written = False
        for part, values in (("oof", oof), ("test", test)):
            path = self._file(digest, part)
            if not self._file_intact(path, len(values)):
                self._write_matrix(path, values)
                written = True
        return written

    def _checked(self, name: str, oof: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        oof = np.asarray(oof, dtype=np.float32)
        test = np.asarray(test, dtype=np.float32)
        expected = ((self.n_train, len(self.labels)), (self.n_test, len(self.labels)))
        if (oof.shape, test.shape) != expected:
            raise StoreError(f"model {name!r}: OOF/test shapes {oof.shape}/{test.shape}, expected {expected}")
        for part, values in (("OOF", oof), ("test", test)):
            if not (np.isfinite(values).all() and values.min(initial=0) >= 0 and values.max(initial=0) <= 1):
                raise StoreError(f"model {name!r}: {part} values must be finite probabilities in [0, 1]")
        return oof, test

    def _sweep(self) -> None:
        """Delete temp files and data files that no catalog row refers to (skipped while another process writes:
        its files may not have their catalog row yet)."""
        data = self.root / DATA_DIR
        if not data.exists():
            return
        lock = try_store_lock(self.root)
        if lock is None:
            return
        try:
            live = {e.content_hash for e in self.entries()}
            for path in data.iterdir():
                if path.name.endswith(".tmp") or path.name.split(".")[0] not in live:
                    path.unlink(missing_ok=True)
        finally:
            lock.release()


def shape_mismatch(found: tuple, expected: tuple) -> str:
    """What differs between a store's ``(labels, n_train, n_test)`` and the workspace's, for an error message."""
    (labels, n_train, n_test), (want, want_train, want_test) = found, expected
    if list(labels) != list(want):
        if sorted(labels) == sorted(want):
            return (f"was built for the workspace's labels in another order ({preview_names(labels)}; the workspace: "
                    f"{preview_names(want)})")
        return (f"was built for other labels: the workspace adds {preview_names(sorted(set(want) - set(labels)))} "
                f"and drops {preview_names(sorted(set(labels) - set(want)))}")
    return (f"was built for {n_train} train and {n_test} test rows; the workspace has {want_train} train and "
            f"{want_test} test rows")


def preview_names(names: Sequence[str], n: int = 5) -> str:
    """The first ``n`` of ``names`` and how many there are, for an error message."""
    shown = ", ".join(repr(x) for x in list(names)[:n])
    return f"[{shown}{', ...' if len(names) > n else ''}] ({len(names)} in all)" if names else "(none)"
