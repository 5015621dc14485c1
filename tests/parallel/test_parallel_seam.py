"""The execution seam on the local backend: task order, Shared arguments, cluster specs, errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

from stacker.exceptions import ClusterError, ValidationError
from stacker.parallel import ClusterSpec, Shared, map_tasks, parse_cluster
from stacker.parallel.shared import unwrap


@pytest.mark.parametrize("prefer", ["processes", "threads"])
@pytest.mark.parametrize("jobs", [1, 2, None])
def test_results_come_back_in_task_order_with_shared_values(prefer, jobs):
    shared = Shared(np.arange(6.0))
    tasks = [(shared, i) for i in range(7)]
    assert map_tasks(np.roll, tasks, description="roll", jobs=jobs, prefer=prefer) == [
        pytest.approx(np.roll(np.arange(6.0), i)) for i in range(7)
    ]


def _array_kind(value: dict, _: int) -> tuple[str, bool]:
    return type(value["x"]).__name__, bool(value["x"].flags.writeable)


def test_worker_processes_get_a_shared_value_memory_mapped_once_threads_and_jobs_1_the_value_itself():
    value = {"x": np.arange(300_000.0)}  # 2.4 MB, nested: above joblib's own memmapping threshold
    tasks = [(Shared(value), i) for i in range(4)]
    assert map_tasks(_array_kind, tasks, description="kind", jobs=2, prefer="processes") == [("memmap", False)] * 4
    for jobs, prefer in ((1, "processes"), (2, "threads")):
        assert map_tasks(_array_kind, tasks, description="kind", jobs=jobs, prefer=prefer) == [("ndarray", True)] * 4


def test_inner_threads_caps_blas_inside_each_task():
    from threadpoolctl import threadpool_info

    def blas_threads():
        return max((p["num_threads"] for p in threadpool_info()), default=1)

    assert map_tasks(blas_threads, [()], description="blas", inner_threads=1) == [1]


def test_the_first_failing_task_in_task_order_raises_its_error():
    with pytest.raises(ValidationError, match="prefer must be one of"):
        map_tasks(print, [()], description="x", prefer="gpu")
    with pytest.raises(ValueError, match="invalid literal"):
        map_tasks(int, [("1",), ("x",), ("y",)], description="ints", jobs=2)


def test_unwrap_replaces_only_shared_arguments():
    assert unwrap((Shared(3), 4, "a")) == (3, 4, "a")


@pytest.mark.parametrize("text, expected", [
    (None, None), ("", None), ("local:3", ClusterSpec(local_workers=3)),
    ("tcp://scheduler:8786", ClusterSpec(address="tcp://scheduler:8786")),
    ("tls://10.0.0.1:8786/", ClusterSpec(address="tls://10.0.0.1:8786")),
])
def test_parse_cluster(text, expected):
    assert parse_cluster(text) == expected


@pytest.mark.parametrize("text", ["local:0", "scheduler:8786", "tcp://scheduler", "local:two", "http://x:1"])
def test_a_cluster_spec_not_understood_says_what_is_expected(text):
    with pytest.raises(ClusterError, match=r"(tcp://scheduler:8786 or local:N|local:N needs N >= 1).* found "
                       + re.escape(repr(text))):
        parse_cluster(text)
