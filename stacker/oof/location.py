"""Where a store or a run folder lives: a local path, or any fsspec URL (``s3://``, ``gs://``, ``memory://``).

Local paths keep the plain-file code paths; a URL (``scheme://...``, ``file://``
included) goes through fsspec. Credentials and endpoints come from the usual
places of each filesystem (for S3: ``AWS_*`` variables, ``~/.aws``; fsspec's
``FSSPEC_S3_ENDPOINT_URL`` for an S3-compatible server).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from stacker.exceptions import StoreError

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_url(location: str | Path) -> bool:
    """Whether ``location`` is a URL (``scheme://...``) rather than a local path."""
    return isinstance(location, str) and bool(_URL.match(location))


def filesystem(url: str):
    """``(fs, path)``: the fsspec filesystem of ``url`` and the path inside it (no scheme)."""
    import fsspec

    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as e:
        raise StoreError(
            f"cannot open {url!r}: {e}; install the fsspec driver of that scheme (s3fs for s3://, gcsfs for gs://)"
        ) from e


def publish(fs, data: bytes, path: str) -> None:
    """Write ``data`` to ``path`` so that readers see all of it or nothing: a temporary key, then a move."""
    root = path.rsplit("/", 2)[0]
    tmp = f"{root}/tmp/{uuid.uuid4().hex}"
    fs.pipe_file(tmp, data)
    fs.mv(tmp, path)
