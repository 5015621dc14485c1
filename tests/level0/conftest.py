"""Level-0 tests run torch single-threaded: tiny models gain nothing from threads on busy shared cores."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def single_threaded_torch():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
