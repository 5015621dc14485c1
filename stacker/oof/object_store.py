"""The OOF store on object storage (any fsspec URL): one JSON manifest per model instead of SQLite.

SQLite needs a local file it can lock, which ``s3://`` or ``gs://`` are not.
Under a URL root the store keeps the same content-addressed Parquet matrices
and replaces the catalog by one small manifest per model, listed by prefix::

    store.json                   {"labels", "n_train", "n_test", "format"}: what the store was built for
    catalog/<name>.json          one model: name, kind, arch, variant, seed, meta, content_hash, created
    data/<hash>.oof.parquet      (n_train, n_labels) float32, as in the local store
    data/<hash>.test.parquet     (n_test, n_labels) float32
    tmp/                         objects being written (moved into place when complete)

A model is published in three steps: both matrices (each written to ``tmp/``
and moved to its content-addressed key), then its manifest, last (also through
``tmp/``). A writer killed at any point leaves at most unreferenced objects: the
store lists exactly the models whose manifest exists, and every manifest's
matrices were complete before it was written. Orphaned matrices are removed
when a model is deleted or replaced.

There is no writer lock (the local store's lock, :mod:`stacker.oof.lock`, is an
OS file lock, which a bucket does not offer): the manifest, written last, is
the commit, so readers only ever see whole models. Run one writer at a time:
a delete or replace by one writer may sweep matrices that another has
written and not yet committed.
"""

from __future__ import annotations

import json
from contextlib import contextmanager, nullcontext
from dataclasses import asdict
from typing import Sequence
from urllib.parse import quote

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from stacker.exceptions import StoreError
from stacker.oof.location import filesystem, publish
from stacker.oof.matrix import damaged_matrix, fill_matrix
from stacker.oof.store import DATA_DIR, ModelEntry, Store, shape_mismatch

INFO = "store.json"
CATALOG_DIR = "catalog"
FORMAT = 1


class ObjectStore(Store):
    """A :class:`~stacker.oof.store.Store` whose root is a URL (see the module docstring).

    Parameters
    ----------
    url : str
        ``s3://bucket/oof``, ``gs://...``, ``memory://...``, ``file:///...``.
    labels, n_train, n_test
        As for :class:`~stacker.oof.store.Store`.
    """

    def __init__(self, url: str, *, labels: Sequence[str], n_train: int, n_test: int) -> None:
        self.fs, self.path = filesystem(url)
        self.path = self.path.rstrip("/")
        self.url = url.rstrip("/")
        self._opening = True  # no sweep on open: another writer may be between its matrices and its manifest
        super().__init__(self.url, labels=labels, n_train=n_train, n_test=n_test)
        self._opening = False
        self.root = self.url  # a URL is not a local Path

    def writing(self, *, wait: float = 0.0):
        """No lock to hold on an object store (``wait`` does not apply): the manifest-last commit is the atomicity."""
        return nullcontext()

    # ----- catalog: manifests listed by prefix ------------------------------
    def _catalog_exists(self) -> bool:
        with self._io("open"):
            self.fs.invalidate_cache(self.path)
            return self.fs.exists(f"{self.path}/{INFO}")

    def _read_entries(self) -> list[ModelEntry]:
        folder = f"{self.path}/{CATALOG_DIR}"
        with self._io("list"):
            self.fs.invalidate_cache(folder)
            paths = self.fs.glob(f"{folder}/*.json")
            blobs = self.fs.cat(paths) if paths else {}  # one concurrent request per manifest on object stores
        entries = []
        for path in sorted(paths):
            try:
                entries.append(ModelEntry(**json.loads(blobs[path])))
            except (TypeError, ValueError) as e:
                raise StoreError(f"{path} is not a model manifest ({e}); the store {self.url} is damaged: "
                                 f"re-collect that run with --replace") from e
        return sorted(entries, key=lambda e: e.name)

    def _publish(self, entry: ModelEntry) -> None:
        with self._io("write to"):
            if not self._catalog_exists():
                info = {"labels": self.labels, "n_train": self.n_train, "n_test": self.n_test, "format": FORMAT}
                publish(self.fs, json.dumps(info).encode(), f"{self.path}/{INFO}")
            publish(self.fs, json.dumps(asdict(entry), sort_keys=True).encode(), self._manifest(entry.name))

    def _unpublish(self, names: Sequence[str]) -> None:
        with self._io("delete from"):
            self.fs.rm([self._manifest(n) for n in names])

    @contextmanager
    def _io(self, action: str):
        """Object-store failures (no bucket, no credentials, no network) as one StoreError line."""
        try:
            yield
        except OSError as e:  # FileNotFoundError included: s3fs reports a missing bucket as one
            raise StoreError(
                f"cannot {action} the store {self.url} ({type(e).__name__}: {e}); check the URL, that the bucket "
                f"exists and your credentials (for S3: AWS_* variables or ~/.aws; FSSPEC_S3_ENDPOINT_URL for an "
                f"S3-compatible server)"
            ) from e

    def _manifest(self, name: str) -> str:
        return f"{self.path}/{CATALOG_DIR}/{quote(name, safe='')}.json"

    def _check_shape(self) -> None:
        try:
            info = json.loads(self.fs.cat_file(f"{self.path}/{INFO}"))
            found = (info["labels"], int(info["n_train"]), int(info["n_test"]))
        except (ValueError, KeyError, TypeError) as e:
            raise StoreError(f"{self.url}/{INFO} is not a stacker store description ({e})") from e
        if found != (self.labels, self.n_train, self.n_test):
            raise StoreError(f"the store {self.url} {shape_mismatch(found, (self.labels, self.n_train, self.n_test))}"
                             f". Point 'store' in stacker.toml at a fresh URL or delete {self.url}")

    # ----- matrices through fsspec ------------------------------------------
    def _file(self, digest: str, part: str) -> str:
        return f"{self.path}/{DATA_DIR}/{digest}.{part}.parquet"

    def _open(self, path):
        return self.fs.open(path, "rb")

    def _write_matrix(self, path, values: np.ndarray) -> None:
        table = pa.table({label: values[:, j] for j, label in enumerate(self.labels)})
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="none", use_dictionary=False, write_statistics=False)
        with self._io("write to"):
            publish(self.fs, sink.getvalue().to_pybytes(), path)

    def _read_matrix(self, path, out: np.ndarray) -> np.ndarray:
        try:
            with self.fs.open(path, "rb") as f:
                table = pq.read_table(f, columns=list(self.labels))
        except FileNotFoundError as e:
            raise StoreError(f"{path} is missing; the store {self.url} is damaged (re-collect the runs)") from e
        except (pa.ArrowException, OSError, KeyError) as e:
            raise damaged_matrix(path, self.labels, e) from e
        return fill_matrix(path, table, out)

    def _sweep(self) -> None:
        """Delete matrices no manifest refers to (called after a delete or a replace, not on open)."""
        if self._opening:
            return
        live = {e.content_hash for e in self.entries()}
        folder = f"{self.path}/{DATA_DIR}"
        self.fs.invalidate_cache(folder)
        stale = [p for p in self.fs.glob(f"{folder}/*.parquet") if p.rsplit("/", 1)[-1].split(".")[0] not in live]
        if stale:
            self.fs.rm(stale)
