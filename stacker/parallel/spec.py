"""Parse a cluster spec: ``tcp://host:port`` (an existing Dask scheduler) or ``local:N``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from stacker.exceptions import ClusterError

_LOCAL = re.compile(r"^local(?::(\d+))?$")
_REMOTE = re.compile(r"^(tcp|tls|ucx|ws|wss)://[^\s/:]+:\d+/?$")


@dataclass(frozen=True)
class ClusterSpec:
    """Where tasks run: a scheduler ``address``, or a LocalCluster of ``local_workers`` processes."""

    address: str | None = None
    local_workers: int | None = None

    def __str__(self) -> str:
        return self.address or f"local:{self.local_workers}"


def parse_cluster(text: str | None, where: str = "--cluster") -> ClusterSpec | None:
    """``None`` (local joblib) for an empty spec; raise ClusterError for one that is not understood.

    ``local`` alone means one worker process per CPU core. ``where`` names the setting in messages
    (the option, or stacker.toml's ``cluster``).
    """
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    local = _LOCAL.match(text)
    if local:
        import os

        n = int(local.group(1)) if local.group(1) else os.cpu_count() or 1
        if n < 1:
            raise ClusterError(f"{where} local:N needs N >= 1 worker processes; found {text!r}")
        return ClusterSpec(local_workers=n)
    if _REMOTE.match(text):
        return ClusterSpec(address=text.rstrip("/"))
    raise ClusterError(
        f"{where} must be a Dask scheduler address such as tcp://scheduler:8786 or local:N (a cluster of N "
        f"worker processes on this machine); found {text!r}"
    )
