"""One local Ray cluster for every Ray test of the session (starting one costs tens of seconds here):
a head node with no trial slots (the driver's actors) and two worker nodes of one slot each, all on
127.0.0.1. A test that kills a node adds its own node first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from popkit_bench.execution.ray.local_cluster import LocalCluster  # sets the loopback env before Ray


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[LocalCluster]:
    cluster = LocalCluster(worker_slots=[1, 1])
    try:
        yield cluster
    finally:
        cluster.shutdown()

